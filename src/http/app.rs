//! The application: an axum [`Router`] built from the route table, one route per row and mount,
//! behind tower-http's layers; and [`App`], the service the server and tests call.
//!
//! From the outside in: `Authorization` and cookies are marked sensitive (no log or trace prints
//! them), `TraceLayer` writes the access line, the path is made canonical (tower-http's
//! `NormalizePath` trims trailing slashes; repeated ones are collapsed here), the router routes,
//! and a handler that panics is answered with the vendor's 500 envelope by `CatchPanicLayer`.

use std::any::Any;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::{Request, State};
use axum::routing::{MethodFilter, MethodRouter};
use bytes::Bytes;
use http::header::{AUTHORIZATION, COOKIE};
use http_body::Body as HttpBody;
use tower::util::MapResponse;
use tower::{Layer, Service};
use tower_http::body::UnsyncBoxBody;
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer, ResponseForPanic};
use tower_http::classify::{
    NeverClassifyEos, ServerErrorsAsFailures, ServerErrorsFailureClass, SharedClassifier,
};
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};
use tower_http::sensitive_headers::{SetSensitiveRequestHeaders, SetSensitiveRequestHeadersLayer};
use tower_http::trace::{self, DefaultMakeSpan, Trace, TraceLayer};

use super::Response;
use super::access_log::AccessLog;
use super::envelope::Meta;
use super::error::{ApiError, Severity};
use super::paths::collapse_slashes;
use super::pipeline::{self, MountedRoute};
use super::read::BoxError;
use super::respond::{error_response, mark_served, unrouted};
use super::routes::{Access, ROUTES, Route, Surface};
use super::state::AppState;

/// The router of every route of the table that `state` serves (the control API's only when it
/// is on), with the vendor's envelope for paths and methods it does not route.
///
/// The Graph routes, whose paths begin with a parameter (`/{version}/…`), are a router of their
/// own behind the others, asked only for a path none of them has: matching a path of the other
/// surfaces then never steps back from a literal segment to try a parameter (which costs the
/// matcher an allocation per request).
pub fn router(state: AppState) -> Router {
    // Without the control API only its health probe answers (for container health checks).
    let served = ROUTES.iter().enumerate().filter(|(_, r)| {
        r.surface != Surface::Control || state.control.enabled || r.path == "/health"
    });
    let (graph, literal): (Vec<Row>, Vec<Row>) =
        served.partition(|(_, r)| r.surface == Surface::Graph);
    let graph = routes(&state, graph)
        .fallback(no_route)
        .method_not_allowed_fallback(graph_method_not_allowed)
        .with_state(state.clone());
    // Graph serves an app's calls without a version as its default version: so do these.
    let version = state.graph_version.clone();
    let graph = tower::ServiceExt::map_request(graph, move |mut request: Request| {
        if let Some(uri) = versioned(request.uri(), &version) {
            *request.uri_mut() = uri;
        }
        request
    });
    routes(&state, literal)
        .fallback_service(graph)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// A row of the route table with its place in it.
type Row = (usize, &'static Route);

/// A router of `rows`, one route per row and mount (the methods of one path together): each
/// served by the [`pipeline`] with its row.
fn routes(state: &AppState, rows: Vec<Row>) -> Router<AppState> {
    let mut paths: Vec<(String, MethodRouter<AppState>)> = Vec::new();
    for (index, route) in rows {
        let filter = method_filter(route.method);
        let mounted = Arc::new(MountedRoute::new(state.clone(), index, route));
        let row = tower::service_fn(move |request: Request| {
            let mounted = mounted.clone();
            async move { Ok::<_, Infallible>(pipeline::serve(&mounted, request).await) }
        });
        for mount in route.surface.mounts() {
            let path = format!("{mount}{}", route.path);
            match paths.iter_mut().find(|(p, _)| *p == path) {
                Some((_, methods)) => {
                    *methods = std::mem::take(methods).on_service(filter, row.clone());
                }
                None => paths.push((path, axum::routing::on_service(filter, row.clone()))),
            }
        }
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(&path, methods)
        })
}

fn method_filter(method: &str) -> MethodFilter {
    match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        "PATCH" => MethodFilter::PATCH,
        other => unreachable!("the route table has no {other} route"),
    }
}

/// A path no route has: "not emulated here" for paths of the real API, else "no such endpoint"
/// (in the Graph envelope below a Graph version).
async fn no_route(State(state): State<AppState>, request: Request) -> Response {
    let response = unrouted(&state, request.method(), request.uri().path());
    journal(&state, &request, &response);
    response
}

/// Journals a request no route took, for `requests/unmatched`.
fn journal(state: &AppState, request: &Request, response: &Response) {
    pipeline::journal_unrouted(
        state,
        request.method(),
        request.uri().path(),
        request.headers(),
        response,
    );
}

/// A routed path asked with a method it does not take (the router adds `Allow`).
async fn method_not_allowed(State(state): State<AppState>, request: Request) -> Response {
    let mut response = error_response(&state.meta, &ApiError::MethodNotAllowed, Access::Open);
    mark_served(&mut response, request.method(), request.uri().path(), None);
    journal(&state, &request, &response);
    response
}

