//! Control routes that steer a cluster for unhappy-path tests: faults, the virtual clock, the
//! request journal and Coreapp restarts.

use std::time::Duration;

use axum::Json;
use axum::extract::Query;
use axum::extract::rejection::BytesRejection;
use axum::extract::rejection::QueryRejection;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Cluster, ControlJson, OptionalControlJson};
use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::faults::FaultSpec;
use crate::request::Fields;

/// `POST /_emulator/clusters/{cluster}/faults`: arms a fault or a list of faults.
pub async fn arm_faults(
    Cluster(cluster): Cluster,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = body?;
    let body: Value = serde_json::from_slice(&body).map_err(|e| ApiError::InvalidRequest {
        rule: "not_json",
        message: format!("The body must be a fault object or a list of them: {e}"),
    })?;
    let items = match body {
        Value::Array(items) => items,
        Value::Object(map) => match map.get("faults") {
            Some(Value::Array(items)) => items.clone(),
            _ => vec![Value::Object(map)],
        },
        _ => {
            return Err(ApiError::InvalidRequest {
                rule: "not_object",
                message: "The body must be a fault object or a list of them".into(),
            });
        }
    };
    let mut specs = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let spec: FaultSpec = serde_json::from_value(item)
            .map_err(|e| ApiError::invalid("faults", "format", format!("faults[{i}]: {e}")))?;
        spec.check()
            .map_err(|e| ApiError::invalid("faults", "value", format!("faults[{i}]: {e}")))?;
        specs.push(spec);
    }
    let armed = cluster.with(|c| c.faults.arm(specs));
    Ok(Json(json!({ "faults": armed })))
}

/// `GET /_emulator/clusters/{cluster}/faults`: armed and spent faults, with how often each fired.
pub async fn list_faults(Cluster(cluster): Cluster) -> Json<Value> {
    let faults = cluster.with(|c| json!(c.faults.list()));
    Json(json!({ "faults": faults }))
}

/// `DELETE /_emulator/clusters/{cluster}/faults`: disarms every fault.
pub async fn clear_faults(Cluster(cluster): Cluster) -> Json<Value> {
    cluster.with(|c| c.faults.clear());
    Json(json!({ "faults": [] }))
}

fn clock_body(cluster: &crate::store::ClusterSlot) -> Json<Value> {
    Json(json!({
        "cluster": cluster.name(),
        "now": rfc3339(cluster.now()),
        "offset_seconds": cluster.offset().as_secs_f64(),
    }))
}

/// `GET /_emulator/clusters/{cluster}/clock`: the cluster's current time.
pub async fn get_clock(Cluster(cluster): Cluster) -> Json<Value> {
    clock_body(&cluster)
}

/// `POST /_emulator/clusters/{cluster}/clock {"advance_seconds": N}`: moves the cluster's time
/// forward without sleeping.
pub async fn advance_clock(
    Cluster(cluster): Cluster,
    ControlJson(body): ControlJson,
) -> Result<Json<Value>, ApiError> {
    let fields = Fields::new(&body, &["advance_seconds"])?;
    fields.require(&["advance_seconds"])?;
    let seconds = body["advance_seconds"]
        .as_f64()
        .filter(|s| s.is_finite() && (0.0..=10.0 * 365.0 * 86_400.0).contains(s))
        .ok_or_else(|| {
            ApiError::invalid(
                "advance_seconds",
                "range",
                "Parameter 'advance_seconds' must be a number of seconds from 0 to ten years",
            )
        })?;
    cluster.advance(Duration::from_secs_f64(seconds)).await?;
    Ok(clock_body(&cluster))
}

/// Filters of the journal.
#[derive(Debug, Deserialize)]
pub struct RequestsQuery {
    path: Option<String>,
    status: Option<u16>,
}

/// `GET /_emulator/clusters/{cluster}/requests?path=&status=`: the journal, oldest first.
pub async fn list_requests(
    Cluster(cluster): Cluster,
    query: Result<Query<RequestsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::InvalidRequest {
        rule: "query",
        message: format!("The query string is not valid: {e}"),
    })?;
    let entries = cluster.with(|c| {
        json!(
            c.journal
                .iter()
                .filter(|e| q.path.as_deref().is_none_or(|p| &*e.path == p))
                .filter(|e| q.status.is_none_or(|s| e.status == s))
                .collect::<Vec<_>>()
        )
    });
    Ok(Json(json!({ "requests": entries })))
}

/// `DELETE /_emulator/clusters/{cluster}/requests`: empties the journal.
pub async fn clear_requests(Cluster(cluster): Cluster) -> Json<Value> {
    cluster.with(|c| c.journal.clear());
    Json(json!({ "requests": [] }))
}

/// `POST /_emulator/clusters/{cluster}/restart {"duration_seconds"?}`: a Coreapp restart by
/// hand, for `duration_seconds` or else `--restart-duration`.
pub async fn restart(
    Cluster(cluster): Cluster,
    OptionalControlJson(body): OptionalControlJson,
) -> Result<Json<Value>, ApiError> {
    let body = body.unwrap_or_default();
    Fields::new(&body, &["duration_seconds"])?;
    let duration = match body.get("duration_seconds") {
        None | Some(Value::Null) => cluster.settings().restart_duration,
        Some(value) => value
            .as_f64()
            .filter(|s| s.is_finite() && (0.0..=3600.0).contains(s))
            .map(Duration::from_secs_f64)
            .ok_or_else(|| {
                ApiError::invalid(
                    "duration_seconds",
                    "range",
                    "Parameter 'duration_seconds' must be a number of seconds from 0 to 3600",
                )
            })?,
    };
    if duration.is_zero() {
        return Err(ApiError::invalid(
            "duration_seconds",
            "zero",
            "The restart would last 0 s: give 'duration_seconds' or start with --restart-duration",
        ));
    }
    let until = cluster.restart(duration).await?;
    Ok(Json(
        json!({ "cluster": cluster.name(), "restarting_until": rfc3339(until) }),
    ))
}
