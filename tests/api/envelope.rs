//! The vendor envelope on every answer, and bodies that are not what they should be (CONTRACT §1).

use serde_json::json;

use crate::helpers::{TestApp, config};

#[tokio::test]
async fn the_reported_version_is_configurable() {
    let app = TestApp::spawn(config().api_version("v2.41.2")).await;
    let token = app.admin_token().await;
    let answer = app.get("/health", &token).await;
    assert_eq!(
        answer.body["meta"],
        json!({"api_status": "stable", "version": "v2.41.2"})
    );
    let error = app.get("/health", "nope").await;
    assert_eq!(error.body["meta"]["version"], "v2.41.2");
}

#[tokio::test]
async fn bodies_that_are_not_json_objects_are_1025() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    let post = |body: &'static str, content_type: Option<&'static str>| {
        let mut req = app
            .client
            .post(app.url("/account"))
            .bearer_auth(&token)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        app.send(req)
    };
    post("{not json", Some("application/json"))
        .await
        .assert_error(400, 1025, "not valid JSON");
    post("[1, 2]", Some("application/json"))
        .await
        .assert_error(400, 1025, "JSON object");
    post("\"text\"", Some("application/json"))
        .await
        .assert_error(400, 1025, "JSON object");
    post("", Some("application/json"))
        .await
        .assert_error(400, 1025, "empty");
    let form = post("cc=1", Some("application/x-www-form-urlencoded")).await;
    form.assert_error(400, 1025, "Content-Type must be application/json");
    assert_eq!(form.reason(), "request.content_type");
    assert_eq!(form.error().1, "Invalid Request");
    // No Content-Type at all is read as JSON.
    post("{}", None).await.assert_error(400, 1008, "cc");
    // Media types compare without regard to case, and `+json` types are JSON.
    for json_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+JSON",
    ] {
        post("{}", Some(json_type))
            .await
            .assert_error(400, 1008, "cc");
    }
    post("{}", Some("text/plain")).await.assert_error(
        400,
        1025,
        "Content-Type must be application/json",
    );
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_and_the_control_api_has_its_own_limit() {
    let app = TestApp::spawn(config().control_body_limit(100 * 1024)).await;
    let token = app.admin_token().await;
    let big = json!({"cc": "1", "cert": "A".repeat(70 * 1024)});
    let answer = app.post("/account", &token, big).await;
    answer.assert_error(413, 1025, "larger than the limit of 65536 bytes");
    assert_eq!(answer.reason(), "request.too_large");
    // The control API takes larger bodies (a busy cluster's state), up to its own limit, which
    // the 413 names with its flag.
    let under = app
        .control(
            reqwest::Method::POST,
            "/certs",
            Some(json!({"vname": "A".repeat(70 * 1024)})),
        )
        .await;
    assert_eq!(under.status, 200, "{:?}", under.body);
    let over = app
        .control(
            reqwest::Method::POST,
            "/certs",
            Some(json!({"vname": "A".repeat(110 * 1024)})),
        )
        .await;
    over.assert_error(
        413,
        1025,
        "control API's limit of 102400 bytes (--control-body-limit, WA_EMU_CONTROL_BODY_LIMIT, raises it)",
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_envelope() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    app.get("/nowhere", &token)
        .await
        .assert_error(404, 1006, "/v1/nowhere");
    // A typo names the route it most likely meant, in the details and in a header, as Graph's
    // own 404s do.
    let typo = app.post("/acount", &token, serde_json::json!({})).await;
    typo.assert_error(
        404,
        1006,
        "No such endpoint: POST /v1/acount; did you mean POST /v1/account?",
    );
    assert_eq!(
        typo.headers["x-emulator-details"],
        "the closest route: POST /v1/account"
    );
    let answer = app
        .send(app.client.put(app.url("/account")).bearer_auth(&token))
        .await;
    answer.assert_error(405, 1006, "method");
}

#[tokio::test]
async fn json_bodies_with_wrong_types_do_not_crash() {
    let app = TestApp::spawn(config()).await;
    let token = app.admin_token().await;
    for body in [
        json!({"code": null}),
        json!({"code": [1]}),
        json!({"code": {"a": 1}}),
    ] {
        let answer = app.post("/account/verify", &token, body).await;
        assert_eq!(answer.status, 400, "{:?}", answer.body);
    }
    let answer = app
        .login_with(
            "admin",
            crate::helpers::PASSWORD,
            Some(json!({"new_password": 5})),
        )
        .await;
    answer.assert_error(400, 1009, "new_password");
    let answer = app
        .login_with("admin", crate::helpers::PASSWORD, Some(json!({"other": 5})))
        .await;
    answer.assert_error(400, 1010, "other");
}
