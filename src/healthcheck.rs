//! The `healthcheck` subcommand: a tiny HTTP probe of `/_emulator/health`, so that container
//! images need no curl.
//!
//! Plain HTTP/1.1 over `std::net`: one GET, read the status line, done. A full HTTP client would
//! add megabytes to the image for the one request it makes.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The URL probed when none is given: the health path on the listen address, with unspecified
/// addresses (`0.0.0.0`, `[::]`) replaced by loopback.
pub fn default_url(listen: &str) -> String {
    let target = if let Some(port) = listen.strip_prefix("0.0.0.0:") {
        format!("127.0.0.1:{port}")
    } else if let Some(port) = listen.strip_prefix("[::]:") {
        format!("[::1]:{port}")
    } else {
        listen.to_owned()
    };
    format!("http://{target}/_emulator/health")
}

/// Probes `url` (http only); `Ok` when it answers 200.
pub fn probe(url: &str, timeout: Duration) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// URLs can be probed"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/_emulator/health"),
    };
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| format!("{authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("{authority}: no address"))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(format!("{addr}: {e}")),
        }
    }
    let status_line = String::from_utf8_lossy(&head[..read]);
    let status = status_line.split_whitespace().nth(1).unwrap_or("");
    if status == "200" {
        Ok(())
    } else {
        Err(format!(
            "{url} answered {:?}",
            status_line.lines().next().unwrap_or("")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_url_probes_loopback_for_unspecified_addresses() {
        assert_eq!(
            default_url("0.0.0.0:9090"),
            "http://127.0.0.1:9090/_emulator/health"
        );
        assert_eq!(default_url("[::]:80"), "http://[::1]:80/_emulator/health");
        assert_eq!(
            default_url("127.0.0.1:9090"),
            "http://127.0.0.1:9090/_emulator/health"
        );
    }

    #[test]
    fn nothing_listening_is_an_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        assert!(
            probe(
                &format!("http://{addr}/_emulator/health"),
                Duration::from_secs(1)
            )
            .is_err()
        );
        assert!(probe("https://example.invalid/", Duration::from_secs(1)).is_err());
    }
}
