//! The HTTP surface: the vendor API (`/v1`, also under `/clusters/{cluster}/v1`) and the
//! emulator's control API (`/_emulator`), served by one [`App`] from the route table in
//! [`routes`].
//!
//! Each request takes one pass: one path lookup gives the route, which carries its handler, who
//! may call it and what body it reads. The body is read once and parsed once; faults, the
//! journal, `meta`, the envelope and the `X-Emulator-Reason` header are each done here, in one
//! place, and the handler gets everything else as a plain [`call::Call`].

pub mod body;
pub mod call;
mod control;
pub mod envelope;
pub mod error;
pub mod openapi;
pub mod routes;
mod vendor;

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{self, HeaderValue};
use http::request::Parts;
use http::{Method, Request, StatusCode};
use http_body::Body as HttpBody;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use self::body::Body;
use self::call::{Call, basic, bearer, check_json_type, cluster_name, path_param};
use self::envelope::{Kind, Meta, Reply};
use self::error::{ApiError, REASON_HEADER, invalid_request};
use self::routes::{Access, ROUTES, Route, Surface, Takes};
use crate::domain::Error;
use crate::domain::faults::FaultAction;
use crate::domain::json::{Object, ParseError};
use crate::store::journal::Entry;
use crate::store::users::Role;
use crate::store::{Cluster, Store};

/// Largest request body accepted, in bytes; larger ones get 413/1025.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The rule name of every answer a fault forces.
const FAULT_RULE: &str = "fault.armed";

/// An answer.
pub type Response = http::Response<Body>;

/// A boxed error of a request body.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the application serves from.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Every cluster's state.
    pub store: Arc<Store>,
    /// The `meta` of every vendor answer.
    pub meta: Meta,
    /// How long a request body may take to arrive.
    pub body_timeout: Duration,
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

/// Marker a response carries when its connection must be closed without an answer (the `drop`
/// fault).
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an armed fault")
    }
}

impl std::error::Error for DropConnection {}

/// The whole application as one service: every route of the table, with the vendor's envelope.
#[derive(Clone)]
pub struct App(Arc<Inner>);

struct Inner {
    state: AppState,
    /// Full path patterns to indexes of `paths`.
    router: matchit::Router<usize>,
    /// The routes of each path pattern (one per method).
    paths: Vec<Vec<Routed>>,
}

/// A route as served at one path pattern.
#[derive(Clone)]
struct Routed {
    route: &'static Route,
    /// The vendor path the journal records, when every request of the route has the same one.
    journal_path: Option<Arc<str>>,
}

/// The application serving `state`.
pub fn router(state: AppState) -> App {
    let mut router = matchit::Router::new();
    let mut paths: Vec<Vec<Routed>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    let served = ROUTES.iter().filter(|r| {
        r.surface == Surface::Vendor || r.access == Access::Open || state.control.enabled
    });
    for route in served {
        for mount in route.surface.mounts() {
            let full = format!("{mount}{}", route.path);
            let i = *index.entry(full.clone()).or_insert_with(|| {
                paths.push(Vec::new());
                let i = paths.len() - 1;
                router
                    .insert(full, i)
                    .expect("the route table has no conflicting paths");
                i
            });
            let fixed = route.surface == Surface::Vendor && !route.path.contains('{');
            paths[i].push(Routed {
                route,
                journal_path: fixed.then(|| format!("/v1{}", route.path).into()),
            });
        }
    }
    App(Arc::new(Inner {
        state,
        router,
        paths,
    }))
}

/// The path as routed: repeated slashes collapsed and a trailing slash dropped, as a web server
/// in front of the real API would serve `POST /v1/account/` and `//v1/users/login`.
fn canonical(path: &str) -> Cow<'_, str> {
    let bytes = path.as_bytes();
    let messy = bytes.windows(2).any(|w| w == b"//") || (bytes.len() > 1 && path.ends_with('/'));
    if !messy {
        return Cow::Borrowed(path);
    }
    let mut clean = String::with_capacity(path.len());
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        clean.push('/');
        clean.push_str(segment);
    }
    if clean.is_empty() {
        clean.push('/');
    }
    Cow::Owned(clean)
}

