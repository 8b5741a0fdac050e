#!/usr/bin/env bash
# lasair-filter benchmark (issue: a 10,000-alert batch with 1,000 active filters, watchlists of
# 10^6 cones in all and 100 watchmaps, on one core). Prints each stage's time for the batch
# from the statistics the filter records; the main-database upsert is reported apart.
# Sizes: BENCH_ALERTS, BENCH_FILTERS, BENCH_LISTS x BENCH_CONES, BENCH_MAPS.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${CARGO_TARGET_DIR:-target}/release
WORK=${LASAIR_BENCH_DIR:-var/bench-filter}
ALERTS=${BENCH_ALERTS:-10000}
FILTERS=${BENCH_FILTERS:-1000}
LISTS=${BENCH_LISTS:-100}
CONES=${BENCH_CONES:-10000}
MAPS=${BENCH_MAPS:-100}
cargo build --release --quiet -p lasair-sim -p lasair-ingest -p lasair-filter
rm -rf "$WORK" && mkdir -p "$WORK"
# Two batches of new alerts, the second of each object's later alerts (longer lightcurves, so
# twice the bytes), given twice: the fourth batch is the steady state (statements prepared,
# files open, the allocator's memory already faulted in, as on a node that runs all night); its
# figures are the ones printed. The first pass's second batch is printed too, from the log.
"$BIN/lasair-sim" --survey ztf --alerts $((2 * ALERTS)) --objects "$ALERTS" --seed 7 --out "$WORK/sim" 2>/dev/null
"$BIN/lasair-ingest" --survey ztf --quiet "$WORK/sim" > "$WORK/alerts.jsonl"
cat "$WORK/alerts.jsonl" "$WORK/alerts.jsonl" > "$WORK/alerts-twice.jsonl"
db="$WORK/lasair.db"
"$BIN/lasair-filter" --survey ztf --db "sqlite:$db" filter list > /dev/null   # creates the schema
python3 scripts/bench.d/filter_setup.py "$db" "$FILTERS" "$LISTS" "$CONES" "$MAPS" 42

echo "lasair-filter benchmark: batches of $ALERTS alerts, $FILTERS filters, $LISTS x $CONES cones, $MAPS watchmaps, one core (the fourth batch: the second given again)"
start=$(date +%s.%N)
taskset -c 0 "$BIN/lasair-filter" --survey ztf --db "sqlite:$db" --topics "$WORK/streams" \
    --digests "$WORK/digests" --threads 1 --batch "$ALERTS" --wait-ms 600000 "$WORK/alerts-twice.jsonl" \
    2> "$WORK/filter.log"
end=$(date +%s.%N)
# The allocator and its settings the figures were made with (lasair-alloc), and the host's
# transparent huge pages mode: with `madvise`, each page the allocator gives back and faults
# in again costs a whole huge page's zeroing.
grep -m1 'allocator' "$WORK/filter.log" | sed 's/^lasair-filter: /  /'
python3 - "$db" "$start" "$end" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
s = dict(con.execute("SELECT name, value FROM statistics WHERE name LIKE 'filter.%'"))
alerts, objects = s["filter.batch_alerts"], s["filter.batch_objects"]
matching = s["filter.read_ms"] + s["filter.features_ms"] + s["filter.batch_tables_ms"] + s["filter.filters_ms"]
rows = [
    ("read lines (the latest alert of each object)", s["filter.read_ms"]),
    ("features + watchlist/watchmap/GW matching", s["filter.features_ms"]),
    ("batch tables (in-memory SQLite)", s["filter.batch_tables_ms"]),
    ("every user filter, records to topics", s["filter.filters_ms"]),
    ("features + matching + filters (the goal: < 0.5 s)", matching),
    ("results made durable (one syncfs), reported apart", s["filter.results_flush_ms"]),
    ("main database upsert (SQLite), reported apart", s["filter.main_upsert_ms"]),
]
print(f"{int(alerts)} alerts -> {int(objects)} objects, {int(s['filter.batch_results'])} results, {int(s['filter.batch_filters_failed'])} filters failed, "
      f"{int(s.get('filter.batch_filters_screened_out', 0))} not run (their screens kept no object)")
for label, ms in rows:
    print(f"  {label:<52} {ms:9.1f} ms  {alerts / (ms / 1000):10.0f} alerts/s")
print(f"  whole run, including start-up (watchlist index build)  {1000 * (float(sys.argv[3]) - float(sys.argv[2])):9.1f} ms")
PY
echo "  the first pass's second batch (the allocator's memory still growing):"
grep 'batch of' "$WORK/filter.log" | sed -n 2p | sed 's/.*); features/    features/'
# What reading the lines costs on its own, beside serde_json's own figures on the same lines.
LASAIR_BENCH_LINES="$(realpath "$WORK/alerts.jsonl")" taskset -c 0 cargo bench --quiet -p lasair-features --bench json_line
