//! What a handler takes: the extractors a handler's signature names ([`InCluster`],
//! [`JsonBody`], [`RawBody`], [`Credentials`], [`BearerToken`], [`Username`], [`Node`],
//! [`GraphId`], [`Query`], [`AcceptsHtml`], and axum's `State`).
//!
//! Under the pipeline they read what it worked out once and left in the request's extensions as
//! a [`Call`] (the cluster, the credentials, the body read and parsed once); a handler mounted
//! on a router of its own (a test's) works the same without it, its extractors reading the
//! request themselves.
//!
//! Also the readers of the request's parts that decide a call: the cluster name, HTTP Basic and
//! Bearer credentials and the content type.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::HeaderMap;
use http::header;
use http::request::Parts;
use serde::de::DeserializeOwned;

use super::AppState;
use super::error::{ApiError, invalid_request};
use super::read::{ParsedBody, read_body};
use crate::domain::Error;
use crate::domain::json::{Object, ParseError};
use crate::store::{Cluster, DEFAULT_CLUSTER, is_valid_cluster_name};

/// Header that picks the cluster of a plain `/v1/...` request.
pub const CLUSTER_HEADER: http::HeaderName = http::HeaderName::from_static("x-emulator-cluster");

/// A route's handler, as the route table names it: an axum handler, called with the request and
/// the application's state (`axum::handler::Handler::call`).
pub type Handler = fn(Request, AppState) -> HandlerFuture;

/// What a [`Handler`] returns.
pub type HandlerFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = super::Response> + Send>>;

/// What the pipeline decided of one request before its handler runs, left in the request's
/// extensions: the cluster, the credentials it checked and the body it read and parsed once.
#[derive(Clone)]
pub struct Call {
    /// The cluster addressed, on the routes that address one.
    pub cluster: Option<Arc<Cluster>>,
    /// HTTP Basic credentials, on the login route.
    pub credentials: Option<Credentials>,
    /// The body, parsed (taken by the extractor that takes it).
    pub body: Option<ParsedBody>,
}

/// HTTP Basic credentials.
#[derive(Debug, Clone)]
pub struct Credentials {
    decoded: String,
    colon: usize,
}

impl Credentials {
    /// `decoded` (`username:password`) when it has a colon.
    pub fn split(decoded: String) -> Option<Self> {
        let colon = decoded.find(':')?;
        Some(Self { decoded, colon })
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.decoded[..self.colon]
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.decoded[self.colon + 1..]
    }
}

/// The cluster the request addresses.
pub struct InCluster(pub Arc<Cluster>);

impl FromRequestParts<AppState> for InCluster {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(cluster) = parts
            .extensions
            .get::<Call>()
            .and_then(|c| c.cluster.clone())
        {
            return Ok(Self(cluster));
        }
        // Without the pipeline: the cluster the path or the header names.
        let params = PathParams::read(parts).await?;
        let name = cluster_name(params.cluster.as_deref(), &parts.headers, true)?;
        Ok(Self(state.store.cluster(&name)?))
    }
}

/// The name of the cluster the request addresses (checked), for handlers that find or make the
/// cluster themselves ([`crate::http::routes::Addressing::Named`]).
pub struct ClusterName(pub Arc<str>);

impl<S: Send + Sync> FromRequestParts<S> for ClusterName {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let params = PathParams::read(parts).await?;
        let name = cluster_name(params.cluster.as_deref(), &parts.headers, true)?;
        Ok(Self(name.into()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Credentials {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let checked = parts
            .extensions
            .get_mut::<Call>()
            .and_then(|call| call.credentials.take());
        match checked {
            Some(credentials) => Ok(credentials),
            None => Ok(basic(&parts.headers)?),
        }
    }
}

/// The body of `request`: the one the pipeline read, or (without it) read here.
pub async fn take_body(request: Request, state: &AppState) -> Result<ParsedBody, ApiError> {
    let (mut parts, body) = request.into_parts();
    take_parts_body(&mut parts, body, state).await
}

/// The body of the request of `parts`: the one the pipeline read, or (without it) `body`.
pub async fn take_parts_body(
    parts: &mut Parts,
    body: axum::body::Body,
    state: &AppState,
) -> Result<ParsedBody, ApiError> {
    match parts
        .extensions
        .get_mut::<Call>()
        .and_then(|c| c.body.take())
    {
        Some(parsed) => Ok(parsed),
        None => Ok(ParsedBody::parse(
            read_body(body, state.body_timeout, super::read::BodyLimit::VENDOR).await?,
        )),
    }
}

/// The JSON object body, as the route's `reads` admitted it: an empty object where an optional
/// body was not sent (or the route reads none).
pub struct JsonBody(ParsedBody);

impl JsonBody {
    /// The object.
    pub fn object(&self) -> &Object<'_> {
        static EMPTY: Object<'static> = Object::EMPTY;
        match self.0.object() {
            Ok(Some(object)) => object,
            _ => &EMPTY,
        }
    }
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let body = take_body(request, state).await?;
        match body.object() {
            Ok(_) => Ok(Self(body)),
            // The pipeline refuses these before the handler runs; without it, they are refused
            // here alike.
            Err(e) => Err(body_error(e)),
        }
    }
}

