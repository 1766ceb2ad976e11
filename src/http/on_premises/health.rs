//! `GET /v1/health`: one status for a single instance, one entry per node for a
//! high-availability or multiconnect deployment.

use http::StatusCode;
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::http::common::Reply;
use crate::http::common::error::ApiError;
use crate::http::common::extract::InCluster;
use crate::store::deployment::Health;

#[derive(Serialize)]
struct Answered {
    health: HealthBody,
}

struct HealthBody(Health);

#[derive(Serialize)]
struct Single {
    gateway_status: &'static str,
}

#[derive(Serialize)]
struct Node {
    gateway_status: &'static str,
    role: &'static str,
}

impl Serialize for HealthBody {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Health::Single(status) => Single {
                gateway_status: status.as_str(),
            }
            .serialize(serializer),
            Health::Nodes(nodes) => {
                let mut map = serializer.serialize_map(Some(nodes.len()))?;
                for (key, status, role) in nodes {
                    let node = Node {
                        gateway_status: status.as_str(),
                        role: role.as_str(),
                    };
                    map.serialize_entry(key, &node)?;
                }
                map.end()
            }
        }
    }
}

/// `GET /v1/health`: any role; served during a restart (`connecting`) and with no Coreapp
/// running (`disconnected`).
pub async fn v1(InCluster(cluster): InCluster) -> Result<Reply, ApiError> {
    let body = Answered {
        health: HealthBody(cluster.health()),
    };
    Ok(Reply::vendor(StatusCode::OK, &body))
}
