//! What every route of the table runs through, written once as an axum middleware: the cluster
//! addressed, the body read and parsed once, armed faults, who is calling, the handler, the
//! journal and the answer.
//!
//! The router (see [`super::app`]) mounts each row of the route table as [`serve`] with that
//! row, a plain wrapper around the row's axum handler. The pipeline leaves what it decided in the
//! request's extensions as a [`Call`] for the handler's extractors; the handler answers a
//! `Reply` or an `ApiError`, which ride back in the response's extensions, and the pipeline
//! writes them with `meta`, the envelope and the journal.
//!
//! (A wrapper rather than `axum::middleware::from_fn`: around a route, the middleware clones the
//! route's boxed service and boxes its future again on every request, six allocations a request
//! by the profile; see the performance chapter.)

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::IntoResponse;
use http::request::Parts;

use super::Response;
use super::access_log::Served;
use super::call::{Call, PathParams, basic, bearer, body_error, check_json_type, cluster_name};
use super::error::{ApiError, invalid_request};
use super::faults::{DropConnection, FAULT_RULE, forced_answer};
use super::graph;
use super::paths::{method_name, vendor_path};
use super::read::{BodyLimit, ParsedBody, read_body};
use super::respond::{finish, unrouted};
use super::routes::{Access, Addressing, Reads, Route, Surface};
use super::state::AppState;
use crate::domain::Error;
use crate::domain::cloud::CloudError;
use crate::domain::faults::{FaultAction, Verb};
use crate::store::journal::Entry;
use crate::store::{Admission, Caller, Cluster};

/// A row of the route table as mounted: what [`serve`] needs of it, with the application.
#[derive(Debug, Clone)]
pub struct MountedRoute {
    /// The application's state.
    pub state: AppState,
    /// The row.
    pub route: &'static Route,
    /// The vendor path the journal records, when every request of the route has the same one
    /// (made once, shared by every entry).
    pub journal_path: Option<Arc<str>>,
    /// The route's method, as faults filter on it.
    pub verb: Verb,
    /// Its row of the route table, as the metrics count it.
    pub index: usize,
}

impl MountedRoute {
    /// `route`, row `index` of the table, served from `state`, with its journal path made once
    /// when it is fixed.
    pub fn new(state: AppState, index: usize, route: &'static Route) -> Self {
        let fixed = route.surface == Surface::Vendor && !route.path.contains('{');
        Self {
            state,
            route,
            journal_path: fixed.then(|| format!("/v1{}", route.path).into()),
            verb: Verb::parse(route.method).expect("the route table's methods are verbs"),
            index,
        }
    }
}

/// Serves `request` by the mounted route.
pub async fn serve(mounted: &MountedRoute, request: Request) -> Response {
    let started = std::time::Instant::now();
    let (mut parts, body) = request.into_parts();
    let served = Served::of(&parts.method, parts.uri.path());
    let route = mounted.route;
    let (mut response, cluster) = match PathParams::read(&mut parts).await {
        Err(e) => (
            finish(&mounted.state.meta, e.into_response(), route.access).0,
            None,
        ),
        // `/v1/...` and `/_emulator/...` paths no route has reach the Graph routes' patterns:
        // they answer as unrouted paths do; so does a version Graph never had (2500).
        Ok(params)
            if route.surface == Surface::Graph
                && !params
                    .version
                    .as_deref()
                    .is_some_and(graph::is_known_version) =>
        {
            let response = unrouted(&mounted.state, &parts.method, parts.uri.path());
            journal_unrouted(
                &mounted.state,
                &parts.method,
                parts.uri.path(),
                &parts.headers,
                &response,
            );
            return response;
        }
        Ok(params) => match route.surface {
            Surface::Vendor | Surface::Graph => vendor(mounted, parts, &params, body).await,
            Surface::Control | Surface::Root => control(mounted, parts, &params, body).await,
        },
    };
    if let Some(served) = served {
        served.mark(&mut response, cluster.as_deref().map(Cluster::name));
    }
    mounted
        .state
        .metrics
        .served(mounted.index, response.status().as_u16(), started.elapsed());
    response
}

