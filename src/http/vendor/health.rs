//! `GET /v1/health`.

use http::StatusCode;
use serde::Serialize;

use crate::http::call::{Answer, Call};
use crate::http::envelope::Reply;

#[derive(Serialize)]
struct Health {
    health: GatewayHealth,
}

#[derive(Serialize)]
struct GatewayHealth {
    gateway_status: &'static str,
}

/// `GET /v1/health`: any role; served during a restart, which it reports as `connecting`.
pub fn v1<'c>(call: &'c Call<'c>) -> Answer<'c> {
    Box::pin(async move {
        let health = Health {
            health: GatewayHealth {
                gateway_status: call.cluster.gateway_status().as_str(),
            },
        };
        Ok(Reply::vendor(StatusCode::OK, &health))
    })
}
