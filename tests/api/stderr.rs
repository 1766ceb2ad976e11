//! The binary keeps serving whatever becomes of its stderr: a pipe nobody reads (as Python's
//! `subprocess.PIPE` and Node's default `stdio` leave it), a closed stderr, a pipe whose reader
//! is gone. Log lines are dropped and counted, never requests.

use std::io::{BufRead, BufReader};
use std::process::{ChildStderr, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{BIN, Running, free_port};

/// Waits (bounded) until `base` answers its health check.
async fn until_healthy(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(res) = client.get(format!("{base}/_emulator/health")).send().await
            && res.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} did not become healthy within 10 s");
}

/// `total` health checks over `parallel` keep-alive connections, each answered 200 within 10 s;
/// then the health answer.
async fn hammer(base: &str, total: usize, parallel: usize) -> Value {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let run = async {
        let mut tasks = Vec::new();
        for _ in 0..parallel {
            let client = client.clone();
            let url = format!("{base}/_emulator/health");
            tasks.push(tokio::spawn(async move {
                for _ in 0..total / parallel {
                    let res = client
                        .get(&url)
                        .send()
                        .await
                        .expect("an answer within 10 s");
                    assert_eq!(res.status(), 200);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("every request answered within 300 s");
    read_health(&client, base).await
}

/// The health answer of `base`.
async fn read_health(client: &reqwest::Client, base: &str) -> Value {
    client
        .get(format!("{base}/_emulator/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The binary `child`, started on `port`: once healthy, 2,000 requests over 4 connections,
/// then SIGTERM. The health answer after the requests, and the exit status.
async fn serve_2000_then_stop(
    child: std::process::Child,
    port: u16,
) -> (Value, std::process::ExitStatus) {
    let mut running = Running {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    until_healthy(&reqwest::Client::new(), &running.base).await;
    let health = hammer(&running.base, 2_000, 4).await;
    (health, running.stop())
}

/// Reads lines from `stderr` on a thread until one contains `needle` (bounded by `limit`).
fn wait_for_line(stderr: ChildStderr, needle: &'static str, limit: Duration) -> Option<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains(needle) {
                let _ = tx.send(line);
            }
        }
    });
    rx.recv_timeout(limit).ok()
}

#[tokio::test]
async fn a_stderr_pipe_nobody_reads_does_not_stall_the_emulator() {
    // The access log is on (one line per request): 20,000 lines are far more than a pipe
    // (64 KiB) and the writer's queue hold.
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap());
    // Read up to the listening line, then not one byte more until the requests are done.
    let base = loop {
        let mut line = String::new();
        assert!(
            lines.read_line(&mut line).unwrap() > 0,
            "exited before listening"
        );
        let entry: Value = serde_json::from_str(&line).unwrap();
        if let Some(addr) = entry["fields"]["addr"].as_str() {
            break format!("http://{addr}");
        }
    };
    let mut running = Running { child, base };

    let health = hammer(&running.base, 20_000, 8).await;
    assert_eq!(health["status"], "ok");
    let dropped = health["dropped_log_lines"].as_u64().unwrap();
    println!("an unread stderr pipe: {dropped} of the 20,000 access lines dropped");
    assert!(
        dropped > 0,
        "20,000 access lines into a pipe nobody reads: some must have been dropped, {health}"
    );

    // Once stderr is read again, the emulator says what it dropped.
    let said = wait_for_line(
        lines.into_inner(),
        "log lines dropped",
        Duration::from_secs(10),
    )
    .expect("a line saying how many log lines were dropped, once stderr is read again");
    let entry: Value = serde_json::from_str(&said).unwrap();
    assert_eq!(entry["level"], "WARN", "{said}");
    assert!(entry["fields"]["dropped_log_lines_total"].as_u64().unwrap() >= dropped);

    assert!(running.stop().success());
}

#[tokio::test]
async fn a_closed_stderr_neither_stops_nor_kills_the_emulator() {
    let port = free_port();
    // `2>&-`, as a shell user closes it.
    let child = Command::new("sh")
        .args(["-c", r#"exec "$0" "$@" 2>&-"#, BIN])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let (health, status) = serve_2000_then_stop(child, port).await;
    assert_eq!(health["status"], "ok");
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn a_stderr_whose_reader_is_gone_neither_stops_nor_kills_the_emulator() {
    for format in ["text", "json"] {
        let port = free_port();
        let mut child = Command::new(BIN)
            .args([
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--log-format",
                format,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away at once: every write to stderr fails (EPIPE), the startup lines'
        // included.
        drop(child.stderr.take());
        let mut running = Running {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        until_healthy(&client, &running.base).await;
        let health = hammer(&running.base, 2_000, 4).await;
        assert_eq!(health["status"], "ok");
        // A request's access line is written as its answer leaves: the last few may still be
        // on their way when the health read is answered. Read again until they are counted.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut dropped = health["dropped_log_lines"].as_u64().unwrap();
        while dropped < 2_000 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            dropped = read_health(&client, &running.base).await["dropped_log_lines"]
                .as_u64()
                .unwrap();
        }
        assert!(
            dropped >= 2_000,
            "every access line is refused, and counted: {dropped}"
        );
        let status = running.stop();
        assert!(status.success(), "--log-format {format}: {status}");
    }
}
