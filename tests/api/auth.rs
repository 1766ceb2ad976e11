//! Login, tokens and roles (CONTRACT §2).

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Oneshot, PASSWORD, TestApp, config};
use wa_onprem_emulator::Config;

#[tokio::test]
async fn first_login_must_change_the_default_password() {
    let app = TestApp::spawn(Config::default()).await;

    let answer = app.login_with("admin", "secret", None).await;
    answer.assert_error(400, 1024, "new_password");
    assert_eq!(answer.error().1, "Password Change Required");
    assert_eq!(answer.reason(), "auth.password_change_required");

    let weak = app
        .login_with("admin", "secret", Some(json!({"new_password": "weak"})))
        .await;
    weak.assert_error(400, 1009, "new_password");

    let ok = app
        .login_with(
            "admin",
            "secret",
            Some(json!({"new_password": "N3w!passw0rd"})),
        )
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let user = &ok.body["users"][0];
    assert!(user["token"].as_str().unwrap().len() >= 32);
    assert_eq!(ok.body["meta"]["version"], "v2.45.1");

    // The old password is gone; the new one logs in without a body.
    app.login_with("admin", "secret", None)
        .await
        .assert_error(401, 1005, "password");
    assert_eq!(
        app.login_with("admin", "N3w!passw0rd", None).await.status,
        200
    );
}

#[tokio::test]
async fn expires_after_has_the_vendor_format_and_the_token_ttl() {
    let app = TestApp::spawn(config().token_ttl(Duration::from_secs(3600))).await;
    let answer = app.login_with("admin", PASSWORD, None).await;
    let expires = answer.body["users"][0]["expires_after"].as_str().unwrap();
    // 2026-11-29 15:29:26+00:00
    assert_eq!(expires.len(), 25, "{expires}");
    assert_eq!(&expires[10..11], " ");
    assert!(expires.ends_with("+00:00"));
    let parsed =
        humantime::parse_rfc3339(&format!("{}Z", &expires[..19].replace(' ', "T"))).unwrap();
    let ttl = parsed.duration_since(std::time::SystemTime::now()).unwrap();
    assert!(
        ttl > Duration::from_secs(3590) && ttl <= Duration::from_secs(3600),
        "{ttl:?}"
    );
}

#[tokio::test]
async fn wrong_or_missing_basic_credentials_are_401() {
    let app = TestApp::spawn(config()).await;
    let wrong = app.login_with("admin", "Wr0ng!pass", None).await;
    wrong.assert_error(401, 1005, "password");
    assert!(
        wrong.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    app.login_with("nobody", PASSWORD, None)
        .await
        .assert_error(401, 1005, "password");
    let none = app.send(app.client.post(app.url("/users/login"))).await;
    none.assert_error(401, 1005, "Basic");
    assert_eq!(none.reason(), "auth.missing_credentials");
    let garbled = app
        .send(
            app.client
                .post(app.url("/users/login"))
                .header("authorization", "Basic !!!"),
        )
        .await;
    garbled.assert_error(401, 1005, "Basic");
}

#[tokio::test]
async fn no_bad_or_logged_out_token_is_401_with_www_authenticate() {
    let app = TestApp::spawn(config()).await;
    let none = app.send(app.client.get(app.url("/health"))).await;
    none.assert_error(401, 1005, "Bearer");
    assert_eq!(none.reason(), "auth.missing_token");
    assert!(
        none.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );

    let bad = app.get("/health", "not-a-token").await;
    bad.assert_error(401, 1005, "log in");
    assert_eq!(bad.reason(), "auth.invalid_token");

    let malformed = app
        .send(
            app.client
                .get(app.url("/health"))
                .header("authorization", "Token abc"),
        )
        .await;
    malformed.assert_error(401, 1005, "Bearer");

    // Logout revokes only the token it is called with.
    let first = app.admin_token().await;
    let second = app.admin_token().await;
    let out = app.post("/users/logout", &first, json!({})).await;
    assert_eq!(out.status, 200);
    assert_eq!(out.body["meta"]["api_status"], "stable");
    app.get("/health", &first)
        .await
        .assert_error(401, 1005, "token");
    assert_eq!(app.get("/health", &second).await.status, 200);
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let app = Oneshot::new(config().token_ttl(Duration::from_secs(60)));
    let token = app.admin_token().await;
    let health = app.json("GET", "/v1/health", Some(&token), json!({})).await;
    assert_eq!(health.status, 200);
    app.clock.advance(Duration::from_secs(61));
    let expired = app.json("GET", "/v1/health", Some(&token), json!({})).await;
    expired.assert_error(401, 1005, "expired");
    assert_eq!(expired.reason(), "auth.expired_token");
}

#[tokio::test]
async fn a_non_admin_token_is_403_on_admin_calls_but_reads_health() {
    let app = TestApp::spawn(config()).await;
    let admin = app.admin_token().await;
    let user = app.user_token(&admin, "operator", "0perator!Pass").await;

    assert_eq!(app.get("/health", &user).await.status, 200);
    let cert = app.cert("Acme").await;
    for answer in [
        app.request_code(&user, "6315550000", "sms", &cert).await,
        app.verify(&user, "123456").await,
        app.post(
            "/settings/account/two-step",
            &user,
            json!({"pin": "123456"}),
        )
        .await,
        app.post(
            "/users",
            &user,
            json!({"username": "other", "password": "0ther!pass"}),
        )
        .await,
        app.get("/users/admin", &user).await,
    ] {
        answer.assert_error(403, 1005, "admin");
        assert_eq!(answer.reason(), "auth.not_admin");
    }
}
