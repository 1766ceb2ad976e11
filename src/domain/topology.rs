//! The deployment behind one cluster: masters and Coreapps, shards, and failover.
//!
//! From Meta's Availability and Scaling, High Availability and Multiconnect guides: a single
//! instance is one container; a high-availability cluster has a primary and a secondary Master
//! and several Coreapps, of which one (the primary Coreapp) is connected to WhatsApp; with
//! multiconnect and S shards, S Coreapps are connected and so is the primary Master. When a
//! connected Coreapp dies, the primary Master promotes a healthy secondary Coreapp in its place.
//!
//! The emulator keeps per shard which Coreapp serves it. Stopping a Coreapp leaves its shard
//! down; after the failover delay the lowest-numbered running Coreapp that serves no shard takes
//! it over. Everything is computed from the cluster's time, so a virtual-clock advance completes
//! a failover without waiting.

use std::time::{Duration, SystemTime};

/// The shard counts the vendor allows.
pub const SHARD_OPTIONS: [u8; 6] = [1, 2, 4, 8, 16, 32];

/// Most Coreapps a cluster may have.
pub const MAX_COREAPPS: u16 = 64;

/// A node's role, as `/v1/health` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The Master holding the lease.
    PrimaryMaster,
    /// A Master waiting for the lease.
    SecondaryMaster,
    /// A Coreapp.
    Coreapp,
}

impl Role {
    /// The vendor's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrimaryMaster => "primary_master",
            Self::SecondaryMaster => "secondary_master",
            Self::Coreapp => "coreapp",
        }
    }
}

/// One Coreapp's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Coreapp {
    /// Since when it is stopped, if it is.
    stopped_since: Option<SystemTime>,
}

/// One shard's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shard {
    /// The Coreapp serving it (index from 0).
    node: Option<u16>,
    /// Since when it has had no running Coreapp.
    down_since: Option<SystemTime>,
}

/// The deployment of one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    coreapps: Vec<Coreapp>,
    shards: Vec<Shard>,
    /// How long a shard stays down before another Coreapp takes it over.
    pub failover_delay: Duration,
}

/// A node as `/v1/health` and the control API show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    /// `hostname`, such as `coreapp2`.
    pub hostname: String,
    /// Its role.
    pub role: Role,
    /// Whether it runs.
    pub running: bool,
    /// The shards it serves (from 0).
    pub shards: Vec<u8>,
}

impl Topology {
    /// `coreapps` Coreapps (1: a single instance), one shard served by the first.
    pub fn new(coreapps: u16, failover_delay: Duration) -> Self {
        let coreapps = coreapps.clamp(1, MAX_COREAPPS);
        Self {
            coreapps: vec![
                Coreapp {
                    stopped_since: None
                };
                usize::from(coreapps)
            ],
            shards: vec![Shard {
                node: Some(0),
                down_since: None,
            }],
            failover_delay,
        }
    }

    /// Whether this is a single instance (one container, the plain health shape).
    pub fn is_single(&self) -> bool {
        self.coreapps.len() == 1
    }

    /// How many Coreapps there are.
    pub fn coreapps(&self) -> u16 {
        u16::try_from(self.coreapps.len()).unwrap_or(MAX_COREAPPS)
    }

    /// How many shards there are.
    pub fn shards(&self) -> u8 {
        u8::try_from(self.shards.len()).unwrap_or(32)
    }

    fn running(&self, node: u16) -> bool {
        self.coreapps
            .get(usize::from(node))
            .is_some_and(|c| c.stopped_since.is_none())
    }

    fn serving(&self, node: u16) -> bool {
        self.shards.iter().any(|s| s.node == Some(node))
    }

    /// Applies every failover due by `now`: a shard down for the failover delay moves to the
    /// lowest-numbered running Coreapp that serves no shard.
    pub fn settle(&mut self, now: SystemTime) {
        for i in 0..self.shards.len() {
            let shard = self.shards[i];
            let node_runs = shard.node.is_some_and(|n| self.running(n));
            if node_runs {
                continue;
            }
            let Some(down) = shard.down_since else {
                continue;
            };
            let due = now
                .duration_since(down)
                .is_ok_and(|d| d >= self.failover_delay);
            if !due {
                continue;
            }
            let spare = (0..self.coreapps()).find(|&n| self.running(n) && !self.serving(n));
            if let Some(spare) = spare {
                self.shards[i] = Shard {
                    node: Some(spare),
                    down_since: None,
                };
            }
        }
    }

    /// Whether some shard is served now: the API has a Coreapp to answer it.
    pub fn has_serving_coreapp(&self) -> bool {
        self.shards
            .iter()
            .any(|s| s.node.is_some_and(|n| self.running(n)))
    }

    /// The Coreapp of `hostname` (`coreapp1`…), if there is one.
    pub fn coreapp_of(&self, hostname: &str) -> Option<u16> {
        let n: u16 = hostname.strip_prefix("coreapp")?.parse().ok()?;
        (1..=self.coreapps()).contains(&n).then(|| n - 1)
    }

