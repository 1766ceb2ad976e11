//! HTTPS like the real deployment: a self-signed certificate made at startup (`--tls`), or the
//! operator's own (`--tls-cert` / `--tls-key`). rustls with the ring provider.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Names the generated certificate is valid for.
const SELF_SIGNED_NAMES: &[&str] = &["localhost", "127.0.0.1", "::1", "emulator"];

/// Why the TLS configuration cannot be used: each kind names the flag or file to fix.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `--tls-cert` without `--tls-key`, or the other way round.
    #[error(
        "--tls-cert and --tls-key go together: give both, or --tls alone for a self-signed certificate"
    )]
    Unpaired,
    /// The `--tls-cert` file cannot be read, or holds no certificate.
    #[error("--tls-cert {path}: {problem}")]
    Certificate {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The `--tls-key` file cannot be read.
    #[error("--tls-key {path}: {problem}")]
    Key {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The certificate and the key do not belong together.
    #[error("TLS certificate and key do not fit: {0}")]
    Mismatch(String),
    /// The self-signed certificate cannot be made, or written where clients are told to find it.
    #[error("{0}")]
    SelfSigned(String),
    /// rustls refused the configuration.
    #[error("TLS: {0}")]
    Rustls(String),
}

/// A certificate chain and its key, in DER.
pub struct Identity {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// The certificate as PEM, when it was made here (for clients to trust).
    pub made_pem: Option<String>,
}

impl Identity {
    /// A fresh self-signed certificate for localhost, 127.0.0.1, ::1 and `emulator` (the
    /// compose service name).
    pub fn self_signed() -> Result<Self, TlsError> {
        let names: Vec<String> = SELF_SIGNED_NAMES.iter().map(|s| (*s).to_owned()).collect();
        let made = rcgen::generate_simple_self_signed(names)
            .map_err(|e| TlsError::SelfSigned(format!("cannot make a TLS certificate: {e}")))?;
        Ok(Self {
            chain: vec![made.cert.der().clone()],
            key: PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()).into(),
            made_pem: Some(made.cert.pem()),
        })
    }

    /// A chain and key from PEM files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let certificate = |problem: String| TlsError::Certificate {
            path: cert.display().to_string(),
            problem,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| certificate(e.to_string()))?;
        if chain.is_empty() {
            return Err(certificate("no certificate in it".into()));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
            path: key.display().to_string(),
            problem: e.to_string(),
        })?;
        Ok(Self {
            chain,
            key,
            made_pem: None,
        })
    }

    /// The rustls server configuration, offering HTTP/2 and HTTP/1.1.
    pub fn server_config(self) -> Result<Arc<ServerConfig>, TlsError> {
        // ring, not aws-lc-rs: no C toolchain beyond a C compiler (no cmake, no Go) for the static
        // musl builds, and a test emulator needs no post-quantum key exchange, which is why rustls
        // 0.23.48 deprecates ring's default provider.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Rustls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.chain, self.key)
            .map_err(|e| TlsError::Mismatch(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// The TLS configuration asked for, if any: the operator's certificate and key, or a
/// self-signed certificate when only `self_signed` is set, which is also written as PEM to
/// `made_to` so that clients can be told to trust it (`curl --cacert FILE`).
pub fn configure(
    self_signed: bool,
    cert: Option<&Path>,
    key: Option<&Path>,
    made_to: &Path,
) -> Result<Option<Arc<ServerConfig>>, TlsError> {
    let identity = match (cert, key) {
        (Some(cert), Some(key)) => Identity::from_pem_files(cert, key)?,
        (None, None) if self_signed => Identity::self_signed()?,
        (None, None) => return Ok(None),
        _ => return Err(TlsError::Unpaired),
    };
    if let Some(pem) = &identity.made_pem {
        std::fs::write(made_to, pem).map_err(|e| {
            TlsError::SelfSigned(format!(
                "cannot write the self-signed certificate to {}: {e}",
                made_to.display()
            ))
        })?;
    }
    identity.server_config().map(Some)
}
