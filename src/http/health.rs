//! `GET /v1/health` and the emulator's own liveness probe.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use super::AppState;
use super::extract::HealthAuth;
use crate::envelope::Reply;

#[derive(Serialize)]
pub struct Health {
    health: GatewayHealth,
}

#[derive(Serialize)]
struct GatewayHealth {
    gateway_status: &'static str,
}

/// `GET /v1/health`: any role; served during a restart, which it reports as `connecting`.
pub async fn v1(State(state): State<AppState>, HealthAuth(auth): HealthAuth) -> Reply<Health> {
    let health = Health {
        health: GatewayHealth {
            gateway_status: auth.cluster.gateway_status().as_str(),
        },
    };
    Reply::new(StatusCode::OK, health, &state.meta)
}

/// `GET /_emulator/health`: no auth, for container health checks.
pub async fn emulator() -> Json<Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}))
}
