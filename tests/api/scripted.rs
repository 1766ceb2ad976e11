//! The scripted policy, from the example rules file and at run time.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use wa_onprem_emulator::policy::PolicyKind;
use wa_onprem_emulator::{AppState, Config};

use crate::helpers::{TestApp, config};

fn example_rules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules.example.toml")
}

fn scripted() -> Config {
    config().policy(PolicyKind::Scripted).rules(example_rules())
}

#[tokio::test]
async fn the_example_rules_force_their_outcomes() {
    let app = TestApp::spawn(scripted()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;

    let retired = app.request_code(&token, "6315550100", "sms", &cert).await;
    retired.assert_error(403, 1005, "Unknown error: biz_link_on_prem_reg_blocked");
    assert_eq!(retired.reason(), "scripted.retired");
    assert_eq!(retired.error().1, "Access denied");

    let limited = app.request_code(&token, "6315550101", "sms", &cert).await;
    limited.assert_error(403, 1005, "Unknown error: too_many");
    assert_eq!(limited.reason(), "scripted.rate-limited");
    assert_eq!(
        app.request_code(&token, "6315550101", "voice", &cert)
            .await
            .status,
        202
    );

    let started = Instant::now();
    let slow = app.request_code(&token, "6315550200", "sms", &cert).await;
    assert_eq!(slow.status, 202, "a delay falls through to classic");
    assert!(started.elapsed() >= Duration::from_millis(1500));

    let body = json!({"cc": "44", "phone_number": "7911123456", "method": "sms", "cert": cert});
    let elsewhere = app.post("/account", &token, body).await;
    assert_eq!(elsewhere.status, 201);

    let body = json!({"cc": "55", "phone_number": "11987654321", "method": "voice", "cert": cert});
    let flaky = app.post("/account", &token, body).await;
    flaky.assert_error(500, 1014, "gateway_timeout");
    assert_eq!(flaky.error().1, "Internal error");

    // Unmatched numbers get the classic flow, all the way to registration.
    app.register(&token, "6315550000").await;
    let policy = app
        .control(Method::GET, "/clusters/default/policy", None)
        .await;
    assert_eq!(policy.body["policy"], "scripted");
    assert_eq!(policy.body["rules"][0]["name"], "retired");
}

#[test]
fn a_bad_rules_file_stops_startup_naming_file_and_line() {
    let dir = std::env::temp_dir().join(format!("wa-emu-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    let start = |path: &PathBuf| {
        std::process::Command::new(env!("CARGO_BIN_EXE_wa-onprem-emulator"))
            .args(["--listen", "127.0.0.1:0", "--policy", "scripted", "--rules"])
            .arg(path)
            .output()
            .unwrap()
    };

    // Line 7 gives a status that is not a number.
    let wrong_type = "# rules\n[[rule]]\nprefix = \"1\"\noutcome = \"classic\"\n\n[[rule]]\nstatus = \"four hundred\"\n";
    assert!(wrong_type.lines().nth(6).unwrap().starts_with("status"));
    std::fs::write(&path, wrong_type).unwrap();
    let with_file = config().policy(PolicyKind::Scripted).rules(path.clone());
    let err = AppState::new(&with_file).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("line 7"), "{err}");
    let out = start(&path);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&path.display().to_string()) && stderr.contains("line 7"),
        "{stderr}"
    );

    // An error rule without its status: the rule, the line it starts on and the missing key.
    let incomplete = "# rules\n[[rule]]\nprefix = \"1\"\noutcome = \"classic\"\n\n[[rule]]\noutcome = \"error\"\ncode = 1005\n";
    std::fs::write(&path, incomplete).unwrap();
    let err = AppState::new(&with_file).unwrap_err().to_string();
    assert!(
        err.contains("rule 2 (line 6)") && err.contains("status"),
        "{err}"
    );

    let missing = config().policy(PolicyKind::Scripted);
    assert!(
        AppState::new(&missing)
            .unwrap_err()
            .to_string()
            .contains("--rules")
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn rules_are_put_on_one_cluster_at_run_time() {
    let app = TestApp::spawn(config()).await;
    let rules = json!([
        {"name": "down", "prefix": "1631", "method": "voice", "outcome": "error",
         "status": 503, "code": 1011, "details": "Service not ready"},
    ]);
    let put = app
        .control(
            Method::PUT,
            "/clusters/unhappy/policy",
            Some(json!({"policy": "scripted", "rules": rules})),
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(put.body["rules"][0]["name"], "down");

    let unhappy = app.in_cluster("unhappy");
    let token = unhappy.admin_token().await;
    let cert = app.cert("Acme").await;
    let down = unhappy
        .request_code(&token, "6315550000", "voice", &cert)
        .await;
    down.assert_error(503, 1011, "Service not ready");
    assert_eq!(down.reason(), "scripted.down");
    assert_eq!(
        unhappy
            .request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );

    // The default cluster keeps its classic policy.
    let default_token = app.admin_token().await;
    assert_eq!(
        app.request_code(&default_token, "6315550000", "voice", &cert)
            .await
            .status,
        202
    );

    for (body, needle) in [
        (json!({"policy": "scripted"}), "rules"),
        (
            json!({"policy": "scripted", "rules": [{"outcome": "error"}]}),
            "status",
        ),
        (
            json!({"policy": "scripted", "rules": [{"outcome": "sometimes"}]}),
            "rules[0]",
        ),
        (json!({"policy": "scripted", "rules": {"a": 1}}), "list"),
        (json!({"policy": "classic", "rules": []}), "rules"),
    ] {
        let answer = app
            .control(Method::PUT, "/clusters/unhappy/policy", Some(body))
            .await;
        assert_eq!(answer.status, 400, "{:?}", answer.body);
        assert!(answer.error().2.contains(needle), "{:?}", answer.body);
    }
}

#[tokio::test]
async fn rules_can_be_put_as_the_text_of_a_rules_file() {
    let app = TestApp::spawn(config()).await;
    let toml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules.example.toml"))
        .unwrap();
    let put = app
        .control(
            Method::PUT,
            "/clusters/toml/policy",
            Some(json!({"policy": "scripted", "rules": toml})),
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert_eq!(put.body["rules"][0]["name"], "retired");
    let bad = app
        .control(
            Method::PUT,
            "/clusters/toml/policy",
            Some(json!({"policy": "scripted", "rules": "[[rule]]\noutcome = \"error\"\n"})),
        )
        .await;
    bad.assert_error(400, 1009, "line");
    assert_eq!(bad.reason(), "validation.rules.format");
}
