//! The accept loop: HTTP/1.1 and HTTP/2, plain or over TLS, on a bound listener, with the limits a shared test
//! service needs (a bounded number of connections, a deadline for request headers), graceful
//! shutdown, and the one thing `axum::serve` cannot do: drop a connection without answering, which
//! the `drop` fault asks for.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::http::body::Streaming;
use crate::http::{App, AppBody, DropConnection};

pub mod healthcheck;
pub mod tls;

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
const H2_MAX_STREAMS: u32 = 128;
/// Largest HTTP/2 header list (after HPACK decoding), bounding CONTINUATION floods.
const H2_MAX_HEADER_LIST: u32 = 64 * 1024;
/// Streams reset by the client before they are answered, kept at most (rapid reset).
const H2_MAX_PENDING_RESETS: usize = 32;
/// Streams the server may reset for protocol errors before closing the connection.
const H2_MAX_ERROR_RESETS: usize = 256;

/// What the accept loop answers by itself, in the vendor's envelope.
#[derive(Debug, Clone)]
pub struct Refusals {
    /// A connection over the limit (503).
    pub overload: Bytes,
    /// Plain HTTP sent to the HTTPS emulator (400).
    pub plain_http_to_tls: Bytes,
}

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, lets requests in
/// flight finish (up to `limits.shutdown_grace`) and returns.
pub async fn run(
    listener: TcpListener,
    app: App,
    limits: Limits,
    refusals: Refusals,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.idle_timeout / 3)
        .keep_alive_timeout(limits.header_timeout)
        .max_concurrent_streams(H2_MAX_STREAMS)
        .max_header_list_size(H2_MAX_HEADER_LIST)
        .max_pending_accept_reset_streams(H2_MAX_PENDING_RESETS)
        .max_local_error_reset_streams(H2_MAX_ERROR_RESETS);
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let local = listener
        .local_addr()
        .map_or_else(|_| "its address".to_owned(), |a| a.to_string());
    tokio::pin!(shutdown);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            let body = refusals.overload.clone();
            tokio::spawn(refuse(
                stream,
                "503 Service Unavailable",
                "limit.connections",
                body,
            ));
            continue;
        };
        let activity = Arc::new(Activity::new());
        let service = AppService {
            app: app.clone(),
            activity: activity.clone(),
        };
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let plain_http_to_tls = refusals.plain_http_to_tls.clone();
        let local = local.clone();
        tokio::spawn(async move {
            let connection = async {
                // Clients are often pointed at the wrong scheme (the real API was HTTPS): the
                // first byte tells a TLS handshake (0x16) from an HTTP request line (a letter).
                let mut first = [0u8; 1];
                let first = match stream.peek(&mut first).await {
                    Ok(1) => Some(first[0]),
                    _ => None,
                };
                match tls {
                    None if first == Some(0x16) => tracing::warn!(
                        "a client started a TLS handshake (https://) on this plain-HTTP emulator: \
                         point it at http://{local}, or start the emulator with --tls"
                    ),
                    None => serve_io(&builder, TokioIo::new(stream), service, watcher).await,
                    Some(_) if first.is_some_and(|b| b.is_ascii_uppercase()) => {
                        tracing::warn!(
                            "a client sent plain HTTP (http://) to this HTTPS emulator (--tls): \
                             point it at https://{local}"
                        );
                        refuse(
                            stream,
                            "400 Bad Request",
                            "request.plain_http_to_tls",
                            plain_http_to_tls,
                        )
                        .await;
                    }
                    Some(config) => match TlsAcceptor::from(config).accept(stream).await {
                        Ok(stream) => {
                            serve_io(&builder, TokioIo::new(stream), service, watcher).await;
                        }
                        Err(e) => tracing::debug!("TLS handshake failed: {e}"),
                    },
                }
            };
            tokio::select! {
                () = connection => {}
                reason = activity.watch(limits) => tracing::debug!("connection closed: {reason}"),
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("requests still in flight after {:?}; stopping anyway", limits.shutdown_grace);
        }
    }
    Ok(())
}

