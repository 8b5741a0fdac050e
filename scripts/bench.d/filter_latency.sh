#!/usr/bin/env bash
# Latency from an alert entering lasair-filter to its result on the user's topic, at a steady
# rate through a real Kafka broker (tansu): p50, p90, p99. RATE (default 1000 alerts/s) for
# DURATION seconds (default 30); the filter closes a batch after WAIT_MS (default 200).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
trap stop_services EXIT
BIN=${CARGO_TARGET_DIR:-target}/release
WORK=${LASAIR_BENCH_DIR:-var/bench-latency}
RATE=${RATE:-1000}
DURATION=${DURATION:-30}
WAIT_MS=${WAIT_MS:-200}
ensure_python confluent_kafka=confluent-kafka
cargo build --release --quiet -p lasair-sim -p lasair-ingest -p lasair-filter
rm -rf "$WORK" && mkdir -p "$WORK"
"$BIN/lasair-sim" --survey ztf --alerts 10000 --objects 3000 --seed 9 --no-cutouts --out "$WORK/sim" 2>/dev/null
"$BIN/lasair-ingest" --survey ztf --quiet "$WORK/sim" > "$WORK/alerts.jsonl"
start_tansu lasair_latency_in:1 lasair_1latency:1
db="sqlite:$WORK/lasair.db"
"$BIN/lasair-filter" --survey ztf --db "$db" filter add --name latency --user 1 --select 'objects.objectId, objects.gmag' > /dev/null
"$BIN/lasair-filter" --survey ztf --db "$db" "kafka://$LASAIR_TEST_KAFKA/lasair_latency_in" --group latency \
    --topics "kafka://$LASAIR_TEST_KAFKA" --digests "$WORK/digests" --wait-ms "$WAIT_MS" --quiet \
    --kafka-option fetch.wait.max.ms=20 &
filter=$!
SERVICE_PIDS+=("$filter")
sleep 2
echo "lasair-filter latency: alert produced -> result read, through tansu, batches closed after $WAIT_MS ms"
python3 scripts/bench.d/filter_latency.py "$LASAIR_TEST_KAFKA" lasair_latency_in lasair_1latency \
    "$WORK/alerts.jsonl" "$RATE" "$DURATION"
