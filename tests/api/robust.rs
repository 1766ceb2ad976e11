//! The emulator cannot be held, exhausted or crashed from the network: every connection is bounded
//! in time, what an unauthenticated client can make it keep is bounded, and the virtual clock
//! cannot break anything. Each test is a finding of the robustness review, over real sockets.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Oneshot, TestApp, config};

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection, or fails after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> (Duration, String) {
    let started = Instant::now();
    let mut buf = Vec::new();
    tokio::time::timeout(limit, stream.read_to_end(&mut buf))
        .await
        .expect("the server kept the connection open")
        .ok();
    (
        started.elapsed(),
        String::from_utf8_lossy(&buf).into_owned(),
    )
}

#[tokio::test]
async fn a_silent_connection_is_closed_within_the_header_timeout() {
    let app = TestApp::spawn(config().header_timeout(Duration::from_millis(500))).await;
    // Nothing at all, and a few bytes of the HTTP/2 preface: both held protocol detection open.
    for first in [&b""[..], b"PRI * HT"] {
        let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
        stream.write_all(first).await.unwrap();
        let (took, _) = closed_within(&mut stream, Duration::from_secs(5)).await;
        assert!(took >= Duration::from_millis(400), "{took:?}");
    }
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_the_connection_closed() {
    let app = TestApp::spawn(config().body_timeout(Duration::from_millis(500))).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(
            b"POST /v1/users/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"new_pa",
        )
        .await
        .unwrap();
    let (took, text) = closed_within(&mut stream, Duration::from_secs(5)).await;
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("x-emulator-reason: request.body_timeout"),
        "{text}"
    );
    assert!(text.contains("\"code\":1025"), "{text}");
    assert!(text.contains("--body-timeout"), "{text}");
}

#[tokio::test]
async fn a_body_announced_over_the_limit_is_refused_before_it_is_sent() {
    let app = TestApp::spawn(config()).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"POST /v1/account HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
        .await
        .expect("no answer without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
}

/// The Graph surface has the same limits, answered in its own envelope.
#[tokio::test]
async fn graph_routes_have_the_same_body_limit_and_timeout() {
    let app = TestApp::spawn(config().body_timeout(Duration::from_millis(300))).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"POST /v23.0/100000000000001/register HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 1000000000\r\n\r\n")
        .await
        .unwrap();
    let (_, text) = closed_within(&mut stream, Duration::from_secs(2)).await;
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("\"error\":{"), "{text}");
    assert!(text.contains("larger than the limit"), "{text}");

    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"POST /v23.0/100000000000001/register HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nContent-Length: 10\r\n\r\n{\"pi")
        .await
        .unwrap();
    let (_, text) = closed_within(&mut stream, Duration::from_secs(2)).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":100"), "{text}");
    assert!(text.contains("--body-timeout"), "{text}");
}

