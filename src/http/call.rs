//! One call of a route: everything the application worked out before the handler runs (the
//! cluster, who is calling, the body parsed once), passed to the handler as a plain value.
//!
//! Also the readers of the request's parts that decide it: the cluster name, HTTP Basic and
//! Bearer credentials, the content type and the query string.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header;
use serde::de::DeserializeOwned;

use super::AppState;
use super::envelope::Reply;
use super::error::{ApiError, invalid_request};
use crate::domain::Error;
use crate::domain::json::Object;
use crate::store::{Cluster, DEFAULT_CLUSTER, is_valid_cluster_name};

/// Header that picks the cluster of a plain `/v1/...` request.
pub const CLUSTER_HEADER: &str = "x-emulator-cluster";

/// What a handler returns.
pub type Answer<'c> = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send + 'c>>;

/// A route's handler.
pub type Handler = for<'c> fn(&'c Call<'c>) -> Answer<'c>;

/// HTTP Basic credentials.
#[derive(Debug)]
pub struct Credentials {
    decoded: String,
    colon: usize,
}

impl Credentials {
    /// The user name.
    pub fn username(&self) -> &str {
        &self.decoded[..self.colon]
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.decoded[self.colon + 1..]
    }
}

/// One call of a route.
pub struct Call<'r> {
    /// The application's state.
    pub state: &'r AppState,
    /// The cluster addressed.
    pub cluster: Arc<Cluster>,
    /// The token of the call, on routes that take one.
    pub token: Option<&'r str>,
    /// HTTP Basic credentials, on the login route.
    pub credentials: Option<Credentials>,
    /// The path parameter besides `{cluster}` (`{username}`, `{node}`), percent-decoded by the
    /// router.
    pub param: Option<Cow<'r, str>>,
    /// The query string.
    pub query: &'r str,
    /// Whether the client asks for HTML first (a browser).
    pub accepts_html: bool,
    /// The body as sent.
    pub raw: &'r [u8],
    /// The body as a JSON object, on routes that take one.
    pub body: Option<Object<'r>>,
    /// Whether the body is a form (`application/x-www-form-urlencoded`).
    pub form_body: bool,
}

impl<'r> Call<'r> {
    /// The body; an empty object where an optional body was not sent.
    pub fn object(&self) -> &Object<'r> {
        static EMPTY: Object<'static> = Object::EMPTY;
        self.body.as_ref().unwrap_or(&EMPTY)
    }

    /// `{username}` of the path.
    pub fn username(&self) -> &str {
        self.param.as_deref().unwrap_or_default()
    }

    /// `{node}` of the path.
    pub fn node(&self) -> &str {
        self.param.as_deref().unwrap_or_default()
    }

    /// The query string as `T`.
    pub fn query<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_urlencoded::from_str(self.query).map_err(|e| {
            invalid_request(
                "query",
                format!("The query string is not valid: Failed to deserialize query string: {e}"),
            )
        })
    }
}

/// The cluster a request addresses: the `{cluster}` path segment (percent-decoded by the
/// router), else (when `header` is allowed) the `X-Emulator-Cluster` header, else `default`.
pub fn cluster_name<'r>(
    from_path: Option<&'r str>,
    headers: &'r HeaderMap,
    header: bool,
) -> Result<Cow<'r, str>, ApiError> {
    let name = match from_path {
        Some(name) => Cow::Borrowed(name),
        None => match headers.get(CLUSTER_HEADER).filter(|_| header) {
            Some(value) => Cow::Borrowed(value.to_str().unwrap_or("\u{fffd}")),
            None => return Ok(Cow::Borrowed(DEFAULT_CLUSTER)),
        },
    };
    if is_valid_cluster_name(&name) {
        Ok(name)
    } else {
        Err(invalid_request(
            "cluster_name",
            format!(
                "Cluster name {name:?} is not valid: use 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-', not only dots"
            ),
        ))
    }
}

/// The credentials of `Authorization: <scheme> <credentials>`, the scheme matched in any case
/// (RFC 9110).
fn authorization<'h>(headers: &'h HeaderMap, scheme: &str) -> Option<Option<&'h str>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let given = value.to_str().ok().and_then(|v| {
        let (name, rest) = v.split_once(' ')?;
        name.eq_ignore_ascii_case(scheme).then_some(rest.trim())
    });
    Some(given)
}

/// The Bearer token of the request.
pub fn bearer(headers: &HeaderMap) -> Result<&str, Error> {
    match authorization(headers, "Bearer") {
        None => Err(Error::Unauthenticated {
            rule: "missing_token",
            message: "Authorization: Bearer <token> is required; get a token with POST /v1/users/login",
        }),
        Some(token) => token
            .filter(|t| !t.is_empty())
            .ok_or(Error::Unauthenticated {
                rule: "malformed_token",
                message: "The Authorization header must be 'Bearer <token>'",
            }),
    }
}

/// The HTTP Basic credentials of the request.
pub fn basic(headers: &HeaderMap) -> Result<Credentials, Error> {
    const MISSING: Error = Error::Unauthenticated {
        rule: "missing_credentials",
        message: "Authorization: Basic base64(username:password) is required",
    };
    let given = authorization(headers, "Basic").ok_or(MISSING)?;
    let decoded = given
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(Error::Unauthenticated {
            rule: "malformed_credentials",
            message: "The Authorization header must be 'Basic base64(username:password)'",
        })?;
    let colon = decoded.find(':').ok_or(MISSING)?;
    Ok(Credentials { decoded, colon })
}

/// Refuses a body whose `Content-Type` is set and is not JSON. A missing type is taken as JSON
/// (as `curl -d` users forget it).
pub fn check_json_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let ct = value.to_str().unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    let json_suffix = essence
        .get(essence.len().saturating_sub(5)..)
        .is_some_and(|tail| tail.eq_ignore_ascii_case("+json"));
    if essence.eq_ignore_ascii_case("application/json") || json_suffix {
        Ok(())
    } else {
        Err(invalid_request(
            "content_type",
            format!("Content-Type must be application/json (got {ct:?})"),
        ))
    }
}