/// Paths of the real On-Premises API that the emulator does not emulate: they answer "not
/// emulated here" rather than "no such endpoint", so a user sees at once why a client stopped.
const NOT_EMULATED: &[&str] = &[
    "/v1/messages",
    "/v1/contacts",
    "/v1/media",
    "/v1/groups",
    "/v1/settings/application",
    "/v1/settings/business/profile",
    "/v1/settings/profile",
    "/v1/certificates",
    "/v1/stats",
    "/v1/metrics",
    "/v1/support",
    "/v1/services",
    "/v1/profile",
    "/metrics",
];

/// Whether `path` (a vendor path) is one of [`NOT_EMULATED`] or below one.
fn not_emulated(path: &str) -> bool {
    NOT_EMULATED.iter().any(|known| {
        path.strip_prefix(known)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The vendor path of a request: `/clusters/{name}/v1/x` → `/v1/x`.
fn vendor_path(path: &str) -> &str {
    path.strip_prefix("/clusters/")
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(path)
}

/// The method as the journal keeps it, without a copy for the usual ones.
fn method_name(method: &Method) -> Cow<'static, str> {
    for known in [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        if *method == known {
            return Cow::Borrowed(match known {
                Method::GET => "GET",
                Method::POST => "POST",
                Method::PUT => "PUT",
                Method::DELETE => "DELETE",
                Method::HEAD => "HEAD",
                Method::PATCH => "PATCH",
                _ => "OPTIONS",
            });
        }
    }
    Cow::Owned(method.as_str().to_owned())
}

/// Reads a body whole, up to [`BODY_LIMIT`] and within `timeout`; a body in one piece is not
/// copied. A body announced larger than the limit is refused before any of it is read.
async fn read_body<B>(body: B, timeout: Duration) -> Result<Bytes, ApiError>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    if body.size_hint().lower() > BODY_LIMIT as u64 {
        return Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT });
    }
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let mut reading = std::pin::pin!(collect(body));
    // A body that has already arrived (the usual case) is read without arming a timer.
    if let Poll::Ready(read) =
        std::future::poll_fn(|cx| Poll::Ready(reading.as_mut().poll(cx))).await
    {
        return read;
    }
    tokio::time::timeout(timeout, reading)
        .await
        .unwrap_or(Err(ApiError::BodyTimeout(timeout)))
}

async fn collect<B>(body: B) -> Result<Bytes, ApiError>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let body = Limited::new(body, BODY_LIMIT);
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut more: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if e.downcast_ref::<LengthLimitError>().is_some() {
                ApiError::PayloadTooLarge { limit: BODY_LIMIT }
            } else {
                invalid_request("body_unreadable", "The request body could not be read")
            }
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        match (&mut first, &mut more) {
            (None, _) => first = Some(data),
            (Some(head), None) => {
                let mut joined = BytesMut::with_capacity(head.len() + data.len());
                joined.extend_from_slice(head);
                joined.extend_from_slice(&data);
                more = Some(joined);
            }
            (Some(_), Some(joined)) => joined.extend_from_slice(&data),
        }
    }
    Ok(match more {
        Some(joined) => joined.freeze(),
        None => first.unwrap_or_default(),
    })
}

/// What a route answered, before it is written.
enum Outcome {
    Reply(Reply),
    Error(ApiError),
    /// An answer a fault forces as it is (a broken body, or no answer at all).
    Raw(Response),
}

impl From<Result<Reply, ApiError>> for Outcome {
    fn from(result: Result<Reply, ApiError>) -> Self {
        match result {
            Ok(reply) => Self::Reply(reply),
            Err(error) => Self::Error(error),
        }
    }
}

fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut response = http::Response::new(Body::full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

impl App {
    /// The state served.
    pub fn state(&self) -> &AppState {
        &self.0.state
    }

    /// The answer to `request`, logged in one line (target `wa_onprem_emulator::access`, at
    /// INFO; a forced 5xx at WARN, an internal one at ERROR).
    pub async fn respond<B>(&self, request: Request<B>) -> Response
    where
        B: HttpBody<Data = Bytes> + Send,
        B::Error: Into<BoxError>,
    {
        let logged = tracing::enabled!(target: ACCESS_LOG, tracing::Level::WARN);
        let started = logged.then(Instant::now);
        let (parts, body) = request.into_parts();
        let path = canonical(parts.uri.path());
        let (response, cluster) = self.dispatch(&parts, &path, body).await;
        if let Some(started) = started {
            access_log(&parts, &path, &response, cluster.as_deref(), started);
        }
        response
    }

    /// The answer, and the cluster it addressed (for the log).
    async fn dispatch<B>(
        &self,
        parts: &Parts,
        path: &str,
        body: B,
    ) -> (Response, Option<Arc<Cluster>>)
    where
        B: HttpBody<Data = Bytes> + Send,
        B::Error: Into<BoxError>,
    {
        let Ok(matched) = self.0.router.at(path) else {
            let request = format!("{} {path}", parts.method);
            let error = if not_emulated(vendor_path(path)) {
                ApiError::NotEmulated { request }
            } else {
                ApiError::NoRoute { request }
            };
            return (self.write(Outcome::Error(error), Access::Open), None);
        };
        // HEAD is served as GET; hyper sends no body with it.
        let method = if parts.method == Method::HEAD {
            "GET"
        } else {
            parts.method.as_str()
        };
        let Some(routed) = self.0.paths[*matched.value]
            .iter()
            .find(|r| r.route.method == method)
        else {
            let mut response = self.write(Outcome::Error(ApiError::MethodNotAllowed), Access::Open);
            let allowed: Vec<&str> = self.0.paths[*matched.value]
                .iter()
                .map(|r| r.route.method)
                .collect();
            if let Ok(allow) = HeaderValue::from_str(&allowed.join(", ")) {
                response.headers_mut().insert(header::ALLOW, allow);
            }
            return (response, None);
        };
        let cluster = matched.params.get("cluster");
        let param = matched
            .params
            .get("username")
            .or_else(|| matched.params.get("node"));
        match routed.route.surface {
            Surface::Vendor => self.vendor(routed, parts, path, cluster, param, body).await,
            Surface::Control | Surface::Root => {
                self.control(routed.route, parts, cluster, param, body)
                    .await
            }
        }
    }

    /// A vendor route: faults fire and the journal records, around the call.
    async fn vendor<B>(
        &self,
        routed: &Routed,
        parts: &Parts,
        path: &str,
        cluster: Option<&str>,
        param: Option<&str>,
        body: B,
    ) -> (Response, Option<Arc<Cluster>>)
    where
        B: HttpBody<Data = Bytes> + Send,
        B::Error: Into<BoxError>,
    {
        let route = routed.route;
        let cluster = match cluster_name(cluster, &parts.headers, true) {
            Ok(name) => self.0.state.store.cluster(&name).map_err(ApiError::from),
            Err(e) => Err(e),
        };
        let cluster = match cluster {
            Ok(cluster) => cluster,
            // No cluster, so no journal to write to.
            Err(e) => return (self.write(Outcome::Error(e), route.access), None),
        };
        let at = cluster.now();
        let path = vendor_path(path);
        let (outcome, body) = match read_body(body, self.0.state.body_timeout).await {
            Err(e) => (Outcome::Error(e), None),
            Ok(raw) => {
                let parsed = Object::parse(&raw);
                let object = parsed.as_ref().ok().and_then(Option::as_ref);
                let journaled = cluster
                    .journal_enabled()
                    .then(|| journal_body(&raw, &parsed));
                let forced = match cluster.fire_fault(route.method, path, object) {
                    Some(FaultAction::Delay { ms }) => {
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        None
                    }
                    other => other.and_then(forced_outcome),
                };
                let outcome = match forced {
                    Some(outcome) => outcome,
                    None => {
                        self.call(route, parts, cluster.clone(), param, &raw, parsed)
                            .await
                    }
                };
                (outcome, journaled.flatten())
            }
        };
        let decided = match &outcome {
            Outcome::Reply(reply) => reply.decided.map(Cow::Borrowed),
            Outcome::Error(e) => Some(e.reason()),
            Outcome::Raw(_) => Some(Cow::Borrowed(FAULT_RULE)),
        };
        let response = self.write(outcome, route.access);
        if cluster.journal_enabled() {
            let status = if response.extensions().get::<DropConnection>().is_some() {
                0
            } else {
                response.status().as_u16()
            };
            cluster.record(Entry {
                at,
                method: method_name(&parts.method),
                path: match &routed.journal_path {
                    Some(shared) => shared.clone(),
                    None => path.into(),
                },
                status,
                reason: decided,
                body,
                truncated: false,
            });
        }
        (response, Some(cluster))
    }

    /// A control route: behind the control token, when one is set.
    async fn control<B>(
        &self,
        route: &'static Route,
        parts: &Parts,
        cluster: Option<&str>,
        param: Option<&str>,
        body: B,
    ) -> (Response, Option<Arc<Cluster>>)
    where
        B: HttpBody<Data = Bytes> + Send,
        B::Error: Into<BoxError>,
    {
        let mut addressed = None;
        let outcome = async {
            if route.access == Access::Control {
                self.check_control_token(parts)?;
            }
            let cluster = match cluster {
                Some(_) => {
                    let name = cluster_name(cluster, &parts.headers, false)?;
                    let cluster = self.0.state.store.cluster(&name)?;
                    addressed = Some(cluster.clone());
                    cluster
                }
                None => self.0.state.store.detached(),
            };
            let raw = read_body(body, self.0.state.body_timeout).await?;
            let parsed = Object::parse(&raw);
            match self.call(route, parts, cluster, param, &raw, parsed).await {
                Outcome::Error(e) => Err(e),
                other => Ok(other),
            }
        }
        .await;
        let outcome = outcome.unwrap_or_else(Outcome::Error);
        (self.write(outcome, route.access), addressed)
    }

    fn check_control_token(&self, parts: &Parts) -> Result<(), ApiError> {
        let Some(expected) = &self.0.state.control.token else {
            return Ok(());
        };
        let given = bearer(&parts.headers).unwrap_or("");
        if bool::from(subtle::ConstantTimeEq::ct_eq(
            given.as_bytes(),
            expected.as_bytes(),
        )) {
            Ok(())
        } else {
            Err(Error::Unauthenticated {
                rule: "control_token",
                message: "The control API needs Authorization: Bearer <the --control-token>",
            }
            .into())
        }
    }

    /// Checks who is calling and reads the body the route takes, then runs its handler.
    async fn call(
        &self,
        route: &'static Route,
        parts: &Parts,
        cluster: Arc<Cluster>,
        param: Option<&str>,
        raw: &[u8],
        parsed: Result<Option<Object<'_>>, ParseError>,
    ) -> Outcome {
        let call = match self.prepare(route, parts, cluster, param, raw, parsed) {
            Ok(call) => call,
            Err(e) => return Outcome::Error(e),
        };
        (route.handler)(&call).await.into()
    }

    fn prepare<'r>(
        &'r self,
        route: &'static Route,
        parts: &'r Parts,
        cluster: Arc<Cluster>,
        param: Option<&'r str>,
        raw: &'r [u8],
        parsed: Result<Option<Object<'r>>, ParseError>,
    ) -> Result<Call<'r>, ApiError> {
        let mut token = None;
        let mut credentials = None;
        match route.access {
            Access::Basic => credentials = Some(basic(&parts.headers)?),
            Access::Token | Access::Admin | Access::Health => {
                if route.access != Access::Health {
                    if cluster.is_restarting() {
                        return Err(Error::NotReady.into());
                    }
                    cluster.check_serving()?;
                }
                let given = bearer(&parts.headers)?;
                let is = cluster.authenticate(given)?;
                if route.access == Access::Admin && is != Role::Admin {
                    return Err(Error::Forbidden {
                        rule: "not_admin",
                        message: "This call needs an admin token",
                    }
                    .into());
                }
                token = Some(given);
            }
            Access::Open | Access::Control => {}
        }
        let param = param.map(path_param).transpose()?;
        let body = match route.takes {
            Takes::Nothing | Takes::Raw => None,
            takes => {
                if matches!(takes, Takes::Json | Takes::OptionalJson) {
                    check_json_type(&parts.headers)?;
                }
                match parsed {
                    Ok(Some(object)) => Some(object),
                    Ok(None) if matches!(takes, Takes::OptionalJson | Takes::OptionalObject) => {
                        None
                    }
                    Ok(None) => {
                        return Err(invalid_request(
                            "empty_body",
                            "The request body is empty: send a JSON object",
                        ));
                    }
                    Err(ParseError::NotObject) => {
                        return Err(invalid_request(
                            "not_object",
                            "The request body must be a JSON object",
                        ));
                    }
                    Err(ParseError::NotJson(e)) => {
                        return Err(invalid_request(
                            "not_json",
                            format!("The request body is not valid JSON: {e}"),
                        ));
                    }
                }
            }
        };
        Ok(Call {
            state: &self.0.state,
            cluster,
            token,
            credentials,
            param,
            query: parts.uri.query().unwrap_or(""),
            accepts_html: parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.starts_with("text/html")),
            raw,
            body,
        })
    }

    /// Writes an outcome: `meta` on vendor answers, the envelope and reason on errors.
    fn write(&self, outcome: Outcome, access: Access) -> Response {
        match outcome {
            Outcome::Raw(response) => response,
            Outcome::Reply(mut reply) => {
                if let Some(events) = reply.stream.take() {
                    let mut response = http::Response::new(Body::stream(events));
                    let headers = response.headers_mut();
                    headers.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/event-stream"),
                    );
                    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                    return response;
                }
                let body = match reply.kind {
                    Kind::Vendor => self.0.state.meta.splice(reply.body),
                    Kind::Control => reply.body.into(),
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
            Outcome::Error(error) => {
                let status = error.status();
                if let ApiError::Domain(Error::Storage(e)) = &error {
                    tracing::error!(error = %e, "storage failed");
                }
                let mut response = json_response(status, error.envelope(&self.0.state.meta));
                let headers = response.headers_mut();
                if let ApiError::BodyTimeout(_) = error {
                    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                if let Ok(value) = HeaderValue::from_str(&error.reason()) {
                    headers.insert(REASON_HEADER, value);
                }
                if let ApiError::Domain(Error::Unauthenticated { .. }) = error {
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
        }
    }
}

/// The target of the one log line per request: `RUST_LOG=info,wa_onprem_emulator::access=off`
/// turns them off.
pub const ACCESS_LOG: &str = "wa_onprem_emulator::access";

/// One line for one request: method, path, cluster, status, reason and time. Forced errors (a
/// fault, a scripted 5xx) are warnings, so they stand out; a storage failure is an error.
fn access_log(
    parts: &Parts,
    path: &str,
    response: &Response,
    cluster: Option<&Cluster>,
    started: Instant,
) {
    let status = response.status().as_u16();
    let reason = response
        .headers()
        .get(REASON_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let cluster = cluster.map_or("", Cluster::name);
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let method = parts.method.as_str();
    let forced = reason == FAULT_RULE || reason.starts_with("scripted.");
    if status >= 500 && !forced && reason != "restart.in_progress" {
        tracing::error!(target: ACCESS_LOG, method, path, cluster, status, reason, micros, "{method} {path} {status}");
    } else if forced {
        tracing::warn!(target: ACCESS_LOG, method, path, cluster, status, reason, micros, "{method} {path} {status} forced by {reason}");
    } else {
        tracing::info!(target: ACCESS_LOG, method, path, cluster, status, reason, micros, "{method} {path} {status}");
    }
}

/// The journal's copy of a body: redacted JSON text, from the one parse; `None` for a body that
/// is not JSON.
fn journal_body(raw: &[u8], parsed: &Result<Option<Object<'_>>, ParseError>) -> Option<Box<str>> {
    match parsed {
        Ok(object) => object.as_ref().map(|o| o.redacted().into()),
        // JSON that is not an object (a list, a string): rare, read again as a tree.
        Err(ParseError::NotObject) => serde_json::from_slice::<serde_json::Value>(raw)
            .ok()
            .and_then(|v| serde_json::to_string(&crate::domain::json::Redacted(&v)).ok())
            .map(Into::into),
        Err(ParseError::NotJson(_)) => None,
    }
}

/// The answer an armed fault forces; `None` for a delay, after which the route answers.
fn forced_outcome(action: FaultAction) -> Option<Outcome> {
    let reason = HeaderValue::from_static(FAULT_RULE);
    Some(match action {
        FaultAction::Error {
            status,
            code,
            title,
            details,
        } => Outcome::Error(
            Error::Vendor(Box::new(crate::domain::VendorError {
                status,
                code,
                title,
                details,
                rule: FAULT_RULE.into(),
            }))
            .into(),
        ),
        FaultAction::NotReady => Outcome::Error(
            Error::Vendor(Box::new(crate::domain::VendorError {
                status: 503,
                code: 1011,
                title: None,
                details: "Service not ready".into(),
                rule: FAULT_RULE.into(),
            }))
            .into(),
        ),
        FaultAction::Drop => {
            let mut response = http::Response::new(Body::empty());
            response.extensions_mut().insert(DropConnection);
            response.headers_mut().insert(REASON_HEADER, reason);
            Outcome::Raw(response)
        }
        FaultAction::Malformed { status } => {
            let body = Bytes::from_static(b"{\"meta\": {\"api_status\": \"stable\", \"vers");
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response = json_response(status, body);
            response.headers_mut().insert(REASON_HEADER, reason);
            Outcome::Raw(response)
        }
        FaultAction::Delay { .. } => return None,
    })
}

impl<B> tower::Service<Request<B>> for App
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

#[cfg(test)]
mod tests {
    use super::vendor_path;

    #[test]
    fn paths_are_made_canonical_and_known_ones_are_not_emulated() {
        use super::{canonical, not_emulated};
        for (given, routed) in [
            ("/v1/account/", "/v1/account"),
            ("//v1/users/login", "/v1/users/login"),
            ("/clusters/t1//v1/health", "/clusters/t1/v1/health"),
            ("/", "/"),
            ("//", "/"),
            ("/v1/account", "/v1/account"),
        ] {
            assert_eq!(canonical(given), routed, "{given}");
        }
        assert!(not_emulated("/v1/messages"));
        assert!(not_emulated("/v1/media/abc"));
        assert!(not_emulated("/v1/settings/application"));
        assert!(!not_emulated("/v1/messagesx"));
        assert!(!not_emulated("/v1/account"));
        assert!(!not_emulated("/nope"));
    }

    #[test]
    fn the_cluster_prefix_is_left_out() {
        assert_eq!(vendor_path("/clusters/a-b/v1/account"), "/v1/account");
        assert_eq!(vendor_path("/v1/account"), "/v1/account");
    }
}
