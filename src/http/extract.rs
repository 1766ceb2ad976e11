//! Extractors: which cluster a request addresses, who is calling, and JSON bodies, each failing
//! with an [`ApiError`] so that every rejection speaks the vendor's envelope.

use std::borrow::Cow;
use std::sync::Arc;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::Value;

use super::AppState;
use crate::error::{ApiError, Scheme};
use crate::request::Body;
use crate::store::users::{Principal, Role};
use crate::store::{ClusterSlot, DEFAULT_CLUSTER, is_valid_cluster_name};

/// Header that picks the cluster of a plain `/v1/...` request.
pub const CLUSTER_HEADER: &str = "x-emulator-cluster";

/// The cluster a request addresses: the `{cluster}` path segment, else the
/// `X-Emulator-Cluster` header, else `default`.
pub struct Cluster(pub Arc<ClusterSlot>);

/// The request's path parameters; none for a route without any.
pub async fn path_params(parts: &mut Parts) -> Result<Option<RawPathParams>, ApiError> {
    match RawPathParams::from_request_parts(parts, &()).await {
        Ok(params) => Ok(Some(params)),
        Err(RawPathParamsRejection::MissingPathParams(_)) => Ok(None),
        Err(_) => Err(ApiError::InvalidRequest {
            rule: "path",
            message: "A path segment is not valid UTF-8".into(),
        }),
    }
}

/// The cluster a request addresses, by path segment, header, or `default`.
pub async fn cluster_name(parts: &mut Parts) -> Result<Cow<'static, str>, ApiError> {
    let from_path = path_params(parts).await?.and_then(|params| {
        params
            .iter()
            .find(|(key, _)| *key == "cluster")
            .map(|(_, value)| value.to_owned())
    });
    let name = match from_path {
        Some(name) => name,
        None => match parts.headers.get(CLUSTER_HEADER) {
            Some(value) => value.to_str().unwrap_or("\u{fffd}").to_owned(),
            None => return Ok(Cow::Borrowed(DEFAULT_CLUSTER)),
        },
    };
    if is_valid_cluster_name(&name) {
        Ok(Cow::Owned(name))
    } else {
        Err(ApiError::InvalidRequest {
            rule: "cluster_name",
            message: format!(
                "Cluster name {name:?} is not valid: use 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'"
            ),
        })
    }
}

/// What the vendor middleware already worked out for this request, handed to the extractors in
/// one request extension: the cluster, and the body parsed once (the middleware needs it for
/// faults and the journal).
#[derive(Clone)]
pub struct Resolved {
    /// The cluster addressed.
    pub cluster: Arc<ClusterSlot>,
    /// The body: `Some(None)` when empty or not JSON; taken by the body extractor.
    pub body: Option<Option<Value>>,
}

impl FromRequestParts<AppState> for Cluster {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(resolved) = parts.extensions.get::<Resolved>() {
            return Ok(Self(resolved.cluster.clone()));
        }
        let name = cluster_name(parts).await?;
        Ok(Self(state.store.cluster(&name)))
    }
}

fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated {
            rule: "missing_token",
            message: "Authorization: Bearer <token> is required; get a token with POST /v1/users/login",
            scheme: Scheme::Bearer,
        })?;
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthenticated {
            rule: "malformed_token",
            message: "The Authorization header must be 'Bearer <token>'",
            scheme: Scheme::Bearer,
        })
}

/// A caller with a valid token, of any role. Answers 503 while the cluster restarts.
pub struct Auth {
    /// The cluster addressed.
    pub cluster: Arc<ClusterSlot>,
    /// Who is calling.
    pub principal: Principal,
    /// The token used, for logout.
    pub token: String,
}

impl Auth {
    async fn extract(
        parts: &mut Parts,
        state: &AppState,
        restart_gate: bool,
    ) -> Result<Self, ApiError> {
        let Cluster(cluster) = Cluster::from_request_parts(parts, state).await?;
        if restart_gate && cluster.is_restarting() {
            return Err(ApiError::ServiceNotReady);
        }
        let token = bearer(parts)?.to_owned();
        let principal = cluster.authenticate(&token)?;
        Ok(Self {
            cluster,
            principal,
            token,
        })
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Self::extract(parts, state, true).await
    }
}

/// Like [`Auth`] but served during a restart (`/v1/health` reports it as `connecting`).
pub struct HealthAuth(pub Auth);

impl FromRequestParts<AppState> for HealthAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Auth::extract(parts, state, false).await.map(Self)
    }
}

