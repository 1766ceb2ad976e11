//! A state document that arrives, held value by value to the rules of the API that would have
//! made each value (one reader per rule, shared with the API), before anything changes.

use std::time::{Duration, SystemTime};

use super::document::{Checked, FORMAT_VERSION, StateDocument};
use crate::domain::clock::{later, latest};
use crate::domain::cloud::{Waba, read_number};
use crate::domain::model::SentBy;
use crate::domain::password::{self, ADMIN};
use crate::domain::phone::Number;
use crate::domain::policy::{PolicyKind, scripted};
use crate::domain::request::{self, vendor_number};
use crate::domain::webhooks::Webhooks;
use crate::domain::webhooks::config::{DELIVERY_LIMIT, check_url};
use crate::domain::{Error, Result};
use crate::store::Settings;
use crate::store::data::ClusterData;
use crate::store::persist::digest_from_hex;
use crate::store::users::check_username;

fn invalid(message: String) -> Error {
    Error::invalid("state", "document", message)
}

/// `document` checked value by value against what the API itself takes (one reader per rule,
/// shared with the API), as the state of a cluster of `settings`: the first value that the API
/// would refuse is named, with what it must be.
pub(in crate::store) fn check(settings: &Settings, document: StateDocument) -> Result<Checked> {
    if document.version > FORMAT_VERSION {
        return Err(invalid(format!(
            "This state document has format version {}, newer than this emulator's ({FORMAT_VERSION}): read it with a newer emulator",
            document.version
        )));
    }
    let base = settings.clock.now();
    let room = latest().duration_since(base).unwrap_or(Duration::ZERO);
    let offset_ms = document.meta.offset_ms;
    if u128::from(offset_ms) > room.as_millis() {
        return Err(invalid(format!(
            "meta: offset_ms {offset_ms} would put the cluster's clock past 9999-12-31T23:59:59Z, the last time the emulator can show: at most {} ms (as POST …/clock allows)",
            room.as_millis()
        )));
    }
    let now = later(base, Duration::from_millis(offset_ms));
    let in_range = |what: String, t: SystemTime| {
        if t > latest() {
            Err(invalid(format!(
                "{what} is past 9999-12-31T23:59:59Z, the last time the emulator can show"
            )))
        } else {
            Ok(())
        }
    };
    let mut state = ClusterData::fresh(settings);
    for (name, user) in &document.users {
        if name != ADMIN {
            check_username(name).map_err(|e| invalid(format!("users: {}", e.details())))?;
        }
        password::check_hash(&user.password_hash)
            .map_err(|e| invalid(format!("users.{name}.password_hash: {e}")))?;
        state.users.insert(name.as_str().into(), user.clone());
    }
    for entry in &document.tokens {
        let digest = digest_from_hex(&entry.digest).ok_or_else(|| {
            invalid(format!(
                "tokens: digest {:?} is not 64 hexadecimal digits",
                entry.digest
            ))
        })?;
        if !state.users.contains_key(entry.session.username.as_str()) {
            return Err(invalid(format!(
                "tokens: token {} is of user {:?}, who is not among users",
                entry.digest, entry.session.username
            )));
        }
        in_range(
            format!("tokens: token {}'s expires_at", entry.digest),
            entry.session.expires_at,
        )?;
        if state
            .sessions
            .insert(digest, entry.session.clone())
            .is_some()
        {
            return Err(invalid(format!(
                "tokens: digest {} is there twice",
                entry.digest
            )));
        }
    }
    let registration = document.registration;
    if let Some(account) = &registration.registered {
        let number = &account.number;
        vendor_number(number.cc(), number.phone_number())
            .map_err(|e| invalid(format!("registration.registered: {}", e.details())))?;
        check_vname("registration.registered", &account.vname)?;
    }
    for (e164, pin) in &registration.pins {
        Number::from_e164(e164).ok_or_else(|| {
            invalid(format!(
                "registration.pins: {e164:?} is not a number's E.164 digits"
            ))
        })?;
        request::pin("pin", pin)
            .map_err(|e| invalid(format!("registration.pins.{e164}: {}", e.details())))?;
    }
    if let Some(pending) = &registration.pending {
        let number = &pending.number;
        vendor_number(number.cc(), number.phone_number())
            .map_err(|e| invalid(format!("registration.pending: {}", e.details())))?;
        check_vname("registration.pending", &pending.vname)?;
        check_code("registration.pending", &pending.code)?;
        in_range("registration.pending.expires_at".into(), pending.expires_at)?;
    }
    if let Some(until) = registration.restarting_until {
        let longest = settings.restart_duration.max(Duration::from_secs(3600));
        if until > later(now, longest) {
            return Err(invalid(format!(
                "registration: restarting_until is more than {} after the cluster's time: a restart lasts at most that (POST …/restart takes up to 3600 s, --restart-duration sets the default)",
                humantime::format_duration(longest)
            )));
        }
    }
    state.registered = registration.registered.clone();
    state.pins = registration.pins.clone();
    state.pending = registration.pending.clone();
    state.restarting_until = registration.restarting_until;
    let coreapps = document
        .topology
        .coreapps
        .max(u16::from(registration.shards.max(1)));
    state.topology.set_coreapps(coreapps, now).map_err(|_| {
        invalid(format!(
            "topology: {coreapps} Coreapps cannot be set (1 to {})",
            crate::domain::topology::MAX_COREAPPS
        ))
    })?;
    state
        .topology
        .set_shards(registration.shards.max(1))
        .map_err(|_| invalid(format!("registration: {} shards", registration.shards)))?;
    let delay = document.topology.failover_delay_seconds;
    if !(delay.is_finite() && (0.0..=3600.0).contains(&delay)) {
        return Err(invalid(format!(
            "topology: failover_delay_seconds {delay} is not from 0 to 3600"
        )));
    }
    state.topology.failover_delay = Duration::from_secs_f64(delay);
    for entry in &document.sends {
        let number = Number::from_e164(&entry.number).ok_or_else(|| {
            invalid(format!(
                "sends: {:?} is not a number's E.164 digits",
                entry.number
            ))
        })?;
        for t in &entry.times {
            in_range(format!("sends: a time of {}", entry.number), *t)?;
        }
        let key = (number.key(), entry.method);
        if state.sends.insert(key, entry.times.clone()).is_some() {
            return Err(invalid(format!(
                "sends: {} by {} is there twice",
                entry.number,
                entry.method.as_str()
            )));
        }
    }
    let limit = settings.outbox_limit;
    if document.outbox.len() > limit {
        return Err(invalid(format!(
            "outbox: {} codes, more than this emulator's --outbox-limit of {limit}",
            document.outbox.len()
        )));
    }
    let mut last_seq = 0;
    for code in &document.outbox {
        if code.seq <= last_seq {
            return Err(invalid(format!(
                "outbox: seq {} after seq {last_seq}: each code's seq is larger than the one before it",
                code.seq
            )));
        }
        last_seq = code.seq;
        // The number as the API that sent the code reads numbers.
        let number = &code.number;
        let place = format!("outbox: seq {}", code.seq);
        match code.surface {
            SentBy::OnPremises => vendor_number(number.cc(), number.phone_number())
                .map(drop)
                .map_err(|e| invalid(format!("{place}: {}", e.details())))?,
            SentBy::Cloud => read_number(number.cc(), number.phone_number())
                .map(drop)
                .map_err(|e| invalid(format!("{place}: {e}")))?,
        }
        check_code(&place, code.code.as_str())?;
        in_range(
            format!("outbox: seq {}: expires_at", code.seq),
            code.expires_at,
        )?;
        in_range(format!("outbox: seq {}: sent_at", code.seq), code.sent_at)?;
    }
    state.outbox = document.outbox.iter().cloned().collect();
    state.outbox_seq = last_seq;
    let kind: PolicyKind = document
        .meta
        .policy
        .parse()
        .map_err(|_| invalid(format!("meta: unknown policy {:?}", document.meta.policy)))?;
    let rules = document
        .meta
        .rules
        .clone()
        .map(|specs| {
            specs
                .into_iter()
                .enumerate()
                .map(|(i, spec)| scripted::Rule::new(spec, i + 1))
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .transpose()
        .map_err(|e| invalid(format!("meta: rules: {e}")))?;
    state.policy = kind
        .build(settings.rules, rules)
        .map_err(|e| invalid(format!("meta: {e}")))?;
    for (i, spec) in document.faults.iter().enumerate() {
        spec.check()
            .map_err(|e| invalid(format!("faults[{i}]: {e}")))?;
    }
    state.faults.arm(document.faults.clone());
    check_cloud(&document.cloud)?;
    state.waba = document.cloud;
    Ok(Checked { state, offset_ms })
}

fn check_vname(place: &str, vname: &str) -> Result<()> {
    if vname.trim().is_empty() || vname.chars().count() > 512 {
        return Err(invalid(format!(
            "{place}: vname must be a verified name of 1 to 512 characters"
        )));
    }
    Ok(())
}

/// A code as the API sends it: exactly 6 digits (the rule of a pin, `request::pin`).
fn check_code(place: &str, code: &str) -> Result<()> {
    request::pin("code", code)
        .map(drop)
        .map_err(|e| invalid(format!("{place}: {}", e.details())))
}

/// The Cloud account: each number once, by id and by number, with the pins the API takes.
fn check_cloud(waba: &Waba) -> Result<()> {
    let mut ids = std::collections::HashSet::new();
    let mut numbers = std::collections::HashSet::new();
    for (i, entry) in waba.numbers.iter().enumerate() {
        let place = format!("cloud.numbers[{i}]");
        if entry.id.is_empty()
            || entry.id.len() > 20
            || !entry.id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid(format!(
                "{place}: id {:?} is not 1 to 20 digits",
                entry.id
            )));
        }
        if !ids.insert(entry.id.as_str()) {
            return Err(invalid(format!("{place}: id {} is there twice", entry.id)));
        }
        read_number(entry.number.cc(), entry.number.phone_number())
            .map_err(|e| invalid(format!("{place}: {e}")))?;
        if !numbers.insert(entry.number.e164()) {
            return Err(invalid(format!(
                "{place}: +{} is there twice",
                entry.number.e164()
            )));
        }
        if let Some(pin) = &entry.pin {
            request::pin("pin", pin)
                .map_err(|e| invalid(format!("{place}.pin: {}", e.details())))?;
        }
        if let Some(code) = &entry.code {
            check_code(&place, &code.code)?;
        }
        if let Some(uri) = &entry.webhook_override {
            check_url(uri).map_err(|e| invalid(format!("{place}.webhook_override: {e}")))?;
        }
        if let Some(change) = &entry.name_change
            && !(2..=75).contains(&change.name.chars().count())
        {
            return Err(invalid(format!(
                "{place}.name_change.name: a display name is 2 to 75 characters (new_display_name's rule)"
            )));
        }
    }
    match &waba.webhooks {
        Some(hooks) => check_webhooks(hooks),
        None => Ok(()),
    }
}

