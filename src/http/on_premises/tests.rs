//! The On-Premises API's router on its own, as a client gets its answers: whole bodies, `meta`
//! included, in its envelope; a handler mounted without its surface's layer refuses loudly.

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::account;
use crate::Config;
use crate::domain::cert::make;
use crate::http::common::AppState;
use crate::store::registration::CodeFilter;

const CLUSTER: &str = "on-its-own";

fn router(state: &AppState) -> Router {
    super::router(state).with_state(state.clone())
}

fn post_json(uri: &str, token: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header("x-emulator-cluster", CLUSTER)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn answer(router: Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

async fn admin_token(state: &AppState) -> String {
    let request = Request::post("/v1/users/login")
        .header("x-emulator-cluster", CLUSTER)
        .header("authorization", "Basic YWRtaW46c2VjcmV0") // admin:secret
        .header("content-type", "application/json")
        .body(Body::from(r#"{"new_password": "N3w!passw0rd"}"#))
        .unwrap();
    let (status, body) = answer(router(state), request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["users"][0]["token"].as_str().unwrap().to_owned()
}

fn state() -> AppState {
    AppState::new(&Config::default()).unwrap()
}

#[tokio::test]
async fn the_vendor_router_answers_whole_bodies() {
    let state = state();
    let token = admin_token(&state).await;
    let request = Request::get("/v1/account/shards")
        .header("x-emulator-cluster", CLUSTER)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let meta = json!({"api_status": "stable", "version": state.meta.version()});
    assert_eq!(
        answer(router(&state), request).await,
        (
            StatusCode::OK,
            json!({"account": {"shards": 1}, "meta": meta})
        )
    );

    let cert = make("Acme", &[], 1_700_000_000);
    let body = json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert});
    let (status, answered) = answer(router(&state), post_json("/v1/account", &token, &body)).await;
    assert_eq!(
        (status, answered),
        (
            StatusCode::ACCEPTED,
            json!({"account": [{"vname": "Acme"}], "meta": meta})
        )
    );
    let cluster = state.store.find(CLUSTER).unwrap();
    let filter = CodeFilter {
        cc: Some("1"),
        phone_number: Some("6315550000"),
        method: None,
    };
    assert_eq!(cluster.codes(filter).len(), 1);
}

#[tokio::test]
async fn the_vendor_router_answers_failures_and_near_misses_in_its_envelope() {
    let state = state();
    let token = admin_token(&state).await;
    let (status, body) = answer(
        router(&state),
        post_json("/v1/account", &token, &json!({"cc": "1"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["code"], 1008, "{body}");
    assert_eq!(body["meta"]["api_status"], "stable", "{body}");

    let not_json = Request::post("/v1/account")
        .header("x-emulator-cluster", CLUSTER)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from("{nope"))
        .unwrap();
    let response = router(&state).oneshot(not_json).await.unwrap();
    assert_eq!(response.headers()["x-emulator-reason"], "request.not_json");

    // A near miss below /v1 is the vendor's own 404, on this router alone.
    let typo = post_json("/v1/acount", &token, &json!({}));
    let (status, body) = answer(router(&state), typo).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body["errors"][0]["details"],
        "No such endpoint: POST /v1/acount; did you mean POST /v1/account?"
    );
}

#[tokio::test]
async fn a_handler_without_its_layer_refuses_loudly() {
    let state = state();
    let bare = Router::new()
        .route("/v1/account/shards", get(account::get_shards))
        .with_state(state);
    let request = Request::get("/v1/account/shards")
        .body(Body::empty())
        .unwrap();
    let response = bare.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        response.headers()["x-emulator-reason"],
        "internal.unlayered"
    );
}
