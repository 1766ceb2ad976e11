//! Paths as clients really send them: a trailing slash, repeated slashes (a base URL ending in
//! `/`), and paths of the real API that the emulator does not emulate.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Oneshot, TestApp, config};

#[tokio::test]
async fn a_trailing_slash_is_served_as_the_canonical_path_and_journaled_so() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let cert = app.cert("Acme").await;
    let body = json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert});
    let sent = app.post("/account/", &token, body).await;
    assert_eq!(sent.status, 202, "{:?}", sent.body);
    let journal = app
        .control(
            Method::GET,
            "/clusters/default/requests/?path=/v1/account",
            None,
        )
        .await;
    assert_eq!(journal.status, 200, "{:?}", journal.body);
    assert_eq!(journal.body["requests"][0]["path"], "/v1/account");
    assert_eq!(journal.body["requests"][0]["status"], 202);
    // Query strings keep working on a path with a trailing slash.
    let latest = app
        .control(
            Method::GET,
            "/clusters/default/codes/latest/?cc=1&phone_number=6315550000",
            None,
        )
        .await;
    assert_eq!(latest.status, 200, "{:?}", latest.body);
}

#[tokio::test]
async fn repeated_slashes_are_served_as_one() {
    let app = Oneshot::new(config());
    let token = app.admin_token().await;
    for path in [
        "//v1/health",
        "/v1//health",
        "/clusters/t1//v1/health",
        "/clusters/t1/v1/health/",
    ] {
        let answer = app.json("GET", path, Some(&token), json!(null)).await;
        // The token belongs to `default`; in t1 it is unknown, which proves the route was found.
        let expected = if path.starts_with("/clusters/t1") {
            401
        } else {
            200
        };
        assert_eq!(answer.status, expected, "{path}: {:?}", answer.body);
    }
    let login = app
        .json("POST", "//v1/users/login", None, json!(null))
        .await;
    assert_eq!(
        login.reason(),
        "auth.missing_credentials",
        "routed to login"
    );
}

#[tokio::test]
async fn paths_of_the_real_api_that_are_not_emulated_say_so() {
    let app = Oneshot::new(config());
    let token = app.admin_token().await;
    for path in [
        "/v1/messages",
        "/v1/contacts",
        "/v1/media/4a5b",
        "/v1/settings/application",
        "/v1/support",
        "/clusters/t1/v1/groups",
    ] {
        let answer = app.json("POST", path, Some(&token), json!({})).await;
        answer.assert_error(404, 1006, "not emulated");
        assert_eq!(answer.reason(), "not_emulated", "{path}");
        assert!(
            answer.error().2.contains("/v1/account"),
            "says what is emulated"
        );
    }
    let unknown = app.json("GET", "/v1/nope", Some(&token), json!(null)).await;
    unknown.assert_error(404, 1006, "No such endpoint");
    assert_eq!(unknown.reason(), "not_found.route");
}
