//! The API's answers counted in the metrics by route pattern and status (its own test binary,
//! as the registry is the process's), over a node filled with the real alerts of
//! ../shared/data (skipped when absent).

mod common;

use axum::http::StatusCode;
use common::{Client, Node};
use lasair_alert::Survey;

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn answers_are_counted_by_route_and_status() {
    let Some(node) = Node::new(Survey::Ztf) else {
        return;
    };
    let client = Client::new(node.app());
    let (id, alerts) = &node.objects[0];
    let last = alerts.last().expect("an alert");
    let (ra, dec) = (last.ra.to_string(), last.dec.to_string());
    let token = node.user.clone();
    let form = [
        ("ra", ra.as_str()),
        ("dec", dec.as_str()),
        ("radius", "5"),
        ("requestType", "all"),
    ];
    for _ in 0..2 {
        let ok = client.post("/api/cone/", Some(&token), &form).await;
        assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json);
    }
    let wide = [
        ("ra", ra.as_str()),
        ("dec", dec.as_str()),
        ("radius", "5000"),
        ("requestType", "all"),
    ];
    let bad = client.post("/api/cone/", Some(&token), &wide).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let fits = client.get(&format!("/fits/{id}/nonsense.fits")).await;
    assert_eq!(fits.status, StatusCode::NOT_FOUND);
    let nowhere = client.get("/api/no-such-call/").await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);

    let text = lasair_metrics::render();
    let count = |route: &str, status: u16| {
        sample(
            &text,
            &format!("lasair_http_requests_total{{route=\"{route}\",status=\"{status}\"}}"),
        )
    };
    assert_eq!(count("/api/cone/", 200), Some(2.0), "{text}");
    assert_eq!(count("/api/cone/", 400), Some(1.0), "{text}");
    // The pattern, never the object asked for, so the labels stay few.
    assert_eq!(count("/fits/{object}/{file}", 404), Some(1.0), "{text}");
    assert_eq!(count("unmatched", 404), Some(1.0), "{text}");
    assert!(
        !text.contains(id.as_str()),
        "an object's id became a label: {text}"
    );
    assert_eq!(
        sample(
            &text,
            "lasair_http_request_seconds_count{route=\"/api/cone/\"}"
        ),
        Some(3.0),
        "{text}"
    );
}
