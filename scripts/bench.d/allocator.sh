# Sourced by the benchmarks: `system_allocator_line` prints the allocator a benchmark that runs on
# the system allocator (glibc malloc: lasair-serve, lasair-sync, lasair-sherlock and the crates'
# cargo benches) ran with, and the host's transparent huge pages mode. The tools on lasair-alloc
# (lasair-ingest, lasair-filter, lasair-mine) print their own line (`lasair_alloc::settings`).
thp_mode() {
    sed -nE 's/.*\[([a-z]+)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown
}
system_allocator_line() {
    echo "  allocator: the system's (glibc $(ldd --version 2>/dev/null | head -1 | awk '{print $NF}') malloc, default tunables${MALLOC_ARENA_MAX:+, MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX}); transparent huge pages: $(thp_mode)"
}
