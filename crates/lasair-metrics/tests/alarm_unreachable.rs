//! A webhook that cannot be reached: the alarm is counted as failed and the caller goes on
//! (its own test binary, as the webhook is configured once per process).

#[test]
fn an_unreachable_webhook_is_counted_not_fatal() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", closed.local_addr().expect("addr"));
    drop(closed);
    lasair_metrics::alarm::configure(&url, "lasair-test").expect("configure");
    lasair_metrics::alarm::raise("a batch failed");
    let metrics = lasair_metrics::render();
    assert!(
        metrics.contains("lasair_alarms_total{outcome=\"failed\"} 1"),
        "{metrics}"
    );
}
