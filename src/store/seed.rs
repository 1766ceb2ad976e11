//! `--seed FILE`: clusters in a declared state at every start, before the emulator answers.
//! The file (JSON, or TOML when it ends in `.toml`) is `{"clusters": {"NAME": STATE, …}}`, where
//! STATE is a state document as `GET /_emulator/clusters/{c}/state` answers it, or its short
//! hand-written form ([`Short`]); everything it leaves out is as in a fresh cluster.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::data::{ClusterData, User};
use super::snapshot::{StateDocument, check, document_of};
use super::{Settings, Store, is_valid_cluster_name};
use crate::domain::cloud::{CloudNumber, phone_id, read_number};
use crate::domain::model::Account;
use crate::domain::password;
use crate::domain::request::vendor_number;

/// The short form of a cluster's state, written by hand.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Short {
    /// The admin's password (no first-login change then).
    admin_password: Option<String>,
    /// A number registered on the On-Premises deployment.
    registered: Option<ShortNumber>,
    /// `classic`, `sunset` or `scripted` (with `rules`).
    policy: Option<String>,
    /// Rules of the scripted policy, as `PUT …/policy` takes them.
    rules: Option<Vec<crate::domain::policy::RuleSpec>>,
    /// Numbers of the Cloud API's account.
    #[serde(default)]
    cloud: Vec<ShortCloudNumber>,
}

/// A registered On-Premises number.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShortNumber {
    cc: String,
    phone_number: String,
    vname: String,
    /// Its two-step pin.
    pin: Option<String>,
}

/// A number of the Cloud API's account.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShortCloudNumber {
    cc: String,
    phone_number: String,
    verified_name: String,
    /// `PENDING` (added), `VERIFIED` (a code verified) or `CONNECTED` (registered).
    #[serde(default = "pending")]
    status: String,
    /// Its two-step pin.
    pin: Option<String>,
}

fn pending() -> String {
    "PENDING".into()
}

/// The seed file: what each named cluster starts as.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedFile {
    clusters: Clusters,
}

/// The clusters of a seed by name, each named once: JSON, unlike TOML, lets a key come twice,
/// and the last would silently win.
#[derive(Debug)]
struct Clusters(BTreeMap<String, Value>);

