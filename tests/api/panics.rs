//! A handler that panics is answered with the vendor's 500 envelope, and the application keeps
//! serving: the panic is caught by the layer around the router, not by the connection.

use axum::routing::post;
use serde_json::json;
use wa_onprem_emulator::{App, AppState, router};

use crate::helpers::{ManualClock, Oneshot, config};

/// A handler with a bug.
async fn boom() -> &'static str {
    panic!("a bug in a handler")
}

#[tokio::test]
async fn a_panicking_handler_answers_500_in_the_envelope_and_the_app_serves_on() {
    let clock = ManualClock::new();
    let state = AppState::with_clock(&config(), clock.clone()).unwrap();
    let routes = router(state.clone()).route("/v1/boom", post(boom));
    let app = Oneshot {
        router: App::around(routes, &state),
        clock,
    };

    let boom = app.json("POST", "/v1/boom/", None, json!({})).await;
    boom.assert_error(500, 1000, "keeps serving");
    assert_eq!(boom.reason(), "internal.panic");
    assert_eq!(boom.body["meta"]["version"], "v2.45.1", "{:?}", boom.body);
    assert_eq!(boom.headers["content-type"], "application/json");

    // The same application answers the next request as usual.
    let token = app.admin_token().await;
    let health = app
        .json("GET", "/v1/health", Some(&token), json!(null))
        .await;
    assert_eq!(health.status, 200, "{:?}", health.body);
}
