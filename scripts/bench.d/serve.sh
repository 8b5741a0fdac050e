#!/usr/bin/env bash
# lasair-serve benchmark (issue: cone >= 5,000 req/s and object >= 1,000 req/s on one core,
# p99 < 20 ms, with 10^7 objects). For each backend, lasair-serve runs pinned to core 0 with
# one worker thread while wrk loads it from core 1, then on both cores with wrk beside it.
# Routes: /api/cone/ at random positions (radius 5") and /api/object/ lite for random
# existing objects, each as a power user whose throttle never trips; the object's web page
# /objects/ID/ (issue 12's goal: p99 < 50 ms); a cutout drawn from FITS to PNG (goal: p99 <
# 20 ms; the real alerts' cutouts, filed by bench_objects). Prints requests/s, p50,
# p99 and the answers that were not 2xx with a body (they should be 0); asserts no time.
#
# LASAIR_BENCH_OBJECTS (default 10,000,000), LASAIR_BENCH_BACKENDS=sqlite|mariadb (default
# both), LASAIR_BENCH_DURATION seconds per run (default 10) after LASAIR_BENCH_WARMUP seconds
# unmeasured (default 10: each of the server's 8 SQLite connections fills its own page cache,
# and cone searches ran at half speed for the first 5 s), LASAIR_BENCH_CONNECTIONS (wrk's
# open connections, default 32), LASAIR_BENCH_LIGHTCURVES (objects given lightcurves, default
# 2,000), LASAIR_BENCH_SERVER another lasair-serve binary (to compare builds on the same
# database). The SQLite database is kept in $WORK keyed by its size, so
# a rerun starts at once; MariaDB is a throw-away instance, filled each time.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
SERVER=""
trap 'if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi; stop_services' EXIT
OBJECTS=${LASAIR_BENCH_OBJECTS:-10000000}
BACKENDS=${LASAIR_BENCH_BACKENDS:-sqlite,mariadb}
DURATION=${LASAIR_BENCH_DURATION:-10}
WARMUP=${LASAIR_BENCH_WARMUP:-10}
CONNECTIONS=${LASAIR_BENCH_CONNECTIONS:-32}
LIGHTCURVES=${LASAIR_BENCH_LIGHTCURVES:-2000}
# Not var/bench: `scripts/bench ingest` empties that folder, and this database takes minutes.
WORK=${LASAIR_BENCH_DIR:-var/bench-serve}
BIN=${CARGO_TARGET_DIR:-target}/release
SERVER_BIN=${LASAIR_BENCH_SERVER:-$BIN/lasair-serve}
ensure_packages wrk
cargo build --release --quiet -p lasair-serve --bin lasair-serve --example bench_objects
mkdir -p "$WORK"
LOG="$WORK/serve.log"
: >"$LOG"

# Fails early when the disk cannot hold BYTES more in FOLDER (a full disk stops every build).
need_disk() { # FOLDER BYTES WHAT
    local free; free=$(( $(df --output=avail -k "$1" | tail -1) * 1024 ))
    if [ "$free" -lt "$2" ]; then
        say "$3 needs about $(( $2 >> 30 )) GB in $1; $(( free >> 30 )) GB are free"
        exit 2
    fi
}

