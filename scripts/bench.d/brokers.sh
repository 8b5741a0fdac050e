#!/usr/bin/env bash
# lasair-sync brokers: Fink LSST messages taken into annotations, per second, through tansu,
# into a SQLite main database with the annotation stream to a file. Two forms: few-field
# alerts of LASAIR_BENCH_MESSAGES distinct objects (default 20,000: the job's own cost), and
# Fink's real LSST alerts with cutouts (../shared/data/brokers/fink, LASAIR_BENCH_REAL of them,
# default 2,000; 7 real alerts repeated, so few objects). Each run is a fresh consumer group
# reading the topic to its end, batches of LASAIR_BENCH_BATCH (default 500), with
# LASAIR_BENCH_KAFKA_OPTION (default fetch.wait.max.ms=10: tansu holds every fetch for the
# whole wait, where Kafka answers once a message is there; at librdkafka's 500 ms, large
# messages came at a third of the speed). Prints messages/s and microseconds per message from
# the job's own report; asserts no time.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/services.sh
trap stop_services EXIT
N=${LASAIR_BENCH_MESSAGES:-20000}
REAL=${LASAIR_BENCH_REAL:-2000}
BATCH=${LASAIR_BENCH_BATCH:-500}
KAFKA_OPTION=${LASAIR_BENCH_KAFKA_OPTION:-fetch.wait.max.ms=10}
WORK=${LASAIR_BENCH_DIR:-var/bench-brokers}
BIN=${CARGO_TARGET_DIR:-target}/release
cargo build --release --quiet -p lasair-sync --bin lasair-sync --example bench_brokers
start_tansu bench_fink_small:2 bench_fink_real:2
rm -rf "$WORK" && mkdir -p "$WORK"
DB="sqlite:$WORK/lasair.db"
"$BIN/examples/bench_brokers" setup "$DB"
row() { # label report
    python3 -c 'import json,sys; r=json.loads(sys.argv[2]); n=r["messages"]; s=r["seconds"]
print("%-44s %7d messages %6d annotated %7.2f s %9.0f messages/s %8.1f us/message" % (sys.argv[1], n, r["annotated"], s, n/s, s*1e6/n))' "$1" "$2"
}
. scripts/bench.d/allocator.sh
system_allocator_line
for form in small real; do
    count=$N; [ "$form" = real ] && count=$REAL
    bytes=$("$BIN/examples/bench_brokers" produce "$LASAIR_TEST_KAFKA" "bench_fink_$form" "$count" "$form")
    report=$("$BIN/lasair-sync" brokers --db "$DB" --broker fink --group "bench-$form" --batch "$BATCH" \
        --kafka-option "$KAFKA_OPTION" \
        --from "kafka://$LASAIR_TEST_KAFKA/bench_fink_$form" --annotations "$WORK/annotations.jsonl")
    row "fink lsst $form ($((bytes / count)) B/message)" "$report"
done
