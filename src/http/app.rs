//! The application: the router of every surface, each built from its own rows of the route
//! table and merged, Graph's behind as the fallback; and [`App`], the service the server and
//! tests call, the router behind tower-http's layers.
//!
//! From the outside in: `Authorization` and cookies are marked sensitive (no log or trace prints
//! them), `TraceLayer` writes the access line, the path is made canonical (tower-http's
//! `NormalizePath` trims trailing slashes; repeated ones are collapsed here), the router routes,
//! and a handler that panics is answered with the vendor's 500 envelope by `CatchPanicLayer`.

use std::any::Any;
use std::task::{Context, Poll};

use axum::Router;
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

use super::common::access_log::AccessLog;
use super::common::error::{ApiError, Severity};
use super::common::paths::collapse_slashes;
use super::common::read::BoxError;
use super::common::{AppState, Meta};
use super::{control, graph, on_premises};

/// The router of every surface that `state` serves (the control API's only when it is on): the
/// control API's and the On-Premises API's, merged, each answering what it does not route below
/// its own prefix; Graph's behind them, asked only for a path neither has (its paths begin with a
/// parameter, `/{version}/…`: matching the others' paths then never steps back from a literal
/// segment to try a parameter, which costs the matcher an allocation per request).
pub fn router(state: AppState) -> Router {
    control::router(&state)
        .merge(on_premises::router(&state))
        .fallback_service(graph::router(&state))
        .with_state(state)
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
        let mut response = axum::response::IntoResponse::into_response(ApiError::Panicked);
        self.meta.complete(&mut response);
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
