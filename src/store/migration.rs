//! Registering a Cloud API phone number of one cluster, and deregistering it: with a backup of
//! the cluster's On-Premises deployment, the migration of its number, the one way forward Meta
//! documents since the On-Premises API was retired.

use std::time::{Duration, SystemTime};

use super::Cluster;
use super::data::ClusterData;
use crate::domain::Result;
use crate::domain::backup;
use crate::domain::clock::later;
use crate::domain::cloud::{CloudError, Counted, Operation, REREGISTER_WAIT};

/// `POST /{id}/register`, read.
#[derive(Debug)]
pub struct Registration {
    /// The pin: the number's two-step pin, or the one it gets.
    pub pin: String,
    /// `data_localization_region`.
    pub region: Option<String>,
    /// The On-Premises backup of a migration, opened with its password.
    pub backup: Option<backup::Payload>,
}

impl Cluster {
    /// Waits `delay` on the cluster's clock: the real time, or less when the cluster's time is
    /// moved forward meanwhile.
    async fn wait_on_clock(&self, delay: Duration) {
        if delay.is_zero() {
            return;
        }
        let until = later(self.now(), delay);
        loop {
            let left = until.duration_since(self.now()).unwrap_or_default();
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(Duration::from_millis(50))).await;
        }
    }

    /// `POST /{id}/register`: with a backup, the migration of the cluster's On-Premises number.
    pub async fn cloud_register(&self, id: &str, request: Registration) -> Result<()> {
        if request.backup.is_some() {
            self.wait_on_clock(self.settings().migration_delay).await;
        }
        self.on_number(Operation::Register, id, move |c, i, now, _| {
            c.waba.numbers[i].count(Counted::Register, now)?;
            match request.backup {
                Some(payload) => migrate(c, i, now, payload, request.pin, request.region),
                None => register(c, i, now, request.pin, request.region),
            }?;
            c.apply_approved_name(i, now);
            c.registered_webhooks(self, i, now);
            Ok(())
        })
        .await
    }

    /// `POST /{id}/deregister`.
    pub async fn cloud_deregister(&self, id: &str) -> Result<()> {
        self.on_number(Operation::Deregister, id, |c, i, now, _| {
            let number = &mut c.waba.numbers[i];
            // Every deregister request counts, as every register request does.
            number.count(Counted::Deregister, now)?;
            if !number.registered {
                return Err(CloudError::NotRegistered.into());
            }
            number.registered = false;
            number.deregistered_at = Some(now);
            // Deregistering clears the region: the next registration may name another.
            number.data_localization_region = None;
            Ok(())
        })
        .await
    }
}

/// A registration after a code was verified.
fn register(
    c: &mut ClusterData,
    i: usize,
    now: SystemTime,
    pin: String,
    region: Option<String>,
) -> Result<()> {
    let number = &mut c.waba.numbers[i];
    if number
        .deregistered_at
        .is_some_and(|at| now.duration_since(at).is_ok_and(|d| d < REREGISTER_WAIT))
    {
        return Err(CloudError::RecentlyDeregistered.into());
    }
    if !number.verified {
        return Err(CloudError::ReverificationNeeded.into());
    }
    if number.registered && number.data_localization_region != region {
        return Err(CloudError::invalid(
            "data_localization_region_fixed",
            format!(
                "This number is registered with data_localization_region {}; the region cannot change while it is registered: deregister it (POST /{{id}}/deregister), then register it with the new one",
                number.data_localization_region.as_deref().unwrap_or("none (Meta's own data centers)")
            ),
        )
        .into());
    }
    let expected = number.pin.clone();
    number.check_pin(expected.as_deref(), &pin, now)?;
    number.pin = Some(pin);
    number.registered = true;
    number.ever_registered = true;
    number.registered_at = Some(now);
    number.data_localization_region = region;
    let moved = number.number.clone();
    // The number leaves the On-Premises deployment that had it, with its approved name.
    if c.registered.as_ref().is_some_and(|a| a.number == moved) {
        c.waba.numbers[i].certified = true;
        c.waba.numbers[i].certificate = Some(certificate(&c.waba.numbers[i].verified_name, now));
        c.shut_down_on_prem(now, true);
    }
    Ok(())
}

/// The migration of the cluster's On-Premises number with a backup of its deployment.
fn migrate(
    c: &mut ClusterData,
    i: usize,
    now: SystemTime,
    payload: backup::Payload,
    pin: String,
    region: Option<String>,
) -> Result<()> {
    let target = c.waba.numbers[i].number.clone();
    if payload.registered.number != target {
        return Err(CloudError::invalid(
            "backup_other_number",
            format!(
                "backup.data is a backup of {}, not of this phone number ({}): make the backup on the deployment that has this number",
                payload.registered.number, target
            ),
        )
        .into());
    }
    let holds = c.registered.as_ref().is_some_and(|a| a.number == target);
    if !holds || !c.on_prem_connected(now) {
        return Err(CloudError::invalid(
            "backup_not_connected",
            "The On-Premises deployment of this backup does not have this number connected (not registered there, shut down or restarting): start it (POST /_emulator/clusters/{cluster}/nodes/coreapp1/start) and register the number there first",
        )
        .into());
    }
    let expected = c.pins.get(target.e164()).cloned();
    let shards = c.topology.shards();
    let number = &mut c.waba.numbers[i];
    match number.check_pin(expected.as_deref(), &pin, now) {
        Ok(()) => {}
        Err(CloudError::PinMismatch) => {
            // "If you use the wrong pin, your on-premise deployment will be down."
            c.shut_down_on_prem(now, false);
            return Err(CloudError::PinMismatch.into());
        }
        Err(other) => return Err(other.into()),
    }
    number.pin = Some(expected.unwrap_or(pin));
    number.verified = true;
    number.code = None;
    number.registered = true;
    number.ever_registered = true;
    number.registered_at = Some(now);
    number.high_throughput = shards >= 2;
    number.certified = true;
    number.data_localization_region = region;
    number.verified_name = payload.registered.vname.to_string();
    number.certificate = Some(certificate(&number.verified_name, now));
    c.shut_down_on_prem(now, true);
    Ok(())
}

/// The certificate a number moved from On-Premises keeps for its approved name `vname`, issued
/// `now` (as WhatsApp Manager issued them).
fn certificate(vname: &str, now: SystemTime) -> String {
    let issued = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::domain::cert::make(vname, &[], issued)
}