/// The webhooks: URLs the emulator can send to, a secret and fields for the app, each delivery
/// once, at most as many as a cluster keeps.
fn check_webhooks(hooks: &Webhooks) -> Result<()> {
    if let Some(app) = &hooks.app {
        check_url(&app.callback_url)
            .map_err(|e| invalid(format!("cloud.webhooks.app.callback_url: {e}")))?;
        if app.app_secret.is_empty() || app.fields.is_empty() {
            return Err(invalid(
                "cloud.webhooks.app: app_secret and fields must not be empty (PUT …/webhooks's rules)".into(),
            ));
        }
    }
    if let Some(uri) = hooks
        .subscribed
        .as_ref()
        .and_then(|s| s.override_callback_uri.as_ref())
    {
        check_url(uri).map_err(|e| {
            invalid(format!(
                "cloud.webhooks.subscribed.override_callback_uri: {e}"
            ))
        })?;
    }
    if hooks.deliveries.len() > DELIVERY_LIMIT {
        return Err(invalid(format!(
            "cloud.webhooks.deliveries: {} deliveries, more than the {DELIVERY_LIMIT} a cluster keeps",
            hooks.deliveries.len()
        )));
    }
    let mut ids = std::collections::HashSet::new();
    for (i, d) in hooks.deliveries.iter().enumerate() {
        if d.id == 0 || d.id > hooks.last_id || !ids.insert(d.id) {
            return Err(invalid(format!(
                "cloud.webhooks.deliveries[{i}]: id {} is 0, there twice, or past last_id {}",
                d.id, hooks.last_id
            )));
        }
        if let Some(url) = &d.url {
            check_url(url)
                .map_err(|e| invalid(format!("cloud.webhooks.deliveries[{i}].url: {e}")))?;
        }
    }
    Ok(())
}
