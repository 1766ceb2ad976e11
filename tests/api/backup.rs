//! Backup and restore (CONTRACT §5).

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, config};

#[tokio::test]
async fn a_backup_restores_the_registration_and_pins_elsewhere() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    app.set_pin(&token, "246810").await;
    let backup = app.backup(&token, "B4ckup!pass").await;
    assert_eq!(backup.status, 200, "{:?}", backup.body);
    assert_eq!(backup.body["meta"]["api_status"], "stable");
    let data = backup.body["settings"]["data"].as_str().unwrap().to_owned();
    assert!(!data.contains("6315550000") && !data.contains("246810"));

    // Another emulator altogether.
    let other = TestApp::spawn(config()).await;
    let other_token = other.admin_token().await;
    let restored = other
        .post(
            "/settings/restore",
            &other_token,
            json!({"password": "B4ckup!pass", "data": data}),
        )
        .await;
    assert_eq!(restored.status, 200, "{:?}", restored.body);
    assert_eq!(
        other.get("/health", &other_token).await.body["health"]["gateway_status"],
        "connected"
    );
    let cert = other.cert("Acme").await;
    assert_eq!(
        other
            .request_code(&other_token, "6315550000", "sms", &cert)
            .await
            .status,
        201
    );
    // The pin came along: once another number replaces it, the first needs its pin again.
    other.register(&other_token, "6315550001").await;
    other
        .request_code(&other_token, "6315550000", "sms", &cert)
        .await
        .assert_error(400, 1008, "pin");

    // Restoring onto a registered deployment (Meta: "the application stops and you have to start
    // it again"): accepted, the deployment stops, and a start brings it back with the restored
    // registration.
    let again = other
        .post(
            "/settings/restore",
            &other_token,
            json!({"password": "B4ckup!pass", "data": backup.body["settings"]["data"]}),
        )
        .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(
        other.get("/health", &other_token).await.body["health"]["gateway_status"],
        "disconnected"
    );
    other
        .request_code(&other_token, "6315550000", "sms", &cert)
        .await
        .assert_error(503, 1011, "coreapp1/start");
    let started = other
        .control(
            reqwest::Method::POST,
            &format!("/clusters/{}/nodes/coreapp1/start", other.cluster),
            None,
        )
        .await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    assert_eq!(
        other.get("/health", &other_token).await.body["health"]["gateway_status"],
        "connected"
    );
    assert_eq!(
        other
            .request_code(&other_token, "6315550000", "sms", &cert)
            .await
            .status,
        201,
        "the restored number is registered again"
    );
}

#[tokio::test]
async fn wrong_password_truncated_or_tampered_data_is_1009_and_changes_nothing() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    let backup = app.backup(&token, "B4ckup!pass").await;
    let data = backup.body["settings"]["data"].as_str().unwrap().to_owned();

    let target = app.in_cluster("restore-target");
    let target_token = target.admin_token().await;
    let mut tampered = data.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (password, data, needle) in [
        ("Wr0ng!pass", data.as_str(), "wrong password"),
        ("B4ckup!pass", &data[..data.len() / 2], "cannot be restored"),
        ("B4ckup!pass", tampered.as_str(), "cannot be restored"),
        ("B4ckup!pass", "not a backup", "not a backup"),
    ] {
        target
            .post(
                "/settings/restore",
                &target_token,
                json!({"password": password, "data": data}),
            )
            .await
            .assert_error(400, 1009, needle);
        let health = target.get("/health", &target_token).await;
        assert_eq!(health.body["health"]["gateway_status"], "unregistered");
    }
    target
        .post("/settings/restore", &target_token, json!({"data": data}))
        .await
        .assert_error(400, 1008, "password");
    target
        .post(
            "/settings/restore",
            &target_token,
            json!({"password": "", "data": data}),
        )
        .await
        .assert_error(400, 1009, "password");
}

#[tokio::test]
async fn an_unregistered_deployment_has_nothing_to_back_up() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.backup(&token, "B4ckup!pass")
        .await
        .assert_error(404, 1006, "nothing to back up");
    let journal = app
        .control(
            Method::GET,
            "/clusters/default/requests?path=/v1/settings/backup",
            None,
        )
        .await;
    assert_eq!(
        journal.body["requests"][0]["body"]["password"],
        "[redacted]"
    );
}
