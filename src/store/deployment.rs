//! The deployment of one cluster as the API shows it: `/v1/health` per node, Coreapps stopped
//! and started for failover tests, and multiconnect shards.

use std::time::Duration;

use super::Cluster;
use super::persist::Change;
use super::registration::GatewayStatus;
use crate::domain::cloud::display;
use crate::domain::model::Account;
use crate::domain::policy::{PinCheck, Refusal, check_pin};
use crate::domain::request::ShardsRequest;
use crate::domain::topology::{NodeView, Role, container_id};
use crate::domain::{Error, Result};

/// `/v1/health`: the plain shape of a single instance, or one entry per node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// One container.
    Single(GatewayStatus),
    /// Every node, keyed `hostname:container-id`, with its status and role.
    Nodes(Vec<(String, GatewayStatus, Role)>),
}

/// A node as the control API shows it.
#[derive(Debug, Clone)]
pub struct NodeState {
    /// The node.
    pub view: NodeView,
    /// Its key in `/v1/health`.
    pub key: String,
    /// Its `gateway_status` now.
    pub status: GatewayStatus,
}

/// The registered number and the pending code of a deployment, as the control API shows them.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct RegistrationView {
    /// The number registered, if one is.
    pub registered: Option<RegisteredView>,
    /// The code awaiting `POST /v1/account/verify`, if one is.
    pub pending: Option<PendingView>,
}

/// A registered number.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct RegisteredView {
    /// Country calling code.
    pub cc: String,
    /// National number.
    pub phone_number: String,
    /// The number as Meta shows it (`+1 631-555-0000`).
    pub display_phone_number: String,
    /// Its certificate's verified name.
    pub vname: String,
}

/// A code awaiting verification.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct PendingView {
    /// Country calling code.
    pub cc: String,
    /// National number.
    pub phone_number: String,
    /// The number as Meta shows it (`+1 631-555-0000`).
    pub display_phone_number: String,
    /// When it goes stale (RFC 3339).
    pub expires_at: String,
}

/// The deployment as the control API shows it.
#[derive(Debug, Clone)]
pub struct TopologyView {
    /// Coreapps.
    pub coreapps: u16,
    /// Shards.
    pub shards: u8,
    /// The failover delay.
    pub failover_delay: Duration,
    /// Every node.
    pub nodes: Vec<NodeState>,
}

fn status_of(
    node: &NodeView,
    registered: bool,
    restarting: bool,
    multiconnect: bool,
) -> GatewayStatus {
    let connected = match node.role {
        Role::Coreapp => node.running && !node.shards.is_empty(),
        Role::PrimaryMaster => multiconnect,
        Role::SecondaryMaster => false,
    };
    if !node.running {
        GatewayStatus::Disconnected
    } else if !registered {
        GatewayStatus::Unregistered
    } else if !connected {
        GatewayStatus::Disconnected
    } else if restarting {
        GatewayStatus::Connecting
    } else {
        GatewayStatus::Connected
    }
}

impl Cluster {
    /// The deployment now, failovers due by now applied.
    pub fn topology(&self) -> TopologyView {
        let now = self.now();
        self.with(|c| {
            c.topology.settle(now);
            let registered = c.registered.is_some();
            let restarting = c.is_restarting(now);
            let multiconnect = c.topology.shards() > 1;
            let nodes = c
                .topology
                .nodes()
                .into_iter()
                .map(|view| NodeState {
                    key: format!(
                        "{}:{}",
                        view.hostname,
                        container_id(self.name(), &view.hostname)
                    ),
                    status: status_of(&view, registered, restarting, multiconnect),
                    view,
                })
                .collect();
            TopologyView {
                coreapps: c.topology.coreapps(),
                shards: c.topology.shards(),
                failover_delay: c.topology.failover_delay,
                nodes,
            }
        })
    }

    /// One `gateway_status` for the whole deployment: a single instance's, or in high
    /// availability the best of its Coreapps' (connected, then connecting, then unregistered).
    pub fn gateway_status(&self) -> GatewayStatus {
        let topology = self.topology();
        let coreapps = || {
            topology
                .nodes
                .iter()
                .filter(|n| n.view.role == Role::Coreapp)
                .map(|n| n.status)
        };
        [
            GatewayStatus::Connected,
            GatewayStatus::Connecting,
            GatewayStatus::Unregistered,
        ]
        .into_iter()
        .find(|wanted| coreapps().any(|s| s == *wanted))
        .unwrap_or(GatewayStatus::Disconnected)
    }

