//! Alarms posted to a Slack incoming webhook: here a local HTTP receiver that keeps what it
//! is sent, as Slack's would.

#[test]
fn alarms_reach_the_webhook_and_repeats_are_suppressed() {
    let (url, posts) = lasair_testdata::webhook::webhook();
    lasair_metrics::alarm::raise("before any webhook: only counted");
    lasair_metrics::alarm::configure(&url, "lasair-test").expect("configure");
    assert!(lasair_metrics::alarm::configured());
    lasair_metrics::alarm::raise("cannot reach the main database");
    lasair_metrics::alarm::raise("cannot reach the main database");
    lasair_metrics::alarm::raise("cannot reach the main database");
    lasair_metrics::alarm::raise("disk full: /var/lib/lasair");
    let first = posts.recv().expect("a post");
    let text = first["text"].as_str().expect("text");
    assert!(text.starts_with("ERROR: "), "{text}");
    assert!(
        text.ends_with(": lasair-test: cannot reach the main database"),
        "{text}"
    );
    let second = posts.recv().expect("a second post");
    let text = second["text"].as_str().expect("text");
    assert!(
        text.contains("lasair-test: disk full: /var/lib/lasair (the message before was repeated 2 more times)"),
        "{text}"
    );
    assert!(posts.try_recv().is_err(), "the repeats were posted");
    let metrics = lasair_metrics::render();
    for (outcome, n) in [("unconfigured", 1), ("posted", 2), ("suppressed", 2)] {
        let line = format!("lasair_alarms_total{{outcome=\"{outcome}\"}} {n}");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
}
