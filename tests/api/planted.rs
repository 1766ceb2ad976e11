//! Nothing planted, nothing leaked: what a state document or a seed holds cannot hang, exhaust or
//! wedge the emulator, a launcher's emulator ends with its launcher, and a snapshot always
//! restores. Each test is a finding of the review of the state documents, seeds, cluster
//! lifetimes and launchers, over real HTTP or a real process.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{BIN, PASSWORD, Running, TestApp, config, exited_within, spawn_listening};

/// A fresh cluster's state document, as `GET …/state` answers it.
async fn fresh_state(app: &TestApp, cluster: &str) -> Value {
    let made = app
        .control(Method::POST, &format!("/clusters/{cluster}/reset"), None)
        .await;
    assert_eq!(made.status, 200, "{:?}", made.body);
    let read = app
        .control(Method::GET, &format!("/clusters/{cluster}/state"), None)
        .await;
    assert_eq!(read.status, 200);
    read.body
}

/// The admin's password hash of a fresh cluster, with its Argon2 parameters replaced.
fn with_params(state: &Value, params: &str) -> String {
    state["users"]["admin"]["password_hash"]
        .as_str()
        .unwrap()
        .replace("m=1024,t=1,p=1", params)
}

#[tokio::test]
async fn a_costly_password_hash_is_refused_and_logins_never_hold_the_runtime() {
    let app = TestApp::spawn(config()).await;
    let state = fresh_state(&app, "poison").await;
    for params in [
        "m=8,t=4294967295,p=1",
        "m=4194304,t=1,p=1",
        "m=1024,t=1,p=16",
    ] {
        let mut planted = state.clone();
        planted["users"]["admin"]["password_hash"] = json!(with_params(&state, params));
        let answer = app
            .control(Method::PUT, "/clusters/poison/state", Some(planted))
            .await;
        answer.assert_error(400, 1009, "users.admin.password_hash");
        answer.assert_error(400, 1009, "are not the emulator's m=1024,t=1,p=1");
    }
    for hash in [
        "not a hash",
        "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
    ] {
        let mut planted = state.clone();
        planted["users"]["admin"]["password_hash"] = json!(hash);
        app.control(Method::PUT, "/clusters/poison/state", Some(planted))
            .await
            .assert_error(400, 1009, "a password hash must be one this emulator made");
    }
    // Nothing changed: the admin still logs in with the password it had.
    let poison = app.in_cluster("poison");
    assert_eq!(poison.login_with("admin", PASSWORD, None).await.status, 200);

    // Logins run Argon2 off the runtime's workers: with many of them under way at once (wrong
    // passwords, a full Argon2 run each), health and other clusters keep answering.
    let logins: Vec<_> = (0..64)
        .map(|i| {
            let poison = app.in_cluster("poison");
            tokio::spawn(async move {
                poison
                    .login_with("admin", &format!("Wr0ng!pass{i}"), None)
                    .await
                    .status
            })
        })
        .collect();
    let health = app
        .send(
            app.client
                .get(format!("{}/_emulator/health", app.base))
                .timeout(Duration::from_secs(5)),
        )
        .await;
    assert_eq!(health.status, 200);
    let other = app.in_cluster("other").admin_token().await;
    assert!(!other.is_empty());
    for login in logins {
        assert_eq!(login.await.unwrap(), 401);
    }
}

