//! The On-Premises API: `/v1` (and `/clusters/{cluster}/v1`), answered as the real API did, in
//! its envelope with its `meta`.

pub mod account;
pub mod health;
mod routes;
pub mod settings;
pub mod users;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::any;

pub use routes::ROUTES;

use crate::http::common::AppState;
use crate::http::common::error::ApiError;
use crate::http::common::route::rows_router;
use crate::http::common::traffic::TrafficLayer;
use crate::http::common::unrouted;

/// The On-Premises API's router: its rows, each behind the [`TrafficLayer`] that admits and
/// journals the clients' requests; and its own answers to a path below `/v1` or a method it does
/// not route (a near miss such as `/v1/acount` never reaches Graph's patterns).
pub fn router(state: &AppState) -> Router<AppState> {
    let mut router = rows_router(state, ROUTES, |route| {
        TrafficLayer::new(
            state,
            route,
            route.index_in(&state.routes),
            write_error,
            None,
        )
    });
    for path in [
        "/v1",
        "/v1/{*rest}",
        "/clusters/{cluster}/v1",
        "/clusters/{cluster}/v1/{*rest}",
    ] {
        router = router.route(path, any(unrouted::no_such_route));
    }
    router.method_not_allowed_fallback(unrouted::method_not_allowed)
}

/// A failure in the On-Premises API's envelope.
fn write_error(error: ApiError) -> Response {
    error.into_response()
}
