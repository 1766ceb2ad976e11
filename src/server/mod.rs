//! The accept loop: HTTP/1.1 and HTTP/2, plain or over TLS, on a bound listener, with the limits a shared test
//! service needs (a bounded number of connections, a deadline for request headers), graceful
//! shutdown, and the one thing `axum::serve` cannot do: drop a connection without answering, which
//! the `drop` fault asks for.

mod accept;
mod activity;
mod limits;
mod service;
pub mod tls;

pub use accept::{Refusals, run};
pub use limits::Limits;
