//! `POST /v1/account/verify` and the registered state (CONTRACT §3.2, §5 health).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Oneshot, TestApp, config};

#[tokio::test]
async fn a_whole_registration_then_201_and_connected() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let health = app.get("/health", &token).await;
    assert_eq!(health.body["health"]["gateway_status"], "unregistered");

    let cert = app.cert("Acme").await;
    assert_eq!(
        app.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );
    let code = app.latest_code("6315550000").await;
    let verified = app.verify(&token, &code).await;
    assert_eq!(verified.status, 201, "{:?}", verified.body);
    assert_eq!(
        verified.body,
        json!({"meta": {"api_status": "stable", "version": "v2.45.1"}})
    );

    let again = app.request_code(&token, "6315550000", "sms", &cert).await;
    assert_eq!(again.status, 201);
    assert_eq!(
        again.body,
        json!({"meta": {"api_status": "stable", "version": "v2.45.1"}})
    );
    let health = app.get("/health", &token).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["health"]["gateway_status"], "connected");
}

#[tokio::test]
async fn the_code_is_accepted_with_the_hyphen_the_sms_shows() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    app.request_code(&token, "6315550000", "sms", &cert).await;
    let code = app.latest_code("6315550000").await;
    let hyphenated = format!("{}-{}", &code[..3], &code[3..]);
    assert_eq!(app.verify(&token, &hyphenated).await.status, 201);
}

#[tokio::test]
async fn verify_input_and_pending_state_errors() {
    let app = TestApp::spawn(config().fixed_code("111111")).await;
    let token = app.admin_token().await;
    app.post("/account/verify", &token, json!({}))
        .await
        .assert_error(400, 1008, "code");
    for bad in ["12345", "1234567", "12a456", "12-3456"] {
        app.verify(&token, bad)
            .await
            .assert_error(400, 1009, "code");
    }
    app.post("/account/verify", &token, json!({"code": 111111}))
        .await
        .assert_error(400, 1009, "code");
    let none = app.verify(&token, "111111").await;
    none.assert_error(403, 1005, "Unknown error: no_pending_code");
    assert_eq!(none.reason(), "refusal.no_pending_code");

    let cert = app.cert("Acme").await;
    app.request_code(&token, "6315550000", "sms", &cert).await;
    assert_eq!(app.latest_code("6315550000").await, "111111");
    let wrong = app.verify(&token, "222222").await;
    wrong.assert_error(403, 1005, "Unknown error: mismatch");
    assert_eq!(wrong.reason(), "refusal.mismatch");
    // A code is single-use.
    assert_eq!(app.verify(&token, "111-111").await.status, 201);
    app.verify(&token, "111111")
        .await
        .assert_error(403, 1005, "no_pending_code");
}

#[tokio::test]
async fn five_wrong_guesses_void_the_code_until_a_new_one_is_requested() {
    let app = TestApp::spawn(config().fixed_code("123456")).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    app.request_code(&token, "6315550000", "sms", &cert).await;
    for _ in 0..5 {
        app.verify(&token, "000000")
            .await
            .assert_error(403, 1005, "mismatch");
    }
    let void = app.verify(&token, "123456").await;
    void.assert_error(403, 1005, "Unknown error: too_many_guesses");
    assert_eq!(void.reason(), "refusal.too_many_guesses");
    app.request_code(&token, "6315550000", "sms", &cert).await;
    assert_eq!(app.verify(&token, "123456").await.status, 201);
}

#[tokio::test]
async fn a_code_older_than_its_lifetime_is_stale() {
    let app = Oneshot::new(
        config()
            .code_ttl(Duration::from_secs(600))
            .fixed_code("123456"),
    );
    let token = app.admin_token().await;
    let cert = wa_onprem_emulator::cert::make("Acme", &[], 1);
    let body = json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert});
    assert_eq!(
        app.json("POST", "/v1/account", Some(&token), body)
            .await
            .status,
        202
    );
    app.clock.advance(Duration::from_secs(601));
    let stale = app
        .json(
            "POST",
            "/v1/account/verify",
            Some(&token),
            json!({"code": "123456"}),
        )
        .await;
    stale.assert_error(403, 1005, "Unknown error: stale");
    assert_eq!(stale.reason(), "refusal.stale");
}

#[tokio::test]
async fn fifty_concurrent_verifies_with_the_right_code_register_once() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    app.request_code(&token, "6315550000", "sms", &cert).await;
    let code = app.latest_code("6315550000").await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (client, url, token, code) = (
            app.client.clone(),
            app.url("/account/verify"),
            token.clone(),
            code.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "code": code }))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.unwrap();
            (status, body)
        }));
    }
    let mut created = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        match status {
            201 => created += 1,
            403 => assert_eq!(
                body["errors"][0]["details"],
                "Unknown error: no_pending_code"
            ),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(
        app.get("/health", &token).await.body["health"]["gateway_status"],
        "connected"
    );
}

#[tokio::test]
async fn replacing_the_number_restarts_coreapp_for_the_configured_time() {
    let app = Oneshot::new(
        config()
            .fixed_code("123456")
            .restart_duration(Duration::from_secs(2)),
    );
    let token = app.admin_token().await;
    let cert = wa_onprem_emulator::cert::make("Acme", &[], 1);
    let register = |phone: &'static str| {
        let (app, token, cert) = (&app, token.clone(), cert.clone());
        async move {
            let body = json!({"cc": "1", "phone_number": phone, "method": "sms", "cert": cert});
            let sent = app.json("POST", "/v1/account", Some(&token), body).await;
            assert_eq!(sent.status, 202, "{:?}", sent.body);
            app.json(
                "POST",
                "/v1/account/verify",
                Some(&token),
                json!({"code": "123456"}),
            )
            .await
        }
    };
    assert_eq!(register("6315550000").await.status, 201);
    let health = app.json("GET", "/v1/health", Some(&token), json!({})).await;
    assert_eq!(health.body["health"]["gateway_status"], "connected");

    // A new number replaces the old one, and Coreapp restarts.
    assert_eq!(register("6315550001").await.status, 201);
    let health = app.json("GET", "/v1/health", Some(&token), json!({})).await;
    assert_eq!(health.body["health"]["gateway_status"], "connecting");
    let busy = app
        .json("POST", "/v1/users/logout", Some(&token), json!({}))
        .await;
    busy.assert_error(503, 1011, "restart");
    assert_eq!(busy.reason(), "restart.in_progress");
    assert_eq!(
        app.admin_token().await.len(),
        43,
        "login works during a restart"
    );

    app.clock.advance(Duration::from_secs(2));
    let health = app.json("GET", "/v1/health", Some(&token), json!({})).await;
    assert_eq!(health.body["health"]["gateway_status"], "connected");
    let cert = wa_onprem_emulator::cert::make("Acme", &[], 1);
    let body = json!({"cc": "1", "phone_number": "6315550001", "method": "sms", "cert": cert});
    assert_eq!(
        app.json("POST", "/v1/account", Some(&token), body)
            .await
            .status,
        201
    );
    let body = json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert});
    assert_eq!(
        app.json("POST", "/v1/account", Some(&token), body)
            .await
            .status,
        202,
        "the replaced number is no longer registered"
    );
}