/// Counts a request that no route took (`response` its answer) and journals it in the cluster it
/// names (its path's `/clusters/{name}`, `X-Emulator-Cluster`, else `default`), so that
/// `requests/unmatched` shows it with the route it most likely meant. Control paths, and names
/// that are not valid, journal nothing.
pub fn journal_unrouted(
    state: &AppState,
    method: &http::Method,
    path: &str,
    headers: &http::HeaderMap,
    response: &Response,
) {
    state.metrics.unrouted(response.status().as_u16());
    let journal_path = vendor_path(path);
    if journal_path.starts_with("/_emulator") {
        return;
    }
    let named = path
        .strip_prefix("/clusters/")
        .and_then(|rest| rest.split('/').next());
    let Ok(name) = cluster_name(named, headers, true) else {
        return;
    };
    let Ok(cluster) = state.store.cluster(&name) else {
        return;
    };
    if !cluster.journal_enabled() {
        return;
    }
    let reason = response
        .headers()
        .get(super::error::REASON_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|r| Cow::Owned(r.to_owned()));
    cluster.record(Entry {
        at: cluster.now(),
        method: method_name(method),
        path: journal_path.into(),
        status: response.status().as_u16(),
        reason,
        body: None,
        truncated: false,
    });
}

/// A vendor route: faults fire and the journal records, around the call.
async fn vendor(
    mounted: &MountedRoute,
    parts: Parts,
    params: &PathParams,
    body: Body,
) -> (Response, Option<Arc<Cluster>>) {
    let (state, route) = (&mounted.state, mounted.route);
    let cluster = cluster_name(params.cluster.as_deref(), &parts.headers, true)
        .and_then(|name| state.store.cluster(&name).map_err(ApiError::from));
    let cluster = match cluster {
        Ok(cluster) => cluster,
        // No cluster, so no journal to write to.
        Err(e) => return (finish(&state.meta, e.into_response(), route.access).0, None),
    };
    let at = cluster.now();
    let method = method_name(&parts.method);
    let journal_path = cluster
        .journal_enabled()
        .then(|| match &mounted.journal_path {
            Some(fixed) => fixed.clone(),
            None => Arc::from(vendor_path(parts.uri.path())),
        });
    let mut journal_body = None;
    let mut forced = false;
    let response = match read_body(body, state.body_timeout, BodyLimit::VENDOR).await {
        Err(e) => e.into_response(),
        Ok(raw) => {
            let parsed = ParsedBody::parse(raw);
            if journal_path.is_some() {
                journal_body = parsed.journal_text();
            }
            let admitted = cluster.admit(Admission {
                method: mounted.verb,
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
                other => other.and_then(forced_answer),
            };
            match (fault, admitted.caller) {
                (Some(answer), _) => {
                    forced = true;
                    answer
                }
                (None, Err(e)) => ApiError::from(e).into_response(),
                (None, Ok(())) => call(state, route, parts, Some(cluster.clone()), parsed).await,
            }
        }
    };
    let (response, decided) = finish(&state.meta, response, route.access);
    if let Some(path) = journal_path {
        let status = if response.extensions().get::<DropConnection>().is_some() {
            0
        } else {
            response.status().as_u16()
        };
        cluster.record(Entry {
            at,
            method,
            path,
            status,
            reason: if forced {
                Some(Cow::Borrowed(FAULT_RULE))
            } else {
                decided
            },
            body: journal_body,
            truncated: false,
        });
    }
    (response, Some(cluster))
}

/// A control route: behind the control token, when one is set.
async fn control(
    mounted: &MountedRoute,
    parts: Parts,
    params: &PathParams,
    body: Body,
) -> (Response, Option<Arc<Cluster>>) {
    let (state, route) = (&mounted.state, mounted.route);
    let cluster = match route.access {
        Access::Control => check_control_token(state, &parts, false),
        Access::ControlStream => check_control_token(state, &parts, true),
        _ => Ok(()),
    }
    .and_then(|()| addressed(state, route, &parts, params));
    let response = match cluster.clone() {
        Err(e) => e.into_response(),
        Ok(cluster) => match read_body(body, state.body_timeout, state.control_body_limit).await {
            Err(e) => e.into_response(),
            Ok(raw) => call(state, route, parts, cluster, ParsedBody::parse(raw)).await,
        },
    };
    let (response, _) = finish(&state.meta, response, route.access);
    (response, cluster.ok().flatten())
}

/// The cluster a control route's path names, if it names one.
fn addressed(
    state: &AppState,
    route: &Route,
    parts: &Parts,
    params: &PathParams,
) -> Result<Option<Arc<Cluster>>, ApiError> {
    let Some(name) = params.cluster.as_deref() else {
        return Ok(None);
    };
    let name = cluster_name(Some(name), &parts.headers, false)?;
    let cluster = match route.addressing {
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
fn check_control_token(state: &AppState, parts: &Parts, in_query: bool) -> Result<(), ApiError> {
    let Some(expected) = &state.control.token else {
        return Ok(());
    };
    let queried = if in_query {
        query_value(parts, "token")
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

/// The value of `name` in the request's query string.
fn query_value(parts: &Parts, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(parts.uri.query()?)
        .ok()?
        .into_iter()
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// What a vendor route asks of its caller, with the token the request carries.
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

/// Checks what the route takes of the request (credentials, a Graph token, a JSON body), then
/// runs its handler with the [`Call`] in the request's extensions.
async fn call(
    state: &AppState,
    route: &'static Route,
    parts: Parts,
    cluster: Option<Arc<Cluster>>,
    parsed: ParsedBody,
) -> Response {
    let call = match prepare(state, route, &parts, cluster, parsed) {
        Ok(call) => call,
        Err(e) => return e.into_response(),
    };
    let mut request = Request::from_parts(parts, Body::empty());
    request.extensions_mut().insert(call);
    (route.handler)(request, state.clone()).await
}

fn prepare(
    state: &AppState,
    route: &'static Route,
    parts: &Parts,
    cluster: Option<Arc<Cluster>>,
    parsed: ParsedBody,
) -> Result<Call, ApiError> {
    let credentials = match route.access {
        Access::Basic => Some(basic(&parts.headers)?),
        _ => None,
    };
    if route.access == Access::Graph {
        check_graph_token(state, parts, cluster.as_deref())?;
    }
    let reads = route.reads;
    if matches!(reads, Reads::Json | Reads::OptionalJson) {
        check_json_type(&parts.headers)?;
    }
    if !matches!(reads, Reads::Nothing | Reads::Raw | Reads::Graph) {
        match parsed.object() {
            Ok(Some(_)) => {}
            Ok(None) if matches!(reads, Reads::OptionalJson | Reads::OptionalObject) => {}
            Ok(None) => {
                return Err(invalid_request(
                    "empty_body",
                    "The request body is empty: send a JSON object",
                ));
            }
            Err(e) => return Err(body_error(e)),
        }
    }
    Ok(Call {
        cluster,
        credentials,
        body: Some(parsed),
    })
}

/// A Graph access token, from `Authorization: Bearer` or `?access_token=`: any non-empty one,
/// or exactly the `--graph-token`, or one made for the cluster to expire, until it does.
fn check_graph_token(
    state: &AppState,
    parts: &Parts,
    cluster: Option<&Cluster>,
) -> Result<(), ApiError> {
    let given = match bearer(&parts.headers) {
        Ok(token) => Some(token.to_owned()),
        Err(_) => query_value(parts, "access_token").filter(|t| !t.is_empty()),
    };
    let Some(given) = given else {
        return Err(Error::Cloud(CloudError::Token { missing: true }).into());
    };
    if let Some(cluster) = cluster
        && let Some(end) = cluster.graph_token_end(&given)
    {
        let now = cluster.now();
        if now < end {
            return Ok(());
        }
        return Err(Error::Cloud(CloudError::TokenExpired {
            expired: crate::domain::clock::pacific(end),
            now: crate::domain::clock::pacific(now),
        })
        .into());
    }
    match &state.graph_token {
        Some(expected)
            if !bool::from(subtle::ConstantTimeEq::ct_eq(
                given.as_bytes(),
                expected.as_bytes(),
            )) =>
        {
            Err(Error::Cloud(CloudError::Token { missing: false }).into())
        }
        _ => Ok(()),
    }
}
