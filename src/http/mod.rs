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

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, HttpBody};
use axum::http::{Method, Request, Uri};
use axum::response::Response;
use axum::{BoxError, Router, middleware};
use bytes::Bytes;
use http_body_util::Limited;
use tower::Service;

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

/// The whole application as one service: every route, the vendor's error envelope and the
/// body limit.
///
/// The envelope and the limit are applied here, around the router, rather than as router
/// layers: a layer wraps every route in another boxed service that is cloned on each request,
/// and the profile showed those clones (and tracing's span per request) as a good share of the
/// time the emulator adds to a plain axum server.
#[derive(Clone)]
pub struct App {
    router: Router,
    meta: Meta,
}

/// Every route, with the error envelope and the body limit.
pub fn router(state: AppState) -> App {
    let meta = state.meta.clone();
    let router = v1(&state)
        .merge(control(&state))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    App { router, meta }
}

impl App {
    /// The answer to `request`. Bodies over [`BODY_LIMIT`] are refused with 413/1025 by the
    /// extractors that read them; with `RUST_LOG=debug`, each request is logged.
    pub async fn respond<B>(&self, request: Request<B>) -> Response
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let request = request.map(|body| Body::new(Limited::new(body, BODY_LIMIT)));
        let logged = tracing::enabled!(tracing::Level::DEBUG).then(|| {
            (
                Instant::now(),
                request.method().clone(),
                request.uri().clone(),
            )
        });
        let mut router = self.router.clone();
        let response = match router.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let response = error::render_envelope(&self.meta, response);
        if let Some((started, method, uri)) = logged {
            tracing::debug!(
                %method,
                path = uri.path(),
                status = response.status().as_u16(),
                micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "request"
            );
        }
        response
    }
}

impl<B> Service<Request<B>> for App
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let app = self.clone();
        Box::pin(async move { Ok(app.respond(request).await) })
    }
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
