//! Faults, the virtual clock, the journal, restarts and the guarded control API.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use wa_onprem_emulator::Config;

use crate::helpers::{PASSWORD, TestApp, config};

#[tokio::test]
async fn a_fault_armed_for_two_requests_fires_exactly_twice() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    let armed = app
        .control(
            Method::POST,
            "/clusters/default/faults",
            Some(json!({"route": "/v1/account", "times": 2,
                        "fault": {"type": "error", "status": 500, "code": 1014, "details": "Unknown error: boom"}})),
        )
        .await;
    assert_eq!(armed.status, 200, "{:?}", armed.body);
    for _ in 0..2 {
        let answer = app.request_code(&token, "6315550000", "sms", &cert).await;
        answer.assert_error(500, 1014, "Unknown error: boom");
        assert_eq!(answer.reason(), "fault.armed");
    }
    assert_eq!(
        app.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );
    let listed = app
        .control(Method::GET, "/clusters/default/faults", None)
        .await;
    assert_eq!(listed.body["faults"][0]["fired"], 2);
    assert_eq!(listed.body["faults"][0]["remaining"], 0);
}

#[tokio::test]
async fn faults_match_a_number_and_take_every_shape() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    let faults = json!([
        {"route": "/v1/account", "phone_number": "6315550001", "fault": {"type": "drop"}},
        {"route": "/v1/account", "phone_number": "6315550002", "fault": {"type": "not_ready"}},
        {"route": "/v1/account", "phone_number": "6315550003", "fault": {"type": "malformed"}},
        {"route": "/v1/account", "phone_number": "6315550004", "fault": {"type": "delay", "ms": 400}},
        {"route": "/v1/health", "method": "GET", "times": 3, "fault": {"type": "not_ready"}},
    ]);
    let armed = app
        .control(Method::POST, "/clusters/default/faults", Some(faults))
        .await;
    assert_eq!(armed.body["faults"].as_array().unwrap().len(), 5);
    assert_eq!(armed.body["faults"][4]["method"], "GET");

    // A method or route no request can have is refused, not armed to never fire.
    for (bad, says) in [
        (
            json!({"route": "/v1/health", "method": "FETCH", "fault": {"type": "drop"}}),
            "GET, POST",
        ),
        (
            json!({"route": "health", "fault": {"type": "drop"}}),
            "vendor path",
        ),
    ] {
        let refused = app
            .control(Method::POST, "/clusters/default/faults", Some(json!([bad])))
            .await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert!(
            refused.body.to_string().contains(says),
            "{:?}",
            refused.body
        );
    }

    // Another number is not affected.
    assert_eq!(
        app.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );

    let dropped = app
        .client
        .post(app.url("/account"))
        .bearer_auth(&token)
        .json(&json!({"cc": "1", "phone_number": "6315550001", "method": "sms", "cert": cert}))
        .send()
        .await;
    assert!(
        dropped.is_err(),
        "the connection is closed without an answer: {dropped:?}"
    );

    app.request_code(&token, "6315550002", "sms", &cert)
        .await
        .assert_error(503, 1011, "Service not ready");

    let malformed = app
        .client
        .post(app.url("/account"))
        .bearer_auth(&token)
        .json(&json!({"cc": "1", "phone_number": "6315550003", "method": "sms", "cert": cert}))
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 200);
    assert_eq!(malformed.headers()["x-emulator-reason"], "fault.armed");
    assert!(serde_json::from_str::<Value>(&malformed.text().await.unwrap()).is_err());

    let started = Instant::now();
    assert_eq!(
        app.request_code(&token, "6315550004", "sms", &cert)
            .await
            .status,
        202
    );
    assert!(started.elapsed() >= Duration::from_millis(400));

    for _ in 0..3 {
        app.get("/health", &token)
            .await
            .assert_error(503, 1011, "not ready");
    }
    assert_eq!(app.get("/health", &token).await.status, 200);

    // Disarming leaves nothing to fire.
    app.control(
        Method::POST,
        "/clusters/default/faults",
        Some(json!({"route": "*", "times": 5, "fault": {"type": "not_ready"}})),
    )
    .await;
    let cleared = app
        .control(Method::DELETE, "/clusters/default/faults", None)
        .await;
    assert_eq!(cleared.body["faults"], json!([]));
    assert_eq!(app.get("/health", &token).await.status, 200);

    let huge = json!({"route": "/v1/account", "fault": {"type": "error", "status": 500, "code": 1,
                      "details": "x".repeat(33 * 1024 * 1024)}});
    app.control(Method::POST, "/clusters/default/faults", Some(huge))
        .await
        .assert_error(413, 1025, "--control-body-limit");
    for bad in [
        json!({"route": "account", "fault": {"type": "drop"}}),
        json!({"route": "/v1/account", "fault": {"type": "explode"}}),
        json!({"route": "/v1/account", "times": 0, "fault": {"type": "drop"}}),
        json!({"route": "/v1/account", "fault": {"type": "error", "status": 200, "code": 1, "details": "x"}}),
    ] {
        let answer = app
            .control(Method::POST, "/clusters/default/faults", Some(bad))
            .await;
        answer.assert_error(400, 1009, "faults[0]");
    }
}