#[tokio::test]
async fn silent_connections_at_the_limit_do_not_lock_out_health_for_long() {
    let app = TestApp::spawn(
        config()
            .max_connections(64)
            .header_timeout(Duration::from_millis(600)),
    )
    .await;
    let mut silent = Vec::new();
    for _ in 0..64 {
        silent.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut locked = TcpStream::connect(addr(&app)).await.unwrap();
    locked
        .write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok();
    let (_, text) = closed_within(&mut locked, Duration::from_secs(5)).await;
    assert!(
        text.starts_with("HTTP/1.1 503"),
        "the limit holds while they are open: {text}"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let ok = reqwest::get(format!("{}/_emulator/health", app.base))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200, "silent connections were closed");
}

#[tokio::test]
async fn an_idle_connection_is_closed_but_a_held_request_is_not() {
    let app = TestApp::spawn(
        config()
            .idle_timeout(Duration::from_millis(500))
            .header_timeout(Duration::from_secs(30)),
    )
    .await;
    // One request, then nothing: closed after the idle time.
    let mut idle = TcpStream::connect(addr(&app)).await.unwrap();
    idle.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (took, text) = closed_within(&mut idle, Duration::from_secs(5)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(took >= Duration::from_millis(400), "{took:?}");
    // A held wait longer than the idle time is answered.
    let held = app
        .control(Method::GET, "/clusters/default/codes/latest?wait=1.2", None)
        .await;
    held.assert_error(404, 1006, "No code");
}

#[tokio::test]
async fn journal_bodies_are_cut_and_the_journal_stays_within_its_budget() {
    let app = TestApp::spawn(config()).await;
    let note = "x".repeat(60_000);
    for _ in 0..100 {
        let answer = app
            .send(
                app.client
                    .post(app.url("/account"))
                    .json(&json!({ "note": note, "Pin": "864209" })),
            )
            .await;
        assert_eq!(answer.status, 401);
    }
    let journal = app
        .control(Method::GET, "/clusters/default/requests", None)
        .await;
    let entries = journal.body["requests"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.len() < 100, "the byte budget dropped the oldest");
    let total: usize = entries
        .iter()
        .map(|e| e["body"].as_str().map_or(0, str::len))
        .sum();
    assert!(total <= 256 * 1024, "{total}");
    for entry in entries {
        assert_eq!(entry["body_truncated"], true, "{entry}");
        assert!(entry["body"].as_str().unwrap().len() <= 4096);
        assert!(!entry["body"].as_str().unwrap().contains("864209"));
    }
}

#[tokio::test]
async fn secrets_are_redacted_whatever_the_case_of_their_key() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.post(
        "/users",
        &token,
        json!({"username": "operator", "PASSWORD": "0perator!Pass", "Pin": "864209"}),
    )
    .await;
    let journal = app
        .control(
            Method::GET,
            "/clusters/default/requests?path=/v1/users",
            None,
        )
        .await;
    let body = &journal.body["requests"][0]["body"];
    assert_eq!(body["PASSWORD"], "[redacted]", "{body}");
    assert_eq!(body["Pin"], "[redacted]", "{body}");
    assert_eq!(body["username"], "operator");
}

#[tokio::test]
async fn the_clock_refuses_to_leave_the_showable_range() {
    let app = TestApp::spawn(config()).await;
    let ten_years = json!({"advance_seconds": 10.0 * 365.0 * 86_400.0});
    let mut refused = None;
    for _ in 0..900 {
        let answer = app
            .control(Method::POST, "/clusters/far/clock", Some(ten_years.clone()))
            .await;
        if answer.status != 200 {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("the clock went past year 9999");
    refused.assert_error(400, 1009, "advance_seconds");
    assert_eq!(refused.reason(), "validation.advance_seconds.range");
    // What is left can be used up to the last second, and expiries stop there.
    let (_, _, details) = refused.error();
    let left: f64 = details
        .split("at most ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{details}"));
    let last = app
        .control(
            Method::POST,
            "/clusters/far/clock",
            Some(json!({"advance_seconds": left})),
        )
        .await;
    assert_eq!(last.status, 200, "{:?}", last.body);
    // Everything that shows a time still answers.
    let clock = app.control(Method::GET, "/clusters/far/clock", None).await;
    assert_eq!(clock.status, 200);
    assert!(clock.body["now"].as_str().unwrap().starts_with("99"));
    let far = app.in_cluster("far");
    let login = far
        .login_with("admin", crate::helpers::PASSWORD, None)
        .await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    assert_eq!(
        login.body["users"][0]["expires_after"],
        "9999-12-31 23:59:59+00:00"
    );
    let journal = app
        .control(Method::GET, "/clusters/far/requests", None)
        .await;
    assert_eq!(journal.status, 200);
}

#[tokio::test]
async fn names_of_only_dots_are_not_clusters() {
    let app = TestApp::spawn(config()).await;
    app.control(Method::GET, "/clusters/.../codes", None)
        .await
        .assert_error(400, 1025, "Cluster name");
    // Clients normalise `.` and `..` away; sent as they are, they are refused.
    let router = Oneshot::new(config());
    for path in [
        "/_emulator/clusters/./codes",
        "/_emulator/clusters/../codes",
        "/_emulator/clusters/%2E%2E/codes",
        "/clusters/../v1/health",
    ] {
        router
            .json("GET", path, None, json!(null))
            .await
            .assert_error(400, 1025, "Cluster name");
    }
    let answer = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("x-emulator-cluster", ".."),
        )
        .await;
    answer.assert_error(400, 1025, "Cluster name");
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_in_any_case() {
    let app = TestApp::spawn(config().control_token("s3cret-control")).await;
    let token = app.admin_token().await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let health = app
            .send(
                app.client
                    .get(app.url("/health"))
                    .header("authorization", format!("{scheme} {token}")),
            )
            .await;
        assert_eq!(health.status, 200, "{scheme}");
        let control = app
            .send(
                app.client
                    .get(format!("{}/_emulator/clusters", app.base))
                    .header("authorization", format!("{scheme} s3cret-control")),
            )
            .await;
        assert_eq!(control.status, 200, "{scheme}");
    }
}

#[tokio::test]
async fn beyond_max_clusters_new_names_are_refused_and_old_ones_work() {
    let app = TestApp::spawn(config().max_clusters(2)).await;
    for name in ["one", "two"] {
        let answer = app
            .in_cluster(name)
            .login_with("admin", crate::helpers::PASSWORD, None)
            .await;
        assert_eq!(answer.status, 200);
    }
    let third = app
        .in_cluster("three")
        .login_with("admin", crate::helpers::PASSWORD, None)
        .await;
    third.assert_error(429, 1015, "--max-clusters");
    assert_eq!(third.reason(), "limit.clusters");
    let again = app
        .in_cluster("two")
        .login_with("admin", crate::helpers::PASSWORD, None)
        .await;
    assert_eq!(again.status, 200);
    let listed = app.control(Method::GET, "/clusters", None).await;
    assert_eq!(listed.body["clusters"], json!(["one", "two"]));
}

#[tokio::test]
async fn http2_streams_are_bounded_and_a_rapid_reset_flood_does_not_hold_the_server() {
    let app = TestApp::spawn(config()).await;
    let tcp = TcpStream::connect(addr(&app)).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    let mut connection = Box::pin(connection);
    // Drive the connection until the server's SETTINGS arrive.
    let _ = tokio::time::timeout(Duration::from_millis(200), &mut connection).await;
    assert_eq!(
        connection.max_concurrent_send_streams(),
        128,
        "max concurrent streams"
    );
    tokio::spawn(async move {
        let _ = connection.await;
    });
    // Rapid reset: open streams and cancel them at once, thousands of times.
    let mut client = client;
    let mut sent = 0;
    for _ in 0..5_000 {
        let Ok(ready) = client.clone().ready().await else {
            break;
        };
        client = ready;
        let request = http::Request::get(format!("{}/_emulator/health", app.base))
            .body(())
            .unwrap();
        match client.send_request(request, true) {
            Ok((response, _)) => drop(response),
            Err(_) => break,
        }
        sent += 1;
    }
    assert!(sent > 0);
    // The server still answers everyone else at once.
    let started = Instant::now();
    let ok = reqwest::get(format!("{}/_emulator/health", app.base))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any sequence of clock advances answers 200 or 400, and the clock and login keep answering.
    #[test]
    fn no_sequence_of_clock_advances_breaks_anything(
        steps in prop::collection::vec(prop_oneof![
            (0.0f64..1e9).prop_map(|s| json!(s)),
            Just(json!(315_360_000.0)),
            Just(json!(-1)),
            Just(json!("10")),
            Just(json!(1e300)),
        ], 1..40),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let app = Oneshot::new(config());
            for step in steps {
                let answer = app.json("POST", "/_emulator/clusters/p/clock", None,
                                      json!({"advance_seconds": step})).await;
                prop_assert!(answer.status == 200 || answer.status == 400, "{:?}", answer.body);
            }
            let clock = app.json("GET", "/_emulator/clusters/p/clock", None, json!(null)).await;
            prop_assert_eq!(clock.status, 200);
            let token = app.admin_token().await;
            prop_assert!(!token.is_empty());
            Ok(())
        })?;
    }

    /// Any cluster name is either served or refused with 400 / 1025, never anything else (the
    /// cluster made by a write first: a read of one that does not exist is 404).
    #[test]
    fn any_cluster_name_is_served_or_refused(name in "[A-Za-z0-9._~%-]{1,70}") {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let app = Oneshot::new(config());
            app.json("POST", &format!("/_emulator/clusters/{name}/clock"), None,
                     json!({"advance_seconds": 0})).await;
            let answer = app.json("GET", &format!("/_emulator/clusters/{name}/policy"), None,
                                  json!(null)).await;
            let decoded = percent_decode(&name);
            let valid = decoded.as_deref().is_some_and(|n| (1..=64).contains(&n.len())
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
                && !n.bytes().all(|b| b == b'.'));
            if valid {
                prop_assert_eq!(answer.status, 200, "{} {:?}", name, answer.body);
            } else {
                prop_assert!(answer.status == 400 || answer.status == 404, "{} {:?}", name, answer.body);
            }
            Ok(())
        })?;
    }
}

