#!/usr/bin/env bash
# lasair-mine benchmark (issue 14): every `objects` row recomputed by lasair-features from the
# full lightcurves of BENCH_OBJECTS (128,000) simulated ZTF objects in the SQLite lightcurve
# store, over SSH to 127.0.0.1 (a throw-away sshd) with 1 and 2 worker processes, the rows
# written to a file (as Lasair's workers write CSV); then with --upsert into a SQLite main
# database too. Prints objects/s beside Lasair's published figures for the same job
# (utility/parallel/readme.md: 128,000 objects in 7,828 s on one process, 358 s on 32).
# The store (filled by tools/lasair-mine/examples/bench_store.rs, as lasair-ingest fills it) is
# kept in var/bench-mine and made again only when the sizes change.
# Sizes: BENCH_OBJECTS, BENCH_ALERTS (default 11 per object: about 30 lightcurve points each,
# 11 detections and the rest upper limits and forced photometry). The store takes about 64 KB an
# object (each point keeps its survey record): 8 GB at the full size, 2 GB with
# BENCH_OBJECTS=32000.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
trap stop_services EXIT
WORK=${LASAIR_BENCH_DIR:-var/bench-mine}
OBJECTS=${BENCH_OBJECTS:-128000}
ALERTS=${BENCH_ALERTS:-$((OBJECTS * 11))}
cargo build --release --quiet -p lasair-mine
# Absolute: the remote side (sshd) starts the worker by this path.
BIN=$(realpath "${CARGO_TARGET_DIR:-target}")/release
mkdir -p "$WORK"
if [ "$(cat "$WORK/made" 2>/dev/null)" != "$OBJECTS $ALERTS" ]; then
    say "simulating $ALERTS ZTF alerts of $OBJECTS objects and storing their lightcurves"
    rm -rf "$WORK"/* && mkdir -p "$WORK"
    cargo run --release --quiet -p lasair-mine --example bench_store -- \
        "$WORK/lc.db" "$WORK/ids.txt" "$ALERTS" "$OBJECTS" 14
    echo "$OBJECTS $ALERTS" > "$WORK/made"
fi
python3 - "$WORK/lc.db" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
objects = con.execute("SELECT count(DISTINCT objectId) FROM lightcurve").fetchone()[0]
kinds = dict(con.execute("SELECT kind, count(*) FROM lightcurve GROUP BY kind").fetchall())
points = sum(kinds.values())
print(f"{objects} objects, {points / objects:.1f} lightcurve points each on average "
      f"({kinds.get(0, 0) / objects:.1f} detections, {kinds.get(1, 0) / objects:.1f} upper limits, "
      f"{kinds.get(2, 0) / objects:.1f} forced photometry)")
PY
start_sshd 1
say "lasair-mine benchmark on $(nproc) cores: features of every object, over SSH to $LASAIR_TEST_SSH"
# Prints "objects seconds" from lasair-mine's closing line.
mine() {
    local line
    line=$("$BIN/lasair-mine" --hosts "$LASAIR_TEST_SSH" --identity "$LASAIR_TEST_SSH_KEY" \
        --known-hosts "$LASAIR_TEST_SSH_KNOWN_HOSTS" --remote-bin "$BIN/lasair-mine" --survey ztf \
        --lightcurves "sqlite:$PWD/$WORK/lc.db" --ids "$WORK/ids.txt" --run features \
        --output "$WORK/rows.jsonl" "$@" 2>&1 >/dev/null | tail -1)
    echo "$line" | sed -E 's/^lasair-mine: ([0-9]+) objects in ([0-9.]+) s.*/\1 \2/'
}
row() { # label objects seconds
    awk -v l="$1" -v n="$2" -v s="$3" 'BEGIN { printf "%-52s %8d objects %9.1f s %9.0f objects/s\n", l, n, s, n / s }'
}
row "Lasair (published): 1 process" 128000 7828
row "Lasair (published): 32 processes on 4 hosts" 128000 358
row "lasair-mine: 1 process" $(mine --processes 1)
row "lasair-mine: 2 processes" $(mine --processes 2)
rm -f "$WORK/main.db"*
row "lasair-mine: 2 processes, --upsert into SQLite" $(mine --processes 2 --upsert --db "sqlite:$WORK/main.db")
