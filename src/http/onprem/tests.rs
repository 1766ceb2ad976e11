//! The handlers are ordinary axum handlers: mounted on a router of their own, without the
//! pipeline, they answer from the request alone, their typed answer in the response's
//! extensions (as in axum's error-handling example).

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::account;
use crate::Config;
use crate::domain::cert::make;
use crate::http::envelope::Reply;
use crate::http::error::ApiError;
use crate::http::{AppState, Response};
use crate::store::registration::CodeFilter;

fn router(state: &AppState) -> Router {
    Router::new()
        .route("/v1/account", post(account::request_code))
        .route("/v1/account/shards", get(account::get_shards))
        .with_state(state.clone())
}

fn post_json(uri: &str, body: &Value) -> Request<Body> {
    Request::post(uri)
        .header("x-emulator-cluster", "on-its-own")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn reply(response: &Response) -> (StatusCode, Value) {
    let reply = response.extensions().get::<Reply>().expect("a typed reply");
    (reply.status, serde_json::from_slice(&reply.body).unwrap())
}

#[tokio::test]
async fn a_handler_answers_on_a_router_of_its_own() {
    let state = AppState::new(&Config::default()).unwrap();
    let request = Request::get("/v1/account/shards")
        .header("x-emulator-cluster", "on-its-own")
        .body(Body::empty())
        .unwrap();
    let response = router(&state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        reply(&response),
        (StatusCode::OK, json!({"account": {"shards": 1}}))
    );
    // The cluster the header names was addressed (and so made).
    assert!(state.store.find("on-its-own").is_some());

    let cert = make("Acme", &[], 1_700_000_000);
    let body = json!({"cc": "1", "phone_number": "6315550000", "method": "sms", "cert": cert});
    let response = router(&state)
        .oneshot(post_json("/v1/account", &body))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let (_, answer) = reply(&response);
    assert_eq!(answer["account"][0]["vname"], "Acme");
    let cluster = state.store.find("on-its-own").unwrap();
    let filter = CodeFilter {
        cc: Some("1"),
        phone_number: Some("6315550000"),
        method: None,
    };
    assert_eq!(cluster.codes(filter).len(), 1);
}

#[tokio::test]
async fn a_handler_s_failure_rides_in_the_response_typed() {
    let state = AppState::new(&Config::default()).unwrap();
    let response = router(&state)
        .oneshot(post_json("/v1/account", &json!({"cc": "1"})))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = response
        .extensions()
        .get::<ApiError>()
        .expect("a typed error");
    assert_eq!(error.wire().code, 1008);
    // A body that is not JSON is refused by the extractor itself.
    let request = Request::post("/v1/account")
        .body(Body::from("{nope"))
        .unwrap();
    let response = router(&state).oneshot(request).await.unwrap();
    let error = response
        .extensions()
        .get::<ApiError>()
        .expect("a typed error");
    assert_eq!(error.wire().reason, "request.not_json");
}
