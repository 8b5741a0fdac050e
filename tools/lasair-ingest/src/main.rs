//! `lasair-ingest`: see `lasair_ingest::Args` for the options.

/// On lasair-alloc's allocator (mimalloc): decoding allocates and frees many small values per
/// alert, and glibc's allocator returns freed pages to the kernel only to fault them back in
/// (measured with perf).
fn main() -> std::process::ExitCode {
    lasair_alloc::init();
    let args: lasair_ingest::Args = lasair_stream::parse_args(&lasair_ingest::DEFAULTS);
    lasair_cli::finish("lasair-ingest", lasair_ingest::main(args))
}
