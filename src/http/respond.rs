//! Writing what a route decided as an HTTP answer, in one place: `meta` on vendor answers; on
//! errors the envelope, the status, `X-Emulator-Reason` and `WWW-Authenticate`; and what the
//! access log needs, in the response's extensions.

use std::borrow::Cow;

use axum::body::Body;
use axum::response::IntoResponse;
use http::Method;
use http::header::{self, HeaderValue};

use super::Response;
use super::access_log::Served;
use super::envelope::{Kind, Meta, Reply};
use super::error::{ApiError, REASON_HEADER, Severity};
use super::paths::{not_emulated, vendor_path};
use super::routes::Access;
use super::state::AppState;

/// A reply as a handler returns it: an answer with the reply's status, the reply itself in the
/// response's extensions, where the pipeline takes it and writes the body with `meta` (see
/// [`finish`]).
impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// A failure as a handler or an extractor returns it: an answer with the error's status, the
/// error itself in the response's extensions, where the pipeline takes it and writes the
/// envelope of the route's surface (see [`finish`]).
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.wire().status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Writes the typed answer `response` carries (a [`Reply`] or an [`ApiError`]) into it, as a
/// route with access rule `access` answers; gives it back with the rule that decided it, for
/// the journal. An answer with neither (the event stream, a fault's broken answer) is left as
/// it is.
pub fn finish(
    meta: &Meta,
    mut response: Response,
    access: Access,
) -> (Response, Option<Cow<'static, str>>) {
    if let Some(reply) = response.extensions_mut().remove::<Reply>() {
        let decided = reply.decided.map(Cow::Borrowed);
        write_reply(meta, reply, &mut response);
        return (response, decided);
    }
    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        let reason = write_error(meta, &error, access, &mut response);
        return (response, Some(reason));
    }
    (response, None)
}

fn write_reply(meta: &Meta, reply: Reply, response: &mut Response) {
    let body = match reply.kind {
        Kind::Vendor => meta.splice(&reply.body),
        Kind::Control => reply.body,
    };
    *response.status_mut() = reply.status;
    *response.body_mut() = Body::from(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    if let Some(location) = reply.location {
        headers.insert(header::LOCATION, HeaderValue::from_static(location));
    }
}

/// The answer to a failure, on its own: its status, envelope and headers.
pub fn error_response(meta: &Meta, error: &ApiError, access: Access) -> Response {
    let mut response = Response::default();
    write_error(meta, error, access, &mut response);
    response
}

/// Writes the answer to a failure into `response`: the status, the envelope of the route's
/// surface and the headers; gives back the rule that decided it.
fn write_error(
    meta: &Meta,
    error: &ApiError,
    access: Access,
    response: &mut Response,
) -> Cow<'static, str> {
    if access == Access::Graph {
        return super::graph::wire::write_graph_error(error, response);
    }
    let wire = error.wire();
    if wire.severity == Severity::Internal {
        tracing::error!(error = %error, "internal failure");
    }
    *response.status_mut() = wire.status;
    *response.body_mut() = Body::from(wire.envelope(meta));
    response.extensions_mut().insert(wire.severity);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let ApiError::BodyTimeout(_) = error {
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if let Ok(value) = HeaderValue::from_str(&wire.reason) {
        headers.insert(REASON_HEADER, value);
    }
    if error.is_unauthenticated() {
        let challenge = if access == Access::Basic {
            "Basic realm=\"WhatsApp\""
        } else {
            "Bearer realm=\"WhatsApp\""
        };
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
    }
    wire.reason
}

/// Notes on `response` what the access log prints of it, when the log is on.
pub fn mark_served(response: &mut Response, method: &Method, path: &str, cluster: Option<&str>) {
    if let Some(served) = Served::of(method, path) {
        served.mark(response, cluster);
    }
}

/// The answer to `method path` that no route has.
pub fn unrouted(state: &AppState, method: &http::Method, path: &str) -> Response {
    let asked = format!("{method} {path}");
    let vendor = vendor_path(path);
    let graph = vendor
        .split('/')
        .nth(1)
        .is_some_and(super::graph::is_version);
    // The route it most likely meant, in the details and in `X-Emulator-Details`, as Graph's
    // own 404s carry theirs.
    let near_miss = (!graph)
        .then(|| state.routes.near_miss(method.as_str(), vendor))
        .flatten();
    let error = if not_emulated(vendor) {
        ApiError::NotEmulated { request: asked }
    } else {
        ApiError::NoRoute {
            request: asked,
            near_miss: near_miss.clone(),
        }
    };
    let access = if graph { Access::Graph } else { Access::Open };
    let mut response = error_response(&state.meta, &error, access);
    if let Some(meant) = near_miss.filter(|_| matches!(error, ApiError::NoRoute { .. }))
        && let Ok(value) = http::HeaderValue::from_str(&format!("the closest route: {meant}"))
    {
        response
            .headers_mut()
            .insert(super::graph::wire::DETAILS_HEADER, value);
    }
    mark_served(&mut response, method, path, None);
    response
}
