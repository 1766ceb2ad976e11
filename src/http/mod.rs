//! The HTTP side: three surfaces, each a router of its own built from its rows of the route
//! table, merged in [`app`]:
//!
//! - [`on_premises`]: the On-Premises API (the vendor API), at `/v1` and `/clusters/{cluster}/v1`;
//! - [`graph`]: the Cloud API (Meta's Graph API), at `/{version}` and
//!   `/clusters/{cluster}/{version}`, behind the others as the fallback;
//! - [`control`]: the emulator's control API at `/_emulator`, and the front door `GET /`.
//!
//! Each row's handler is an ordinary axum handler wrapped in its surface's tower layer where the
//! router is built: the On-Premises and Cloud APIs share the layer of the clients' traffic
//! ([`common::traffic`]: the cluster, the body read once, admission, faults, the journal), the
//! control API has its own (the control token, the cluster its path names). Handlers return
//! answers written whole by their `IntoResponse` (the surface's envelope, status, headers and
//! reason); a layer adds only what spans rows: `meta`, the journal's entry, the metrics.
//! [`app`] puts tower-http's layers around the router: sensitive headers, the access log, path
//! normalisation, caught panics.

mod app;
pub mod common;
mod control;
pub(crate) mod graph;
mod on_premises;
pub mod openapi;
pub mod table;

pub use app::{App, AppBody, app, router};
pub use common::faults::DropConnection;
pub use common::read::BodyLimit;
pub use common::route;
pub use common::{AppState, ControlAccess, Shared};
