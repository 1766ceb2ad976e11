//! Control routes that steer a cluster for unhappy-path tests: faults, the virtual clock, the
//! request journal and Coreapp restarts.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::answers;
use super::clusters::MAX_WAIT_SECONDS;
use crate::domain::Error;
use crate::domain::Surface;
use crate::domain::clock::rfc3339;
use crate::domain::faults::FaultSpec;
use crate::domain::request::Fields;
use crate::http::common::AppState;
use crate::http::common::Reply;
use crate::http::common::error::ApiError;
use crate::http::common::error::invalid_request;
use crate::http::common::extract::{ClusterName, InCluster, JsonBody, Node, Query, RawBody};
use crate::store::Cluster;
use crate::store::journal::EntryFilter;

/// `POST /_emulator/clusters/{cluster}/faults`: arms a fault or a list of faults.
pub async fn arm_faults(
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
    RawBody(raw): RawBody,
) -> Result<Reply, ApiError> {
    let body: Value = serde_json::from_slice(&raw).map_err(|e| {
        invalid_request(
            "not_json",
            format!("The body must be a fault object or a list of them: {e}"),
        )
    })?;
    let items = match body {
        Value::Array(items) => items,
        Value::Object(map) => match map.get("faults") {
            Some(Value::Array(items)) => items.clone(),
            _ => vec![Value::Object(map)],
        },
        _ => {
            return Err(invalid_request(
                "not_object",
                "The body must be a fault object or a list of them",
            ));
        }
    };
    let mut specs = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let spec: FaultSpec = serde_json::from_value(item).map_err(|e| {
            Error::invalid(
                "faults",
                "format",
                format!("faults[{i}]: {e}{}", fault_help(&e)),
            )
        })?;
        spec.check()
            .map_err(|e| Error::invalid("faults", "value", format!("faults[{i}]: {e}")))?;
        let route: String = spec.route.clone().into();
        if route != "*" && !state.routes.is_vendor_or_graph_path(&route) {
            let near = state
                .routes
                .closest(spec.method.map_or("POST", |m| m.as_str()), &route, 3);
            return Err(Error::invalid(
                "faults",
                "route",
                format!(
                    "faults[{i}]: {route} is not a route of the emulator, so the fault would never fire; the closest: {} (paths without the /clusters/{{cluster}} prefix, {{param}} segments allowed)",
                    near.join(", ")
                ),
            )
            .into());
        }
        specs.push(spec);
    }
    let faults = cluster.arm_faults(specs);
    Ok(Reply::control(&answers::Faults { faults }))
}

/// `GET /_emulator/clusters/{cluster}/faults`: armed and spent faults, with how often each fired.
pub async fn list_faults(InCluster(cluster): InCluster) -> Reply {
    Reply::control(&answers::Faults {
        faults: cluster.faults(),
    })
}

/// `DELETE /_emulator/clusters/{cluster}/faults`: disarms every fault.
pub async fn clear_faults(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    cluster.clear_faults();
    Ok(Reply::control(&answers::Faults { faults: vec![] }))
}

fn clock_body(cluster: &Cluster) -> Reply {
    Reply::control(&answers::Clock {
        cluster: cluster.name(),
        now: rfc3339(cluster.now()),
        offset_seconds: cluster.offset().as_secs_f64(),
    })
}

/// `GET /_emulator/clusters/{cluster}/clock`: the cluster's current time.
pub async fn get_clock(InCluster(cluster): InCluster) -> Reply {
    clock_body(&cluster)
}

