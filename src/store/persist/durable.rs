//! Cluster state in a redb database in `--data-dir`.
//!
//! redb: an embedded, pure-Rust, ACID key-value store. Each commit is atomic and, with its default
//! durability, fsynced before it returns; the file is locked against a second process; the file
//! format carries its own version. One writer thread applies the submitted changes in order and
//! commits everything that is waiting at once (group commit), then releases the requests that
//! submitted them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use super::{Change, ClusterRecord, Persistence, Ticket, digest_from_hex, digest_hex};
use crate::domain::phone::Method;

/// The version of the layout below; a folder with another is refused, never reset.
pub const SCHEMA_VERSION: &str = "1";
/// The database file inside `--data-dir`.
pub const FILE_NAME: &str = "emulator.redb";

const SCHEMA: TableDefinition<&str, &str> = TableDefinition::new("schema");
const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("users");
const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
const REGISTRATION: TableDefinition<&str, &[u8]> = TableDefinition::new("registration");
const SENDS: TableDefinition<&str, &[u8]> = TableDefinition::new("sends");
const CODES: TableDefinition<&str, &[u8]> = TableDefinition::new("codes");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// Added after the first release: a database without it gets it when opened (older emulators
/// ignore it).
const CLOUD: TableDefinition<&str, &[u8]> = TableDefinition::new("cloud");
const TABLES: [TableDefinition<&str, &[u8]>; 7] =
    [USERS, SESSIONS, REGISTRATION, SENDS, CODES, META, CLOUD];

/// Separates the cluster name from the rest of a key; never in a cluster name.
const SEP: char = '\u{1f}';

type Job = (Vec<Change>, oneshot::Sender<Result<(), String>>);

/// Reads one stored entry into its cluster's record.
type Reader<'a> = &'a mut dyn FnMut(&mut ClusterRecord, &str, &[u8]) -> Result<(), String>;

/// The database and its writer thread.
#[derive(Debug)]
pub struct Durable {
    jobs: Mutex<Option<Sender<Job>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    loaded: Mutex<Option<HashMap<String, ClusterRecord>>>,
}

fn key(cluster: &str, rest: &str) -> String {
    format!("{cluster}{SEP}{rest}")
}

fn method_str(method: Method) -> &'static str {
    method.as_str()
}

fn encode(value: &impl Serialize) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| e.to_string())
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("stored {what} is unreadable: {e}"))
}

