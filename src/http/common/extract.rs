//! What a handler takes: the extractors a handler's signature names ([`InCluster`],
//! [`JsonBody`], [`RawBody`], [`Credentials`], [`BearerToken`], [`Username`], [`Node`],
//! [`ClusterName`], [`Query`], [`AcceptsHtml`], and axum's `State`), each doing one job in one
//! way.
//!
//! Two of them read what the surface's layer decided once and left in the request's extensions:
//! [`InCluster`] the cluster it addressed ([`Addressed`]), the body extractors the body it read
//! and parsed ([`LeftBody`]). Without the layer (a route mounted by hand) they refuse loudly
//! (500, `internal.unlayered`). The rest read the request itself.
//!
//! Also the readers of the request's parts the layers use: the cluster name, HTTP Basic and
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

use super::error::{ApiError, invalid_request};
use super::read::ParsedBody;
use super::route::Reads;
use crate::domain::Error;
use crate::domain::json::{Object, ParseError};
use crate::store::{Cluster, DEFAULT_CLUSTER, is_valid_cluster_name};

/// Header that picks the cluster of a plain `/v1/...` request.
pub const CLUSTER_HEADER: http::HeaderName = http::HeaderName::from_static("x-emulator-cluster");

/// The cluster a surface's layer found (or made) for the request, left for [`InCluster`].
#[derive(Clone)]
pub struct Addressed(pub Arc<Cluster>);

/// The body a surface's layer read and parsed once, with what the route reads of it, left for
/// the body extractors.
#[derive(Clone)]
pub struct LeftBody {
    /// The body.
    pub parsed: ParsedBody,
    /// What the route reads of it.
    pub reads: Reads,
}

impl LeftBody {
    /// The body the layer left in `request`.
    fn take(parts: &mut Parts) -> Result<Self, ApiError> {
        parts
            .extensions
            .remove::<Self>()
            .ok_or(ApiError::Unlayered("The request body"))
    }
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

/// The cluster the request addresses, as the surface's layer found it.
pub struct InCluster(pub Arc<Cluster>);

impl<S: Send + Sync> FromRequestParts<S> for InCluster {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.extensions.remove::<Addressed>() {
            Some(Addressed(cluster)) => Ok(Self(cluster)),
            None => Err(ApiError::Unlayered("The cluster addressed")),
        }
    }
}

/// The name of the cluster the request addresses (checked), for handlers that find or make the
/// cluster themselves ([`super::route::Addressing::Named`]).
pub struct ClusterName(pub Arc<str>);

impl<S: Send + Sync> FromRequestParts<S> for ClusterName {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let params = PathParams::read(parts).await?;
        let name = cluster_name(params.cluster.as_deref(), &parts.headers, true)?;
        Ok(Self(name.into()))
    }
}

/// The HTTP Basic credentials of the request (the login's).
impl<S: Send + Sync> FromRequestParts<S> for Credentials {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(basic(&parts.headers)?)
    }
}

/// The JSON object body, as the route's `reads` takes it: an empty object where an optional
/// body was not sent.
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

/// The body the layer left, checked as the route reads it: a JSON `Content-Type` (or none) where
/// it reads JSON, an object where one is required.
impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (mut parts, _) = request.into_parts();
        let LeftBody { parsed, reads } = LeftBody::take(&mut parts)?;
        if matches!(reads, Reads::Json | Reads::OptionalJson) {
            check_json_type(&parts.headers)?;
        }
        let optional = matches!(reads, Reads::OptionalJson | Reads::OptionalObject);
        match parsed.object() {
            Ok(Some(_)) => {}
            Ok(None) if optional => {}
            Ok(None) => {
                return Err(invalid_request(
                    "empty_body",
                    "The request body is empty: send a JSON object",
                ));
            }
            Err(e) => return Err(body_error(e)),
        }
        Ok(Self(parsed))
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

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let (mut parts, _) = request.into_parts();
        Ok(Self(LeftBody::take(&mut parts)?.parsed.raw().clone()))
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

/// `{id}` of a control path (a delivery, a phone number).
pub struct PathId(pub String);

path_param!(Username, Node, PathId);

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

/// The value of `name` in the query string of `uri`.
pub fn query_value(uri: &http::Uri, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query()?)
        .ok()?
        .into_iter()
        .find_map(|(key, value)| (key == name).then_some(value))
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

    async fn answer(router: Router, uri: &str) -> (http::StatusCode, String, ()) {
        let response = router
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap(), ())
    }

    #[tokio::test]
    async fn the_own_path_parameter_is_neither_the_cluster_nor_the_version() {
        let router = Router::new()
            .route(
                "/clusters/{cluster}/_emulator/nodes/{node}",
                get(|Node(node): Node| async move { node }),
            )
            .route(
                "/v1/users/{username}",
                get(|Username(u): Username| async move { u }),
            );
        let (_, node, _) = answer(router.clone(), "/clusters/c1/_emulator/nodes/coreapp2").await;
        assert_eq!(node, "coreapp2");
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