#[tokio::test]
async fn values_the_api_refuses_are_refused_in_a_state_document_and_nothing_changes() {
    let app = TestApp::spawn(config()).await;
    let state = fresh_state(&app, "strict").await;
    let digest = "ab".repeat(32);
    let later = json!({"secs_since_epoch": 4_000_000_000u64, "nanos_since_epoch": 0});
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "meta.offset_ms",
            json!({"meta": {"offset_ms": i64::MAX}}),
            "meta: offset_ms",
        ),
        (
            "restarting_until",
            json!({"registration": {"restarting_until": {"secs_since_epoch": i64::MAX, "nanos_since_epoch": 0}}}),
            "restarting_until",
        ),
        (
            "a pin of five digits",
            json!({"registration": {"pins": {"16315550000": "12345"}}}),
            "registration.pins.16315550000",
        ),
        (
            "a pin's number that is not digits",
            json!({"registration": {"pins": {"1631555abcd": "123456"}}}),
            "not a number's E.164 digits",
        ),
        (
            "a registered number that is not digits",
            json!({"registration": {"registered": {"number": {"cc": "1", "phone_number": "63155x0000"}, "vname": "Co"}}}),
            "registration.registered",
        ),
        (
            "a token of a user who does not exist",
            json!({"tokens": [{"digest": digest, "username": "ghost", "expires_at": later}]}),
            "who is not among users",
        ),
        (
            "a token twice",
            json!({"tokens": [
                {"digest": digest, "username": "admin", "expires_at": later},
                {"digest": digest, "username": "admin", "expires_at": later}]}),
            "is there twice",
        ),
        (
            "a user name the API refuses",
            json!({"users": {"admin": state["users"]["admin"], "a b": state["users"]["admin"]}}),
            "users:",
        ),
        (
            "an outbox code that is not 6 digits",
            json!({"outbox": [{"seq": 1, "number": {"cc": "1", "phone_number": "6315550000"}, "method": "sms",
                "code": "12", "vname": "Co", "sent_at": later, "expires_at": later}]}),
            "outbox: seq 1: Parameter 'code' must be exactly 6 digits",
        ),
        (
            "two outbox codes of one seq",
            json!({"outbox": [
                {"seq": 1, "number": {"cc": "1", "phone_number": "6315550000"}, "method": "sms",
                 "code": "123456", "vname": "Co", "sent_at": later, "expires_at": later},
                {"seq": 1, "number": {"cc": "1", "phone_number": "6315550000"}, "method": "sms",
                 "code": "123456", "vname": "Co", "sent_at": later, "expires_at": later}]}),
            "each code's seq is larger than the one before it",
        ),
    ];
    for (what, change, needle) in cases {
        let mut document = state.clone();
        merge(&mut document, &change);
        let answer = app
            .control(Method::PUT, "/clusters/strict/state", Some(document))
            .await;
        assert_eq!(answer.status, 400, "{what}: {:?}", answer.body);
        let details = answer.body["errors"][0]["details"].as_str().unwrap();
        assert!(details.contains(needle), "{what}: {details}");
    }
    // An outbox larger than --outbox-limit, and two Cloud numbers of one id.
    let small = TestApp::spawn(config().outbox_limit(2)).await;
    let mut document = fresh_state(&small, "strict").await;
    let code = |seq: u64| {
        json!({"seq": seq, "number": {"cc": "1", "phone_number": "6315550000"}, "method": "sms",
               "code": "123456", "vname": "Co", "sent_at": later, "expires_at": later})
    };
    document["outbox"] = json!([code(1), code(2), code(3)]);
    small
        .control(Method::PUT, "/clusters/strict/state", Some(document))
        .await
        .assert_error(400, 1009, "more than this emulator's --outbox-limit of 2");
    let seeded = TestApp::spawn(config().seed(seed_file(
        "cloud.json",
        r#"{"clusters": {"c": {"cloud": [
            {"cc": "1", "phone_number": "6315550001", "verified_name": "One"},
            {"cc": "1", "phone_number": "6315550002", "verified_name": "Two"}]}}}"#,
    )))
    .await;
    let mut document = seeded
        .control(Method::GET, "/clusters/c/state", None)
        .await
        .body;
    let first_id = document["cloud"]["numbers"][0]["id"].clone();
    document["cloud"]["numbers"][1]["id"] = first_id;
    seeded
        .control(Method::PUT, "/clusters/c/state", Some(document))
        .await
        .assert_error(400, 1009, "is there twice");
    // The cluster is as it was.
    let after = app
        .control(Method::GET, "/clusters/strict/state", None)
        .await
        .body;
    assert_eq!(after, state);
}

