//! The HTTP surface: the vendor API (`/v1`, also under `/clusters/{cluster}/v1`) and the
//! emulator's control API (`/_emulator`), served by an axum router built from the route table
//! in [`routes`].
//!
//! Every route runs through one [`pipeline`], an axum middleware: the body is read and parsed
//! once; faults, the journal, `meta`, the envelope and the `X-Emulator-Reason` header are each
//! done there. Handlers are ordinary axum handlers: their signatures name the extractors of
//! [`call`] they use (the cluster, the parsed body, the credentials, path parameters, the
//! query), and they return a `Reply` or an `ApiError`, which rides back to the pipeline in the
//! response's extensions (as in axum's error-handling example) and is written there.
//! [`app`] puts tower-http's layers around the router: sensitive headers, the access log, path normalisation, caught panics.

mod access_log;
mod app;
pub mod body;
pub mod call;
mod control;
pub mod envelope;
pub mod error;
mod faults;
pub(crate) mod graph;
pub mod metrics;
pub mod near;
mod onprem;
pub mod openapi;
mod paths;
mod pipeline;
mod read;
mod respond;
pub mod routes;
mod state;

pub use app::{App, AppBody, app, router};
pub use faults::DropConnection;
pub use read::BodyLimit;
pub use state::{AppState, ControlAccess, Shared};

/// An answer, before the outer layers.
pub type Response = axum::response::Response;
