//! The metric families, registered once per process, and the handles tools count with.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every family this crate registers (the process collector adds `process_*`), for the test
/// that the alert rules and dashboards name only families that exist.
pub const FAMILIES: &[&str] = &[
    "lasair_build_info",
    "lasair_stage_records_read_total",
    "lasair_stage_records_done_total",
    "lasair_stage_records_bad_total",
    "lasair_stage_batches_total",
    "lasair_stage_batch_failures_total",
    "lasair_stage_batch_records",
    "lasair_stage_batch_seconds",
    "lasair_stage_step_seconds",
    "lasair_stage_last_batch_timestamp_seconds",
    "lasair_alert_age_seconds",
    "lasair_kafka_consumer_lag",
    "lasair_filter_results_total",
    "lasair_filter_failures_total",
    "lasair_http_requests_total",
    "lasair_http_request_seconds",
    "lasair_alarms_total",
];

/// Durations from a millisecond to two minutes: a batch, a step of one, an HTTP answer.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Records in a batch.
const RECORDS: &[f64] = &[
    1.0, 10.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 50000.0,
];

pub(crate) struct Families {
    pub(crate) registry: Registry,
    pub(crate) build_info: IntGaugeVec,
    read: IntCounterVec,
    done: IntCounterVec,
    bad: IntCounterVec,
    batches: IntCounterVec,
    failures: IntCounterVec,
    batch_records: HistogramVec,
    batch_seconds: HistogramVec,
    step_seconds: HistogramVec,
    last_batch: GaugeVec,
    alert_age: GaugeVec,
    lag: IntGaugeVec,
    filter_results: IntCounterVec,
    filter_failures: IntCounterVec,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    pub(crate) alarms: IntCounterVec,
}

/// Builds and registers one family; a clash of names is a bug of this file.
fn family<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, m: M) -> M {
    registry
        .register(Box::new(m.clone()))
        .expect("the metric families have distinct names");
    m
}

fn counters(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let vec = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid family");
    family(registry, vec)
}

fn histograms(
    registry: &Registry,
    name: &str,
    help: &str,
    buckets: &[f64],
    labels: &[&str],
) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    family(
        registry,
        HistogramVec::new(opts, labels).expect("a valid family"),
    )
}

fn gauges(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
    family(
        registry,
        GaugeVec::new(Opts::new(name, help), labels).expect("a valid family"),
    )
}

fn int_gauges(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    family(
        registry,
        IntGaugeVec::new(Opts::new(name, help), labels).expect("a valid family"),
    )
}

pub(crate) static METRICS: LazyLock<Families> = LazyLock::new(|| {
    let r = Registry::new();
    #[cfg(target_os = "linux")]
    r.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))
    .expect("one process collector");
    let stage = &["stage"];
    Families {
        build_info: int_gauges(
            &r,
            "lasair_build_info",
            "1, labelled with the tool and its version.",
            &["tool", "version"],
        ),
        read: counters(
            &r,
            "lasair_stage_records_read_total",
            "Records (alerts, lines, messages) a stage has read.",
            stage,
        ),
        done: counters(
            &r,
            "lasair_stage_records_done_total",
            "Records whose effects a stage has made durable (then committed).",
            stage,
        ),
        bad: counters(
            &r,
            "lasair_stage_records_bad_total",
            "Records a stage refused (reported on its stderr, skipped).",
            stage,
        ),
        batches: counters(
            &r,
            "lasair_stage_batches_total",
            "Batches a stage has finished and committed.",
            stage,
        ),
        failures: counters(
            &r,
            "lasair_stage_batch_failures_total",
            "Batches that failed (the stage stops; nothing is committed).",
            stage,
        ),
        batch_records: histograms(
            &r,
            "lasair_stage_batch_records",
            "Records per batch.",
            RECORDS,
            stage,
        ),
        batch_seconds: histograms(
            &r,
            "lasair_stage_batch_seconds",
            "Time to process a batch, from its last record read to its effects durable.",
            SECONDS,
            stage,
        ),
        step_seconds: histograms(
            &r,
            "lasair_stage_step_seconds",
            "Time of each step of a batch.",
            SECONDS,
            &["stage", "step"],
        ),
        last_batch: gauges(
            &r,
            "lasair_stage_last_batch_timestamp_seconds",
            "Unix time the stage last finished a batch.",
            stage,
        ),
        alert_age: gauges(
            &r,
            "lasair_alert_age_seconds",
            "Age of the newest and oldest alert of the last batch (now minus the alert's time): Lasair's batch lag.",
            &["stage", "which"],
        ),
        lag: int_gauges(
            &r,
            "lasair_kafka_consumer_lag",
            "Messages in a partition after the group's committed offset, as librdkafka last saw them.",
            &["client", "topic", "partition"],
        ),
        filter_results: counters(
            &r,
            "lasair_filter_results_total",
            "Records each users' filter has produced, by its topic.",
            &["filter"],
        ),
        filter_failures: counters(
            &r,
            "lasair_filter_failures_total",
            "Batches on which a users' filter failed (its query refused or timed out).",
            &["filter"],
        ),
        http_requests: counters(
            &r,
            "lasair_http_requests_total",
            "HTTP requests answered, by route and status code.",
            &["route", "status"],
        ),
        http_seconds: histograms(
            &r,
            "lasair_http_request_seconds",
            "Time to answer an HTTP request, by route.",
            SECONDS,
            &["route"],
        ),
        alarms: counters(
            &r,
            "lasair_alarms_total",
            "Alarms raised, by what became of them (posted, suppressed, failed, unconfigured).",
            &["outcome"],
        ),
        registry: r,
    }
});