/// `into` with every field of `change` set, recursively.
fn merge(into: &mut Value, change: &Value) {
    match (into, change) {
        (Value::Object(into), Value::Object(change)) => {
            for (key, value) in change {
                merge(into.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (into, change) => *into = change.clone(),
    }
}

/// A seed file of this name and text in a fresh folder.
fn seed_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wa-emu-planted-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::test]
async fn a_refused_put_makes_no_cluster() {
    let app = TestApp::spawn(config().max_clusters(3).control_body_limit(64 * 1024)).await;
    for body in [
        json!({"version": 1}),
        json!("not a document"),
        json!({"filler": "x".repeat(70 * 1024)}),
    ] {
        let answer = app
            .control(
                Method::PUT,
                &format!("/clusters/bad-{}/state", rand_suffix()),
                Some(body),
            )
            .await;
        assert!(matches!(answer.status, 400 | 413), "{:?}", answer.body);
    }
    assert_eq!(app.clusters().await, Vec::<String>::new());
    for name in ["real-1", "real-2", "real-3"] {
        let made = app
            .control(Method::POST, &format!("/clusters/{name}/reset"), None)
            .await;
        assert_eq!(made.status, 200, "{:?}", made.body);
    }
}

#[tokio::test]
async fn a_snapshot_of_a_full_cluster_restores_into_itself_and_another() {
    let app = TestApp::spawn(config().code_rate_limit(5000).fixed_code("123456")).await;
    let full = app.in_cluster("full");
    let token = full.admin_token().await;
    for i in 0..20 {
        let made = full
            .post(
                "/users",
                &token,
                json!({"username": format!("operator{i}"), "password": PASSWORD}),
            )
            .await;
        assert_eq!(made.status, 201, "{:?}", made.body);
    }
    let cert = full.cert("Full Co").await;
    // More codes than the outbox keeps: it is at --outbox-limit (1,000), the journal full.
    for _ in 0..1010 {
        let sent = full.request_code(&token, "6315550000", "sms", &cert).await;
        assert_eq!(sent.status, 202, "{:?}", sent.body);
    }
    let snapshot = app
        .control(Method::GET, "/clusters/full/state", None)
        .await
        .body;
    assert_eq!(snapshot["outbox"].as_array().unwrap().len(), 1000);
    let size = serde_json::to_vec(&snapshot).unwrap().len();
    assert!(
        size > 300 * 1024,
        "{size} bytes: larger than the vendor's 64 KiB"
    );
    for into in ["full", "copy"] {
        let restored = app
            .control(
                Method::PUT,
                &format!("/clusters/{into}/state"),
                Some(snapshot.clone()),
            )
            .await;
        assert_eq!(restored.status, 200, "{:?}", restored.body["errors"]);
        let mut read = app
            .control(Method::GET, &format!("/clusters/{into}/state"), None)
            .await
            .body;
        read["cluster"] = snapshot["cluster"].clone();
        assert_eq!(read, snapshot, "{into}");
    }
    // The copy works as the original: its operators log in, its last code verifies.
    let copy = app.in_cluster("copy");
    assert_eq!(
        copy.login_with("operator7", PASSWORD, None).await.status,
        200
    );
    assert_eq!(copy.verify(&token, "123456").await.status, 201);
}

#[tokio::test]
async fn a_held_wait_waits_for_its_cluster_to_be_made() {
    let app = TestApp::spawn(config().fixed_code("123456")).await;
    let later = app.in_cluster("made-later");
    // The test starts its wait before the client under test has sent anything.
    let waiting = held_get(
        &app,
        "/clusters/made-later/codes/latest?cc=1&phone_number=6315550000&wait=10",
    );
    let counting = held_get(
        &app,
        "/clusters/made-later/requests/count?method=POST&path=/v1/account&at_least=1&wait=10",
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished() && !counting.is_finished());
    let token = later.admin_token().await;
    let cert = later.cert("Later Co").await;
    later.request_code(&token, "6315550000", "sms", &cert).await;
    let code = waiting.await.unwrap();
    assert_eq!(code.status, 200, "{:?}", code.body);
    assert_eq!(code.body["code"], "123456");
    let count = counting.await.unwrap();
    assert_eq!(count.body, json!({"count": 1, "reached": true}));
    // A cluster that never comes is 404 at the end of the wait, naming the closest one.
    let started = Instant::now();
    let never = app
        .control(
            Method::GET,
            "/clusters/made-latr/codes/latest?wait=0.5",
            None,
        )
        .await;
    assert!(started.elapsed() >= Duration::from_millis(450));
    never.assert_error(404, 1006, "did you mean made-later?");
}

#[tokio::test]
async fn an_open_request_keeps_its_cluster_from_expiring() {
    let app = TestApp::spawn(config().cluster_idle_ttl(Duration::from_millis(800))).await;
    let held = app.in_cluster("held");
    held.admin_token().await;
    let waiting = held_get(
        &app,
        "/clusters/held/requests/count?path=/v1/health&at_least=1&wait=8",
    );
    // An event stream of one cluster holds it too.
    let mut stream = app
        .client
        .get(format!("{}/_emulator/events?cluster=streamed", app.base))
        .send()
        .await
        .unwrap();
    app.control(Method::POST, "/clusters/streamed/reset", None)
        .await;
    app.control(Method::POST, "/clusters/idle/reset", None)
        .await;
    // Well past the TTL: the unheld cluster is gone, the held ones are not.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let names = app.clusters().await;
    assert!(!names.contains(&"idle".to_owned()), "{names:?}");
    assert!(names.contains(&"held".to_owned()), "{names:?}");
    assert!(names.contains(&"streamed".to_owned()), "{names:?}");
    let token = held.admin_token().await;
    assert_eq!(held.get("/health", &token).await.status, 200);
    let count = waiting.await.unwrap();
    assert_eq!(count.body, json!({"count": 1, "reached": true}));
    // Once the stream closes, its cluster's idle time begins.
    let _ = stream.chunk().await;
    drop(stream);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let names = app.clusters().await;
    assert!(!names.contains(&"streamed".to_owned()), "{names:?}");
}

/// A control GET sent now and answered later (a held wait), on a task of its own.
fn held_get(app: &TestApp, path: &str) -> tokio::task::JoinHandle<crate::helpers::Answer> {
    let (app, path) = (TestApp::external(&app.base), path.to_owned());
    tokio::spawn(async move { app.control(Method::GET, &path, None).await })
}

/// The binary with `args`, refusing to start: its exit code and stderr, within 5 s.
fn refused_start(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if exited_within(&mut child, Duration::from_secs(5)).is_none() {
        child.kill().ok();
        panic!("{args:?} did not refuse to start within 5 s");
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_seed_that_cannot_be_used_stops_the_start_with_exit_code_2() {
    let fifo = std::env::temp_dir().join(format!("wa-emu-fifo-{}", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let twice = seed_file(
        "twice.json",
        r#"{"clusters": {"a": {"policy": "sunset"}, "a": {"policy": "classic"}}}"#,
    );
    let bad_name = seed_file("name.json", r#"{"clusters": {"a/b": {}}}"#);
    let dots = seed_file("dots.json", r#"{"clusters": {"..": {}}}"#);
    let long = seed_file(
        "long.json",
        &format!(r#"{{"clusters": {{"{}": {{}}}}}}"#, "x".repeat(65)),
    );
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        ("/dev/zero".into(), "is not a regular file"),
        (fifo.clone(), "is not a regular file"),
        (twice, "cluster \"a\" is named twice"),
        (bad_name, "clusters.a/b: is not a cluster name"),
        (dots, "clusters...: is not a cluster name"),
        (long, "is not a cluster name"),
    ];
    for (path, needle) in cases {
        let (code, stderr) = refused_start(&["--seed".as_ref(), path.as_os_str()]);
        assert_eq!(code, Some(2), "{}: {stderr}", path.display());
        assert!(stderr.contains(needle), "{needle:?} missing: {stderr}");
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("error:")).count(),
            1
        );
    }
    let _ = std::fs::remove_file(&fifo);
}

#[test]
fn a_seed_is_applied_all_or_nothing_and_many_clusters_at_once() {
    let dir = std::env::temp_dir().join(format!("wa-emu-seed-all-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The last cluster cannot be used: nothing of the seed reaches the data directory.
    let mut clusters: Vec<String> = (0..20_000)
        .map(|i| format!(r#""c{i:05}": {{"policy": "sunset"}}"#))
        .collect();
    clusters.push(
        r#""zz-bad": {"registered": {"cc": "1", "phone_number": "12x", "vname": "X"}}"#.into(),
    );
    let seed = seed_file(
        "big.json",
        &format!(r#"{{"clusters": {{{}}}}}"#, clusters.join(",")),
    );
    let (code, stderr) = refused_start(&[
        "--seed".as_ref(),
        seed.as_os_str(),
        "--data-dir".as_ref(),
        dir.as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("clusters.zz-bad: registered:"), "{stderr}");
    // Started again without the bad cluster: all 20,000 are made, in one transaction.
    clusters.pop();
    std::fs::write(
        &seed,
        format!(r#"{{"clusters": {{{}}}}}"#, clusters.join(",")),
    )
    .unwrap();
    let started = Instant::now();
    let mut command = Command::new(BIN);
    command
        .args(["--listen", "127.0.0.1:0", "--seed"])
        .arg(&seed)
        .arg("--data-dir")
        .arg(&dir);
    let (child, base) = spawn_listening(command);
    let seeded_in = started.elapsed();
    let mut running = Running { child, base };
    assert!(
        seeded_in < Duration::from_secs(60),
        "20,000 clusters seeded into a data directory in {seeded_in:?}"
    );
    assert_eq!(running.stop().code(), Some(0));
    // The data directory had none of them before: they are all there now, kept at a restart.
    let mut command = Command::new(BIN);
    command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir);
    let (child, base) = spawn_listening(command);
    let running = Running { child, base };
    let listed: Value = blocking_get(&format!("{}/_emulator/clusters", running.base));
    assert_eq!(listed["clusters"].as_array().unwrap().len(), 20_000);
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_ready_file_says_where_the_emulator_answers_and_goes_when_it_stops() {
    let dir = std::env::temp_dir().join(format!("wa-emu-ready-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ready = dir.join("ready.json");
    let _ = std::fs::remove_file(&ready);
    let child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--log-level",
            "off",
            "--ready-file",
        ])
        .arg(&ready)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running {
        child,
        base: String::new(),
    };
    let started = Instant::now();
    let text = loop {
        if let Ok(text) = std::fs::read_to_string(&ready) {
            break text;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no ready file");
        std::thread::sleep(Duration::from_millis(5));
    };
    let signal: Value = serde_json::from_str(&text).unwrap();
    let url = signal["url"].as_str().unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{signal}");
    assert_ne!(url, "http://127.0.0.1:0");
    assert_eq!(signal["control_url"], format!("{url}/_emulator"));
    assert_eq!(signal["pid"], running.child.id());
    assert_eq!(signal["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(signal["listen"], url.trim_start_matches("http://"));
    // It answers as soon as the file is there: no wait, no retry.
    let health: Value = blocking_get(&format!("{url}/_emulator/health"));
    assert_eq!(health["status"], "ok", "{health}");
    // SIGHUP drains like SIGTERM, and the file goes with the emulator.
    let status = running.stop_with("HUP");
    assert_eq!(status.code(), Some(0), "a clean stop");
    assert!(!ready.exists());
    // `-` prints the same as one line on stdout (as the Rust test helpers read it).
    let mut command = Command::new(BIN);
    command.args(["--listen", "[::1]:0", "--log-level", "off"]);
    let (mut child, url) = spawn_listening(command);
    assert!(url.starts_with("http://[::1]:"), "{url}");
    child.kill().ok();
    child.wait().ok();
}

#[test]
fn an_emulator_told_so_ends_when_its_stdin_closes() {
    // Started with `--ready-file - --exit-on-stdin-close`, stdin a pipe this test holds.
    let mut command = Command::new(BIN);
    command.args(["--listen", "127.0.0.1:0", "--log-level", "off"]);
    let (mut child, url) = spawn_listening(command);
    let mut stdin = child.stdin.take().unwrap();
    // What is written is ignored; it keeps serving while the pipe is open.
    stdin.write_all(b"anything\n").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none());
    let health: Value = blocking_get(&format!("{url}/_emulator/health"));
    assert_eq!(health["status"], "ok");
    // The launcher is gone (its end of the pipe closed, as a killed process's is).
    drop(stdin);
    let status = exited_within(&mut child, Duration::from_secs(2))
        .expect("stopped within 2 s of its stdin closing");
    assert_eq!(status.code(), Some(0));
}

/// The JSON of a GET, for tests that run the binary outside a runtime.
fn blocking_get(url: &str) -> Value {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { reqwest::get(url).await.unwrap().json().await.unwrap() })
}
