//! One request's admission, decided under one lock: an armed fault, a Coreapp restart, whether
//! any Coreapp serves, and who is calling. The HTTP layer asks once per vendor request
//! ([`Cluster::admit`]) instead of taking the cluster's lock for each question.

use std::time::SystemTime;

use super::Cluster;
use super::data::ClusterData;
use super::users::Role;
use crate::domain::faults::{FaultAction, Verb};
use crate::domain::json::Object;
use crate::domain::{Error, Result};

/// What a route asks of its caller.
#[derive(Debug, Clone)]
pub enum Caller<'a> {
    /// Nobody in particular (login checks its own credentials).
    Anyone,
    /// A Bearer token of a user.
    Token {
        /// The token the request carries, or why it carries none.
        token: std::result::Result<&'a str, Error>,
        /// Whether only `admin` may call.
        admin: bool,
        /// Whether the route also answers while Coreapp restarts or no Coreapp runs (health,
        /// which reports exactly that).
        while_restarting: bool,
    },
}

/// A vendor request, as admission sees it.
#[derive(Debug, Clone)]
pub struct Admission<'a> {
    /// The route's method, for the faults' filters.
    pub method: Verb,
    /// The vendor path (`/v1/...`), for the faults' filters.
    pub path: &'a str,
    /// The body, for the faults' number filters.
    pub body: Option<&'a Object<'a>>,
    /// Who may call.
    pub caller: Caller<'a>,
    /// When the request arrived, by the cluster's clock ([`Cluster::now`]): restarts and token
    /// expiry are judged at that time (the journal records the request at it too).
    pub at: SystemTime,
}

/// What admission decided.
#[derive(Debug)]
pub struct Admitted {
    /// A fault that fired: it answers instead of the route (a delay, before it).
    pub fault: Option<FaultAction>,
    /// Whether the caller may call, or why the call is refused.
    pub caller: Result<()>,
}

impl Cluster {
    /// Admits one vendor request: fires a matching armed fault; unless one answers instead,
    /// checks the restart, the serving Coreapps and the caller, in the order the real API did.
    pub fn admit(&self, request: Admission<'_>) -> Admitted {
        let now = request.at;
        self.with(|c| {
            let fault = c
                .faults
                .any_live()
                .then(|| c.faults.fire(request.method, request.path, request.body))
                .flatten();
            if fault
                .as_ref()
                .is_some_and(|f| !matches!(f, FaultAction::Delay { .. }))
            {
                return Admitted {
                    fault,
                    caller: Ok(()),
                };
            }
            let caller = match request.caller {
                Caller::Anyone => Ok(()),
                Caller::Token {
                    token,
                    admin,
                    while_restarting,
                } => token_caller(c, &self.name, now, token, admin, while_restarting),
            };
            Admitted { fault, caller }
        })
    }
}

fn token_caller(
    c: &mut ClusterData,
    cluster: &str,
    now: SystemTime,
    token: std::result::Result<&str, Error>,
    admin: bool,
    while_restarting: bool,
) -> Result<()> {
    if !while_restarting {
        if c.is_restarting(now) {
            return Err(Error::NotReady);
        }
        c.topology.settle(now);
        if !c.topology.has_serving_coreapp() {
            return Err(Error::Unavailable {
                rule: "no_coreapp",
                message: format!(
                    "No Coreapp of this deployment is running: start one (POST /_emulator/clusters/{cluster}/nodes/coreapp1/start) or wait for the failover"
                ),
            });
        }
    }
    let key = c.token_key(token?);
    let role = c.session_role(&key, now)?;
    if admin && role != Role::Admin {
        return Err(Error::Forbidden {
            rule: "not_admin",
            message: "This call needs an admin token",
        });
    }
    Ok(())
}
