//! Where cluster state lasts: nowhere (in memory, the default) or an embedded database
//! (`--data-dir`).
//!
//! Every operation that changes a cluster describes its changes as [`Change`]s and submits them
//! while it still holds the cluster's lock, so they reach the database in the order they happened.
//! The request then waits on the returned [`Ticket`] before answering: with a database, an answer
//! is only sent once its changes (and everything before them) are committed to disk. Commits are
//! grouped: one fsync serves every request that arrived meanwhile.

mod durable;
mod persistence;
mod records;

pub use durable::{Durable, FILE_NAME};
pub use persistence::{Log, Persistence, Ticket, Volatile};
pub use records::{
    Change, ClusterRecord, MetaRecord, RegistrationRecord, digest_from_hex, digest_hex,
};