impl<'de> Deserialize<'de> for Clusters {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Clusters;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of cluster names to their states")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Clusters, A::Error> {
                let mut clusters = BTreeMap::new();
                while let Some((name, state)) = map.next_entry::<String, Value>()? {
                    if clusters.contains_key(&name) {
                        return Err(serde::de::Error::custom(format!(
                            "cluster {name:?} is named twice: give each cluster once"
                        )));
                    }
                    clusters.insert(name, state);
                }
                Ok(Clusters(clusters))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The largest seed file read: far more than 100,000 clusters in the short form.
pub const SEED_LIMIT: u64 = 256 * 1024 * 1024;

/// Reads `path`, a regular file of at most [`SEED_LIMIT`] bytes (a FIFO or a device would block
/// the start or never end); each cluster's state as given, not yet applied.
pub fn read(path: &Path) -> Result<BTreeMap<String, Value>, String> {
    use std::io::Read;
    let cannot =
        |e: &dyn std::fmt::Display| format!("--seed {}: cannot be read: {e}", path.display());
    // Looked at before it is opened: opening a FIFO with no writer blocks.
    let meta = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if !meta.is_file() {
        return Err(format!(
            "--seed {}: is not a regular file (a seed is a JSON or TOML file; a folder, FIFO or device is not read)",
            path.display()
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(SEED_LIMIT + 1).read_to_string(&mut text))
        .map_err(|e| cannot(&e))?;
    if text.len() as u64 > SEED_LIMIT {
        return Err(format!(
            "--seed {}: is larger than the {} MiB a seed may have: split it, or seed fewer clusters",
            path.display(),
            SEED_LIMIT / (1024 * 1024)
        ));
    }
    let toml = path.extension().is_some_and(|e| e == "toml");
    let file: SeedFile = if toml {
        toml::from_str(&text).map_err(|e| format!("--seed {}: {e}", path.display()))?
    } else {
        serde_json::from_str(&text).map_err(|e| format!("--seed {}: {e}", path.display()))?
    };
    Ok(file.clusters.0)
}

/// The state document of `state` for cluster `name` (a full document as it is, a short form on a
/// fresh cluster's).
/// `hashes` keeps the hash of each admin password already met: a seed of many clusters with
/// one password hashes it once.
fn document(
    settings: &Settings,
    name: &str,
    state: Value,
    hashes: &mut BTreeMap<String, std::sync::Arc<str>>,
) -> Result<StateDocument, String> {
    if state.get("version").is_some() {
        return serde_json::from_value(state).map_err(|e| format!("not a state document: {e}"));
    }
    let short: Short = serde_json::from_value(state)
        .map_err(|e| format!("not a state document (no version) nor its short form: {e}"))?;
    let mut document = document_of(name, &ClusterData::fresh(settings), 0);
    if let Some(pw) = &short.admin_password {
        if let Some((_, problem)) = password::weakness(pw) {
            return Err(format!("admin_password {problem}"));
        }
        document.users.insert(
            password::ADMIN.to_owned(),
            User {
                password_hash: hashes
                    .entry(pw.clone())
                    .or_insert_with(|| password::hash(pw).into())
                    .clone(),
                must_change_password: false,
                remembered: None,
            },
        );
    }
    if let Some(number) = &short.registered {
        let read = vendor_number(number.cc.trim_start_matches('+'), &number.phone_number)
            .map_err(|e| format!("registered: {e}"))?;
        if let Some(pin) = &number.pin {
            document
                .registration
                .pins
                .insert(read.e164().to_owned(), pin.clone());
        }
        document.registration.registered = Some(Account {
            number: read,
            vname: number.vname.as_str().into(),
        });
    }
    if let Some(policy) = short.policy {
        document.meta.policy = policy;
        document.meta.rules = short.rules;
    }
    for (i, entry) in short.cloud.iter().enumerate() {
        let number =
            read_number(&entry.cc, &entry.phone_number).map_err(|e| format!("cloud[{i}]: {e}"))?;
        let mut made =
            CloudNumber::new(phone_id(name, &number), number, entry.verified_name.clone());
        match entry.status.as_str() {
            "PENDING" => {}
            "VERIFIED" => made.verified = true,
            "CONNECTED" => {
                made.verified = true;
                made.registered = true;
                made.ever_registered = true;
            }
            other => {
                return Err(format!(
                    "cloud[{i}]: status {other:?} is not PENDING, VERIFIED or CONNECTED"
                ));
            }
        }
        made.pin = entry.pin.clone();
        document.cloud.numbers.push(made);
    }
    Ok(document)
}

/// Applies `seeds` to the store, all or nothing: every cluster is checked before any is made,
/// and what the data directory keeps of them is written in one transaction. A cluster the data
/// directory already holds keeps what it holds. Gives back which clusters were seeded and which
/// were kept.
pub async fn apply(
    store: &Store,
    path: &Path,
    seeds: BTreeMap<String, Value>,
) -> Result<(Vec<String>, Vec<String>), String> {
    let (mut seeded, mut kept) = (Vec::new(), Vec::new());
    let mut hashes = BTreeMap::new();
    for (name, state) in seeds {
        if store.find(&name).is_some() {
            kept.push(name);
            continue;
        }
        let place = |e: String| format!("--seed {}: clusters.{name}: {e}", path.display());
        if !is_valid_cluster_name(&name) {
            return Err(place(
                "is not a cluster name: 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-' (not . or ..)"
                    .into(),
            ));
        }
        let document = document(store.settings(), &name, state, &mut hashes).map_err(place)?;
        let checked = check(store.settings(), document).map_err(|e| place(e.details().into()))?;
        seeded.push((name, checked));
    }
    let names = seeded.iter().map(|(name, _)| name.clone()).collect();
    store
        .seed(seeded)
        .await
        .map_err(|e| format!("--seed {}: {e}", path.display()))?;
    Ok((names, kept))
}
