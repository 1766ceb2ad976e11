//! A cluster's whole state as one JSON document: `GET /_emulator/clusters/{c}/state` answers it,
//! `PUT` makes a cluster exactly that (any cluster, of any emulator of the same format version).
//! The document is what the data directory keeps of a cluster (users and password hashes,
//! tokens by their digest, the registration, pins, the pending code, the outbox, the rate
//! counters, the policy and rules, the clock, the Cloud account), with what it does not keep
//! (the Coreapps and failover delay, armed faults).
//!
//! A document that arrives ([`check`]) is held value by value to the rules of the API that would
//! have made each value, before anything changes: it can hold nothing the API itself could not
//! have made (a password hash of other Argon2 parameters, a clock past the last showable time, a
//! token of nobody, an outbox beyond `--outbox-limit`).

mod check;
mod document;

pub(in crate::store) use check::check;
pub(in crate::store) use document::{Checked, document_of};
pub use document::{FORMAT_VERSION, SendsEntry, StateDocument, TokenEntry, TopologyEntry};
