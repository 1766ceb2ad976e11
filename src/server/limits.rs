//! The limits of the accept loop and of each connection.

use std::time::Duration;

/// Limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// How long a client may take to send its first request (TLS handshake and protocol
    /// detection included) and, on HTTP/1, the headers of each request.
    pub header_timeout: Duration,
    /// How long a connection may stay open with no request in flight.
    pub idle_timeout: Duration,
    /// How long requests in flight may take to finish after shutdown is asked for.
    pub shutdown_grace: Duration,
}

/// Streams one HTTP/2 connection may have open at once.
pub(super) const H2_MAX_STREAMS: u32 = 128;
/// Largest HTTP/2 header list (after HPACK decoding), bounding CONTINUATION floods.
pub(super) const H2_MAX_HEADER_LIST: u32 = 64 * 1024;
/// Streams reset by the client before they are answered, kept at most (rapid reset).
pub(super) const H2_MAX_PENDING_RESETS: usize = 32;
/// Streams the server may reset for protocol errors before closing the connection.
pub(super) const H2_MAX_ERROR_RESETS: usize = 256;
