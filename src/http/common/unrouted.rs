//! Requests no route took: the failure each surface's fallback answers (with the route the
//! request most likely meant), and their count and journal entry, so that
//! `requests/unmatched` shows them as WireMock shows its near misses.

use std::borrow::Cow;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::HeaderValue;

use super::access_log::Served;
use super::error::{ApiError, REASON_HEADER};
use super::extract::cluster_name;
use super::paths::{method_name, not_emulated, vendor_path};
use super::state::AppState;
use crate::store::journal::Entry;

/// Where Graph's own errors, which have no `error_data`, and the near misses of unrouted
/// requests tell a test what to fix.
pub const DETAILS_HEADER: &str = "x-emulator-details";

/// The failure of `method path` that no route has: "not emulated here" for paths of the real
/// On-Premises API, else "no such endpoint" naming the route it most likely meant (`near`).
pub fn no_route(state: &AppState, method: &http::Method, path: &str, near: bool) -> ApiError {
    let request = format!("{method} {path}");
    let vendor = vendor_path(path);
    if not_emulated(vendor) {
        return ApiError::NotEmulated { request };
    }
    let near_miss = near
        .then(|| state.routes.near_miss(method.as_str(), vendor))
        .flatten();
    ApiError::NoRoute { request, near_miss }
}

/// `X-Emulator-Details: the closest route: …` for the answer to `error`, when it names one.
fn near_miss_details(error: &ApiError) -> Option<HeaderValue> {
    match error {
        ApiError::NoRoute {
            near_miss: Some(meant),
            ..
        } => HeaderValue::from_str(&format!("the closest route: {meant}")).ok(),
        _ => None,
    }
}

/// The answer to `request`, which no route took, in the vendor's envelope: `error`, with its
/// near miss named, `meta`, counted and journaled.
pub fn answer(state: &AppState, request: &Request, error: ApiError) -> Response {
    let details = near_miss_details(&error);
    let mut response = error.into_response();
    if let Some(details) = details {
        response.headers_mut().insert(DETAILS_HEADER, details);
    }
    state.meta.complete(&mut response);
    finish(state, request, response)
}

/// Notes on `response` to `request`, which no route took, what the access log prints, counts it
/// and journals it.
pub fn finish(state: &AppState, request: &Request, mut response: Response) -> Response {
    let (method, path) = (request.method(), request.uri().path());
    if let Some(served) = Served::of(method, path) {
        served.mark(&mut response, None);
    }
    journal(state, method, path, request.headers(), &response);
    response
}

/// Counts a request that no route took (`response` its answer) and journals it in the cluster it
/// names (its path's `/clusters/{name}`, `X-Emulator-Cluster`, else `default`), so that
/// `requests/unmatched` shows it with the route it most likely meant. Control paths, and names
/// that are not valid, journal nothing.
pub fn journal(
    state: &AppState,
    method: &http::Method,
    path: &str,
    headers: &http::HeaderMap,
    response: &Response,
) {
    state.metrics.unrouted(response.status().as_u16());
    let journal_path = vendor_path(path);
    if journal_path.starts_with("/_emulator") {
        return;
    }
    let named = path
        .strip_prefix("/clusters/")
        .and_then(|rest| rest.split('/').next());
    let Ok(name) = cluster_name(named, headers, true) else {
        return;
    };
    let Ok(cluster) = state.store.cluster(&name) else {
        return;
    };
    if !cluster.journal_enabled() {
        return;
    }
    let reason = response
        .headers()
        .get(REASON_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|r| Cow::Owned(r.to_owned()));
    cluster.record(Entry {
        at: cluster.now(),
        method: method_name(method),
        path: journal_path.into(),
        status: response.status().as_u16(),
        reason,
        body: None,
        truncated: false,
    });
}

/// A routed path of the On-Premises or control API asked with a method it does not take (the
/// router adds `Allow`).
pub async fn method_not_allowed(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
) -> Response {
    answer(&state, &request, ApiError::MethodNotAllowed)
}

/// A path of the On-Premises or control API that no route has: "not emulated here" for a path
/// of the real API, else "no such endpoint" with the route it most likely meant.
pub async fn no_such_route(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
) -> Response {
    let error = no_route(&state, request.method(), request.uri().path(), true);
    answer(&state, &request, error)
}