/// The registry as Prometheus text (exposition format 0.0.4).
pub fn render() -> String {
    let mut out = Vec::new();
    let families = METRICS.registry.gather();
    if let Err(e) = TextEncoder::new().encode(&families, &mut out) {
        return format!("# error encoding the metrics: {e}\n");
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The stage label of a tool: `lasair-ingest` counts as `ingest`.
fn stage_label(tool: &str) -> &str {
    tool.strip_prefix("lasair-").unwrap_or(tool)
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A stage's counters, labelled once.
pub struct Stage {
    read: IntCounter,
    done: IntCounter,
    bad: IntCounter,
    batches: IntCounter,
    failures: IntCounter,
    batch_records: Histogram,
    batch_seconds: Histogram,
    last_batch: Gauge,
    /// The run's totals last counted, so that [`Stage::totals`] adds only what is new.
    seen: [AtomicU64; 3],
}

impl Stage {
    /// The counters of the stage `tool` runs (`lasair-filter` is stage `filter`).
    pub fn new(tool: &str) -> Stage {
        let m = &*METRICS;
        let label = [stage_label(tool)];
        Stage {
            read: m.read.with_label_values(&label),
            done: m.done.with_label_values(&label),
            bad: m.bad.with_label_values(&label),
            batches: m.batches.with_label_values(&label),
            failures: m.failures.with_label_values(&label),
            batch_records: m.batch_records.with_label_values(&label),
            batch_seconds: m.batch_seconds.with_label_values(&label),
            last_batch: m.last_batch.with_label_values(&label),
            seen: Default::default(),
        }
    }

    /// A batch of `records` read and finished in `seconds`.
    pub fn batch(&self, records: usize, seconds: f64) {
        self.batches.inc();
        self.batch_records.observe(records as f64);
        self.batch_seconds.observe(seconds);
        self.last_batch.set(unix_now());
    }

    /// A batch failed.
    pub fn failed(&self) {
        self.failures.inc();
    }

    /// The run's totals so far (read, done, bad), as the tool's counts hold them; what is new
    /// since the last call is added.
    pub fn totals(&self, read: u64, done: u64, bad: u64) {
        for (i, (total, counter)) in [(read, &self.read), (done, &self.done), (bad, &self.bad)]
            .into_iter()
            .enumerate()
        {
            let before = self.seen[i].swap(total, Ordering::Relaxed);
            counter.inc_by(total.saturating_sub(before));
        }
    }
}

/// The steps of one batch, each timed from the end of the one before:
/// `let mut s = Steps::new("lasair-ingest"); ...; s.lap("decode"); ...; s.lap("store");`.
pub struct Steps {
    stage: String,
    last: Instant,
}

impl Steps {
    pub fn new(tool: &str) -> Steps {
        Steps {
            stage: stage_label(tool).to_owned(),
            last: Instant::now(),
        }
    }

    /// Counts the time since the last lap (or the start) as `step`'s, and gives it in seconds.
    pub fn lap(&mut self, step: &str) -> f64 {
        let now = Instant::now();
        let seconds = (now - self.last).as_secs_f64();
        self.last = now;
        observe_step(&self.stage, step, seconds);
        seconds
    }
}

/// A step of a batch of `tool`'s took `seconds` (for a tool that times its steps itself).
pub fn step(tool: &str, step: &str, seconds: f64) {
    observe_step(stage_label(tool), step, seconds);
}

fn observe_step(stage: &str, step: &str, seconds: f64) {
    METRICS
        .step_seconds
        .with_label_values(&[stage, step])
        .observe(seconds);
}

/// The age in seconds of the newest and oldest alert of a stage's batch.
pub fn alert_age(tool: &str, newest: f64, oldest: f64) {
    let stage = stage_label(tool);
    for (which, age) in [("newest", newest), ("oldest", oldest)] {
        METRICS
            .alert_age
            .with_label_values(&[stage, which])
            .set(age);
    }
}

/// The lag of one partition a Kafka consumer (its client id) reads; `None` when it reads it
/// no more, which drops the figure.
pub fn consumer_lag(client: &str, topic: &str, partition: i32, lag: Option<i64>) {
    let partition = partition.to_string();
    let labels = [client, topic, partition.as_str()];
    match lag {
        Some(lag) => METRICS.lag.with_label_values(&labels).set(lag),
        // Absent already is the same answer.
        None => drop(METRICS.lag.remove_label_values(&labels)),
    }
}

/// `records` produced by the users' filter whose topic is `filter`.
pub fn filter_result(filter: &str, records: u64) {
    METRICS
        .filter_results
        .with_label_values(&[filter])
        .inc_by(records);
}

/// A users' filter failed on a batch.
pub fn filter_failed(filter: &str) {
    METRICS.filter_failures.with_label_values(&[filter]).inc();
}

/// An HTTP request answered: `route` is the router's pattern (`/api/objects/`), never the
/// path asked for, so that the label set stays small.
pub fn http_request(route: &str, status: u16, seconds: f64) {
    let m = &*METRICS;
    m.http_requests
        .with_label_values(&[route, &status.to_string()])
        .inc();
    m.http_seconds.with_label_values(&[route]).observe(seconds);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_lists_every_family_registered() {
        let s = Stage::new("lasair-test-families");
        s.batch(1, 0.1);
        s.failed();
        s.totals(1, 1, 1);
        step("lasair-test-families", "x", 0.1);
        alert_age("lasair-test-families", 1.0, 2.0);
        consumer_lag("c", "t", 0, Some(3));
        filter_result("lasair_1test", 1);
        filter_failed("lasair_1test");
        http_request("/api/test/", 200, 0.01);
        METRICS.build_info.with_label_values(&["t", "0"]).set(1);
        crate::alarm::raise("counted only");
        let text = render();
        let registered: std::collections::BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next())
            .filter(|name| name.starts_with("lasair_"))
            .collect();
        let listed: std::collections::BTreeSet<&str> = FAMILIES.iter().copied().collect();
        assert_eq!(registered, listed);
    }

    #[test]
    fn totals_add_only_what_is_new() {
        let s = Stage::new("lasair-test-totals");
        s.totals(10, 8, 2);
        s.totals(25, 20, 2);
        assert_eq!((s.read.get(), s.done.get(), s.bad.get()), (25, 20, 2));
        s.batch(15, 0.2);
        let text = render();
        assert!(
            text.contains("lasair_stage_records_read_total{stage=\"test-totals\"} 25"),
            "{text}"
        );
        assert!(
            text.contains("lasair_stage_batch_records_count{stage=\"test-totals\"} 1"),
            "{text}"
        );
    }

    #[test]
    fn laps_time_each_step_from_the_one_before() {
        let mut steps = Steps::new("lasair-test-steps");
        std::thread::sleep(std::time::Duration::from_millis(20));
        let first = steps.lap("a");
        // The sleep bounds the first lap from below; the second starts where it ended.
        assert!(first >= 0.02, "{first}");
        steps.lap("b");
        let text = render();
        assert!(
            text.contains("lasair_stage_step_seconds_count{stage=\"test-steps\",step=\"a\"} 1")
                && text
                    .contains("lasair_stage_step_seconds_count{stage=\"test-steps\",step=\"b\"} 1"),
            "{text}"
        );
    }
}
