//! Two-step verification pins (CONTRACT §4).

use serde_json::json;

use crate::helpers::{TestApp, config};

#[tokio::test]
async fn pins_need_a_registered_number() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let answer = app
        .post(
            "/settings/account/two-step",
            &token,
            json!({"pin": "123456"}),
        )
        .await;
    answer.assert_error(404, 1006, "registered");
    app.delete("/settings/account/two-step", &token)
        .await
        .assert_error(404, 1006, "registered");
}

#[tokio::test]
async fn pin_validation_names_the_field() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    for (body, code) in [
        (json!({}), 1008),
        (json!({"pin": "12345"}), 1009),
        (json!({"pin": "1234567"}), 1009),
        (json!({"pin": "12a456"}), 1009),
        (json!({"pin": 123456}), 1009),
    ] {
        app.post("/settings/account/two-step", &token, body)
            .await
            .assert_error(400, code, "pin");
    }
}

#[tokio::test]
async fn the_pin_belongs_to_the_number_required_wrong_and_right() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    let set = app
        .post(
            "/settings/account/two-step",
            &token,
            json!({"pin": "111111"}),
        )
        .await;
    assert_eq!(set.status, 200);
    assert_eq!(
        set.body,
        json!({"meta": {"api_status": "stable", "version": "v2.45.1"}})
    );
    // Changing it is the same call.
    let changed = app
        .post(
            "/settings/account/two-step",
            &token,
            json!({"pin": "246810"}),
        )
        .await;
    assert_eq!(changed.status, 200);

    // Another number replaces it; registering the first number again needs its pin.
    app.register(&token, "6315550001").await;
    let cert = app.cert("Acme").await;
    let required = app.request_code(&token, "6315550000", "sms", &cert).await;
    required.assert_error(400, 1008, "pin");
    assert_eq!(required.reason(), "validation.pin.missing");

    let body = |pin: &str| json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert, "pin": pin});
    let wrong = app.post("/account", &token, body("111111")).await;
    wrong.assert_error(403, 1005, "Unknown error: pin_mismatch");
    assert_eq!(wrong.reason(), "refusal.pin_mismatch");
    assert_eq!(
        app.post("/account", &token, body("246810")).await.status,
        202
    );

    // The second number has no pin: a pin given anyway is ignored.
    let other = json!({"cc": "1", "phone_number": "6315550002", "method": "sms", "cert": cert, "pin": "999999"});
    assert_eq!(app.post("/account", &token, other).await.status, 202);
}

#[tokio::test]
async fn deleting_the_pin_turns_two_step_off() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.register(&token, "6315550000").await;
    app.set_pin(&token, "111111").await;
    let deleted = app.delete("/settings/account/two-step", &token).await;
    assert_eq!(deleted.status, 200);
    app.register(&token, "6315550001").await;
    let cert = app.cert("Acme").await;
    assert_eq!(
        app.request_code(&token, "6315550000", "sms", &cert)
            .await
            .status,
        202
    );
}