/// `POST /_emulator/clusters/{cluster}/clock {"advance_seconds": N}`: moves the cluster's time
/// forward without sleeping.
pub async fn advance_clock(
    InCluster(cluster): InCluster,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["advance_seconds"])?;
    fields.require(&["advance_seconds"])?;
    let seconds = fields
        .get("advance_seconds")
        .and_then(|v| v.as_f64())
        .filter(|s| s.is_finite() && (0.0..=10.0 * 365.0 * 86_400.0).contains(s))
        .ok_or_else(|| {
            Error::invalid(
                "advance_seconds",
                "range",
                "Parameter 'advance_seconds' must be a number of seconds from 0 to ten years",
            )
        })?;
    cluster.advance(Duration::from_secs_f64(seconds)).await?;
    Ok(clock_body(&cluster))
}

/// The query of a journal call: its filters, `method`, `path` (`*` for one segment), `status`,
/// `reason`, `surface` (`on_premises`, `cloud`), `since` (RFC 3339, on the cluster's clock) and
/// `body.FIELD=VALUE` (the rest of the query, flattened); and what only a count takes,
/// `at_least` and `wait`.
#[derive(Debug, Default, Deserialize)]
pub struct JournalQuery {
    method: Option<String>,
    path: Option<String>,
    status: Option<String>,
    reason: Option<String>,
    surface: Option<String>,
    since: Option<String>,
    at_least: Option<String>,
    wait: Option<String>,
    #[serde(flatten)]
    rest: BTreeMap<String, String>,
}

impl JournalQuery {
    /// The filter the query asks for; `counting` when the call takes `at_least` and `wait`.
    /// Anything else is refused, naming what is taken.
    fn filter(&self, counting: bool) -> Result<EntryFilter, Error> {
        const TAKEN: &str = "method, path, status, reason, surface, since, body.FIELD";
        let status = self
            .status
            .as_deref()
            .map(|value| {
                value.parse().map_err(|_| {
                    Error::invalid(
                        "status",
                        "format",
                        format!(
                            "Query 'status' must be an HTTP status such as 400 (got {value:?})"
                        ),
                    )
                })
            })
            .transpose()?;
        let surface = self
            .surface
            .as_deref()
            .map(|value| {
                Surface::parse(value)
                    .filter(|s| s.is_vendor())
                    .ok_or_else(|| {
                        Error::invalid(
                            "surface",
                            "format",
                            format!("Query 'surface' must be on_premises or cloud (got {value:?})"),
                        )
                    })
            })
            .transpose()?;
        let since = self
            .since
            .as_deref()
            .map(|value| {
                humantime::parse_rfc3339_weak(value).map_err(|_| {
                    Error::invalid(
                        "since",
                        "format",
                        format!(
                            "Query 'since' must be an RFC 3339 time on the cluster's clock, such as 2026-12-06T10:00:00Z (got {value:?})"
                        ),
                    )
                })
            })
            .transpose()?;
        let counts = [("at_least", &self.at_least), ("wait", &self.wait)];
        let unknown = self
            .rest
            .keys()
            .map(String::as_str)
            .filter(|key| key.strip_prefix("body.").is_none_or(str::is_empty))
            .chain(
                counts
                    .iter()
                    .filter(|(_, value)| !counting && value.is_some())
                    .map(|(key, _)| *key),
            )
            .next();
        if let Some(other) = unknown {
            return Err(Error::invalid(
                "query",
                "unknown",
                format!(
                    "Query parameter {other:?} is not a filter of the journal: it takes {TAKEN}{}",
                    if counting { ", at_least, wait" } else { "" }
                ),
            ));
        }
        Ok(EntryFilter {
            method: self.method.clone(),
            path: self.path.clone(),
            status,
            reason: self.reason.clone(),
            surface,
            since,
            body: self
                .rest
                .iter()
                .filter_map(|(key, value)| {
                    Some((key.strip_prefix("body.")?.to_owned(), value.clone()))
                })
                .collect(),
            unmatched: false,
        })
    }
}

/// `GET /_emulator/clusters/{cluster}/requests?FILTERS`: the journal, oldest first.
pub async fn list_requests(
    InCluster(cluster): InCluster,
    Query(query): Query<JournalQuery>,
) -> Result<Reply, ApiError> {
    let filter = query.filter(false)?;
    Ok(Reply::control(&answers::Requests {
        requests: cluster.requests(&filter),
    }))
}

