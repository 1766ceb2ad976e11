//! Clusters that end: `DELETE /_emulator/clusters/{c}` and `--cluster-idle-ttl`, so that an
//! instance shared by many test runs never fills up.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{BIN, PASSWORD, Running, TestApp, config};

/// The binary to run: `WA_EMU_BINARY` (the release build, for the long runs), else this build's.
fn binary() -> String {
    std::env::var("WA_EMU_BINARY").unwrap_or_else(|_| BIN.to_owned())
}

#[tokio::test]
async fn a_deleted_cluster_is_gone_and_its_name_starts_fresh() {
    let app = TestApp::spawn(config()).await;
    let suite = app.in_cluster("done-with");
    let token = suite.admin_token().await;
    suite.register(&token, "6315550000").await;
    let before = app.control(Method::GET, "/clusters", None).await;
    assert!(
        before.body["clusters"]
            .as_array()
            .unwrap()
            .contains(&json!("done-with"))
    );
    let count = before.body["count"].as_u64().unwrap();

    let deleted = app
        .control(Method::DELETE, "/clusters/done-with", None)
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.body, json!({"deleted": ["done-with"]}));

    let after = app.control(Method::GET, "/clusters", None).await;
    assert!(
        !after.body["clusters"]
            .as_array()
            .unwrap()
            .contains(&json!("done-with"))
    );
    assert_eq!(after.body["count"].as_u64().unwrap(), count - 1);
    let health = app.control(Method::GET, "/health", None).await;
    assert_eq!(health.body["clusters"].as_u64().unwrap(), count - 1);

    // Its token, number and outbox went with it; the name starts a fresh cluster.
    suite
        .get("/health", &token)
        .await
        .assert_error(401, 1005, "token");
    let codes = app
        .control(Method::GET, "/clusters/done-with/codes", None)
        .await;
    assert_eq!(codes.body["codes"], json!([]));
    let token = suite.admin_token().await;
    assert_eq!(
        suite.get("/health", &token).await.body["health"]["gateway_status"],
        "unregistered"
    );
}

