//! One outgoing HTTP/1.1 request, as Meta's webhook sender makes it: a new connection each
//! time (hyper's client connection over a tokio socket; the host may be a compose service
//! name), a deadline over the whole exchange, and the answer's status and first bytes.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Uri, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;

/// What Meta's sender calls itself.
pub const USER_AGENT: &str = "facebookexternalua";

/// The most of an answer's body kept (for the verification's challenge and messages).
const ANSWER_LIMIT: usize = 64 * 1024;

/// An answer: its status and body (at most 64 KiB of it).
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The body, cut at 64 KiB.
    pub body: Bytes,
}

/// Sends `method url` with `headers` and `body`, answered within `timeout`; why not, in words
/// a test's author can act on.
pub async fn request(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
    timeout: Duration,
) -> Result<Answer, String> {
    tokio::time::timeout(timeout, exchange(method, url, headers, body))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "no answer within {} s (Meta's sender gives up on a slow endpoint too)",
                timeout.as_secs_f64()
            ))
        })
}

async fn exchange(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Bytes,
) -> Result<Answer, String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL ({e})"))?;
    let host = uri.host().ok_or_else(|| format!("{url:?} names no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let address = host.trim_start_matches('[').trim_end_matches(']');
    let stream = tokio::net::TcpStream::connect((address, port))
        .await
        .map_err(|e| format!("could not connect to {host}:{port}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake with {host}:{port} failed: {e}"))?;
    let driver = tokio::spawn(connection);
    let authority = uri.authority().map_or(host, |a| a.as_str());
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, authority)
        .header(header::USER_AGENT, USER_AGENT)
        .header(header::ACCEPT, "*/*");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder
        .body(Full::new(body))
        .map_err(|e| format!("could not make the request: {e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the request to {host}:{port} failed: {e}"))?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), ANSWER_LIMIT)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    driver.abort();
    Ok(Answer { status, body })
}