/// A held read's `at_least` and `wait` (`requests/count`, `webhooks/deliveries`): until when it
/// is held, and until when it waits for its cluster to be made (a held read may begin before the
/// client under test made its cluster).
pub struct Held {
    /// How many must match, when held.
    pub at_least: Option<f64>,
    /// When the wait ends.
    pub deadline: tokio::time::Instant,
    /// Until when the cluster may be waited for: the deadline when held, else now.
    pub made_by: tokio::time::Instant,
}

impl Held {
    /// Reads `at_least` (0 to 10^9) and `wait` (0 to 300 seconds) of a query.
    pub fn read(at_least: Option<&str>, wait: Option<&str>) -> Result<Self, Error> {
        let number = |name: &'static str, given: Option<&str>, max: f64| {
            given
                .map(|value| {
                    value
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite() && (0.0..=max).contains(n))
                        .ok_or_else(|| {
                            Error::invalid(
                                name,
                                "range",
                                format!(
                                    "Query '{name}' must be a number from 0 to {max} (got {value:?})"
                                ),
                            )
                        })
                })
                .transpose()
        };
        let at_least = number("at_least", at_least, 1e9)?;
        let wait = number("wait", wait, MAX_WAIT_SECONDS)?.unwrap_or(0.0);
        let now = tokio::time::Instant::now();
        let deadline = now + Duration::from_secs_f64(wait);
        Ok(Self {
            at_least,
            deadline,
            made_by: if at_least.is_some() { deadline } else { now },
        })
    }
}

/// `GET /_emulator/clusters/{cluster}/requests/count?FILTERS[&at_least=N&wait=SECONDS]`:
/// `{"count"}`; with `at_least`, held until that many match (woken by each request, up to
/// `wait`, at most 300 s) and `{"count", "reached"}`.
pub async fn count_requests(
    State(state): State<AppState>,
    ClusterName(name): ClusterName,
    Query(query): Query<JournalQuery>,
) -> Result<Reply, ApiError> {
    let filter = query.filter(true)?;
    let Held {
        at_least,
        deadline,
        made_by,
    } = Held::read(query.at_least.as_deref(), query.wait.as_deref())?;
    let cluster = state.store.existing(&name, made_by).await?;
    let Some(at_least) = at_least else {
        return Ok(Reply::control(&answers::Count {
            count: cluster.count_requests(&filter),
            reached: None,
        }));
    };
    let at_least = at_least as usize;
    let count = state
        .store
        .wait_for_requests(cluster.name(), &filter, at_least, deadline)
        .await;
    Ok(Reply::control(&answers::Count {
        count,
        reached: Some(count >= at_least),
    }))
}

/// `GET /_emulator/clusters/{cluster}/requests/unmatched?FILTERS`: the requests no route took
/// or that were refused as unreadable (a wrong path or method, a body that is not JSON, an
/// unknown field), each with the route of the table it most likely meant as `near_miss`.
pub async fn unmatched_requests(
    State(state): State<AppState>,
    InCluster(cluster): InCluster,
    Query(query): Query<JournalQuery>,
) -> Result<Reply, ApiError> {
    let mut filter = query.filter(false)?;
    filter.unmatched = true;
    let entries: Vec<Value> = cluster
        .requests(&filter)
        .iter()
        .map(|entry| {
            let mut shown = serde_json::to_value(entry).unwrap_or_default();
            shown["near_miss"] = json!(state.routes.near_miss(&entry.method, &entry.path));
            shown
        })
        .collect();
    Ok(Reply::control(&answers::Requests { requests: entries }))
}

/// `DELETE /_emulator/clusters/{cluster}/requests`: empties the journal.
pub async fn clear_requests(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    cluster.clear_requests();
    Ok(Reply::control(&answers::Requests::<Value> {
        requests: vec![],
    }))
}