#[tokio::test]
async fn a_request_waiting_on_a_deleted_cluster_ends_and_does_not_bring_it_back() {
    let app = TestApp::spawn(config()).await;
    app.in_cluster("waited-on").admin_token().await;
    let waiter = {
        let app = TestApp::external(&app.base);
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = app
                .control(
                    Method::GET,
                    "/clusters/waited-on/codes/latest?cc=1&phone_number=6315550000&wait=30",
                    None,
                )
                .await;
            (answer.status, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        app.control(Method::DELETE, "/clusters/waited-on", None)
            .await
            .status,
        200
    );
    let (status, waited) = waiter.await.unwrap();
    assert_eq!(status, 404);
    assert!(
        waited < Duration::from_secs(10),
        "ended with the deletion: {waited:?}"
    );
    assert!(!app.clusters().await.contains(&"waited-on".to_owned()));
}

#[tokio::test]
async fn an_embedded_emulator_shared_by_tests_deletes_their_clusters() {
    let emulator = wa_onprem_emulator::Emulator::builder()
        .admin_password(PASSWORD)
        .fixed_code("123456")
        .start()
        .await;
    let app = TestApp::external(emulator.uri());
    let suite = app.in_cluster("shared-1");
    let token = suite.admin_token().await;
    suite.register(&token, "6315550000").await;
    assert!(emulator.clusters().contains(&"shared-1".to_owned()));
    assert_eq!(emulator.codes("shared-1").len(), 1);

    assert!(emulator.delete_cluster("shared-1").await.unwrap());
    assert!(!emulator.clusters().contains(&"shared-1".to_owned()));
    assert!(emulator.codes("shared-1").is_empty());
    assert!(!emulator.delete_cluster("shared-1").await.unwrap());
}

#[tokio::test]
async fn deleting_a_cluster_that_does_not_exist_is_404_and_creates_nothing() {
    let app = TestApp::spawn(config()).await;
    app.in_cluster("kept").admin_token().await;
    let answer = app
        .control(Method::DELETE, "/clusters/never-made", None)
        .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    let (code, _, details) = answer.error();
    assert_eq!(code, 1006);
    assert!(details.contains("never-made"), "{details}");
    assert!(
        details.contains("kept"),
        "names the clusters that exist: {details}"
    );
    assert!(!app.clusters().await.contains(&"never-made".to_owned()));

    // A second delete of the same cluster is 404 too.
    assert_eq!(
        app.control(Method::DELETE, "/clusters/kept", None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.control(Method::DELETE, "/clusters/kept", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_deleted_cluster_does_not_come_back_from_the_data_directory() {
    let dir = std::env::temp_dir().join(format!("wa-emu-delete-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_text = dir.display().to_string();
    {
        let (running, _logs) = start(&["--data-dir", &dir_text, "--admin-password", PASSWORD]);
        let app = TestApp::external(&running.base);
        let gone = app.in_cluster("gone");
        let token = gone.admin_token().await;
        gone.register(&token, "6315550000").await;
        let kept = app.in_cluster("kept");
        let token = kept.admin_token().await;
        kept.register(&token, "6315550001").await;
        assert_eq!(
            app.control(Method::DELETE, "/clusters/gone", None)
                .await
                .status,
            200
        );
        // Killed outright: what was answered is stored.
    }
    let (running, _logs) = start(&["--data-dir", &dir_text, "--admin-password", PASSWORD]);
    let app = TestApp::external(&running.base);
    let names = app.clusters().await;
    assert!(names.contains(&"kept".to_owned()), "{names:?}");
    assert!(!names.contains(&"gone".to_owned()), "{names:?}");
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts the binary with JSON logs; the log lines arrive on the returned channel.
fn start(args: &[&str]) -> (Running, std::sync::mpsc::Receiver<Value>) {
    let mut child = Command::new(binary())
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(entry) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(entry);
            }
        }
    });
    let mut base = None;
    let mut startup = Vec::new();
    while base.is_none() {
        let entry = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("a listening line");
        if let Some(addr) = entry["fields"]["addr"].as_str() {
            base = Some(format!("http://{addr}"));
        }
        startup.push(entry);
    }
    // The rest of the startup lines, through the one about clusters.
    while !startup
        .iter()
        .any(|e| e["fields"]["max_clusters"].is_number())
    {
        startup.push(
            rx.recv_timeout(Duration::from_secs(10))
                .expect("startup lines"),
        );
    }
    let running = Running {
        child,
        base: base.unwrap(),
    };
    let (tx2, rx2) = std::sync::mpsc::channel();
    for entry in startup {
        tx2.send(entry).unwrap();
    }
    std::thread::spawn(move || {
        for entry in rx {
            if tx2.send(entry).is_err() {
                break;
            }
        }
    });
    (running, rx2)
}

#[tokio::test]
async fn idle_clusters_expire_with_a_log_line_and_an_event_and_busy_ones_stay() {
    let (running, logs) = start(&["--cluster-idle-ttl", "600ms", "--max-clusters", "5"]);
    let base = &running.base;
    let startup: Vec<Value> = logs.try_iter().collect();
    let clusters_line = startup
        .iter()
        .find(|e| e["fields"]["max_clusters"].is_number())
        .unwrap();
    assert_eq!(clusters_line["fields"]["max_clusters"], 5);
    assert_eq!(clusters_line["fields"]["cluster_idle_ttl_seconds"], 0.6);
    let app = TestApp::external(base);
    let listed = app.control(Method::GET, "/clusters", None).await.body;
    assert_eq!(listed["cluster_idle_ttl_seconds"], 0.6);
    assert_eq!(listed["max_clusters"], 5);

    let client = reqwest::Client::new();
    // The stream of every cluster: a stream of idle-one alone would hold it (an open request
    // addresses its cluster), as `an_open_request_keeps_its_cluster_from_expiring` shows.
    let mut events = client
        .get(format!("{base}/_emulator/events"))
        .send()
        .await
        .unwrap();
    for name in ["idle-one", "busy-one"] {
        let set = app
            .control(
                Method::PUT,
                &format!("/clusters/{name}/policy"),
                Some(json!({"policy": "sunset"})),
            )
            .await;
        assert_eq!(set.status, 200);
    }
    // busy-one is addressed every 100 ms for 2 s; idle-one is left alone.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        let read = app
            .control(Method::GET, "/clusters/busy-one/policy", None)
            .await;
        assert_eq!(read.status, 200);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names = app.clusters().await;
    assert!(!names.contains(&"idle-one".to_owned()), "{names:?}");
    assert!(names.contains(&"busy-one".to_owned()), "{names:?}");
    let busy = app
        .control(Method::GET, "/clusters/busy-one/policy", None)
        .await;
    assert_eq!(
        busy.body["policy"], "sunset",
        "a busy cluster keeps its state"
    );

    // The event stream told the subscriber to idle-one.
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !seen.contains("event: deleted") && Instant::now() < deadline {
        if let Ok(Ok(Some(chunk))) =
            tokio::time::timeout(Duration::from_secs(1), events.chunk()).await
        {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(seen.contains("event: deleted"), "{seen}");
    assert!(
        seen.contains(r#""cluster":"idle-one","reason":"idle""#),
        "{seen}"
    );

    // And the log said so.
    let said: Vec<Value> = logs.try_iter().collect();
    let line = said
        .iter()
        .find(|e| {
            e["fields"]["cluster"] == "idle-one"
                && e["fields"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("removed")
        })
        .unwrap_or_else(|| panic!("a log line for idle-one: {said:?}"));
    let message = line["fields"]["message"].as_str().unwrap();
    assert!(message.contains("--cluster-idle-ttl"), "{message}");
}

/// Resident memory of process `pid`, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// One HTTP/1.1 request on a kept-alive connection; the answer's status. Written by hand: the
/// test's own client (a debug build of reqwest) would be slower than the emulator it drives.
async fn call(
    stream: &mut tokio::io::BufStream<tokio::net::TcpStream>,
    method: &str,
    path: &str,
    body: &str,
) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: emulator\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    let mut line = String::new();
    stream.read_line(&mut line).await.unwrap();
    let status: u16 = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = 0;
    loop {
        line.clear();
        stream.read_line(&mut line).await.unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut answer = vec![0; length];
    stream.read_exact(&mut answer).await.unwrap();
    status
}

/// `count` clusters, each made (a policy stored) and deleted in turn, over `parallel`
/// connections.
async fn churn(base: &str, prefix: &str, count: usize, parallel: usize) {
    let addr = base.trim_start_matches("http://").to_owned();
    let mut tasks = Vec::new();
    for lane in 0..parallel {
        let addr = addr.clone();
        let prefix = prefix.to_owned();
        tasks.push(tokio::spawn(async move {
            let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let mut stream = tokio::io::BufStream::new(tcp);
            for i in (lane..count).step_by(parallel) {
                let path = format!("/_emulator/clusters/{prefix}-{i}");
                let made = call(
                    &mut stream,
                    "PUT",
                    &format!("{path}/policy"),
                    r#"{"policy":"sunset"}"#,
                )
                .await;
                assert_eq!(made, 200, "cluster {prefix}-{i}: never a 429");
                assert_eq!(call(&mut stream, "DELETE", &path, "").await, 200);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

/// 200,000 clusters made and deleted in turn, with `--max-clusters` far below that: never a
/// 429, and memory (and the data file) back where they were.
async fn many_clusters_come_and_go(data_dir: Option<&std::path::Path>) -> String {
    const CLUSTERS: usize = 200_000;
    const PARALLEL: usize = 16;
    let mut args = vec![
        "--max-clusters",
        "64",
        "--log-level",
        "info,wa_onprem_emulator::access=off",
    ];
    let dir_text;
    if let Some(dir) = data_dir {
        dir_text = dir.display().to_string();
        args.extend(["--data-dir", &dir_text]);
    }
    let (running, _logs) = start(&args);
    let pid = running.child.id();
    let file = data_dir.map(|dir| dir.join("emulator.redb"));
    let file_size = || file.as_ref().map_or(0, |f| f.metadata().unwrap().len());
    // A warm-up, so that the allocator's pools and the database's pages exist before measuring.
    churn(&running.base, "warm", 5_000, PARALLEL).await;
    let (rss_start, file_start) = (rss_kib(pid), file_size());
    churn(&running.base, "churn", CLUSTERS, PARALLEL).await;
    let (rss_end, file_end) = (rss_kib(pid), file_size());
    let health: Value = reqwest::get(format!("{}/_emulator/health", running.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["clusters"], 0, "{health}");
    let grown = rss_end.saturating_sub(rss_start);
    assert!(
        grown < 8 * 1024,
        "memory grew by {grown} KiB over {CLUSTERS} clusters made and deleted ({rss_start} → {rss_end} KiB)"
    );
    if data_dir.is_some() {
        assert!(
            file_end <= file_start + 4 * 1024 * 1024,
            "the data file grew from {file_start} to {file_end} bytes"
        );
    }
    format!(
        "{CLUSTERS} clusters made and deleted: RSS {rss_start} → {rss_end} KiB, data file {file_start} → {file_end} bytes"
    )
}

#[tokio::test]
#[ignore = "200,000 clusters: .ci/run runs it against the release binary (WA_EMU_BINARY)"]
async fn many_clusters_made_and_deleted_in_memory_leave_no_trace() {
    let said = many_clusters_come_and_go(None).await;
    println!("in memory: {said}");
}

#[tokio::test]
#[ignore = "200,000 clusters: .ci/run runs it against the release binary (WA_EMU_BINARY)"]
async fn many_clusters_made_and_deleted_with_a_data_dir_leave_no_trace() {
    let dir = std::env::temp_dir().join(format!("wa-emu-churn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let said = many_clusters_come_and_go(Some(&dir)).await;
    println!("with --data-dir: {said}");
    let _ = std::fs::remove_dir_all(&dir);
}
