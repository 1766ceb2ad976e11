//! Writing what a route decided as an HTTP answer, in one place: `meta` on vendor answers; on
//! errors the envelope, the status, `X-Emulator-Reason` and `WWW-Authenticate`; and what the
//! access log needs, in the response's extensions.

use std::sync::LazyLock;

use axum::body::Body;
use axum::response::IntoResponse;
use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};

use super::Response;
use super::access_log::Served;
use super::envelope::{Kind, Meta, Reply};
use super::error::{ApiError, REASON_HEADER, Severity};
use super::handoff;
use super::paths::{not_emulated, vendor_path};
use super::routes::Access;
use super::state::AppState;

/// What a route answered, before it is written.
pub enum Outcome {
    Reply(Reply),
    Error(ApiError),
    /// An answer a fault forces as it is (a broken body, or no answer at all).
    Raw(Response),
    /// An answer a handler wrote itself (the event stream), sent as it is.
    Written(Response),
}

/// A reply as a handler returns it: a placeholder with its status, the reply itself handed
/// back to the pipeline, which writes the answer (with `meta`, journal and log).
impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        placeholder(self.status, Ok(self))
    }
}

/// A failure as a handler or an extractor returns it: a placeholder, the error itself handed
/// back to the pipeline, which writes its envelope.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        placeholder(StatusCode::INTERNAL_SERVER_ERROR, Err(self))
    }
}

/// A placeholder answer with `status`; `answer` goes back to the pipeline through the handoff,
/// or (outside the pipeline) in the response's extensions, as in axum's error-handling example.
fn placeholder(status: StatusCode, answer: handoff::Answer) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    match handoff::leave(answer) {
        None => {}
        Some(Ok(reply)) => {
            response.extensions_mut().insert(reply);
        }
        Some(Err(error)) => {
            response.extensions_mut().insert(error);
        }
    }
    response
}

impl From<Result<Reply, ApiError>> for Outcome {
    fn from(result: Result<Reply, ApiError>) -> Self {
        match result {
            Ok(reply) => Self::Reply(reply),
            Err(error) => Self::Error(error),
        }
    }
}

/// A JSON answer.
pub fn json_response(status: StatusCode, body: Bytes) -> Response {
    let length = content_length(body.len());
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, length);
    }
    response
}

/// Bodies up to this length get their `Content-Length` from a table made once.
const LENGTHS: usize = 1024;

/// The `Content-Length` of a body of `len` bytes, from a table of header values made once,
/// without allocating (axum otherwise formats one for every answer); `None` for a longer
/// body, whose length axum sets.
fn content_length(len: usize) -> Option<HeaderValue> {
    static TABLE: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
        // Every number's text end to end, made once and kept for the life of the process.
        let mut text = String::new();
        let ends: Vec<usize> = (0..LENGTHS)
            .map(|n| {
                text.push_str(&n.to_string());
                text.len()
            })
            .collect();
        let text: &'static str = text.leak();
        let starts = std::iter::once(0).chain(ends.iter().copied());
        starts
            .zip(&ends)
            .map(|(start, &end)| HeaderValue::from_static(&text[start..end]))
            .collect()
    });
    TABLE.get(len).cloned()
}

/// Writes an outcome of a route with access rule `access`.
pub fn write(meta: &Meta, outcome: Outcome, access: Access) -> Response {
    match outcome {
        Outcome::Raw(mut response) => {
            response.extensions_mut().insert(Severity::Forced);
            response
        }
        Outcome::Written(response) => response,
        Outcome::Reply(reply) => reply_response(meta, reply),
        Outcome::Error(error) => error_response(meta, &error, access),
    }
}

fn reply_response(meta: &Meta, reply: Reply) -> Response {
    let body = match reply.kind {
        Kind::Vendor => meta.splice(&reply.body),
        // A long body (the OpenAPI document, the console) is handed over, not copied again.
        Kind::Control if reply.body.spilled() => reply.body.into_vec().into(),
        Kind::Control => Bytes::copy_from_slice(&reply.body),
    };
    let mut response = json_response(reply.status, body);
    if reply.content_type != "application/json" {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(reply.content_type),
        );
    }
    if let Some(location) = reply.location {
        response
            .headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static(location));
    }
    response
}

/// The answer to a failure: its status, envelope and headers.
pub fn error_response(meta: &Meta, error: &ApiError, access: Access) -> Response {
    if access == Access::Graph {
        return super::graph::wire::graph_error_response(error);
    }
    let wire = error.wire();
    if wire.severity == Severity::Internal {
        tracing::error!(error = %error, "internal failure");
    }
    let mut response = json_response(wire.status, wire.envelope(meta));
    response.extensions_mut().insert(wire.severity);
    let headers = response.headers_mut();
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
    response
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
    let error = if not_emulated(vendor) {
        ApiError::NotEmulated { request: asked }
    } else {
        ApiError::NoRoute { request: asked }
    };
    let graph = vendor
        .split('/')
        .nth(1)
        .is_some_and(super::graph::is_version);
    let access = if graph { Access::Graph } else { Access::Open };
    let mut response = error_response(&state.meta, &error, access);
    mark_served(&mut response, method, path, None);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_comes_from_the_table_up_to_its_end() {
        for len in [0, 7, 10, 99, 100, 512, LENGTHS - 1] {
            assert_eq!(content_length(len).unwrap(), len.to_string().as_str());
        }
        assert_eq!(content_length(LENGTHS), None);
        let response = json_response(StatusCode::OK, Bytes::from_static(b"{\"a\":1}"));
        assert_eq!(response.headers()[header::CONTENT_LENGTH], "7");
    }
}
