//! The HTTP surface: one [`router`] lists every route of the vendor API (`/v1`, also under
//! `/clusters/{cluster}/v1`) and of the emulator's control API (`/_emulator`).

mod account;
mod control;
pub mod extract;
mod health;
pub mod openapi;
pub mod routes;
mod settings;
mod testing;
mod users;
mod vendor;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{Method, Uri};
use axum::middleware;
use tower_http::trace::TraceLayer;

use self::routes::{Access, Surface};
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
    /// Who may use the control API.
    pub control: ControlAccess,
}

/// Who may use `/_emulator` (its health probe is always open).
#[derive(Debug, Clone)]
pub struct ControlAccess {
    /// Whether the control routes exist at all.
    pub enabled: bool,
    /// The Bearer token they require, if any.
    pub token: Option<Arc<str>>,
}

/// The routes of the table that `keep` selects.
///
/// Each route is registered at its full path under every mount of its surface, rather than
/// through `nest`: one routing step per request, and no rewritten URI.
fn table(keep: impl Fn(&routes::Route) -> bool) -> Router<AppState> {
    routes::ROUTES
        .iter()
        .filter(|r| keep(r))
        .flat_map(|r| r.surface.mounts().iter().map(move |mount| (r, mount)))
        .fold(Router::new(), |router, (r, mount)| {
            router.route(&format!("{mount}{}", r.path), routes::handler(r))
        })
}

/// The vendor API, at `/v1` and at `/clusters/{cluster}/v1`, behind the middleware that
/// fires faults and keeps the journal.
fn v1(state: &AppState) -> Router<AppState> {
    table(|r| r.surface == Surface::Vendor).route_layer(middleware::from_fn_with_state(
        state.clone(),
        vendor::faults_and_journal,
    ))
}

/// The emulator's own API for tests; `GET /_emulator/health` is always there, the rest only
/// when enabled, and behind the control token when one is set.
fn control(state: &AppState) -> Router<AppState> {
    let open = table(|r| r.surface == Surface::Control && r.access == Access::Open);
    if !state.control.enabled {
        return open;
    }
    let guarded = table(|r| r.surface == Surface::Control && r.access != Access::Open).route_layer(
        middleware::from_fn_with_state(state.control.clone(), control::require_token),
    );
    open.merge(guarded)
}

/// Every route, with the error envelope, tracing and the body limit.
pub fn router(state: AppState) -> Router {
    v1(&state)
        .merge(control(&state))
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
            tracing::debug_span!("request", method = %req.method(), route)
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
