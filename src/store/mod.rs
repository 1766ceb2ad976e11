//! Emulated deployments ("clusters") and where their state lives.
//!
//! The [`Store`] maps cluster names to [`Cluster`]s, created on first use. Each cluster guards
//! its state with a mutex that only this module touches: callers use operations, as
//! mini-redis's `Db` does. [`users`] holds accounts and tokens, [`registration`] codes,
//! verification and pins, [`deployment`] shards and Coreapps, [`testing`] faults, the journal,
//! the clock and restarts.

mod admission;
pub mod cloud;
mod cluster;
mod clusters;
mod data;
pub mod deployment;
pub mod events;
pub mod journal;
pub mod migration;
pub mod names;
pub mod persist;
pub mod registration;
pub mod seed;
mod settings;
pub mod snapshot;
pub mod steering;
pub mod users;
pub mod webhooks;

pub use admission::{Admission, Caller};
pub use cluster::Cluster;
pub use clusters::{DEFAULT_CLUSTER, Store, is_valid_cluster_name};
pub use data::{Session, User};
pub use registration::CodeFilter;
pub use settings::Settings;
