//! The layer around every route of the control API (and the front door): the control token,
//! the cluster the path names (found, made, or left to the handler, as the row says), the body
//! read once up to `--control-body-limit`, then the handler; `meta` on its errors, the access
//! log's note and the metrics. Nothing here is journaled: the journal is of the clients' traffic.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use tower::{Layer, Service};

use crate::domain::Error;
use crate::http::common::access_log::Served;
use crate::http::common::error::ApiError;
use crate::http::common::extract::{
    Addressed, LeftBody, PathParams, bearer, cluster_name, query_value,
};
use crate::http::common::read::{ParsedBody, read_body};
use crate::http::common::route::{Access, Addressing, Route, SurfaceFuture};
use crate::http::common::state::AppState;
use crate::store::Cluster;

#[derive(Debug)]
struct Row {
    state: AppState,
    route: &'static Route,
    index: usize,
}

/// The layer of one row of the control API.
#[derive(Debug, Clone)]
pub struct ControlLayer(Arc<Row>);

impl ControlLayer {
    /// The layer of `route` (row `index` of the table) served from `state`.
    pub fn new(state: &AppState, route: &'static Route, index: usize) -> Self {
        Self(Arc::new(Row {
            state: state.clone(),
            route,
            index,
        }))
    }
}

impl<S> Layer<S> for ControlLayer {
    type Service = Control<S>;

    fn layer(&self, inner: S) -> Control<S> {
        Control {
            row: self.0.clone(),
            inner,
        }
    }
}

/// A row's handler behind its [`ControlLayer`].
#[derive(Debug, Clone)]
pub struct Control<S> {
    row: Arc<Row>,
    inner: S,
}

impl<S> Service<Request> for Control<S>
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

async fn serve<S>(row: &Row, mut inner: S, request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let (state, route) = (&row.state, row.route);
    let started = Instant::now();
    let (mut parts, body) = request.into_parts();
    let served = Served::of(&parts.method, parts.uri.path());
    let cluster = admitted(row, &mut parts).await;
    let mut response = match cluster.clone() {
        Err(e) => e.into_response(),
        Ok(cluster) => match read_body(body, state.body_timeout, state.control_body_limit).await {
            Err(e) => e.into_response(),
            Ok(raw) => {
                if let Some(cluster) = cluster {
                    parts.extensions.insert(Addressed(cluster));
                }
                parts.extensions.insert(LeftBody {
                    parsed: ParsedBody::parse(raw),
                    reads: route.reads,
                });
                let Ok(response) = inner.call(Request::from_parts(parts, Body::empty())).await;
                response
            }
        },
    };
    state.meta.complete(&mut response);
    if let Some(served) = served {
        let cluster = cluster.ok().flatten();
        served.mark(&mut response, cluster.as_deref().map(Cluster::name));
    }
    state
        .metrics
        .served(row.index, response.status().as_u16(), started.elapsed());
    response
}

/// The caller checked, and the cluster the path names when it names one.
async fn admitted(row: &Row, parts: &mut Parts) -> Result<Option<Arc<Cluster>>, ApiError> {
    let state = &row.state;
    match row.route.access {
        Access::Control => check_token(state, parts, false)?,
        Access::ControlStream => check_token(state, parts, true)?,
        _ => {}
    }
    let params = PathParams::read(parts).await?;
    let Some(name) = params.cluster.as_deref() else {
        return Ok(None);
    };
    let name = cluster_name(Some(name), &parts.headers, false)?;
    let cluster = match row.route.addressing {
        Addressing::Named => return Ok(None),
        Addressing::Creates => state.store.cluster(&name)?,
        Addressing::Reads if name == crate::store::DEFAULT_CLUSTER => state.store.cluster(&name)?,
        Addressing::ExistingOnly => state
            .store
            .find(&name)
            .ok_or_else(|| state.store.no_such_cluster(&name))?,
        // A read addresses the cluster: it keeps it from expiring as idle.
        Addressing::Reads => match state.store.find(&name) {
            Some(cluster) => {
                cluster.touch();
                cluster
            }
            None => return Err(state.store.no_such_cluster(&name).into()),
        },
    };
    Ok(Some(cluster))
}

/// The control token, from `Authorization: Bearer`, or (where `in_query`) from `?token=`.
fn check_token(state: &AppState, parts: &Parts, in_query: bool) -> Result<(), ApiError> {
    let Some(expected) = &state.control.token else {
        return Ok(());
    };
    let queried = if in_query {
        query_value(&parts.uri, "token")
    } else {
        None
    };
    let given = match bearer(&parts.headers) {
        Ok(token) => token,
        Err(_) => queried.as_deref().unwrap_or(""),
    };
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