/// Why a body that is not a JSON object is refused (1025).
pub fn body_error(e: &ParseError) -> ApiError {
    match e {
        ParseError::NotObject => {
            invalid_request("not_object", "The request body must be a JSON object")
        }
        ParseError::NotJson(e) => invalid_request(
            "not_json",
            format!("The request body is not valid JSON: {e}"),
        ),
    }
}

/// The body's bytes, as sent.
pub struct RawBody(pub Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(take_body(request, state).await?.raw().clone()))
    }
}

/// The Bearer token the request carries (admission has checked it).
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Self(bearer(&parts.headers)?.to_owned()))
    }
}

/// The path parameters of a request, percent-decoded by the router: `{cluster}`, a Graph
/// route's `{version}`, and the route's own (`{username}`, `{node}`, `{id}`).
pub struct PathParams {
    /// `{cluster}`, on routes mounted under `/clusters/{cluster}`.
    pub cluster: Option<Arc<str>>,
    /// `{version}` of a Graph route.
    pub version: Option<Arc<str>>,
    /// The route's own parameter.
    pub own: Option<Arc<str>>,
}

impl PathParams {
    /// The path parameters of the request of `parts`.
    pub async fn read(parts: &mut Parts) -> Result<Self, ApiError> {
        let raw = RawPathParams::from_request_parts(parts, &())
            .await
            .map_err(|_| invalid_request("path", "A path segment is not valid UTF-8"))?;
        let mut params = Self {
            cluster: None,
            version: None,
            own: None,
        };
        for (name, value) in &raw {
            let slot = match name {
                "cluster" => &mut params.cluster,
                "version" => &mut params.version,
                _ => &mut params.own,
            };
            *slot = Some(value.into());
        }
        Ok(params)
    }
}

/// `{username}` of the path.
pub struct Username(pub String);

/// `{node}` of the path (`coreappN`).
pub struct Node(pub String);

/// `{id}` of a Graph path: a phone number's, or the business account's.
pub struct GraphId(pub String);

macro_rules! path_param {
    ($($name:ident),*) => {$(
        impl<S: Send + Sync> FromRequestParts<S> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
                let own = PathParams::read(parts).await?.own;
                Ok(Self(own.as_deref().unwrap_or_default().to_owned()))
            }
        }
    )*};
}

path_param!(Username, Node, GraphId);

/// The query string as `T`.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query).map(Self).map_err(|e| {
            invalid_request(
                "query",
                format!("The query string is not valid: Failed to deserialize query string: {e}"),
            )
        })
    }
}

/// Whether the client asks for HTML first (a browser).
pub struct AcceptsHtml(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for AcceptsHtml {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let accept = parts.headers.get(header::ACCEPT);
        let html = accept
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.starts_with("text/html"));
        Ok(Self(html))
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
    let given = visible_text(value).and_then(|v| {
        let (name, rest) = v.split_once(' ')?;
        name.eq_ignore_ascii_case(scheme)
            .then_some(rest.trim_ascii())
    });
    Some(given)
}

/// A header's value as text when it is visible ASCII, as `HeaderValue::to_str` takes it,
/// checked in one pass without an early exit, which the compiler vectorizes (a token is long).
fn visible_text(value: &http::HeaderValue) -> Option<&str> {
    let bytes = value.as_bytes();
    let visible = bytes.iter().fold(true, |all, &b| {
        all & ((b' '..=b'~').contains(&b) | (b == b'\t'))
    });
    visible.then(|| std::str::from_utf8(bytes).ok()).flatten()
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
    Credentials::split(decoded).ok_or(MISSING)
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

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    async fn answer(router: Router, uri: &str) -> (http::StatusCode, String, Option<ApiError>) {
        let mut response = router
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let error = response.extensions_mut().remove::<ApiError>();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap(), error)
    }

    #[tokio::test]
    async fn the_own_path_parameter_is_neither_the_cluster_nor_the_version() {
        let router = Router::new()
            .route(
                "/clusters/{cluster}/{version}/{id}",
                get(|GraphId(id): GraphId| async move { id }),
            )
            .route(
                "/v1/users/{username}",
                get(|Username(u): Username| async move { u }),
            );
        let (_, id, _) = answer(router.clone(), "/clusters/c1/v21.0/1234").await;
        assert_eq!(id, "1234");
        let (_, name, _) = answer(router, "/v1/users/al%20ice").await;
        assert_eq!(name, "al ice");
    }

    #[test]
    fn header_text_is_what_to_str_takes() {
        for bytes in [
            &b"Bearer abc"[..],
            b"Bearer\tx y",
            b"caf\xc3\xa9",
            b"\xff",
            b"",
            b"~ !",
        ] {
            let value = http::HeaderValue::from_bytes(bytes).unwrap();
            assert_eq!(visible_text(&value), value.to_str().ok(), "{bytes:?}");
        }
    }
}
