//! A row of the route table: a route with its handler, who may call it and what body it takes.
//! Each surface holds its own rows (`on_premises::ROUTES`, `graph::ROUTES`, `control::ROUTES`) and
//! builds its router from them; [`super::table`] lists them all for the OpenAPI document, the
//! near misses and the metrics.

use std::future::Future;
use std::pin::Pin;

use axum::extract::Request;
use axum::response::Response;

use super::near::RouteNames;
use super::state::AppState;
pub use crate::domain::Surface;

/// A route's handler, as a row names it: an axum handler, called with the request and the
/// application's state (`axum::handler::Handler::call`).
pub type Handler = fn(Request, AppState) -> HandlerFuture;

/// What a [`Handler`] returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response> + Send>>;

/// A handler of a row: the axum handler `f`, called with the request and the state.
macro_rules! handler {
    ($f:path) => {
        |request, state| axum::handler::Handler::call($f, request, state)
    };
}
pub(crate) use handler;

/// The prefixes a surface is mounted at.
pub fn mounts(surface: Surface) -> &'static [&'static str] {
    match surface {
        Surface::OnPremises => &["/v1", "/clusters/{cluster}/v1"],
        Surface::Control => &["/_emulator"],
        Surface::Root => &[""],
        Surface::Cloud => &["/{version}", "/clusters/{cluster}/{version}"],
    }
}

/// The prefix a request names a surface's route by, without a cluster.
pub fn mount(surface: Surface) -> &'static str {
    mounts(surface)[0]
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Open,
    /// HTTP Basic credentials (login).
    Basic,
    /// A Bearer token of any user.
    Token,
    /// A Bearer token of `admin`.
    Admin,
    /// The `--control-token`, when one is configured.
    Control,
    /// Like [`Access::Control`], the token also taken from `?token=`: a browser's EventSource
    /// cannot send headers.
    ControlStream,
    /// A Graph access token (`Authorization: Bearer` or `?access_token=`): any non-empty one,
    /// or the `--graph-token`.
    Graph,
}

/// What body a route reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// None: a body sent is ignored (but journaled).
    Nothing,
    /// A JSON object, `Content-Type` JSON or absent.
    Json,
    /// Like [`Reads::Json`], or nothing.
    OptionalJson,
    /// A JSON object whatever its `Content-Type` (the control API: `curl -d` sends a form type).
    Object,
    /// Like [`Reads::Object`], or nothing.
    OptionalObject,
    /// The bytes, which the handler reads itself.
    Raw,
    /// Graph parameters: in the query string, a JSON body or a form body, read by the handler.
    Graph,
}

/// What a request to a cluster that does not exist does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Creates it, fresh: vendor and Graph traffic, and the control API's writes.
    Creates,
    /// Is answered 404, naming the clusters that exist: deleting one creates nothing.
    ExistingOnly,
    /// A read of the control API: answered 404 like [`Addressing::ExistingOnly`] (with the
    /// closest name), so that a typo of a name is not read as an empty cluster; `default`, the
    /// cluster every request without a name addresses, always exists.
    Reads,
    /// Found or made by the handler once it knows it should, from the name alone: a state
    /// document is checked before its cluster is made (a refused one makes nothing), and a held
    /// wait waits for its cluster to be made.
    Named,
}

/// One route.
#[derive(Clone, Copy)]
pub struct Route {
    /// Where it is mounted.
    pub surface: Surface,
    /// HTTP method.
    pub method: &'static str,
    /// Path below the mount.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Who may call it.
    pub access: Access,
    /// An example request body, as JSON.
    pub body: Option<&'static str>,
    /// Statuses it answers, with what each means.
    pub responses: &'static [(u16, &'static str)],
    /// What body it reads.
    pub reads: Reads,
    /// Whether it also answers while Coreapp restarts or no Coreapp runs (health, which
    /// reports exactly that); every other vendor route answers 503 / 1011 then.
    pub while_restarting: bool,
    /// Whether a request naming a new cluster creates it.
    pub addressing: Addressing,
    /// What it answers when it succeeds.
    pub answer: Answer,
    /// What answers it.
    pub(crate) handler: Handler,
}

/// What a route answers when it succeeds, as the OpenAPI document describes it.
#[derive(Clone, Copy)]
pub enum Answer {
    /// Described in words only, in `responses` (the vendor and Graph routes).
    Described,
    /// JSON of this schema (the route's answer type's, see [`schema`]).
    Json(fn(&mut schemars::SchemaGenerator) -> schemars::Schema),
    /// Text of another media type: a page, a stream of events, metrics.
    Media(&'static str),
}

/// The schema of `T`, as a row names its answer: `Answer::Json(schema::<Codes>)`.
pub fn schema<T: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    generator.subschema_for::<T>()
}