/// What one connection is doing, for the deadlines no protocol layer enforces: the first request
/// (TLS handshake and HTTP/2 preface included) within the header timeout, and no connection
/// without a request in flight for longer than the idle timeout. A request in flight, such as a
/// held `codes/latest?wait=`, is never idleness.
struct Activity {
    opened: Instant,
    started: AtomicU64,
    in_flight: AtomicU64,
    /// Milliseconds after `opened` when the last request ended.
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            started: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            last_ms: AtomicU64::new(0),
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.started.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Resolves when the connection has broken a deadline, saying which.
    async fn watch(&self, limits: Limits) -> &'static str {
        // Activity changes without waking this: look again at least this often.
        let check =
            (limits.header_timeout.min(limits.idle_timeout) / 2).max(Duration::from_millis(10));
        loop {
            let deadline = if self.started.load(Ordering::Relaxed) == 0 {
                self.opened + limits.header_timeout
            } else if self.in_flight.load(Ordering::Relaxed) == 0 {
                self.opened
                    + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
                    + limits.idle_timeout
            } else {
                Instant::now() + limits.idle_timeout
            };
            tokio::time::sleep_until(deadline.min(Instant::now() + check).into()).await;
            let now = Instant::now();
            if self.started.load(Ordering::Relaxed) == 0 {
                if now >= self.opened + limits.header_timeout {
                    return "no request within the header timeout";
                }
            } else if self.in_flight.load(Ordering::Relaxed) == 0 {
                let last =
                    self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
                if now >= last + limits.idle_timeout {
                    return "idle";
                }
            }
        }
    }
}

/// A request in flight on a connection; ends with it.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let ms = u64::try_from(self.0.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_ms.store(ms, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The application as a hyper service that can refuse to answer (see [`DropConnection`]).
#[derive(Clone)]
struct AppService {
    app: App,
    activity: Arc<Activity>,
}

/// An answer's body, holding what must live as long as a streamed one does.
type Held = Holding<AppBody>;

impl hyper::service::Service<Request<Incoming>> for AppService {
    type Response = http::Response<Held>;
    type Error = DropConnection;
    type Future = Answering;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        Answering {
            answer: tower::ServiceExt::oneshot(self.app.clone(), req),
            in_flight: Some(self.activity.begin()),
        }
    }
}

pin_project_lite::pin_project! {
    /// One request being answered: the application's answer, with the connection marked busy
    /// until it is written (and, for a stream, until the stream ends). A named future, so that
    /// no request pays for a box.
    struct Answering {
        #[pin]
        answer: tower::util::Oneshot<App, Request<Incoming>>,
        in_flight: Option<InFlight>,
    }
}

impl Future for Answering {
    type Output = Result<http::Response<Held>, DropConnection>;

    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let Ok(response) = std::task::ready!(this.answer.poll(cx));
        if response.extensions().get::<DropConnection>().is_some() {
            return std::task::Poll::Ready(Err(DropConnection));
        }
        // A streamed answer (server-sent events) is in flight until its body ends.
        let keep = match response.extensions().get::<Streaming>() {
            Some(_) => this.in_flight.take(),
            None => None,
        };
        std::task::Poll::Ready(Ok(response.map(|body| Holding { body, _keep: keep })))
    }
}

/// A body with what must live as long as it does.
struct Holding<B> {
    body: B,
    _keep: Option<InFlight>,
}

impl<B: http_body::Body + Unpin> http_body::Body for Holding<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

async fn serve_io<I>(builder: &Builder<TokioExecutor>, io: I, service: AppService, watcher: Watcher)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let connection = builder.serve_connection(io, service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!("connection ended: {e}");
    }
}

/// Answers a connection by itself (over the limit, or plain HTTP to HTTPS) and closes it.
async fn refuse(mut stream: tokio::net::TcpStream, status: &str, reason: &str, body: Bytes) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-emulator-reason: {reason}\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}
