//! A failure as the Graph surface answers it: its HTTP status and
//! `{"error": {"message": "(#CODE) Title", "type", "code", "error_subcode"?, "error_data":
//! {"messaging_product": "whatsapp", "details"}, "fbtrace_id"}}` for WhatsApp's codes and
//! parameter errors; Graph's own errors (tokens, objects, paths) without the `(#CODE)` prefix
//! and without `error_data`, as Graph writes them, their details in `X-Emulator-Details`
//! instead. `X-Emulator-Reason` names the rule either way.

use std::borrow::Cow;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::{self, HeaderValue};
use rand::Rng;

use crate::domain::Error;
use crate::domain::cloud::{CloudError, CloudErrorTitle, title, version};
use crate::http::common::Decision;
use crate::http::common::error::{ApiError, REASON_HEADER, Severity};
use crate::http::common::unrouted::DETAILS_HEADER;

/// A failure as the Graph surface answers it: any failure (the Cloud API's own, or one every
/// surface shares, such as a body too large), written in Graph's envelope. Graph's handlers and
/// extractors fail with it; `?` turns any failure into it.
#[derive(Debug)]
pub struct GraphError(pub ApiError);

impl<E: Into<ApiError>> From<E> for GraphError {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

/// A Graph error's parts.
#[derive(Debug)]
pub struct GraphWire {
    /// HTTP status.
    pub status: StatusCode,
    /// Graph error code.
    pub code: u32,
    /// `error_subcode`, where Graph gives one.
    pub subcode: Option<u32>,
    /// `type`.
    pub kind: &'static str,
    /// `message`: `(#code) title`, or the title alone for Graph's own errors.
    pub message: String,
    /// `error_data.details`, or `X-Emulator-Details` for Graph's own errors.
    pub details: Cow<'static, str>,
    /// Whether the envelope has `error_data` (WhatsApp's codes and parameter errors).
    pub error_data: bool,
    /// `X-Emulator-Reason`.
    pub reason: Cow<'static, str>,
    /// How the access log treats it.
    pub severity: Severity,
}

/// The status of each Cloud API failure: 401 for a token Graph refuses (190, as Meta's
/// error-code table gives it), 400 for everything else (the table's status for each
/// registration code; 104 and 2500 as the answers people pasted show them).
fn cloud_status(e: &CloudError) -> StatusCode {
    match e {
        CloudError::Token { missing: false } | CloudError::TokenExpired { .. } => {
            StatusCode::UNAUTHORIZED
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The Graph form of any failure: the Cloud API's own with their codes; the rest as Graph
/// answers them (parameters 100, credentials 190, the emulator's own failures 1 or 2).
pub fn graph_wire(error: &ApiError) -> GraphWire {
    let generic =
        |status, code: u32, details: Cow<'static, str>, reason: Cow<'static, str>| GraphWire {
            status,
            code,
            subcode: None,
            kind: "OAuthException",
            message: format!("(#{code}) {}", title(code)),
            details,
            error_data: true,
            reason,
            severity: Severity::Normal,
        };
    match error {
        ApiError::Domain(Error::Cloud(e)) => GraphWire {
            status: cloud_status(e),
            code: e.code(),
            subcode: e.subcode(),
            kind: e.kind(),
            message: CloudErrorTitle(e).to_string(),
            details: e.details(),
            error_data: e.has_error_data(),
            reason: e.reason(),
            severity: Severity::Normal,
        },
        ApiError::Domain(Error::Vendor(v)) => GraphWire {
            status: StatusCode::from_u16(v.status).unwrap_or(StatusCode::BAD_REQUEST),
            code: v.code,
            subcode: None,
            kind: "OAuthException",
            message: format!(
                "(#{}) {}",
                v.code,
                v.title.as_deref().unwrap_or_else(|| title(v.code))
            ),
            details: v.details.clone().into(),
            error_data: true,
            reason: v.rule.clone().into(),
            severity: Severity::Forced,
        },
        ApiError::Domain(e @ Error::Storage(_)) => GraphWire {
            severity: Severity::Internal,
            ..generic(
                StatusCode::INTERNAL_SERVER_ERROR,
                1,
                e.details(),
                e.reason(),
            )
        },
        ApiError::Domain(e @ (Error::NotReady | Error::Unavailable { .. })) => {
            generic(StatusCode::SERVICE_UNAVAILABLE, 2, e.details(), e.reason())
        }
        ApiError::Domain(e @ Error::Limit { .. }) => {
            generic(StatusCode::TOO_MANY_REQUESTS, 4, e.details(), e.reason())
        }
        ApiError::Domain(e) => generic(StatusCode::BAD_REQUEST, 100, e.details(), e.reason()),
        ApiError::NoRoute { request, .. } | ApiError::NotEmulated { request } => {
            let path = request.split_once(' ').map_or(request.as_str(), |(_, p)| p);
            graph_wire(&ApiError::Domain(Error::Cloud(unknown_path(path))))
        }
        ApiError::MethodNotAllowed => generic(
            StatusCode::BAD_REQUEST,
            100,
            "This path does not take that HTTP method".into(),
            "route.method_not_allowed".into(),
        ),
        bug @ (ApiError::Panicked | ApiError::Unlayered(_)) => GraphWire {
            severity: Severity::Internal,
            ..generic(
                StatusCode::INTERNAL_SERVER_ERROR,
                1,
                "The emulator failed while answering this request (a bug: please report it)".into(),
                bug.wire().reason,
            )
        },
        other => {
            let wire = other.wire();
            generic(wire.status, 100, wire.details, wire.reason)
        }
    }
}

/// The edges of a Graph object the emulator serves.
const EDGES: &[&str] = &[
    "phone_numbers",
    "request_code",
    "verify_code",
    "register",
    "deregister",
];

/// What Graph answers for `path` (a Graph path no route has): the components it cannot read,
/// after the object's id (`/v23.0/{id}/foo` → `/foo`), or after the version when Graph has no
/// such version (`/v99.0/{id}/register` → `/{id}/register`).
pub fn unknown_path(path: &str) -> CloudError {
    let graph = crate::http::common::paths::vendor_path(path);
    let (version, rest) = graph.strip_prefix('/').map_or((graph, ""), |p| {
        p.split_once('/').map_or((p, ""), |(v, r)| (v, r))
    });
    let components = if !version::is_known(version) {
        format!("/{rest}")
    } else {
        let mut segments = rest.split('/');
        let _id = segments.next();
        let mut unread: Vec<&str> = segments.collect();
        if unread.len() > 1 && EDGES.contains(&unread[0]) {
            unread.remove(0);
        }
        format!("/{}", unread.join("/"))
    };
    let details = if version::is_known(version) {
        format!(
            "No Graph route has this path: below /{{version}} the emulator serves /{{id}} and /{{id}}/{} (got {path})",
            EDGES.join(", /{id}/")
        )
    } else {
        format!(
            "Graph has no version {version}: the emulator serves v2.0 to {} (got {path})",
            version::NEWEST
        )
    };
    CloudError::UnknownPath {
        components,
        details: details.into(),
    }
}

/// What Graph answers for `method path` when the path's object does not take the method:
/// "Unsupported delete request. Object with ID '…' …" (100 / 33), or, below a version Graph
/// never had, unknown path components. `None` for a path that is not a Graph path.
pub fn unsupported(method: &http::Method, path: &str) -> Option<CloudError> {
    let graph = crate::http::common::paths::vendor_path(path);
    let mut segments = graph.strip_prefix('/')?.split('/');
    let version = segments.next()?;
    let looks_like_version = version
        .strip_prefix(['v', 'V'])
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    if !looks_like_version {
        return None;
    }
    if !version::is_known(version) {
        return Some(unknown_path(path));
    }
    let method = match method.as_str() {
        "GET" => "get",
        "POST" => "post",
        "DELETE" => "delete",
        "PUT" => "put",
        "PATCH" => "patch",
        "HEAD" => "head",
        "OPTIONS" => "options",
        _ => "unknown",
    };
    Some(CloudError::UnknownObject {
        id: segments.next().unwrap_or_default().to_owned(),
        method,
    })
}

/// A trace id as Graph gives one with every answer (`fbtrace_id`, `x-fb-trace-id`): 23
/// characters of base64url, as today's Graph writes them (`AXsgnV2Cm3ZMGF3dF_cfYIn`).
pub fn fbtrace_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    std::iter::once('A')
        .chain((1..23).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])))
        .collect()
}