# The SQLite database of $OBJECTS objects, made once: filled under another name, then
# renamed, so an interrupted fill is never taken for a finished one. The secondary indexes
# of `objects` are dropped for the fill and made again after it, from their own definitions
# (one sort each rather than ten million random inserts: 10^7 objects in minutes, not an hour).
sqlite_db() {
    local db="$WORK/objects-v1-$OBJECTS.db"
    URL="sqlite:$db"
    [ -f "$db" ] && return
    need_disk "$WORK" $(( OBJECTS * 600 )) "a SQLite database of $OBJECTS objects"
    say "filling $db with $OBJECTS objects (kept for the next runs)"
    rm -f "$db.part" "$db.part-wal" "$db.part-shm"
    "$BIN/lasair-serve" --db "sqlite:$db.part" --survey ztf user add bench --power >/dev/null # the schema
    python3 - "$db.part" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'objects' AND sql IS NOT NULL").fetchall()
con.execute("CREATE TABLE bench_indexes (name TEXT, sql TEXT)")
con.executemany("INSERT INTO bench_indexes VALUES (?, ?)", indexes)
for name, _ in indexes:
    con.execute(f'DROP INDEX "{name}"')
con.commit()
PY
    "$BIN/examples/bench_objects" objects "sqlite:$db.part" "$OBJECTS"
    say "indexing"
    python3 - "$db.part" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("PRAGMA cache_size = -1048576")
for (sql,) in con.execute("SELECT sql FROM bench_indexes").fetchall():
    con.execute(sql)
con.execute("DROP TABLE bench_indexes")
con.commit()
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
PY
    rm -f "$db.part-wal" "$db.part-shm"
    mv "$db.part" "$db"
}

# Lightcurves for the first $LIGHTCURVES objects, from the real ZTF alerts (none without
# ../shared/data): a small store, made once per database size.
ALERTS=../shared/data/ztf/alerts
lightcurve_store() {
    local store="$WORK/lightcurves-v3-$OBJECTS-$LIGHTCURVES.db"
    STORE=""
    CUTOUTS="$WORK/cutouts-v3-$OBJECTS-$LIGHTCURVES"
    if [ ! -d "$ALERTS" ]; then return; fi
    if [ ! -f "$store" ]; then
        rm -rf "$store.part"* "$CUTOUTS"
        "$BIN/examples/bench_objects" lightcurves "sqlite:$store.part" "$OBJECTS" "$LIGHTCURVES" "$CUTOUTS"
        python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")' "$store.part"
        rm -f "$store.part-wal" "$store.part-shm"
        mv "$store.part" "$store"
    fi
    STORE="sqlite:$store"
}

mariadb_db() {
    need_disk "$LASAIR_SVC_DIR" $(( OBJECTS * 1000 )) "MariaDB with $OBJECTS objects"
    start_mariadb
    say "filling MariaDB with $OBJECTS objects"
    "$BIN/examples/bench_objects" objects "$LASAIR_TEST_MYSQL" "$OBJECTS"
    URL=$LASAIR_TEST_MYSQL
}

# A power user's token (the user is made once per database).
power_token() {
    "$BIN/lasair-serve" --db "$URL" --survey ztf user add bench --power 2>/dev/null ||
        "$BIN/lasair-serve" --db "$URL" --survey ztf user token bench
}

serve() { # CPUS THREADS
    local port; port=$(free_port)
    local store=(); [ -z "$STORE" ] || store=(--lightcurves "$STORE" --cutouts "$CUTOUTS")
    taskset -c "$1" "$SERVER_BIN" --db "$URL" "${store[@]}" --survey ztf --listen "127.0.0.1:$port" \
        --threads "$2" --calls-power 1000000000 2>>"$LOG" &
    SERVER=$!
    wait_for_port "$port" lasair-serve
    BASE="http://127.0.0.1:$port"
}

stop_server() {
    kill "$SERVER" && wait "$SERVER" || true
    SERVER=""
}

# POST ROUTE FIELD... : the body of a 200 answer with a body, or a loud failure.
post() {
    local route=$1; shift
    local out code fields=()
    for field in "$@"; do fields+=(--data-urlencode "$field"); done
    out=$(curl -sS -w '\n%{http_code}' -H "Authorization: Token $TOKEN" "${fields[@]}" "$BASE/api/$route/")
    code=${out##*$'\n'} out=${out%$'\n'*}
    if [ "$code" != 200 ] || [ -z "$out" ]; then
        say "FAILED: /api/$route/ $* answered $code: $out (server log: $LOG)"
        exit 1
    fi
    printf '%s' "$out"
}

# The answers are real: the first object is found, and a cone at its position finds it.
check() {
    local object position cone
    object=$(post object objectId=ZTF18aaaaaaa lite=True)
    position=$(python3 -c 'import json, sys; d = json.load(sys.stdin)["objectData"]; print(d["ramean"], d["decmean"])' <<<"$object")
    cone=$(post cone "ra=${position% *}" "dec=${position#* }" radius=5 requestType=all)
    if ! python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)["nearest"]["object"] != "ZTF18aaaaaaa")' <<<"$cone"; then
        say "FAILED: a cone at ZTF18aaaaaaa's position did not find it: $cone"
        exit 1
    fi
}

