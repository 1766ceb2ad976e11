//! What every route of the table runs through, written once: the cluster addressed, the body
//! read and parsed once, armed faults, who is calling, the handler, the journal and the answer.
//!
//! The router (see [`super::app`]) makes each row of the route table an axum route whose
//! handler is [`serve`] with that row.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use http::request::Parts;

use super::Response;
use super::access_log::Served;
use super::call::{Call, PathParams, basic, bearer, check_json_type, cluster_name};
use super::error::{ApiError, REASON_HEADER, invalid_request};
use super::faults::{DropConnection, FAULT_RULE, forced_outcome};
use super::graph;
use super::handoff;
use super::paths::{method_name, vendor_path};
use super::read::{ParsedBody, journal_body, parse_body, raw_bytes, read_body};
use super::respond::{Outcome, unrouted, write};
use super::routes::{Access, Addressing, Route, Surface, Takes};
use super::state::AppState;
use crate::domain::Error;
use crate::domain::cloud::CloudError;
use crate::domain::faults::{FaultAction, Verb};
use crate::domain::json::ParseError;
use crate::store::journal::Entry;
use crate::store::users::Role;
use crate::store::{Admission, Caller, Cluster};

/// A row of the route table as mounted at one path.
#[derive(Debug, Clone)]
pub struct Mounted {
    /// The row.
    pub route: &'static Route,
    /// The vendor path the journal records, when every request of the route has the same one
    /// (made once, shared by every entry).
    pub journal_path: Option<Arc<str>>,
    /// The route's method, as faults filter on it.
    pub verb: Verb,
}

impl Mounted {
    /// `route`, with its journal path made once when it is fixed.
    pub fn new(route: &'static Route) -> Self {
        let fixed = route.surface == Surface::Vendor && !route.path.contains('{');
        Self {
            route,
            journal_path: fixed.then(|| format!("/v1{}", route.path).into()),
            verb: Verb::parse(route.method).expect("the route table's methods are verbs"),
        }
    }
}

/// Serves `request` by the mounted route.
///
/// The request is taken apart before the answer's future is made, and the routes below borrow
/// its head rather than take it: an `async fn` keeps a copy of each argument it is given, and
/// this future is moved into its box whole (a smaller future is a cheaper request).
pub fn serve(
    state: AppState,
    mounted: Mounted,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (mut parts, body) = request.into_parts();
    // Noted now: the handler takes the request's head.
    let served = Served::of(&parts.method, parts.uri.path());
    async move {
        let route = mounted.route;
        let (mut response, cluster) = match PathParams::read(&mut parts).await {
            Err(e) => (write(&state.meta, Outcome::Error(e), route.access), None),
            // `/v1/...` and `/_emulator/...` paths no route has reach the Graph routes'
            // patterns: they answer as unrouted paths do.
            Ok(params)
                if route.surface == Surface::Graph
                    && !params.version.as_deref().is_some_and(graph::is_version) =>
            {
                return unrouted(&state, &parts.method, parts.uri.path());
            }
            Ok(params) => match route.surface {
                Surface::Vendor | Surface::Graph => {
                    vendor(&state, &mounted, &mut parts, &params, body).await
                }
                Surface::Control | Surface::Root => {
                    control(&state, route, &mut parts, &params, body).await
                }
            },
        };
        if let Some(served) = served {
            served.mark(&mut response, cluster.as_deref().map(Cluster::name));
        }
        response
    }
}

/// A vendor route: faults fire and the journal records, around the call.
async fn vendor(
    state: &AppState,
    mounted: &Mounted,
    parts: &mut Parts,
    params: &PathParams,
    body: axum::body::Body,
) -> (Response, Option<Arc<Cluster>>) {
    let route = mounted.route;
    let cluster = cluster_name(params.cluster.as_deref(), &parts.headers, true)
        .and_then(|name| state.store.cluster(&name).map_err(ApiError::from));
    let cluster = match cluster {
        Ok(cluster) => cluster,
        // No cluster, so no journal to write to.
        Err(e) => return (write(&state.meta, Outcome::Error(e), route.access), None),
    };
    let at = cluster.now();
    let path = vendor_path(parts.uri.path());
    let method = method_name(&parts.method);
    let journal_path = cluster
        .journal_enabled()
        .then(|| match &mounted.journal_path {
            Some(fixed) => fixed.clone(),
            None => Arc::from(path),
        });
    let (outcome, body) = match read_body(body, state.body_timeout).await {
        Err(e) => (Outcome::Error(e), None),
        Ok(raw) => {
            let parsed = parse_body(raw);
            let journaled = cluster
                .journal_enabled()
                .then(|| journal_body(raw_bytes(&parsed), &parsed.get().0));
            let admitted = cluster.admit(Admission {
                method: mounted.verb,
                path,
                body: parsed.get().0.as_ref().ok().and_then(Option::as_ref),
                caller: caller(route, &parts.headers),
                at,
            });
            let forced = match admitted.fault {
                Some(FaultAction::Delay { ms }) => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    None
                }
                other => other.and_then(forced_outcome),
            };
            let outcome = match forced {
                Some(outcome) => outcome,
                None => {
                    let role = admitted.caller;
                    call(state, route, parts, cluster.clone(), role, parsed).await
                }
            };
            (outcome, journaled.flatten())
        }
    };
    let (decided, failed) = match &outcome {
        Outcome::Reply(reply) => (reply.decided.map(Cow::Borrowed), false),
        Outcome::Raw(_) => (Some(Cow::Borrowed(FAULT_RULE)), false),
        Outcome::Error(_) => (None, true),
        Outcome::Written(_) => (None, false),
    };
    let response = write(&state.meta, outcome, route.access);
    if let Some(path) = journal_path {
        // An error's rule is the reason its answer carries (only an error's answer has one).
        let decided = decided.or_else(|| {
            if !failed {
                return None;
            }
            let reason = response.headers().get(REASON_HEADER)?.to_str().ok()?;
            Some(Cow::Owned(reason.to_owned()))
        });
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
            reason: decided,
            body,
            truncated: false,
        });
    }
    (response, Some(cluster))
}

