//! `GET /_emulator/events`: server-sent events a test in any language can wait on.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Oneshot, TestApp, config};

/// Reads the stream until an event of `kind` whose data satisfies `wanted` arrives.
async fn next_event(
    response: &mut reqwest::Response,
    buffer: &mut String,
    kind: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let mut name = "";
            let mut data = "";
            for line in frame.lines() {
                if let Some(rest) = line.strip_prefix("event: ") {
                    name = rest;
                } else if let Some(rest) = line.strip_prefix("data: ") {
                    data = rest;
                }
            }
            if name == kind {
                let value: Value = serde_json::from_str(data).unwrap();
                if wanted(&value) {
                    return value;
                }
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {kind} event in time"))
            .unwrap()
            .unwrap_or_else(|| panic!("the stream ended; unread: {buffer:?}"));
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn a_code_sent_is_announced_to_subscribers_of_its_cluster_at_once() {
    let app = TestApp::spawn(config()).await;
    let mut stream = app
        .client
        .get(format!("{}/_emulator/events?cluster=ev", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut buffer = String::new();
    next_event(&mut stream, &mut buffer, "ready", |_| true).await;

    // A code in another cluster is not for this subscriber; the one in `ev` is, within a second.
    let other = app.in_cluster("other");
    let token = other.admin_token().await;
    let cert = other.cert("Acme").await;
    other.request_code(&token, "6315550001", "sms", &cert).await;
    let ev = app.in_cluster("ev");
    let token = ev.admin_token().await;
    let started = Instant::now();
    let sent = ev.request_code(&token, "6315550000", "sms", &cert).await;
    assert_eq!(sent.status, 202);
    let code = next_event(&mut stream, &mut buffer, "code_sent", |_| true).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code["cluster"], "ev");
    assert_eq!(code["phone_number"], "6315550000");
    assert_eq!(code["code"], ev.latest_code("6315550000").await);
    // Requests and state changes are announced too.
    let request = next_event(&mut stream, &mut buffer, "request", |r| {
        r["path"] == "/v1/account"
    })
    .await;
    assert_eq!(request["status"], 202);
    ev.control(
        Method::PUT,
        "/clusters/ev/policy",
        Some(serde_json::json!({"policy": "sunset"})),
    )
    .await;
    let state = next_event(&mut stream, &mut buffer, "state", |_| true).await;
    assert_eq!(state["what"], "policy");
    app.control(Method::POST, "/clusters/ev/reset", None).await;
    next_event(&mut stream, &mut buffer, "reset", |r| r["cluster"] == "ev").await;
}

#[tokio::test]
async fn a_subscriber_that_does_not_read_holds_nothing_back_and_learns_what_it_lost() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let app = Oneshot::new(config());
    let request = axum::http::Request::get("/_emulator/events")
        .body(axum::body::Body::empty())
        .unwrap();
    let mut stalled = app
        .router
        .clone()
        .oneshot(request)
        .await
        .unwrap()
        .into_body();
    // 2,000 journaled requests while it reads nothing (more than the buffer of 1,024 events and
    // the connection's queue): each answered at once.
    let started = Instant::now();
    for _ in 0..2_000 {
        let answer = app.json("GET", "/v1/health", None, Value::Null).await;
        assert_eq!(answer.status, 401);
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let mut text = String::new();
    while !text.contains("event: dropped") {
        let frame = tokio::time::timeout(Duration::from_secs(5), stalled.frame())
            .await
            .expect("no dropped event")
            .expect("the stream ended")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    }
    let line = text
        .split("event: dropped\ndata: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap();
    let dropped: Value = serde_json::from_str(line).unwrap();
    assert!(dropped["dropped"].as_u64().unwrap() > 0, "{dropped}");
}

#[tokio::test]
async fn without_the_control_api_there_is_no_stream() {
    let app = TestApp::spawn(config().no_control_api(true)).await;
    app.control(Method::GET, "/events", None)
        .await
        .assert_error(404, 1006, "No such endpoint");
}