/// The header Graph sends its trace id in, the `fbtrace_id` of an error.
pub const TRACE_HEADER: &str = "x-fb-trace-id";

/// Graph's error object, its keys in Graph's order.
#[derive(serde::Serialize)]
struct ErrorObject<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    code: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_subcode: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_data: Option<ErrorData<'a>>,
    fbtrace_id: &'a str,
}

#[derive(serde::Serialize)]
struct ErrorData<'a> {
    messaging_product: &'static str,
    details: &'a str,
}

#[derive(serde::Serialize)]
struct Envelope<'a> {
    error: ErrorObject<'a>,
}

/// `WWW-Authenticate` as Graph writes it on an OAuth error: the scheme, the realm, the error
/// (`invalid_token` for a token sent and refused, 190; else `invalid_request`, as for a call with
/// no token, 104, or without an active one, 2500) and the message.
fn challenge(wire: &GraphWire) -> Option<HeaderValue> {
    if wire.kind != "OAuthException" {
        return None;
    }
    let error = if wire.code == 190 {
        "invalid_token"
    } else {
        "invalid_request"
    };
    let message: String = wire
        .message
        .chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        })
        .collect();
    HeaderValue::from_str(&format!(
        "OAuth \"Facebook Platform\" \"{error}\" \"{message}\""
    ))
    .ok()
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let error = self.0;
        let wire = graph_wire(&error);
        if wire.severity == Severity::Internal {
            tracing::error!(error = %error, "internal failure");
        }
        let trace = fbtrace_id();
        let body = Envelope {
            error: ErrorObject {
                message: &wire.message,
                kind: wire.kind,
                code: wire.code,
                error_subcode: wire.subcode,
                error_data: wire.error_data.then_some(ErrorData {
                    messaging_product: "whatsapp",
                    details: &wire.details,
                }),
                fbtrace_id: &trace,
            },
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = Response::new(axum::body::Body::from(bytes));
        *response.status_mut() = wire.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(value) = HeaderValue::from_str(&trace) {
            headers.insert(TRACE_HEADER, value);
        }
        if let Ok(value) = HeaderValue::from_str(&wire.reason) {
            headers.insert(REASON_HEADER, value);
        }
        if !wire.error_data
            && let Ok(value) = HeaderValue::from_str(&wire.details)
        {
            headers.insert(DETAILS_HEADER, value);
        }
        if let Some(challenge) = challenge(&wire) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let ApiError::BodyTimeout(_) = error {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if wire.severity != Severity::Normal {
            response.extensions_mut().insert(wire.severity);
        }
        response.extensions_mut().insert(Decision {
            rule: Some(wire.reason),
            meta: None,
        });
        response
    }
}