#[tokio::test]
async fn advancing_the_virtual_clock_makes_codes_stale_windows_roll_and_tokens_expire() {
    let app = TestApp::spawn(
        config()
            .fixed_code("123456")
            .code_rate_limit(1)
            .token_ttl(Duration::from_secs(3 * 3600)),
    )
    .await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    let before = app
        .control(Method::GET, "/clusters/default/clock", None)
        .await;
    assert_eq!(before.body["offset_seconds"], 0.0);

    assert_eq!(
        app.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );
    app.request_code(&token, "6315550000", "sms", &cert)
        .await
        .assert_error(403, 1005, "too_many");

    let moved = app
        .control(
            Method::POST,
            "/clusters/default/clock",
            Some(json!({"advance_seconds": 601})),
        )
        .await;
    assert_eq!(moved.body["offset_seconds"], 601.0);
    let now = humantime::parse_rfc3339(moved.body["now"].as_str().unwrap()).unwrap();
    assert!(now > std::time::SystemTime::now() + Duration::from_secs(590));
    app.verify(&token, "123456")
        .await
        .assert_error(403, 1005, "Unknown error: stale");

    app.control(
        Method::POST,
        "/clusters/default/clock",
        Some(json!({"advance_seconds": 3000})),
    )
    .await;
    assert_eq!(
        app.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );

    app.control(
        Method::POST,
        "/clusters/default/clock",
        Some(json!({"advance_seconds": 3 * 3600})),
    )
    .await;
    app.get("/health", &token)
        .await
        .assert_error(401, 1005, "expired");

    // Other clusters keep their own time.
    app.in_cluster("other").get("/health", &token).await;
    let other = app
        .control(Method::GET, "/clusters/other/clock", None)
        .await;
    assert_eq!(other.body["offset_seconds"], 0.0);
    app.control(
        Method::POST,
        "/clusters/default/clock",
        Some(json!({"advance_seconds": -1})),
    )
    .await
    .assert_error(400, 1009, "advance_seconds");
}

#[tokio::test]
async fn the_journal_records_requests_with_secrets_redacted() {
    let app = TestApp::spawn(Config::default().fixed_code("654321")).await;
    let login = app
        .login_with("admin", "secret", Some(json!({"new_password": PASSWORD})))
        .await;
    let token = login.body["users"][0]["token"].as_str().unwrap().to_owned();
    let cert = app.cert("Acme").await;
    app.request_code(&token, "6315550000", "sms", &cert).await;
    app.verify(&token, "654321").await;
    app.post(
        "/settings/account/two-step",
        &token,
        json!({"pin": "135790"}),
    )
    .await;
    app.request_code(&token, "6315550000", "fax", &cert).await;

    let journal = app
        .control(Method::GET, "/clusters/default/requests", None)
        .await;
    let text = journal.body.to_string();
    for secret in [PASSWORD, "654321", "135790", cert.as_str(), token.as_str()] {
        assert!(
            !text.contains(secret),
            "the journal holds a secret: {secret}"
        );
    }
    let entries = journal.body["requests"].as_array().unwrap();
    let paths: Vec<&str> = entries
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/v1/users/login",
            "/v1/account",
            "/v1/account/verify",
            "/v1/settings/account/two-step",
            "/v1/account"
        ]
    );
    let sent = &entries[1];
    assert_eq!(sent["method"], "POST");
    assert_eq!(sent["status"], 202);
    assert_eq!(sent["reason"], "account.code_sent");
    assert_eq!(sent["body"]["phone_number"], "6315550000");
    assert_eq!(sent["body"]["cert"], "[redacted]");
    assert_eq!(entries[2]["reason"], "account.registered");
    assert_eq!(entries[2]["body"]["code"], "[redacted]");
    assert!(humantime::parse_rfc3339(sent["time"].as_str().unwrap()).is_ok());

    let failed = app
        .control(
            Method::GET,
            "/clusters/default/requests?status=400&path=/v1/account",
            None,
        )
        .await;
    let failed = failed.body["requests"].as_array().unwrap().clone();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["reason"], "validation.method.unknown");
}