/// Longest restart or failover delay the control API sets, in seconds.
const MAX_SECONDS: u32 = 3600;

/// `POST /_emulator/clusters/{cluster}/restart {"duration_seconds"?}`: a Coreapp restart by
/// hand, for `duration_seconds` or else `--restart-duration`.
pub async fn restart(InCluster(cluster): InCluster, body: JsonBody) -> Result<Reply, ApiError> {
    let fields = Fields::new(body.object(), &["duration_seconds"])?;
    let duration = fields
        .opt_seconds("duration_seconds", MAX_SECONDS)?
        .unwrap_or(cluster.settings().restart_duration);
    if duration.is_zero() {
        return Err(Error::invalid(
            "duration_seconds",
            "zero",
            "The restart would last 0 s: give 'duration_seconds' or start with --restart-duration",
        )
        .into());
    }
    let until = cluster.restart(duration).await?;
    Ok(Reply::control(&answers::Restart {
        cluster: cluster.name(),
        restarting_until: rfc3339(until),
    }))
}

fn topology_body(cluster: &Cluster) -> Reply {
    let topology = cluster.topology();
    let nodes = topology
        .nodes
        .into_iter()
        .map(|n| answers::Node {
            hostname: n.view.hostname,
            key: n.key,
            role: n.view.role.as_str(),
            running: n.view.running,
            gateway_status: n.status.as_str(),
            shards: n.view.shards,
        })
        .collect();
    Reply::control(&answers::Topology {
        cluster: cluster.name(),
        registration: cluster.registration(),
        gateway_status: cluster.gateway_status().as_str(),
        coreapps: topology.coreapps,
        shards: topology.shards,
        failover_delay_seconds: topology.failover_delay.as_secs_f64(),
        nodes,
    })
}

/// `GET /_emulator/clusters/{cluster}/topology`: Coreapps, shards, every node.
pub async fn get_topology(InCluster(cluster): InCluster) -> Reply {
    topology_body(&cluster)
}

/// `PUT /_emulator/clusters/{cluster}/topology {"coreapps"?, "failover_delay_seconds"?}`.
pub async fn put_topology(
    InCluster(cluster): InCluster,
    body: JsonBody,
) -> Result<Reply, ApiError> {
    let fields = Fields::new(
        body.object(),
        &["coreapps", "shards", "failover_delay_seconds"],
    )?;
    let coreapps = fields
        .opt_whole("coreapps", u32::from(crate::domain::topology::MAX_COREAPPS))?
        .map(|n| n as u16);
    let shards = fields.opt_whole("shards", 32)?.map(|n| n as u8);
    let delay = fields.opt_seconds("failover_delay_seconds", MAX_SECONDS)?;
    cluster.set_deployment(coreapps, shards, delay)?;
    Ok(topology_body(&cluster))
}

/// `POST /_emulator/clusters/{cluster}/nodes/{node}/stop`.
pub async fn stop_node(InCluster(cluster): InCluster, Node(node): Node) -> Result<Reply, ApiError> {
    cluster.set_node_running(&node, false)?;
    Ok(topology_body(&cluster))
}

/// `POST /_emulator/clusters/{cluster}/nodes/{node}/start`.
pub async fn start_node(
    InCluster(cluster): InCluster,
    Node(node): Node,
) -> Result<Reply, ApiError> {
    cluster.set_node_running(&node, true)?;
    Ok(topology_body(&cluster))
}

/// What a fault of each type takes, for a fault sent without a field it needs.
fn fault_help(e: &serde_json::Error) -> &'static str {
    if !e.to_string().contains("missing field") {
        return "";
    }
    "; a fault is {\"route\", \"fault\": {\"type\": ...}} with the type's fields: \
     error {\"status\": 400-599, \"code\", \"details\", \"title\"?}, delay {\"ms\"}, \
     drop {}, not_ready {}, malformed {\"status\"?}"
}