/// A control route: behind the control token, when one is set.
async fn control(
    state: &AppState,
    route: &'static Route,
    parts: &mut Parts,
    params: &PathParams,
    body: axum::body::Body,
) -> (Response, Option<Arc<Cluster>>) {
    let mut addressed = None;
    let outcome = async {
        match route.access {
            Access::Control => check_control_token(state, parts, false)?,
            Access::ControlStream => check_control_token(state, parts, true)?,
            _ => {}
        }
        let cluster = match params.cluster.as_deref() {
            Some(name) => {
                let name = cluster_name(Some(name), &parts.headers, false)?;
                let cluster = match route.addressing {
                    Addressing::Creates => state.store.cluster(&name)?,
                    Addressing::ExistingOnly => state
                        .store
                        .find(&name)
                        .ok_or_else(|| state.store.no_such_cluster(&name))?,
                };
                addressed = Some(cluster.clone());
                cluster
            }
            None => state.store.detached(),
        };
        let parsed = parse_body(read_body(body, state.body_timeout).await?);
        match call(state, route, parts, cluster, Ok(None), parsed).await {
            Outcome::Error(e) => Err(e),
            other => Ok(other),
        }
    }
    .await;
    let outcome = outcome.unwrap_or_else(Outcome::Error);
    (write(&state.meta, outcome, route.access), addressed)
}

/// The control token, from `Authorization: Bearer`, or (where `in_query`) from `?token=`.
fn check_control_token(state: &AppState, parts: &Parts, in_query: bool) -> Result<(), ApiError> {
    let Some(expected) = &state.control.token else {
        return Ok(());
    };
    let from_query = || {
        serde_urlencoded::from_str::<Vec<(String, String)>>(parts.uri.query()?)
            .ok()?
            .into_iter()
            .find_map(|(name, value)| (name == "token").then_some(value))
    };
    let queried = if in_query { from_query() } else { None };
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
/// runs its handler with the [`Call`] handed off to its extractors. `role` is what admission
/// decided of the caller. The handler takes the request's head (`parts` is left empty).
async fn call(
    state: &AppState,
    route: &'static Route,
    parts: &mut Parts,
    cluster: Arc<Cluster>,
    role: crate::domain::Result<Option<Role>>,
    parsed: ParsedBody,
) -> Outcome {
    if let Err(e) = role {
        return Outcome::Error(e.into());
    }
    let call = match prepare(state, route, parts, cluster, parsed) {
        Ok(call) => call,
        Err(e) => return Outcome::Error(e),
    };
    let head = std::mem::replace(parts, Request::new(()).into_parts().0);
    let request = Request::from_parts(head, axum::body::Body::empty());
    match handoff::run(call, (route.handler)(request, state.clone())).await {
        (_, Some(answer)) => answer.into(),
        // No typed answer: the handler wrote its own (the event stream).
        (response, None) => Outcome::Written(response),
    }
}

fn prepare(
    state: &AppState,
    route: &'static Route,
    parts: &Parts,
    cluster: Arc<Cluster>,
    parsed: ParsedBody,
) -> Result<Call, ApiError> {
    let credentials = match route.access {
        Access::Basic => Some(basic(&parts.headers)?),
        _ => None,
    };
    if route.access == Access::Graph {
        check_graph_token(state, parts)?;
    }
    let takes = route.takes;
    if matches!(takes, Takes::Json | Takes::OptionalJson) {
        check_json_type(&parts.headers)?;
    }
    if !matches!(takes, Takes::Nothing | Takes::Raw | Takes::Graph) {
        match &parsed.get().0 {
            Ok(Some(_)) => {}
            Ok(None) if matches!(takes, Takes::OptionalJson | Takes::OptionalObject) => {}
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
    Ok(Call {
        cluster,
        credentials,
        body: Some(parsed),
    })
}

/// A Graph access token, from `Authorization: Bearer` or `?access_token=`: any non-empty one,
/// or exactly the `--graph-token`.
fn check_graph_token(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    let from_query = || {
        serde_urlencoded::from_str::<Vec<(String, String)>>(parts.uri.query()?)
            .ok()?
            .into_iter()
            .find_map(|(name, value)| (name == "access_token").then_some(value))
    };
    let given = match bearer(&parts.headers) {
        Ok(token) => Some(token.to_owned()),
        Err(_) => from_query().filter(|t| !t.is_empty()),
    };
    let Some(given) = given else {
        return Err(Error::Cloud(CloudError::Token { missing: true }).into());
    };
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