impl Durable {
    /// Opens (or creates) the database in `dir`, refusing a folder in use by another process or
    /// written by another schema, and starts the writer.
    ///
    /// Errors name the folder and say what to do.
    pub fn open(dir: &Path) -> Result<Self, String> {
        if dir.exists() && !dir.is_dir() {
            return Err(format!(
                "--data-dir {}: is a file; give a folder (it is created if missing)",
                dir.display()
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("--data-dir {}: {e}", dir.display()))?;
        let path = dir.join(FILE_NAME);
        let existed = path.metadata().is_ok_and(|m| m.len() > 0);
        let db = Database::create(&path).map_err(|e| match e {
            DatabaseError::DatabaseAlreadyOpen => format!(
                "--data-dir {}: in use by another emulator process (the database is locked)",
                dir.display()
            ),
            other => format!(
                "--data-dir {}: cannot open {}: {other}",
                dir.display(),
                path.display()
            ),
        })?;
        check_schema(&db, existed).map_err(|e| format!("--data-dir {}: {e}", dir.display()))?;
        let loaded = load_all(&db).map_err(|e| format!("--data-dir {}: {e}", dir.display()))?;
        let (jobs, rx) = channel::<Job>();
        let writer = std::thread::Builder::new()
            .name("wa-emu-writer".into())
            .spawn(move || write_loop(db, rx))
            .map_err(|e| format!("cannot start the storage writer: {e}"))?;
        Ok(Self {
            jobs: Mutex::new(Some(jobs)),
            writer: Mutex::new(Some(writer)),
            loaded: Mutex::new(Some(loaded)),
        })
    }
}

fn check_schema(db: &Database, existed: bool) -> Result<(), String> {
    // Read first: a folder that is refused is not written to.
    {
        let txn = db.begin_read().map_err(|e| e.to_string())?;
        let found = match txn.open_table(SCHEMA) {
            Ok(schema) => schema
                .get("version")
                .map_err(|e| e.to_string())?
                .map(|v| v.value().to_owned()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.to_string()),
        };
        match found {
            Some(v) if v != SCHEMA_VERSION => {
                return Err(format!(
                    "written by schema version {v}, this emulator reads version {SCHEMA_VERSION}; \
                     use another folder or the matching emulator (nothing was changed)"
                ));
            }
            None if existed => {
                return Err(
                    "the database has no schema version: not written by this emulator (nothing was changed)"
                        .into(),
                );
            }
            _ => {}
        }
    }
    // Checked: a new database, or one of this schema. Write the version and the tables.
    let txn = db.begin_write().map_err(|e| e.to_string())?;
    {
        let mut schema = txn.open_table(SCHEMA).map_err(|e| e.to_string())?;
        schema
            .insert("version", SCHEMA_VERSION)
            .map_err(|e| e.to_string())?;
        for table in TABLES {
            txn.open_table(table).map_err(|e| e.to_string())?;
        }
    }
    txn.commit().map_err(|e| e.to_string())
}

fn load_all(db: &Database) -> Result<HashMap<String, ClusterRecord>, String> {
    let txn = db.begin_read().map_err(|e| e.to_string())?;
    let mut clusters: HashMap<String, ClusterRecord> = HashMap::new();
    let mut each = |table: TableDefinition<&str, &[u8]>, f: Reader<'_>| -> Result<(), String> {
        let table = txn.open_table(table).map_err(|e| e.to_string())?;
        for entry in table.iter().map_err(|e| e.to_string())? {
            let (k, v) = entry.map_err(|e| e.to_string())?;
            let k = k.value();
            let (cluster, rest) = k
                .split_once(SEP)
                .ok_or_else(|| format!("malformed key {k:?}"))?;
            f(
                clusters.entry(cluster.to_owned()).or_default(),
                rest,
                v.value(),
            )?;
        }
        Ok(())
    };
    each(USERS, &mut |c, rest, v| {
        c.users.push((rest.to_owned(), decode(v, "user")?));
        Ok(())
    })?;
    each(SESSIONS, &mut |c, rest, v| {
        let digest =
            digest_from_hex(rest).ok_or_else(|| format!("malformed session key {rest:?}"))?;
        c.sessions.push((digest, decode(v, "token")?));
        Ok(())
    })?;
    each(REGISTRATION, &mut |c, _, v| {
        c.registration = Some(decode(v, "registration")?);
        Ok(())
    })?;
    each(SENDS, &mut |c, rest, v| {
        let (e164, method) = rest.split_once(SEP).ok_or("malformed sends key")?;
        let method = Method::parse(method).ok_or("malformed sends key")?;
        c.sends
            .push((e164.to_owned(), method, decode(v, "send times")?));
        Ok(())
    })?;
    each(CODES, &mut |c, rest, v| {
        let seq = rest
            .parse()
            .map_err(|_| format!("malformed code key {rest:?}"))?;
        c.codes.push((seq, decode(v, "code")?));
        Ok(())
    })?;
    each(META, &mut |c, _, v| {
        c.meta = Some(decode(v, "policy")?);
        Ok(())
    })?;
    each(CLOUD, &mut |c, _, v| {
        c.cloud = Some(decode(v, "cloud phone numbers")?);
        Ok(())
    })?;
    Ok(clusters)
}

fn apply(txn: &WriteTransaction, change: &Change) -> Result<(), String> {
    let err = |e: redb::Error| e.to_string();
    let put =
        |table: TableDefinition<&str, &[u8]>, k: &str, v: Option<Vec<u8>>| -> Result<(), String> {
            let mut t = txn.open_table(table).map_err(|e| err(e.into()))?;
            match v {
                Some(v) => t.insert(k, v.as_slice()).map(drop),
                None => t.remove(k).map(drop),
            }
            .map_err(|e| err(e.into()))
        };
    match change {
        Change::User(c, name, user) => {
            put(USERS, &key(c, name), user.as_ref().map(encode).transpose()?)
        }
        Change::Session(c, digest, session) => put(
            SESSIONS,
            &key(c, &digest_hex(digest)),
            session.as_ref().map(encode).transpose()?,
        ),
        Change::Registration(c, record) => put(REGISTRATION, &key(c, ""), Some(encode(record)?)),
        Change::Sends(c, e164, method, times) => {
            let k = key(c, &format!("{e164}{SEP}{}", method_str(*method)));
            put(
                SENDS,
                &k,
                (!times.is_empty()).then(|| encode(times)).transpose()?,
            )
        }
        Change::Code(c, seq, code) => put(
            CODES,
            &key(c, &format!("{seq:020}")),
            code.as_ref().map(encode).transpose()?,
        ),
        Change::ClearCodes(c) => clear(txn, CODES, Some(c)),
        Change::Meta(c, meta) => put(META, &key(c, ""), Some(encode(meta)?)),
        Change::Cloud(c, waba) => put(CLOUD, &key(c, ""), Some(encode(waba)?)),
        Change::ResetCluster(c) => TABLES.iter().try_for_each(|t| clear(txn, *t, Some(c))),
        Change::ResetAll => TABLES.iter().try_for_each(|t| clear(txn, *t, None)),
    }
}

fn clear(
    txn: &WriteTransaction,
    table: TableDefinition<&str, &[u8]>,
    cluster: Option<&str>,
) -> Result<(), String> {
    let mut t = txn.open_table(table).map_err(|e| e.to_string())?;
    match cluster {
        Some(c) => {
            let lo = format!("{c}{SEP}");
            let hi = format!("{c}\u{20}");
            t.retain_in(lo.as_str()..hi.as_str(), |_, _| false)
        }
        None => t.retain(|_, _| false),
    }
    .map_err(|e| e.to_string())
}

fn write_loop(db: Database, jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while let Ok(more) = jobs.try_recv() {
            group.push(more);
        }
        let result = if group.iter().all(|(changes, _)| changes.is_empty()) {
            // Barriers only: everything before them is already committed.
            Ok(())
        } else {
            commit(&db, &group)
        };
        if let Err(e) = &result {
            tracing::error!("storage commit failed: {e}");
        }
        for (_, done) in group {
            let _ = done.send(result.clone());
        }
    }
}

fn commit(db: &Database, group: &[Job]) -> Result<(), String> {
    let txn = db.begin_write().map_err(|e| e.to_string())?;
    for (changes, _) in group {
        for change in changes {
            apply(&txn, change)?;
        }
    }
    txn.commit().map_err(|e| e.to_string())
}

impl Persistence for Durable {
    fn submit(&self, changes: Vec<Change>) -> Ticket {
        let (done, wait) = oneshot::channel();
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        match jobs.as_ref() {
            Some(jobs) if jobs.send((changes, done)).is_ok() => Ticket(Some(wait)),
            _ => {
                let (done, wait) = oneshot::channel();
                let _ = done.send(Err("the store is closed".into()));
                Ticket(Some(wait))
            }
        }
    }

    fn load(&self) -> Result<HashMap<String, ClusterRecord>, String> {
        Ok(self
            .loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default())
    }

    fn close(&self) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = writer.join();
        }
    }
}
