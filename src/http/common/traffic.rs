//! The layer around every route of the On-Premises and Cloud APIs, the traffic of the clients
//! under test: the cluster addressed (made when new), the body read and parsed once, admission
//! under the cluster's one lock (armed faults, a Coreapp restart, the token and its role), the
//! handler, then `meta`, the journal's entry and the metrics.
//!
//! A tower [`Layer`] wrapped around each row's handler where its surface's router is built,
//! with a future of its own name: not `axum::middleware::from_fn` or `route_layer`, which clone
//! the route's boxed service and box its future again on every request (six allocations a
//! request by the profile; see the performance chapter).

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::request::Parts;
use tower::{Layer, Service};

use super::access_log::Served;
use super::error::ApiError;
use super::extract::{Addressed, LeftBody, PathParams, bearer, cluster_name};
use super::faults::{DropConnection, FAULT_RULE, forced_answer};
use super::paths::{method_name, vendor_path};
use super::read::{BodyLimit, ParsedBody, read_body};
use super::reply::Decision;
use super::route::{Access, Route, SurfaceFuture, mount};
use super::state::AppState;
use crate::domain::Surface;
use crate::domain::faults::{FaultAction, Verb};
use crate::store::journal::Entry;
use crate::store::{Admission, Caller, Cluster};

/// How a surface answers a failure, in its own envelope.
pub type WriteError = fn(ApiError) -> Response;

/// An answer a surface gives before any route's work, when the path's parameters say the request
/// is not one of its own (Graph: a version it never had).
pub type Gate = fn(&AppState, &Parts, &PathParams) -> Option<Response>;

/// A row of a vendor or Graph route as mounted: what its layer needs of it.
#[derive(Debug)]
struct Row {
    state: AppState,
    route: &'static Route,
    /// The path the journal records, when every request of the route has the same one (made
    /// once, shared by every entry).
    journal_path: Option<Arc<str>>,
    /// The route's method, as faults filter on it.
    verb: Verb,
    /// Its place in the route table, as the metrics count it.
    index: usize,
    write_error: WriteError,
    gate: Option<Gate>,
}

/// The layer of one row of the On-Premises or Cloud API.
#[derive(Debug, Clone)]
pub struct TrafficLayer(Arc<Row>);

impl TrafficLayer {
    /// The layer of `route` (row `index` of the table) served from `state`, its failures
    /// written by `write_error`, its requests first asked of `gate`.
    pub fn new(
        state: &AppState,
        route: &'static Route,
        index: usize,
        write_error: WriteError,
        gate: Option<Gate>,
    ) -> Self {
        let fixed = !route.path.contains('{') && route.surface == Surface::OnPremises;
        Self(Arc::new(Row {
            state: state.clone(),
            route,
            journal_path: fixed.then(|| format!("{}{}", mount(route.surface), route.path).into()),
            verb: Verb::parse(route.method).expect("the route table's methods are verbs"),
            index,
            write_error,
            gate,
        }))
    }
}

impl<S> Layer<S> for TrafficLayer {
    type Service = Traffic<S>;

    fn layer(&self, inner: S) -> Traffic<S> {
        Traffic {
            row: self.0.clone(),
            inner,
        }
    }
}

/// A row's handler behind its [`TrafficLayer`].
#[derive(Debug, Clone)]
pub struct Traffic<S> {
    row: Arc<Row>,
    inner: S,
}

impl<S> Service<Request> for Traffic<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = SurfaceFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> SurfaceFuture {
        let (row, inner) = (self.row.clone(), self.inner.clone());
        SurfaceFuture::new(async move { serve(&row, inner, request).await })
    }
}

async fn serve<S>(row: &Row, inner: S, request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let started = Instant::now();
    let (mut parts, body) = request.into_parts();
    let served = Served::of(&parts.method, parts.uri.path());
    let (mut response, cluster) = match PathParams::read(&mut parts).await {
        Err(e) => ((row.write_error)(e), None),
        Ok(params) => {
            if let Some(answer) = row.gate.and_then(|gate| gate(&row.state, &parts, &params)) {
                return answer;
            }
            admitted(row, inner, parts, &params, body).await
        }
    };
    row.state.meta.complete(&mut response);
    if let Some(served) = served {
        served.mark(&mut response, cluster.as_deref().map(Cluster::name));
    }
    row.state
        .metrics
        .served(row.index, response.status().as_u16(), started.elapsed());
    response
}

/// The request in its cluster: admitted, answered, journaled.
async fn admitted<S>(
    row: &Row,
    mut inner: S,
    mut parts: Parts,
    params: &PathParams,
    body: Body,
) -> (Response, Option<Arc<Cluster>>)
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let (state, route) = (&row.state, row.route);
    let cluster = cluster_name(params.cluster.as_deref(), &parts.headers, true)
        .and_then(|name| state.store.cluster(&name).map_err(ApiError::from));
    let cluster = match cluster {
        Ok(cluster) => cluster,
        // No cluster, so no journal to write to.
        Err(e) => return ((row.write_error)(e), None),
    };
    let at = cluster.now();
    let method = method_name(&parts.method);
    let journal_path = cluster.journal_enabled().then(|| match &row.journal_path {
        Some(fixed) => fixed.clone(),
        None => Arc::from(vendor_path(parts.uri.path())),
    });
    let mut journal_body = None;
    let mut forced = false;
    let response = match read_body(body, state.body_timeout, BodyLimit::VENDOR).await {
        Err(e) => (row.write_error)(e),
        Ok(raw) => {
            let parsed = ParsedBody::parse(raw);
            if journal_path.is_some() {
                journal_body = parsed.journal_text();
            }
            let admitted = cluster.admit(Admission {
                method: row.verb,
                path: vendor_path(parts.uri.path()),
                body: parsed.object().as_ref().ok().and_then(Option::as_ref),
                caller: caller(route, &parts.headers),
                at,
            });
            let fault = match admitted.fault {
                Some(FaultAction::Delay { ms }) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    None
                }
                other => other.and_then(|action| forced_answer(action, row.write_error)),
            };
            match (fault, admitted.caller) {
                (Some(answer), _) => {
                    forced = true;
                    answer
                }
                (None, Err(e)) => (row.write_error)(e.into()),
                (None, Ok(())) => {
                    parts.extensions.insert(Addressed(cluster.clone()));
                    parts.extensions.insert(LeftBody {
                        parsed,
                        reads: route.reads,
                    });
                    let request = Request::from_parts(parts, Body::empty());
                    let Ok(response) = inner.call(request).await;
                    response
                }
            }
        }
    };
    if let Some(path) = journal_path {
        let status = if response.extensions().get::<DropConnection>().is_some() {
            0
        } else {
            response.status().as_u16()
        };
        let reason = if forced {
            Some(Cow::Borrowed(FAULT_RULE))
        } else {
            Decision::rule_of(&response)
        };
        cluster.record(Entry {
            at,
            method,
            path,
            status,
            reason,
            body: journal_body,
            truncated: false,
        });
    }
    (response, Some(cluster))
}

/// What a route asks of its caller at admission, with the token the request carries.
fn caller<'h>(route: &Route, headers: &'h http::HeaderMap) -> Caller<'h> {
    match route.access {
        Access::Token | Access::Admin => Caller::Token {
            token: bearer(headers),
            admin: route.access == Access::Admin,
            while_restarting: route.while_restarting,
        },
        Access::Open | Access::Basic | Access::Control | Access::ControlStream | Access::Graph => {
            Caller::Anyone
        }
    }
}