/// `%XX` decoding as a server does it; `None` when it is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// On HTTP/1, after an answer, the next request's headers are due within the header timeout
/// (not the longer idle timeout): silence, and headers begun but never ended, are both closed.
#[tokio::test]
async fn the_next_http1_request_must_send_its_headers_within_the_header_timeout() {
    let app = TestApp::spawn(
        config()
            .header_timeout(Duration::from_millis(500))
            .idle_timeout(Duration::from_secs(30)),
    )
    .await;
    for next in [
        &b""[..],
        b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\nX-Slow: ",
    ] {
        let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
        let first = health_answer(&mut stream).await;
        let answered = Instant::now();
        assert!(first.starts_with("HTTP/1.1 200"), "{first}");
        stream.write_all(next).await.unwrap();
        let (_, text) = closed_within(&mut stream, Duration::from_secs(5)).await;
        let took = answered.elapsed();
        assert!(took >= Duration::from_millis(400), "{took:?}");
        assert!(took < Duration::from_secs(3), "{took:?}");
        // Closed without a word after the first answer.
        assert_eq!(text, "");
    }
    // A keep-alive connection that asks in time is served again and again (three requests
    // over 0.9 s: the deadline runs from each answer, not from the connection's start).
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    for _ in 0..3 {
        let answer = health_answer(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Asks `GET /_emulator/health` on `stream` and reads its whole answer (head and
/// `Content-Length` bytes of body), no more.
async fn health_answer(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut read = Vec::new();
    let mut byte = [0u8; 1];
    while !read.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        read.push(byte[0]);
    }
    let head = String::from_utf8(read).unwrap();
    let length: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length: ")?
                .parse()
                .ok()
        })
        .expect("a Content-Length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    head + &String::from_utf8(body).unwrap()
}
