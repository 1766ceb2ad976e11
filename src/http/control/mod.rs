//! The control API (`/_emulator`) and the front door (`GET /`): what tests use to see and steer
//! the emulator. None of it exists on the real API. Its answers are its own JSON; its errors
//! are in the vendor's envelope.

pub mod answers;
pub mod clusters;
pub mod console;
pub mod events;
pub mod front;
mod layer;
mod routes;
pub mod steering;
pub mod webhooks;

use axum::Router;
use axum::routing::any;

pub use routes::ROUTES;

use crate::domain::Surface;
use crate::http::common::AppState;
use crate::http::common::route::rows_router;
use crate::http::common::unrouted;

/// The control API's router: its rows (only its health probe when the control API is off) and
/// the front door, each behind its [`layer::ControlLayer`]; and its own answers to a path or a
/// method it does not route.
pub fn router(state: &AppState) -> Router<AppState> {
    let enabled = state.control.enabled;
    let rows = ROUTES
        .iter()
        .filter(move |r| r.surface == Surface::Root || enabled || r.path == "/health");
    rows_router(state, rows, |route| {
        layer::ControlLayer::new(state, route, route.index_in(&state.routes))
    })
    .route("/_emulator/{*rest}", any(unrouted::no_such_route))
    .method_not_allowed_fallback(unrouted::method_not_allowed)
}
