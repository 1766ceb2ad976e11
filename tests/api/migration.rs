//! The documented On-Premises → Cloud migration, in one cluster: a backup made on its `/v1`,
//! registered on its Graph surface. Success, and each failure with what it leaves behind.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, config};

const TOKEN: Option<&str> = Some("EAAG-system-user-token");
const BACKUP_PASSWORD: &str = "B4ckup!pass";

/// A cluster whose On-Premises deployment has +1 6315550000 registered (with `pin` when
/// given) and a backup of it: the admin token, the number's id and the backup's data.
async fn on_prem(app: &TestApp, pin: Option<&str>) -> (String, String, String) {
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    if let Some(pin) = pin {
        app.set_pin(&token, pin).await;
    }
    let backup = app.backup(&token, BACKUP_PASSWORD).await;
    assert_eq!(backup.status, 200, "{:?}", backup.body);
    let data = backup.body["settings"]["data"].as_str().unwrap().to_owned();
    let cloud = app.cloud().await;
    let numbers = cloud["phone_numbers"].as_array().unwrap();
    assert_eq!(numbers.len(), 1, "{cloud:?}");
    // The On-Premises number is in the account before any Cloud call.
    assert_eq!(numbers[0]["platform_type"], "ON_PREMISE");
    assert_eq!(numbers[0]["status"], "CONNECTED");
    (token, numbers[0]["id"].as_str().unwrap().to_owned(), data)
}

async fn migrate(app: &TestApp, id: &str, pin: &str, data: &str, password: &str) -> Answer {
    app.graph(
        Method::POST,
        &format!("/{id}/register"),
        TOKEN,
        Some(json!({"messaging_product": "whatsapp", "pin": pin,
                    "backup": {"data": data, "password": password}})),
    )
    .await
}

async fn gateway(app: &TestApp, token: &str) -> Value {
    app.get("/health", token).await.body["health"]["gateway_status"].clone()
}

async fn number(app: &TestApp) -> Value {
    app.cloud().await["phone_numbers"][0].clone()
}

async fn start(app: &TestApp) {
    let started = app
        .control(
            Method::POST,
            &format!("/clusters/{}/nodes/coreapp1/start", app.cluster),
            None,
        )
        .await;
    assert_eq!(started.status, 200, "{:?}", started.body);
}

/// Registering the (already moved) number again with `pin` is refused as a pin mismatch.
async fn assert_pin_mismatch(app: &TestApp, id: &str, pin: &str) {
    app.graph(
        Method::POST,
        &format!("/{id}/register"),
        TOKEN,
        Some(json!({"messaging_product": "whatsapp", "pin": pin})),
    )
    .await
    .assert_graph_error(
        400,
        133005,
        "(#133005) Two step verification PIN Mismatch",
        "pin",
    );
}