/// A caller with a valid `admin` token; 403/1005 for any other user.
pub struct Admin(pub Auth);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = Auth::from_request_parts(parts, state).await?;
        if auth.principal.role != Role::Admin {
            return Err(ApiError::Forbidden {
                rule: "not_admin",
                message: "This call needs an admin token",
            });
        }
        Ok(Self(auth))
    }
}

/// HTTP Basic credentials (`POST /v1/users/login`).
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl<S: Send + Sync> FromRequestParts<S> for BasicAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        const MISSING: ApiError = ApiError::Unauthenticated {
            rule: "missing_credentials",
            message: "Authorization: Basic base64(username:password) is required",
            scheme: Scheme::Basic,
        };
        let value = parts.headers.get(header::AUTHORIZATION).ok_or(MISSING)?;
        let decoded = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Basic ")
                    .or_else(|| v.strip_prefix("basic "))
            })
            .and_then(|b64| STANDARD.decode(b64.trim()).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(ApiError::Unauthenticated {
                rule: "malformed_credentials",
                message: "The Authorization header must be 'Basic base64(username:password)'",
                scheme: Scheme::Basic,
            })?;
        let (username, password) = decoded.split_once(':').ok_or(MISSING)?;
        Ok(Self {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// A JSON object body. A missing `Content-Type` is taken as JSON (as `curl -d` users forget
/// it); any other type than `application/json` (or `+json`) is 1025, as is anything but an
/// object.
pub struct JsonBody(pub Body);

/// A body that may be empty (login takes `{"new_password"}` only sometimes).
pub struct OptionalJsonBody(pub Option<Body>);

/// A JSON object body of the control API, whatever its `Content-Type` (it is our own API, and
/// `curl -d` sends a form type by default).
pub struct ControlJson(pub Body);

fn not_object() -> ApiError {
    ApiError::InvalidRequest {
        rule: "not_object",
        message: "The request body must be a JSON object".into(),
    }
}

async fn read_json<S: Send + Sync>(
    mut req: Request,
    state: &S,
    check_type: bool,
) -> Result<Option<Body>, ApiError> {
    if let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .filter(|_| check_type)
    {
        let ct = ct.to_str().unwrap_or("");
        let essence = ct.split(';').next().unwrap_or("").trim();
        let json_suffix = essence
            .get(essence.len().saturating_sub(5)..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case("+json"));
        if !essence.eq_ignore_ascii_case("application/json") && !json_suffix {
            return Err(ApiError::InvalidRequest {
                rule: "content_type",
                message: format!("Content-Type must be application/json (got {ct:?})"),
            });
        }
    }
    let parsed = req
        .extensions_mut()
        .get_mut::<Resolved>()
        .and_then(|resolved| resolved.body.take());
    match parsed {
        Some(Some(Value::Object(map))) => return Ok(Some(map)),
        Some(Some(_)) => return Err(not_object()),
        // Not parsed, empty or not JSON: the bytes below say which.
        Some(None) | None => {}
    }
    let bytes = Bytes::from_request(req, state).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(not_object()),
        Err(e) => Err(ApiError::InvalidRequest {
            rule: "not_json",
            message: format!("The request body is not valid JSON: {e}"),
        }),
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_json(req, state, true)
            .await?
            .map(Self)
            .ok_or_else(empty_body)
    }
}

fn empty_body() -> ApiError {
    ApiError::InvalidRequest {
        rule: "empty_body",
        message: "The request body is empty: send a JSON object".into(),
    }
}

/// A control body that may be empty.
pub struct OptionalControlJson(pub Option<Body>);

impl<S: Send + Sync> FromRequest<S> for OptionalControlJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_json(req, state, false).await.map(Self)
    }
}

impl<S: Send + Sync> FromRequest<S> for ControlJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_json(req, state, false)
            .await?
            .map(Self)
            .ok_or_else(empty_body)
    }
}

impl<S: Send + Sync> FromRequest<S> for OptionalJsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_json(req, state, true).await.map(Self)
    }
}

/// `{username}` of `/v1/users/{username}`.
pub struct Username(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Username {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        path_params(parts)
            .await?
            .and_then(|params| {
                params
                    .iter()
                    .find(|(key, _)| *key == "username")
                    .map(|(_, value)| value.to_owned())
            })
            .map(Self)
            .ok_or_else(|| ApiError::Internal("route has no {username}".into()))
    }
}
