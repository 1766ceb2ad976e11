//! The HTTP surface: one [`router`] lists every route of the vendor API (`/v1`, also under
//! `/clusters/{cluster}/v1`) and of the emulator's control API (`/_emulator`).

mod account;
mod control;
pub mod extract;
mod health;
mod settings;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{Method, Uri};
use axum::middleware;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use crate::envelope::Meta;
use crate::error::{self, ApiError};
use crate::store::Store;

/// Largest request body accepted, in bytes; larger ones get 413/1025.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Every cluster's state.
    pub store: Arc<Store>,
    /// The `meta` of every vendor answer.
    pub meta: Meta,
}

/// The vendor API, mounted at `/v1` and at `/clusters/{cluster}/v1`.
fn v1() -> Router<AppState> {
    Router::new()
        .route("/users/login", post(users::login))
        .route("/users/logout", post(users::logout))
        .route("/users", post(users::create))
        .route(
            "/users/{username}",
            get(users::read).put(users::update).delete(users::delete),
        )
        .route("/account", post(account::request_code))
        .route("/account/verify", post(account::verify))
        .route(
            "/settings/account/two-step",
            post(settings::set_pin).delete(settings::remove_pin),
        )
        .route("/health", get(health::v1))
}

/// The emulator's own API for tests.
fn control() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::emulator))
        .route("/certs", post(control::make_cert))
        .route("/reset", post(control::reset_all))
        .route("/clusters", get(control::list_clusters))
        .route(
            "/clusters/{cluster}/codes",
            get(control::list_codes).delete(control::clear_codes),
        )
        .route(
            "/clusters/{cluster}/codes/latest",
            get(control::latest_code),
        )
        .route(
            "/clusters/{cluster}/policy",
            get(control::get_policy).put(control::put_policy),
        )
        .route("/clusters/{cluster}/reset", post(control::reset_cluster))
}

/// Every route, with the error envelope, tracing and the body limit.
pub fn router(state: AppState) -> Router {
    Router::new()
        .nest("/v1", v1())
        .nest("/clusters/{cluster}/v1", v1())
        .nest("/_emulator", control())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::map_response_with_state(
            state.meta.clone(),
            error::render_envelope,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The matched route, not the raw path, keeps span fields low-cardinality.
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), route)
        }))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::NotFound {
        rule: "route",
        message: format!("No such endpoint: {method} {}", uri.path()),
    }
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
