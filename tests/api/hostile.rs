//! Hostile clients: slow headers, too many connections.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, config};

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    let app = TestApp::spawn(config().header_timeout(Duration::from_millis(500))).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was not closed");
    assert!(started.elapsed() >= Duration::from_millis(400));
    // Closed without a word: it is not a served request.
    assert!(buf.is_empty(), "{}", String::from_utf8_lossy(&buf));
    // The server itself is fine.
    let ok = reqwest::get(format!("{}/_emulator/health", app.base))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn connections_beyond_the_limit_are_refused_with_503() {
    let app = TestApp::spawn(config().max_connections(2)).await;
    let first = TcpStream::connect(addr(&app)).await.unwrap();
    let second = TcpStream::connect(addr(&app)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(addr(&app)).await.unwrap();
    third
        .write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .ok();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(
        text.contains("x-emulator-reason: limit.connections"),
        "{text}"
    );
    assert!(text.contains("\"code\":1011"), "{text}");
    // Freeing a connection makes room again.
    drop(first);
    drop(second);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ok = reqwest::get(format!("{}/_emulator/health", app.base))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