#[tokio::test]
async fn a_migration_moves_the_number_and_shuts_the_deployment_down() {
    let app = TestApp::spawn(config()).await.in_cluster("migrate-ok");
    let (token, id, data) = on_prem(&app, Some("246810")).await;
    let codes_before = app
        .control(Method::GET, "/clusters/migrate-ok/codes", None)
        .await
        .body["codes"]
        .as_array()
        .unwrap()
        .len();

    let moved = migrate(&app, &id, "246810", &data, BACKUP_PASSWORD).await;
    assert_eq!(moved.body, json!({"success": true}), "{:?}", moved.body);
    let after = number(&app).await;
    assert_eq!(after["platform_type"], "CLOUD_API");
    assert_eq!(after["status"], "CONNECTED");
    assert_eq!(after["code_verification_status"], "VERIFIED");
    assert_eq!(after["is_pin_enabled"], true);
    assert_eq!(after["throughput"], "STANDARD");
    // Graph's fields of a number that came from On-Premises: its certificate (the real
    // protobuf, for the name it had there), its approved name, when it was onboarded.
    let read = app
        .graph(
            Method::GET,
            &format!("/{id}?fields=certificate,unified_cert_status,last_onboarded_time,messaging_limit_tier,host_platform"),
            TOKEN,
            None,
        )
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    let certificate = read.body["certificate"].as_str().unwrap();
    let decoded = wa_onprem_emulator::cert::decode(certificate).expect("a certificate");
    assert_eq!(&*decoded.vname, after["verified_name"].as_str().unwrap());
    assert_eq!(read.body["unified_cert_status"], "APPROVED");
    assert_eq!(read.body["host_platform"], "CLOUD_API");
    assert_eq!(read.body["messaging_limit_tier"], "TIER_1K");
    assert!(
        read.body["last_onboarded_time"].is_string(),
        "{:?}",
        read.body
    );
    // No code was sent for it.
    let codes = app
        .control(Method::GET, "/clusters/migrate-ok/codes", None)
        .await;
    assert_eq!(codes.body["codes"].as_array().unwrap().len(), codes_before);

    // The On-Premises deployment is disconnected and shut down: health says so, its other calls
    // answer as a deployment with no Coreapp running.
    assert_eq!(gateway(&app, &token).await, "disconnected");
    let cert = app.cert("Acme").await;
    app.request_code(&token, "6315550001", "sms", &cert)
        .await
        .assert_error(503, 1011, "coreapp1/start");
    // Started again, it no longer has the number.
    start(&app).await;
    assert_eq!(gateway(&app, &token).await, "unregistered");
    assert_eq!(number(&app).await["platform_type"], "CLOUD_API");

    // The On-Premises pin is the number's pin on the Cloud API.
    app.graph(Method::POST, &format!("/{id}/deregister"), TOKEN, None)
        .await;
    let control = app
        .control(
            Method::POST,
            "/clusters/migrate-ok/clock",
            Some(json!({"advance_seconds": 600})),
        )
        .await;
    assert_eq!(control.status, 200);
    assert_pin_mismatch(&app, &id, "111111").await;
}

#[tokio::test]
async fn without_an_on_premises_pin_the_pin_sent_becomes_the_pin() {
    let app = TestApp::spawn(config()).await.in_cluster("migrate-nopin");
    let (_, id, data) = on_prem(&app, None).await;
    let moved = migrate(&app, &id, "135790", &data, BACKUP_PASSWORD).await;
    assert_eq!(moved.body, json!({"success": true}), "{:?}", moved.body);
    assert_eq!(number(&app).await["is_pin_enabled"], true);
    // Registering again (already registered) checks that pin.
    assert_pin_mismatch(&app, &id, "000000").await;
}

#[tokio::test]
async fn a_wrong_pin_leaves_the_number_and_takes_the_deployment_down() {
    let app = TestApp::spawn(config())
        .await
        .in_cluster("migrate-wrong-pin");
    let (token, id, data) = on_prem(&app, Some("246810")).await;
    migrate(&app, &id, "999999", &data, BACKUP_PASSWORD)
        .await
        .assert_graph_error(
            400,
            133005,
            "(#133005) Two step verification PIN Mismatch",
            "On-Premises",
        );
    let after = number(&app).await;
    assert_eq!(after["platform_type"], "ON_PREMISE");
    assert_eq!(after["status"], "DISCONNECTED");
    assert_eq!(gateway(&app, &token).await, "disconnected");
    // Down until started; then it serves the number again.
    start(&app).await;
    assert_eq!(gateway(&app, &token).await, "connected");
    assert_eq!(number(&app).await["status"], "CONNECTED");
}