    /// Stops a Coreapp at `now`; the shards it served are down from then on.
    pub fn stop(&mut self, node: u16, now: SystemTime) {
        if let Some(coreapp) = self.coreapps.get_mut(usize::from(node))
            && coreapp.stopped_since.is_none()
        {
            coreapp.stopped_since = Some(now);
            for shard in &mut self.shards {
                if shard.node == Some(node) {
                    shard.down_since = Some(now);
                }
            }
        }
    }

    /// Stops every Coreapp at `now`: the deployment is shut down (a migration away, a restore).
    pub fn stop_all(&mut self, now: SystemTime) {
        for node in 0..self.coreapps() {
            self.stop(node, now);
        }
    }

    /// Starts a stopped Coreapp: it runs as a secondary until a shard needs it. A shard it
    /// served and that no other Coreapp took over is served again at once.
    pub fn start(&mut self, node: u16) {
        if let Some(coreapp) = self.coreapps.get_mut(usize::from(node)) {
            coreapp.stopped_since = None;
            for shard in &mut self.shards {
                if shard.node == Some(node) {
                    shard.down_since = None;
                }
            }
        }
    }

    /// Sets the number of shards: shard `i` is served by the `i`-th running Coreapp. There must
    /// be at least as many running Coreapps.
    pub fn set_shards(&mut self, shards: u8) -> Result<(), usize> {
        let running: Vec<u16> = (0..self.coreapps()).filter(|&n| self.running(n)).collect();
        if running.len() < usize::from(shards) {
            return Err(running.len());
        }
        self.shards = running
            .into_iter()
            .take(usize::from(shards))
            .map(|n| Shard {
                node: Some(n),
                down_since: None,
            })
            .collect();
        Ok(())
    }

    /// Sets the number of Coreapps; at least as many as shards. Coreapps beyond it are removed
    /// (their shards are down until a failover).
    pub fn set_coreapps(&mut self, coreapps: u16, now: SystemTime) -> Result<(), u8> {
        if coreapps < u16::from(self.shards()) || coreapps == 0 || coreapps > MAX_COREAPPS {
            return Err(self.shards());
        }
        let count = usize::from(coreapps);
        self.coreapps.resize(
            count,
            Coreapp {
                stopped_since: None,
            },
        );
        for shard in &mut self.shards {
            if shard.node.is_some_and(|n| usize::from(n) >= count) {
                shard.node = None;
                shard.down_since = Some(now);
            }
        }
        Ok(())
    }

    /// Every node: the two Masters, then the Coreapps.
    pub fn nodes(&self) -> Vec<NodeView> {
        let mut nodes = vec![
            NodeView {
                hostname: "master1".into(),
                role: Role::PrimaryMaster,
                running: true,
                shards: Vec::new(),
            },
            NodeView {
                hostname: "master2".into(),
                role: Role::SecondaryMaster,
                running: true,
                shards: Vec::new(),
            },
        ];
        for n in 0..self.coreapps() {
            let shards = self
                .shards
                .iter()
                .enumerate()
                .filter(|(_, s)| s.node == Some(n))
                .map(|(i, _)| u8::try_from(i).unwrap_or(u8::MAX))
                .collect();
            nodes.push(NodeView {
                hostname: format!("coreapp{}", n + 1),
                role: Role::Coreapp,
                running: self.running(n),
                shards,
            });
        }
        nodes
    }
}

/// A container id for a node: twelve hex digits, the same for the same cluster and node.
pub fn container_id(cluster: &str, hostname: &str) -> String {
    // FNV-1a: stable across runs and platforms, which a random hasher is not.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in cluster.bytes().chain([0]).chain(hostname.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_stopped_coreapp_is_replaced_after_the_delay_and_none_left_means_down() {
        let mut t = Topology::new(3, Duration::from_secs(5));
        assert!(t.has_serving_coreapp());
        t.stop(0, at(100));
        t.settle(at(104));
        assert!(!t.has_serving_coreapp(), "down during the delay");
        t.settle(at(105));
        assert!(t.has_serving_coreapp());
        assert_eq!(t.nodes()[3].shards, [0], "coreapp2 took over");
        t.stop(1, at(200));
        t.stop(2, at(200));
        t.settle(at(300));
        assert!(!t.has_serving_coreapp(), "no Coreapp left");
        t.start(0);
        t.settle(at(301));
        assert_eq!(
            t.nodes()[2].shards,
            [0],
            "a started Coreapp takes the down shard"
        );
    }

    #[test]
    fn shards_need_as_many_running_coreapps() {
        let mut t = Topology::new(2, Duration::ZERO);
        assert_eq!(t.set_shards(4), Err(2));
        assert_eq!(t.set_shards(2), Ok(()));
        assert_eq!(t.shards(), 2);
        assert_eq!(t.set_coreapps(1, at(1)), Err(2));
        assert_eq!(t.coreapp_of("coreapp2"), Some(1));
        assert_eq!(t.coreapp_of("coreapp3"), None);
        assert_eq!(container_id("default", "coreapp1").len(), 12);
        assert_eq!(container_id("a", "b"), container_id("a", "b"));
    }
}