impl Route {
    /// A vendor route (`/v1/...`) for admins that reads no body: the rest of a row says how it
    /// differs.
    pub const fn vendor(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Self {
            surface: Surface::OnPremises,
            method,
            path,
            summary: "",
            access: Access::Admin,
            body: None,
            responses: &[],
            reads: Reads::Nothing,
            while_restarting: false,
            addressing: Addressing::Creates,
            answer: Answer::Described,
            handler,
        }
    }

    /// A Graph route (`/{version}/...`), its parameters read by its handler.
    pub const fn graph(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Self {
            surface: Surface::Cloud,
            access: Access::Graph,
            reads: Reads::Graph,
            ..Self::vendor(method, path, handler)
        }
    }

    /// A control route (`/_emulator/...`) behind the control token that reads no body.
    pub const fn control(method: &'static str, path: &'static str, handler: Handler) -> Self {
        Self {
            surface: Surface::Control,
            access: Access::Control,
            responses: &[
                (200, "Done"),
                (400, "Bad input"),
                (401, "Control token required"),
            ],
            ..Self::vendor(method, path, handler)
        }
    }
}

impl Route {
    /// The place of this row among `names`, the table's (as the metrics count it).
    pub fn index_in(&self, names: &RouteNames) -> usize {
        let pattern_is = |pattern: &str| {
            pattern
                .strip_prefix(mount(self.surface))
                .is_some_and(|path| path == self.path)
        };
        names
            .0
            .iter()
            .position(|name| {
                name.surface == self.surface
                    && name.method == self.method
                    && pattern_is(&name.pattern)
            })
            .unwrap_or(usize::MAX)
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}{}", self.method, mount(self.surface), self.path)
    }
}

/// A row's handler as a tower service, the innermost of the row's stack: its surface's layer
/// goes around it.
#[derive(Clone)]
pub struct RowHandler {
    handler: Handler,
    state: AppState,
}

impl tower::Service<Request> for RowHandler {
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = Handled;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Handled {
        Handled((self.handler)(request, self.state.clone()))
    }
}

/// The future of a [`RowHandler`]: the handler's, which cannot fail.
pub struct Handled(HandlerFuture);

impl Future for Handled {
    type Output = Result<Response, std::convert::Infallible>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        self.0.as_mut().poll(cx).map(Ok)
    }
}

/// A future a surface's layer answers with: one allocation a request, named so that a
/// surface's service has a type a router can hold.
pub struct SurfaceFuture(Pin<Box<dyn Future<Output = Response> + Send>>);

impl SurfaceFuture {
    /// The answer `future` gives.
    pub fn new(future: impl Future<Output = Response> + Send + 'static) -> Self {
        Self(Box::pin(future))
    }
}

impl Future for SurfaceFuture {
    type Output = Result<Response, std::convert::Infallible>;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        self.0.as_mut().poll(cx).map(Ok)
    }
}

/// A router of `rows`, one route per row and mount (the methods of one path together), each
/// row's handler wrapped in the layer `layer` makes for the row.
pub fn rows_router<L>(
    state: &AppState,
    rows: impl IntoIterator<Item = &'static Route>,
    layer: impl Fn(&'static Route) -> L,
) -> axum::Router<AppState>
where
    L: tower::Layer<RowHandler>,
    L::Service: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    <L::Service as tower::Service<Request>>::Future: Send + 'static,
{
    use axum::routing::MethodRouter;
    let mut paths: Vec<(String, MethodRouter<AppState>)> = Vec::new();
    for route in rows {
        let filter = method_filter(route.method);
        let service = layer(route).layer(RowHandler {
            handler: route.handler,
            state: state.clone(),
        });
        for mount in mounts(route.surface) {
            let path = format!("{mount}{}", route.path);
            match paths.iter_mut().find(|(p, _)| *p == path) {
                Some((_, methods)) => {
                    *methods = std::mem::take(methods).on_service(filter, service.clone());
                }
                None => paths.push((path, axum::routing::on_service(filter, service.clone()))),
            }
        }
    }
    paths
        .into_iter()
        .fold(axum::Router::new(), |router, (path, methods)| {
            router.route(&path, methods)
        })
}

fn method_filter(method: &str) -> axum::routing::MethodFilter {
    use axum::routing::MethodFilter;
    match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        "PATCH" => MethodFilter::PATCH,
        other => unreachable!("the route table has no {other} route"),
    }
}