#[tokio::test]
async fn a_backup_that_cannot_be_used_is_refused_and_changes_nothing() {
    let app = TestApp::spawn(config()).await.in_cluster("migrate-refused");
    let (token, id, data) = on_prem(&app, Some("246810")).await;
    let unchanged = |app: TestApp, token: String| async move {
        assert_eq!(gateway(&app, &token).await, "connected");
        let n = number(&app).await;
        assert_eq!(n["platform_type"], "ON_PREMISE");
        assert_eq!(n["status"], "CONNECTED");
    };

    let unreadable = migrate(&app, &id, "246810", "bm90IGEgYmFja3Vw", BACKUP_PASSWORD).await;
    unreadable.assert_graph_error(400, 100, "(#100) Invalid parameter", "not a backup");
    assert_eq!(unreadable.reason(), "cloud.param.backup_unreadable");
    unchanged(app.in_cluster("migrate-refused"), token.clone()).await;

    let wrong_password = migrate(&app, &id, "246810", &data, "not-the-password").await;
    wrong_password.assert_graph_error(400, 100, "(#100) Invalid parameter", "password");
    assert_eq!(wrong_password.reason(), "cloud.param.backup_password");
    unchanged(app.in_cluster("migrate-refused"), token.clone()).await;

    // A backup of another number, made in another cluster.
    let elsewhere = app.in_cluster("migrate-refused-other");
    let other_token = elsewhere.admin_token().await;
    elsewhere.register(&other_token, "6315550009").await;
    let other = elsewhere.backup(&other_token, BACKUP_PASSWORD).await;
    let other_data = other.body["settings"]["data"].as_str().unwrap();
    let mismatch = migrate(&app, &id, "246810", other_data, BACKUP_PASSWORD).await;
    mismatch.assert_graph_error(400, 100, "(#100) Invalid parameter", "+1 6315550009");
    assert_eq!(mismatch.reason(), "cloud.param.backup_other_number");
    unchanged(app.in_cluster("migrate-refused"), token.clone()).await;

    // A deployment that is not connected (its Coreapp stopped).
    let stopped = app
        .control(
            Method::POST,
            "/clusters/migrate-refused/nodes/coreapp1/stop",
            None,
        )
        .await;
    assert_eq!(stopped.status, 200);
    let down = migrate(&app, &id, "246810", &data, BACKUP_PASSWORD).await;
    down.assert_graph_error(
        400,
        100,
        "(#100) Invalid parameter",
        "not have this number connected",
    );
    assert_eq!(down.reason(), "cloud.param.backup_not_connected");
    start(&app).await;
    unchanged(app.in_cluster("migrate-refused"), token.clone()).await;
    // After all that, the right backup still moves the number.
    assert_eq!(
        migrate(&app, &id, "246810", &data, BACKUP_PASSWORD)
            .await
            .body,
        json!({"success": true})
    );
}

#[tokio::test]
async fn a_multiconnect_number_is_upgraded() {
    let app = TestApp::spawn(config().coreapps(2))
        .await
        .in_cluster("migrate-shards");
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    let cert = app.cert("Acme").await;
    let shards = app
        .post(
            "/account/shards",
            &token,
            json!({"cc": "1", "phone_number": "6315550000", "shards": 2, "cert": cert}),
        )
        .await;
    assert_eq!(shards.status, 201, "{:?}", shards.body);
    let data = app.backup(&token, BACKUP_PASSWORD).await.body["settings"]["data"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = number(&app).await["id"].as_str().unwrap().to_owned();
    assert_eq!(
        migrate(&app, &id, "112233", &data, BACKUP_PASSWORD)
            .await
            .body,
        json!({"success": true})
    );
    let graph = app
        .graph(
            Method::GET,
            &format!("/{id}?fields=throughput"),
            TOKEN,
            None,
        )
        .await;
    assert_eq!(graph.body["throughput"], json!({"level": "HIGH"}));
}

#[tokio::test]
async fn migration_delay_takes_its_time_on_the_clusters_clock() {
    let app = TestApp::spawn(config().migration_delay(Duration::from_secs(15)))
        .await
        .in_cluster("migrate-delay");
    let (_, id, data) = on_prem(&app, None).await;
    let call = {
        let app = app.in_cluster("migrate-delay");
        let (id, data) = (id.clone(), data.clone());
        tokio::spawn(async move { migrate(&app, &id, "123456", &data, BACKUP_PASSWORD).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        !call.is_finished(),
        "the migration answered before its delay"
    );
    assert_eq!(number(&app).await["platform_type"], "ON_PREMISE");
    // Moving the cluster's clock past the delay ends the wait.
    let advanced = app
        .control(
            Method::POST,
            "/clusters/migrate-delay/clock",
            Some(json!({"advance_seconds": 15})),
        )
        .await;
    assert_eq!(advanced.status, 200);
    let answer = tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("the migration answers once the cluster's clock passed its delay")
        .unwrap();
    assert_eq!(answer.body, json!({"success": true}), "{:?}", answer.body);
}