#[tokio::test]
async fn the_journal_is_bounded() {
    let app = TestApp::spawn(config().journal_limit(3)).await;
    let token = app.admin_token().await;
    for _ in 0..5 {
        app.get("/health", &token).await;
    }
    let journal = app
        .control(Method::GET, "/clusters/default/requests", None)
        .await;
    let entries = journal.body["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e["path"] == "/v1/health"));
    app.control(Method::DELETE, "/clusters/default/requests", None)
        .await;
    let journal = app
        .control(Method::GET, "/clusters/default/requests", None)
        .await;
    assert_eq!(journal.body["requests"], json!([]));
}

#[tokio::test]
async fn a_restart_answers_503_during_and_201_after() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    app.register(&token, "6315550000").await;
    let restart = app
        .control(
            Method::POST,
            "/clusters/default/restart",
            Some(json!({"duration_seconds": 2})),
        )
        .await;
    assert_eq!(restart.status, 200, "{:?}", restart.body);

    let health = app.get("/health", &token).await;
    assert_eq!(health.body["health"]["gateway_status"], "connecting");
    let during = app.request_code(&token, "6315550000", "sms", &cert).await;
    during.assert_error(503, 1011, "restart");
    assert_eq!(during.reason(), "restart.in_progress");
    assert_eq!(app.login_with("admin", PASSWORD, None).await.status, 200);

    // Two seconds later, on the cluster's virtual clock.
    app.control(
        Method::POST,
        "/clusters/default/clock",
        Some(json!({"advance_seconds": 2})),
    )
    .await;
    assert_eq!(
        app.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        201
    );
    assert_eq!(
        app.get("/health", &token).await.body["health"]["gateway_status"],
        "connected"
    );

    app.control(Method::POST, "/clusters/default/restart", None)
        .await
        .assert_error(400, 1009, "restart-duration");
}

#[tokio::test]
async fn with_a_control_token_the_control_api_needs_it() {
    let app = TestApp::spawn(config().control_token("ctl-s3cret")).await;
    let without = app
        .control(Method::GET, "/clusters/default/codes", None)
        .await;
    without.assert_error(401, 1005, "control-token");
    assert_eq!(without.reason(), "auth.control_token");
    let wrong = app
        .send(
            app.client
                .get(format!("{}/_emulator/clusters/default/codes", app.base))
                .bearer_auth("nope"),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let with = app
        .send(
            app.client
                .get(format!("{}/_emulator/clusters/default/codes", app.base))
                .bearer_auth("ctl-s3cret"),
        )
        .await;
    assert_eq!(with.status, 200);
    assert_eq!(app.control(Method::GET, "/health", None).await.status, 200);
}

#[tokio::test]
async fn without_the_control_api_only_its_health_answers() {
    let app = TestApp::spawn(config().no_control_api(true)).await;
    app.control(Method::GET, "/clusters/default/codes", None)
        .await
        .assert_error(404, 1006, "/_emulator/clusters/default/codes");
    app.control(Method::POST, "/certs", Some(json!({"vname": "A"})))
        .await
        .assert_error(404, 1006, "certs");
    assert_eq!(app.control(Method::GET, "/health", None).await.status, 200);
    // The vendor API is unaffected.
    let token = app.admin_token().await;
    assert_eq!(app.get("/health", &token).await.status, 200);
}
