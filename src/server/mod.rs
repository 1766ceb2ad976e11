//! The accept loop: HTTP/1.1 and HTTP/2, plain or over TLS, on a bound listener, with the limits a shared test
//! service needs (a bounded number of connections, a deadline for request headers), graceful
//! shutdown, and the one thing `axum::serve` cannot do: drop a connection without answering, which
//! the `drop` fault asks for.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

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

use crate::http::{App, DropConnection, Response};

pub mod healthcheck;
pub mod tls;

/// Limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// How long a client may take to send its request headers.
    pub header_timeout: Duration,
    /// How long requests in flight may take to finish after shutdown is asked for.
    pub shutdown_grace: Duration,
}

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, lets requests in
/// flight finish (up to `limits.shutdown_grace`) and returns.
pub async fn run(
    listener: TcpListener,
    app: App,
    limits: Limits,
    overload_body: Bytes,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
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
            let body = overload_body.clone();
            tokio::spawn(refuse(stream, body));
            continue;
        };
        let service = AppService(app.clone());
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let handshake_timeout = limits.header_timeout;
        tokio::spawn(async move {
            match tls {
                None => serve_io(&builder, TokioIo::new(stream), service, watcher).await,
                Some(config) => {
                    let accept = TlsAcceptor::from(config).accept(stream);
                    match tokio::time::timeout(handshake_timeout, accept).await {
                        Ok(Ok(stream)) => {
                            serve_io(&builder, TokioIo::new(stream), service, watcher).await;
                        }
                        Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
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

/// The router as a hyper service that can refuse to answer (see [`DropConnection`]).
#[derive(Clone)]
struct AppService(App);

impl hyper::service::Service<Request<Incoming>> for AppService {
    type Response = Response;
    type Error = DropConnection;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, DropConnection>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let app = self.0.clone();
        Box::pin(async move {
            let response = app.respond(req).await;
            if response.extensions().get::<DropConnection>().is_some() {
                Err(DropConnection)
            } else {
                Ok(response)
            }
        })
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

/// Answers a connection over the limit with 503 and closes it.
async fn refuse(mut stream: tokio::net::TcpStream, body: Bytes) {
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nx-emulator-reason: limit.connections\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}
