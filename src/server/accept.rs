//! The accept loop: connections accepted up to the limit, TLS and protocol detection, the
//! deadlines of each connection, graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use super::activity::Activity;
use super::limits::{
    H2_MAX_ERROR_RESETS, H2_MAX_HEADER_LIST, H2_MAX_PENDING_RESETS, H2_MAX_STREAMS, Limits,
};
use super::service::AppService;
use crate::http::App;

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
    // Each HTTP/1 request's headers, the next one's on a kept-alive connection included, are
    // due within the header timeout: hyper's timer keeps that rule; the connection's watcher
    // (see `Activity`) keeps the first request's and the idle deadline.
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
                true,
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
                            false,
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

async fn serve_io<I>(builder: &Builder<TokioExecutor>, io: I, service: AppService, watcher: Watcher)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let connection = builder.serve_connection(io, service);
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!("connection ended: {e}");
    }
}

/// Answers a connection by itself (over the limit, or plain HTTP to HTTPS) and closes it. Only
/// an overload passes, so only it says when to try again (`retry`).
async fn refuse(
    mut stream: tokio::net::TcpStream,
    status: &str,
    reason: &str,
    body: Bytes,
    retry: bool,
) {
    let retry_after = if retry { "retry-after: 1\r\n" } else { "" };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-emulator-reason: {reason}\r\n{retry_after}connection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}
