//! The `healthcheck` subcommand: a tiny HTTP probe of `/_emulator/health`, so that container
//! images need no curl.
//!
//! Plain HTTP/1.1 over `std::net` (and rustls for `https://`): one GET, read the status line,
//! done. A full HTTP client would add megabytes to the image for the one request it makes. Over
//! HTTPS the certificate is not checked: the probe talks to its own container, whose certificate
//! is usually the self-signed one made at startup.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The URL probed when none is given: the health path on the listen address, with unspecified
/// addresses (`0.0.0.0`, `[::]`) replaced by loopback; `https` when the emulator serves TLS.
pub fn default_url_for(listen: &str, tls: bool) -> String {
    let url = default_url(listen);
    if tls {
        url.replacen("http://", "https://", 1)
    } else {
        url
    }
}

/// [`default_url_for`] without TLS.
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

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The URL is not one the probe can ask.
    #[error("{url}: only http:// and https:// URLs can be probed")]
    UnsupportedUrl {
        /// The URL.
        url: String,
    },
    /// Nothing answered there: the name does not resolve, the connection is refused or it
    /// broke.
    #[error("{target}: {source}")]
    Unreachable {
        /// The host and port, or the address, that was tried.
        target: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TLS client could not be set up for the host.
    #[error("{0}")]
    Tls(String),
    /// A TLS server answered a plain-HTTP probe.
    #[error("{url}: this looks like HTTPS: add --tls (or probe an https:// URL)")]
    LooksLikeHttps {
        /// The URL.
        url: String,
    },
    /// It answered, but not 200.
    #[error("{url} answered {status_line:?}")]
    Unhealthy {
        /// The URL.
        url: String,
        /// The answer's status line.
        status_line: String,
    },
}

fn unreachable(target: impl ToString) -> impl FnOnce(std::io::Error) -> ProbeError {
    move |source| ProbeError::Unreachable {
        target: target.to_string(),
        source,
    }
}

/// Probes `url` (`http://` or `https://`); `Ok` when it answers 200.
pub fn probe(url: &str, timeout: Duration) -> Result<(), ProbeError> {
    let (rest, tls) = if let Some(rest) = url.strip_prefix("http://") {
        (rest, false)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (rest, true)
    } else {
        return Err(ProbeError::UnsupportedUrl { url: url.into() });
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/_emulator/health"),
    };
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    let with_port = match (has_port, tls) {
        (true, _) => authority.to_owned(),
        (false, true) => format!("{authority}:443"),
        (false, false) => format!("{authority}:80"),
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(unreachable(authority))?
        .next()
        .ok_or_else(|| {
            unreachable(authority)(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no address",
            ))
        })?;
    let tcp = TcpStream::connect_timeout(&addr, timeout).map_err(unreachable(addr))?;
    tcp.set_read_timeout(Some(timeout))
        .map_err(unreachable(addr))?;
    tcp.set_write_timeout(Some(timeout))
        .map_err(unreachable(addr))?;
    let mut stream: Box<dyn ReadWrite> = if tls {
        let host = with_port.rsplit_once(':').map_or(authority, |(h, _)| h);
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Box::new(insecure_tls(tcp, host)?)
    } else {
        Box::new(tcp)
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(unreachable(addr))?;
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(unreachable(addr)(e)),
        }
    }
    let status_line = String::from_utf8_lossy(&head[..read]).into_owned();
    let status = status_line.split_whitespace().nth(1).unwrap_or("");
    // The HTTPS emulator answers plain HTTP itself, with a reason saying so.
    let plain_to_https = !tls && status == "400" && {
        let mut rest = Vec::new();
        let _ = stream.take(4096).read_to_end(&mut rest);
        String::from_utf8_lossy(&rest).contains("request.plain_http_to_tls")
    };
    if status == "200" {
        Ok(())
    } else if plain_to_https || !tls && read >= 1 && (head[0] == 0x15 || head[0] == 0x16) {
        // A TLS record (an alert or a handshake) where HTTP was expected.
        Err(ProbeError::LooksLikeHttps { url: url.into() })
    } else {
        Err(ProbeError::Unhealthy {
            url: url.into(),
            status_line: status_line.lines().next().unwrap_or("").into(),
        })
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// A TLS client that accepts any certificate: the probe checks liveness, not identity.
fn insecure_tls(
    tcp: TcpStream,
    host: String,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, ProbeError> {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    struct AnyCertificate(std::sync::Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    // ring, not aws-lc-rs: no C toolchain beyond a C compiler (no cmake, no Go) for the static
    // musl builds, and a test emulator needs no post-quantum key exchange, which is why rustls
    // 0.23.48 deprecates ring's default provider.
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ProbeError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(host).map_err(|e| ProbeError::Tls(e.to_string()))?;
    let connection = rustls::ClientConnection::new(std::sync::Arc::new(config), name)
        .map_err(|e| ProbeError::Tls(e.to_string()))?;
    Ok(rustls::StreamOwned::new(connection, tcp))
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
        assert!(probe("ftp://example.invalid/", Duration::from_secs(1)).is_err());
    }
}