/// A Graph path asked with a method its object does not take (`DELETE /v23.0/{id}`,
/// `GET /v23.0/{id}/register`): Graph's "Unsupported delete request", 100 / 33. A path of
/// another surface that only the Graph routes' patterns matched is unrouted.
async fn graph_method_not_allowed(State(state): State<AppState>, request: Request) -> Response {
    let (method, path) = (request.method(), request.uri().path());
    let response = match super::graph::wire::unsupported(method, path) {
        None => unrouted(&state, method, path),
        Some(error) => {
            let error = ApiError::from(crate::domain::Error::Cloud(error));
            let mut response = error_response(&state.meta, &error, Access::Graph);
            mark_served(&mut response, method, path, None);
            response
        }
    };
    journal(&state, &request, &response);
    response
}

/// `uri` with `version` put in front of its Graph path when it has none: `/{id}/register`
/// → `/v26.0/{id}/register`, `/clusters/c/{id}` → `/clusters/c/v26.0/{id}`. Graph ids are
/// digits, which no other path of the emulator begins with.
fn versioned(uri: &http::Uri, version: &str) -> Option<http::Uri> {
    let path = uri.path();
    let rest = super::paths::vendor_path(path);
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

/// The answer to a handler that panicked: the vendor's 500 envelope; the server keeps serving.
#[derive(Debug, Clone)]
pub struct PanicAnswer {
    meta: Meta,
}

impl ResponseForPanic for PanicAnswer {
    type ResponseBody = axum::body::Body;

    fn response_for_panic(
        &mut self,
        panic: Box<dyn Any + Send + 'static>,
    ) -> http::Response<Self::ResponseBody> {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        tracing::error!(panic = message, "a handler panicked");
        let mut response = error_response(&self.meta, &ApiError::Panicked, Access::Open);
        response.extensions_mut().insert(Severity::Internal);
        response
    }
}

/// The access log's `TraceLayer`: a span per request at DEBUG, one line per answer.
type Traced<S> =
    Trace<S, SharedClassifier<ServerErrorsAsFailures>, DefaultMakeSpan, (), AccessLog, (), (), ()>;

type Layered = SetSensitiveRequestHeaders<Traced<CatchPanic<NormalizePath<Router>, PanicAnswer>>>;

/// The body the layers answer with.
type LayeredBody = trace::ResponseBody<
    UnsyncBoxBody<Bytes, BoxError>,
    NeverClassifyEos<ServerErrorsFailureClass>,
    (),
    (),
    (),
>;

/// The layers, their answers' bodies wrapped as [`AppBody`].
type Stack = MapResponse<Layered, fn(http::Response<LayeredBody>) -> http::Response<AppBody>>;

/// The body of every answer of [`App`] (the layers' own body type, kept out of the public API).
pub struct AppBody(LayeredBody);

impl std::fmt::Debug for AppBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppBody").finish_non_exhaustive()
    }
}

impl HttpBody for AppBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        std::pin::Pin::new(&mut self.get_mut().0).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.0.size_hint()
    }
}

/// The whole application as one service: the router behind its layers.
#[derive(Clone)]
pub struct App(Stack);

/// The application serving `state`: its [`router`] behind the layers.
pub fn app(state: AppState) -> App {
    App::around(router(state.clone()), &state)
}

impl App {
    /// `router` behind the layers, answering a panic with the envelope of `state`'s version.
    /// (Tests use it to add a route of their own, such as one that panics.)
    pub fn around(router: Router, state: &AppState) -> App {
        let trace = TraceLayer::new_for_http()
            .make_span_with(DefaultMakeSpan::new().level(tracing::Level::DEBUG))
            .on_request(())
            .on_response(AccessLog)
            .on_body_chunk(())
            .on_eos(())
            .on_failure(());
        let panics = CatchPanicLayer::custom(PanicAnswer {
            meta: state.meta.clone(),
        });
        let normalize = NormalizePathLayer::trim_trailing_slash();
        let stack = SetSensitiveRequestHeadersLayer::new([AUTHORIZATION, COOKIE])
            .layer(trace.layer(panics.layer(normalize.layer(router))));
        let wrap: fn(http::Response<LayeredBody>) -> http::Response<AppBody> =
            |response| response.map(AppBody);
        App(MapResponse::new(stack, wrap))
    }

    /// The answer to `request` (the service called once).
    pub async fn respond<B>(&self, request: http::Request<B>) -> http::Response<AppBody>
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let Ok(response) = tower::ServiceExt::oneshot(self.clone(), request).await;
        response
    }
}

impl<B> Service<http::Request<B>> for App
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<AppBody>;
    type Error = std::convert::Infallible;
    type Future = <Stack as Service<http::Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<http::Request<B>>::poll_ready(&mut self.0, cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        if let Some(clean) = collapse_slashes(request.uri().path()) {
            let path_and_query = match request.uri().query() {
                Some(query) => format!("{clean}?{query}"),
                None => clean,
            };
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = path_and_query.parse().ok();
            // A collapsed path of a valid URI is a valid path: the URI is rebuilt whole or kept.
            if let Ok(uri) = http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
        self.0.call(request)
    }
}
