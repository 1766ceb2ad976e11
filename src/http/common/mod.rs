//! What every surface shares: the application's state, the route table's rows, the extractors,
//! reading a body, the vendor's envelope and `meta`, the layer of the clients' traffic (On-Premises
//! and Cloud), forced faults, unrouted requests, the access log and the metrics.

pub mod access_log;
pub mod error;
pub mod extract;
pub mod faults;
pub mod metrics;
pub mod near;
pub mod paths;
pub mod read;
pub mod reply;
pub mod route;
pub mod state;
pub mod traffic;
pub mod unrouted;

pub use reply::{Decision, Meta, Reply};
pub use state::{AppState, ControlAccess, Shared};
