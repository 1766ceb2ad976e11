//! The Cloud API (Meta's Graph API): phone-number registration at `/{version}/…` (any
//! `vNN.N` Graph has had) and `/clusters/{cluster}/{version}/…`, and the migration of a
//! cluster's On-Premises number to it. Answers are Graph's: `{"success": true}`, objects as
//! they are, and errors in the `{"error": {…}}` envelope ([`GraphError`]).
//!
//! Its router stands behind the others, as the application's fallback: its paths begin with a
//! parameter, so a path of another surface is never matched against them; what no surface
//! routes is answered here.

pub mod extract;
pub mod numbers;
pub mod params;
pub mod registration;
mod routes;
pub mod subscriptions;
pub mod wire;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::request::Parts;

pub use extract::{GraphId, GraphToken};
pub use routes::ROUTES;
pub use wire::GraphError;

use crate::domain::cloud::version;
use crate::http::common::AppState;
use crate::http::common::error::ApiError;
use crate::http::common::extract::PathParams;
use crate::http::common::paths::vendor_path;
use crate::http::common::route::rows_router;
use crate::http::common::traffic::TrafficLayer;
use crate::http::common::unrouted;

/// The Cloud API's router, with the application's last answers: its rows, each behind the
/// [`TrafficLayer`] (a version Graph never had answered before it), Graph's own answer to a
/// method an object does not take, and the answer to any path no surface routes.
pub fn router(
    state: &AppState,
) -> impl tower::Service<
    Request,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    let graph = rows_router(state, ROUTES, |route| {
        TrafficLayer::new(
            state,
            route,
            route.index_in(&state.routes),
            write_error,
            Some(unknown_version),
        )
    })
    .fallback(no_route)
    .method_not_allowed_fallback(method_not_allowed)
    .with_state(state.clone())
    .layer(axum::middleware::from_fn(as_graph_answers));
    // Graph serves an app's calls without a version as its default version: so do these.
    let default = state.graph_version.clone();
    tower::ServiceExt::map_request(graph, move |mut request: Request| {
        if let Some(uri) = versioned(request.uri(), &default) {
            *request.uri_mut() = uri;
        }
        request
    })
}

/// A failure in Graph's envelope.
fn write_error(error: ApiError) -> Response {
    GraphError(error).into_response()
}

/// The answer to a path that only Graph's patterns matched but whose version Graph never had
/// (`/v99.0/{id}/register`: 2500), or whose first segment is no version at all (`/foo/1`: no
/// such endpoint).
fn unknown_version(state: &AppState, parts: &Parts, params: &PathParams) -> Option<Response> {
    let known = params.version.as_deref().is_some_and(version::is_known);
    if known {
        return None;
    }
    let request = Request::from_parts(parts.clone(), axum::body::Body::empty());
    Some(unrouted_answer(state, &request))
}

/// A path no surface routes: Graph's "Unknown path components" below a Graph version, else
/// "no such endpoint" in the vendor's envelope, with the route it most likely meant.
async fn no_route(State(state): State<AppState>, request: Request) -> Response {
    unrouted_answer(&state, &request)
}

fn unrouted_answer(state: &AppState, request: &Request) -> Response {
    let (method, path) = (request.method(), request.uri().path());
    if is_graph_path(path) {
        let error = unrouted::no_route(state, method, path, false);
        return unrouted::finish(state, request, write_error(error));
    }
    unrouted::answer(
        state,
        request,
        unrouted::no_route(state, method, path, true),
    )
}

/// Whether `path`'s first segment (after its cluster) looks like a Graph version: `v` or `V`
/// and a digit (`/v23.0/…`, and `/v23/…` or `/V23.0/…`, which Graph answers as unknown paths).
fn is_graph_path(path: &str) -> bool {
    vendor_path(path)
        .split('/')
        .nth(1)
        .and_then(|segment| segment.strip_prefix(['v', 'V']))
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// `facebook-api-version` and `x-fb-trace-id` on every answer of a Graph path, as Graph sends
/// them; with `suppress_http_code=1`, an error answered 200 (its body unchanged), as Graph does
/// for clients that cannot read a body of a 4xx.
async fn as_graph_answers(request: Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path();
    let served = vendor_path(path)
        .split('/')
        .nth(1)
        .filter(|segment| version::is_known(segment))
        .and_then(|segment| http::HeaderValue::from_str(segment).ok());
    let graph = is_graph_path(path);
    let suppress = crate::http::common::extract::query_value(request.uri(), "suppress_http_code")
        .is_some_and(|v| matches!(v.as_str(), "1" | "true"));
    let mut response = next.run(request).await;
    if !graph {
        return response;
    }
    let headers = response.headers_mut();
    if let Some(version) = served {
        headers.insert(API_VERSION_HEADER, version);
    }
    if !headers.contains_key(wire::TRACE_HEADER)
        && let Ok(trace) = http::HeaderValue::from_str(&wire::fbtrace_id())
    {
        headers.insert(wire::TRACE_HEADER, trace);
    }
    if suppress && !response.status().is_success() {
        *response.status_mut() = http::StatusCode::OK;
    }
    response
}

/// The header naming the Graph version that served a call.
pub const API_VERSION_HEADER: &str = "facebook-api-version";

/// A Graph path asked with a method its object does not take (`DELETE /v23.0/{id}`,
/// `GET /v23.0/{id}/register`): Graph's "Unsupported delete request", 100 / 33. A path of
/// another surface that only the Graph routes' patterns matched is unrouted.
async fn method_not_allowed(State(state): State<AppState>, request: Request) -> Response {
    let (method, path) = (request.method(), request.uri().path());
    match wire::unsupported(method, path) {
        None => unrouted_answer(&state, &request),
        Some(error) => {
            let error = ApiError::from(crate::domain::Error::Cloud(error));
            unrouted::finish(&state, &request, write_error(error))
        }
    }
}

/// `uri` with `version` put in front of its Graph path when it has none: `/{id}/register`
/// → `/v26.0/{id}/register`, `/clusters/c/{id}` → `/clusters/c/v26.0/{id}`. Graph ids are
/// digits, which no other path of the emulator begins with.
fn versioned(uri: &http::Uri, version: &str) -> Option<http::Uri> {
    let path = uri.path();
    let rest = vendor_path(path);
    let id = rest.strip_prefix('/')?.split('/').next()?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix = &path[..path.len() - rest.len()];
    let path_and_query = match uri.query() {
        Some(query) => format!("{prefix}/{version}{rest}?{query}"),
        None => format!("{prefix}/{version}{rest}"),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    http::Uri::from_parts(parts).ok()
}