# LABEL WRK_CPUS ROUTE [FIRST]: a warm-up, then the measured run.
load() {
    local wrk=(taskset -c "$2" wrk -t1 -c"$CONNECTIONS" -s scripts/bench.d/serve.lua)
    local args=("$3" "$TOKEN" "$OBJECTS" ${4:+"$4"})
    "${wrk[@]}" -d"${WARMUP}s" "$BASE" -- "${args[@]}" >/dev/null
    local line
    line=$("${wrk[@]}" -d"${DURATION}s" --latency "$BASE" -- "${args[@]}" | grep '^result ')
    # result REQUESTS SECONDS P50_MS P99_MS BAD SOCKET_ERRORS
    awk -v l="$1" -v r="$line" 'BEGIN { split(r, f, " ");
        printf "%-34s %8.0f req/s   p50 %6.2f ms   p99 %7.2f ms   %d not 2xx/empty, %d socket errors\n",
            l, f[2] / f[3], f[4], f[5], f[6], f[7] }'
}

echo "lasair-serve benchmark: $OBJECTS ZTF objects; wrk, $CONNECTIONS connections, ${DURATION} s a run after ${WARMUP} s; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
. scripts/bench.d/allocator.sh
system_allocator_line
if [ -d "$ALERTS" ]; then
    echo "(object: the objects row with Sherlock, TNS and annotations; the first $LIGHTCURVES objects also have lightcurves, the points of the real ZTF alerts)"
else
    echo "(object: the objects row with Sherlock, TNS and annotations; no lightcurves: $ALERTS not found)"
fi
for backend in ${BACKENDS//,/ }; do
    case "$backend" in
        sqlite)
            sqlite_db
            # Read once into the OS page cache (as a serving node's file is) when it fits:
            # cold, a cone search waits on ~300 random disk reads at 10^7 objects.
            if [ "$(stat -c %s "${URL#sqlite:}")" -lt $(( $(awk '/MemAvailable/ { print $2 }' /proc/meminfo) * 1024 / 2 )) ]; then
                cat "${URL#sqlite:}" >/dev/null
            fi
            beside="" ;;
        mariadb) mariadb_db; beside=" (mariadbd beside them, on any core)" ;;
        *) say "unknown backend $backend (sqlite, mariadb)"; exit 2 ;;
    esac
    lightcurve_store
    TOKEN=$(power_token)
    for cores in 1 2; do
        if [ "$cores" = 1 ]; then
            serve 0 1; wrk_cpus=1; where="server on core 0, wrk on core 1"
        else
            serve 0,1 2; wrk_cpus=0,1; where="server and wrk on both cores"
        fi
        check
        echo "$backend, $where$beside:"
        load "  cone (radius 5\")" "$wrk_cpus" cone
        load "  object (lite), no lightcurve" "$wrk_cpus" object
        load "  object page (HTML), no lightcurve" "$wrk_cpus" page
        if [ -n "$STORE" ]; then
            load "  object (lite) with its lightcurve" "$wrk_cpus" object "$LIGHTCURVES"
            load "  object page (HTML) with lightcurve" "$wrk_cpus" page "$LIGHTCURVES"
            load "  cutout drawn as PNG" "$wrk_cpus" cutout "$LIGHTCURVES"
        fi
        stop_server
    done
done