    /// `/v1/health` now.
    pub fn health(&self) -> Health {
        let single = self.with(|c| c.topology.is_single());
        let topology = self.topology();
        if single {
            let coreapp = topology.nodes.iter().find(|n| n.view.role == Role::Coreapp);
            let status = coreapp.map_or(GatewayStatus::Disconnected, |n| n.status);
            return Health::Single(status);
        }
        Health::Nodes(
            topology
                .nodes
                .into_iter()
                .map(|n| (n.key, n.status, n.view.role))
                .collect(),
        )
    }

    /// Stops or starts the Coreapp `hostname` (`coreapp1`…).
    pub fn set_node_running(&self, hostname: &str, running: bool) -> Result<()> {
        let now = self.now();
        self.with(|c| {
            let node = c.topology.coreapp_of(hostname).ok_or_else(|| {
                Error::not_found(
                    "node",
                    format!(
                        "No Coreapp {hostname:?} in this deployment: it has coreapp1 to coreapp{}",
                        c.topology.coreapps()
                    ),
                )
            })?;
            c.topology.settle(now);
            if running {
                c.topology.start(node);
            } else {
                c.topology.stop(node, now);
            }
            Ok::<(), Error>(())
        })?;
        self.changed("topology");
        Ok(())
    }

    /// Sets the number of Coreapps and the failover delay.
    pub fn set_deployment(
        &self,
        coreapps: Option<u16>,
        shards: Option<u8>,
        failover_delay: Option<Duration>,
    ) -> Result<()> {
        let now = self.now();
        self.with(|c| {
            if let Some(coreapps) = coreapps {
                c.topology.set_coreapps(coreapps, now).map_err(|shards| {
                    Error::invalid(
                        "coreapps",
                        "range",
                        format!(
                            "Parameter 'coreapps' must be from {} to {} (the deployment has {shards} shards)",
                            shards.max(1),
                            crate::domain::topology::MAX_COREAPPS
                        ),
                    )
                })?;
            }
            if let Some(shards) = shards {
                c.topology.set_shards(shards).map_err(|running| {
                    Error::invalid(
                        "shards",
                        "range",
                        format!(
                            "Parameter 'shards' must be from 1 to the running Coreapps ({running}): set coreapps first"
                        ),
                    )
                })?;
            }
            if let Some(delay) = failover_delay {
                c.topology.failover_delay = delay;
            }
            Ok::<(), Error>(())
        })?;
        self.changed("topology");
        Ok(())
    }

    /// The registered number and the pending code, as the control API shows them.
    pub fn registration(&self) -> RegistrationView {
        use crate::domain::clock::rfc3339;
        self.with(|c| RegistrationView {
            registered: c.registered.as_ref().map(|a| RegisteredView {
                cc: a.number.cc().to_owned(),
                phone_number: a.number.phone_number().to_owned(),
                display_phone_number: display(&a.number),
                vname: a.vname.to_string(),
            }),
            pending: c.pending.as_ref().map(|p| PendingView {
                cc: p.number.cc().to_owned(),
                phone_number: p.number.phone_number().to_owned(),
                display_phone_number: display(&p.number),
                expires_at: rfc3339(p.expires_at),
            }),
        })
    }

    /// `GET /v1/account/shards`.
    pub fn shards(&self) -> u8 {
        self.with(|c| c.topology.shards())
    }

    /// `POST /v1/account/shards`: for the registered number, with its pin when two-step is on
    /// and, when given, its certificate; as many running Coreapps as shards.
    pub async fn set_shards(&self, request: &ShardsRequest<'_>) -> Result<()> {
        let now = self.now();
        let (result, ticket) = self.write(|c, log| {
            let Some(Account { number, vname }) = &c.registered else {
                return Err(Error::not_found(
                    "registered_number",
                    "No number is registered on this deployment: register one with POST /v1/account first",
                ));
            };
            if *number != request.number {
                return Err(Error::Refused(Refusal::NumberMismatch));
            }
            if request.cert.as_ref().is_some_and(|cert| *cert.vname != **vname) {
                return Err(Error::Refused(Refusal::CertMismatch));
            }
            let expected = c.pins.get(number.e164()).map(String::as_str);
            match check_pin(expected, request.pin) {
                PinCheck::Passed => {}
                PinCheck::Missing => {
                    return Err(Error::Missing {
                        field: "pin",
                        hint: Some("two-step verification is enabled on this number"),
                    });
                }
                PinCheck::Wrong => return Err(Error::Refused(Refusal::PinMismatch)),
            }
            c.topology.settle(now);
            c.topology
                .set_shards(request.shards)
                .map_err(|_| Error::Refused(Refusal::NotEnoughCoreapps))?;
            log.push(|| Change::Registration(self.key(), c.registration_record()));
            Ok(())
        });
        ticket.durable().await?;
        if result.is_ok() {
            self.changed("shards");
        }
        result
    }
}
