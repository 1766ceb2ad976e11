//! `--data-dir`: what was acknowledged survives `kill -9`; the folder is guarded; SIGTERM is
//! graceful.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use redb::ReadableDatabase;
use serde_json::{Value, json};

use crate::helpers::BIN;
const PASSWORD: &str = "Adm1n!pass";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wa-emu-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Starts the binary on `dir` and a free port; the child and its base URL.
fn start(dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut command = Command::new(BIN);
    command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--admin-password",
            PASSWORD,
        ])
        .arg("--data-dir")
        .arg(dir)
        .args(extra)
        .stderr(Stdio::piped());
    crate::helpers::spawn_listening(command)
}

#[derive(Default)]
struct Acknowledged {
    /// cluster → (token, code sent) once a 202 and the outbox answered.
    codes: HashMap<String, (String, String)>,
    /// clusters whose verify answered 201.
    registered: Vec<String>,
}

async fn drive(base: String, worker: usize, acked: Arc<Mutex<Acknowledged>>) {
    let client = reqwest::Client::new();
    let cert = wa_onprem_emulator::cert::make("Durable Ltd", &[], 0);
    for i in 0.. {
        let cluster = format!("w{worker}-{i}");
        let v1 = format!("{base}/clusters/{cluster}/v1");
        let Ok(res) = client
            .post(format!("{v1}/users/login"))
            .basic_auth("admin", Some(PASSWORD))
            .send()
            .await
        else {
            return;
        };
        let Ok(login) = res.json::<Value>().await else {
            return;
        };
        let token = login["users"][0]["token"].as_str().unwrap().to_owned();
        let body = json!({"cc": "1", "phone_number": format!("63155{worker:02}{i:03}"), "method": "sms", "cert": cert});
        let Ok(res) = client
            .post(format!("{v1}/account"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        else {
            return;
        };
        if res.status() != 202 {
            return;
        }
        let Ok(res) = client
            .get(format!("{base}/_emulator/clusters/{cluster}/codes/latest"))
            .send()
            .await
        else {
            return;
        };
        let Ok(code) = res.json::<Value>().await else {
            return;
        };
        let code = code["code"].as_str().unwrap().to_owned();
        acked
            .lock()
            .unwrap()
            .codes
            .insert(cluster.clone(), (token.clone(), code.clone()));
        let Ok(res) = client
            .post(format!("{v1}/account/verify"))
            .bearer_auth(&token)
            .json(&json!({ "code": code }))
            .send()
            .await
        else {
            return;
        };
        if res.status() == 201 {
            acked.lock().unwrap().registered.push(cluster);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_was_acknowledged_survives_sigkill_under_load() {
    let dir = temp_dir("sigkill");
    let (mut child, base) = start(&dir, &[]);
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let workers: Vec<_> = (0..8)
        .map(|w| tokio::spawn(drive(base.clone(), w, acked.clone())))
        .collect();
    let wait = rand::rng().random_range(400..1200);
    tokio::time::sleep(Duration::from_millis(wait)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in workers {
        let _ = w.await;
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.registered.len() >= 3,
        "the load registered too little to prove anything: {}",
        acked.registered.len()
    );

    let (mut child, base) = start(&dir, &[]);
    let client = reqwest::Client::new();
    for (cluster, (token, code)) in &acked.codes {
        let codes: Value = client
            .get(format!("{base}/_emulator/clusters/{cluster}/codes"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let codes = codes["codes"].as_array().unwrap();
        assert!(
            codes.iter().any(|c| c["code"] == code.as_str()),
            "{cluster}: acknowledged code {code} lost"
        );
        // The token the client was given still works.
        let health = client
            .get(format!("{base}/clusters/{cluster}/v1/health"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200, "{cluster}: acknowledged token lost");
        let health: Value = health.json().await.unwrap();
        let status = health["health"]["gateway_status"].as_str().unwrap();
        if acked.registered.contains(cluster) {
            assert_eq!(
                status, "connected",
                "{cluster}: acknowledged registration lost"
            );
        } else {
            assert!(
                status == "connected" || status == "unregistered",
                "{cluster}: {status}"
            );
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_second_process_on_the_same_folder_fails_at_once() {
    let dir = temp_dir("locked");
    let (mut first, _) = start(&dir, &[]);
    let stderr = refused(&dir);
    assert!(
        stderr.contains("in use by another emulator process"),
        "{stderr}"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// A redb file with one string entry in `table`, as another program might have left it.
fn foreign_redb(file: &Path, table: &str, key: &str, value: &str) {
    let db = redb::Database::create(file).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let def: redb::TableDefinition<&str, &str> = redb::TableDefinition::new(table);
        txn.open_table(def).unwrap().insert(key, value).unwrap();
    }
    txn.commit().unwrap();
}

/// Starts the binary on `dir` expecting a refusal; what it printed.
fn refused(dir: &Path) -> String {
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_folder_of_another_schema_is_refused_and_left_alone() {
    let dir = temp_dir("schema");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("emulator.redb");
    foreign_redb(&file, "schema", "version", "99");
    let stderr = refused(&dir);
    assert!(stderr.contains("schema version 99"), "{stderr}");
    {
        // Its data is left as it was: nothing reset, nothing rewritten.
        let db = redb::Database::create(&file).unwrap();
        let txn = db.begin_read().unwrap();
        let def: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("schema");
        let table = txn.open_table(def).unwrap();
        assert_eq!(table.get("version").unwrap().unwrap().value(), "99");
        let users: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("users");
        assert!(
            txn.open_table(users).is_err(),
            "no table of ours was created"
        );
    }

    // A redb file that is not ours at all.
    std::fs::remove_file(&file).unwrap();
    foreign_redb(&file, "other", "k", "v");
    let stderr = refused(&dir);
    assert!(stderr.contains("no schema version"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn sigterm_during_a_held_request_exits_cleanly() {
    let dir = temp_dir("sigterm");
    let (mut child, base) = start(&dir, &[]);
    let waiter = tokio::spawn(async move {
        reqwest::get(format!(
            "{base}/_emulator/clusters/default/codes/latest?wait=60"
        ))
        .await
        .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = crate::helpers::exited_within(&mut child, Duration::from_secs(5))
        .expect("stopped within 5 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    // The held request was answered (no code came), not cut off.
    assert_eq!(waiter.await.unwrap().unwrap(), 404);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn state_of_every_kind_comes_back_after_a_restart() {
    let dir = temp_dir("restart");
    let (mut child, base) = start(&dir, &["--fixed-code", "123456"]);
    let app = crate::helpers::TestApp::external(&base);
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    app.set_pin(&token, "246810").await;
    app.post(
        "/users",
        &token,
        json!({"username": "operator", "password": "0perator!Pass"}),
    )
    .await;
    let cert = app.cert("Acme").await;
    for _ in 0..5 {
        app.request_code(&token, "6315550001", "sms", &cert).await;
    }
    app.control(
        reqwest::Method::PUT,
        "/clusters/default/policy",
        Some(json!({"policy": "scripted", "rules": [
        {"name": "kept", "prefix": "44", "outcome": "already_registered"}]})),
    )
    .await;
    app.control(
        reqwest::Method::POST,
        "/clusters/default/clock",
        Some(json!({"advance_seconds": 30})),
    )
    .await;
    // A Cloud API number, verified and registered with a pin.
    let waba = app.cloud().await["waba_id"].as_str().unwrap().to_owned();
    let graph = |path: &str| format!("{base}/v23.0{path}");
    let client = reqwest::Client::new();
    let added: Value = client
        .post(graph(&format!("/{waba}/phone_numbers")))
        .bearer_auth("t")
        .json(&json!({"cc": "44", "phone_number": "7911000000", "verified_name": "Kept"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = added["id"].as_str().unwrap().to_owned();
    for (path, body) in [
        (
            "request_code",
            json!({"code_method": "SMS", "language": "en"}),
        ),
        ("verify_code", json!({"code": "123456"})),
        (
            "register",
            json!({"messaging_product": "whatsapp", "pin": "112233"}),
        ),
    ] {
        let answer = client
            .post(graph(&format!("/{id}/{path}")))
            .bearer_auth("t")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{path}");
    }
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(child.wait().unwrap().success());

    let (mut child, base) = start(&dir, &[]);
    let app = crate::helpers::TestApp::external(&base);
    assert_eq!(
        app.get("/health", &token).await.body["health"]["gateway_status"],
        "connected"
    );
    assert_eq!(
        app.login_with("operator", "0perator!Pass", None)
            .await
            .status,
        200
    );
    app.request_code(&token, "6315550001", "sms", &cert)
        .await
        .assert_error(403, 1005, "too_many");
    let body = json!({"cc": "44", "phone_number": "7911123456", "method": "sms", "cert": cert});
    assert_eq!(
        app.post("/account", &token, body).await.status,
        201,
        "the scripted policy is back"
    );
    let clock = app
        .control(reqwest::Method::GET, "/clusters/default/clock", None)
        .await;
    assert!(clock.body["offset_seconds"].as_f64().unwrap() >= 30.0);
    // The pin is back: the pending code for 6315550001 is replaced by a request needing it.
    app.register(&token, "6315559999").await;
    app.request_code(&token, "6315550000", "voice", &cert)
        .await
        .assert_error(400, 1008, "pin");
    // The Cloud number is back, registered with its pin, and its code in the outbox.
    let cloud = app.cloud().await;
    let kept = cloud["phone_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id.as_str())
        .unwrap_or_else(|| panic!("{cloud:?}"));
    assert_eq!(kept["platform_type"], "CLOUD_API");
    assert_eq!(kept["is_pin_enabled"], true);
    let sent = app
        .control(
            reqwest::Method::GET,
            "/clusters/default/codes/latest?cc=44",
            None,
        )
        .await;
    assert_eq!(sent.body["surface"], "cloud");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

/// Starts the binary on `dir` and reads its startup lines (JSON) up to the admin line; the
/// child, its base URL and the admin line's fields.
fn start_on(dir: &Path) -> (Child, String, Value) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--data-dir",
        ])
        .arg(dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut base, mut admin) = (None, None);
    while base.is_none() || admin.is_none() {
        let line: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        if let Some(addr) = line["fields"]["addr"].as_str() {
            base = Some(format!("http://{addr}"));
        }
        if line["fields"]["admin_user"].is_string() {
            admin = Some(line["fields"].clone());
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (child, base.unwrap(), admin.unwrap())
}

#[tokio::test]
async fn the_startup_line_tells_the_admin_password_the_data_directory_holds() {
    let dir = temp_dir("admin-line");
    let (mut first, base, admin) = start_on(&dir);
    assert_eq!(admin["must_change_password"], true, "{admin}");
    let changed = reqwest::Client::new()
        .post(format!("{base}/v1/users/login"))
        .basic_auth("admin", Some("secret"))
        .json(&json!({"new_password": "N3w!passw0rd"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    first.kill().unwrap();
    first.wait().unwrap();
    let (mut second, _, admin) = start_on(&dir);
    assert_eq!(admin["password_from"], "data_dir", "{admin}");
    assert!(
        admin["message"].as_str().unwrap_or_default().starts_with(
            "admin user: admin, with the password --data-dir or --seed holds for cluster default"
        ),
        "{admin}"
    );
    second.kill().unwrap();
    second.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The JSON answer to a GET of `url`.
async fn get_json(client: &reqwest::Client, url: String) -> Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_state_put_into_a_cluster_survives_a_restart() {
    let dir = temp_dir("state-put");
    let (mut first, base, _) = start_on(&dir);
    let client = reqwest::Client::new();
    let token = client
        .post(format!("{base}/clusters/seeded/v1/users/login"))
        .basic_auth("admin", Some("secret"))
        .json(&json!({"new_password": "N3w!passw0rd"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["users"][0]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!token.is_empty());
    let mut document = get_json(&client, format!("{base}/_emulator/clusters/seeded/state")).await;
    document["meta"]["policy"] = json!("sunset");
    document["registration"]["pins"] = json!({"16315550260": "135790"});
    let put = client
        .put(format!("{base}/_emulator/clusters/copy/state"))
        .json(&document)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let before = get_json(&client, format!("{base}/_emulator/clusters/copy/state")).await;
    first.kill().unwrap();
    first.wait().unwrap();
    let (mut second, base, _) = start_on(&dir);
    let after = get_json(&client, format!("{base}/_emulator/clusters/copy/state")).await;
    assert_eq!(after, before);
    assert_eq!(after["meta"]["policy"], "sunset");
    second.kill().unwrap();
    second.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_seed_starts_clusters_in_a_declared_state_and_the_data_directory_wins() {
    let dir = temp_dir("seed");
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.toml");
    std::fs::write(
        &seed,
        r#"
[clusters.default]
admin_password = "S33d!passw0rd"
policy = "classic"
registered = { cc = "1", phone_number = "6315550270", vname = "Seeded Co", pin = "135790" }
cloud = [
  { cc = "44", phone_number = "7700900123", verified_name = "Seeded UK", status = "CONNECTED", pin = "246810" },
]

[clusters.sunset-one]
policy = "sunset"
"#,
    )
    .unwrap();
    let start = |data_dir: bool| {
        let mut command = Command::new(BIN);
        command
            .args(["--listen", "127.0.0.1:0", "--log-format", "json", "--seed"])
            .arg(&seed);
        if data_dir {
            command.arg("--data-dir").arg(dir.join("data"));
        }
        crate::helpers::spawn_listening(command)
    };
    let (mut running, base) = start(true);
    let client = reqwest::Client::new();
    // The seeded admin password, no first-login change; the seeded number answers 201 at once.
    let login = client
        .post(format!("{base}/v1/users/login"))
        .basic_auth("admin", Some("S33d!passw0rd"))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = login.json::<Value>().await.unwrap()["users"][0]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let cert = client
        .post(format!("{base}/_emulator/certs"))
        .json(&json!({"vname": "Seeded Co"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["cert"]
        .as_str()
        .unwrap()
        .to_owned();
    let account = client
        .post(format!("{base}/v1/account"))
        .bearer_auth(&token)
        .json(&json!({"cc": "1", "phone_number": "6315550270", "method": "sms", "cert": cert, "pin": "135790"}))
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 201, "{:?}", account.text().await);
    let cloud = get_json(&client, format!("{base}/_emulator/clusters/default/cloud")).await;
    let uk = cloud["phone_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["display_phone_number"] == "+44 7700 900123")
        .unwrap()
        .clone();
    assert_eq!(uk["status"], "CONNECTED");
    assert_eq!(uk["is_pin_enabled"], true);
    let policy = get_json(
        &client,
        format!("{base}/_emulator/clusters/sunset-one/policy"),
    )
    .await;
    assert_eq!(policy["policy"], "sunset");
    // Changed, then restarted on the data directory: the directory wins over the seed.
    client
        .put(format!("{base}/_emulator/clusters/sunset-one/policy"))
        .json(&json!({"policy": "classic"}))
        .send()
        .await
        .unwrap();
    running.kill().unwrap();
    running.wait().unwrap();
    let (mut running, base) = start(true);
    let policy = get_json(
        &client,
        format!("{base}/_emulator/clusters/sunset-one/policy"),
    )
    .await;
    assert_eq!(policy["policy"], "classic", "the data directory wins");
    running.kill().unwrap();
    running.wait().unwrap();

    // A seed that cannot be used stops the start (exit status not 0), naming the file, the
    // place and the reason: what the emulator said.
    let refused = |seed_text: &str| {
        std::fs::write(&seed, seed_text).unwrap();
        let out = Command::new(BIN)
            .args(["--listen", "127.0.0.1:0", "--seed"])
            .arg(&seed)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{seed_text}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let said = refused("[clusters.bad]\nregistered = { cc = \"1\" }\n");
    assert!(
        said.contains("seed.toml")
            && said.contains("clusters.bad")
            && said.contains("phone_number"),
        "{said}"
    );
    // A registered number is held to POST /v1/account's rules, with its words.
    let said = refused(
        "[clusters.bad]\nregistered = { cc = \"999\", phone_number = \"6315550000\", vname = \"Acme\" }\n",
    );
    assert!(
        said.contains("seed.toml: clusters.bad: registered: Parameter 'cc' is not an ITU country calling code (got \"999\")"),
        "{said}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
