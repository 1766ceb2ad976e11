//! HTTPS, as the real deployment served it.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wa_onprem_emulator::{Config, Emulator};

/// One HTTP/1.1 request over TLS, trusting only `root`; the status and the body.
async fn https_get(
    addr: std::net::SocketAddr,
    root: rustls::pki_types::CertificateDer<'static>,
    path: &str,
) -> (u16, String) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root).unwrap();
    // ring, not aws-lc-rs: no C toolchain beyond a C compiler (no cmake, no Go) for the static
    // musl builds, and a test emulator needs no post-quantum key exchange, which is why rustls
    // 0.23.48 deprecates ring's default provider.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the TLS handshake succeeds with the configured certificate");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw).await.ok();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

#[tokio::test]
async fn serves_https_with_the_given_certificate_and_key() {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("wa-emu-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();

    let emulator = Emulator::builder()
        .config(Config::default().tls_cert(cert).tls_key(key))
        .start()
        .await;
    assert!(emulator.uri().starts_with("https://"));
    let (status, body) = https_get(
        emulator.address(),
        made.cert.der().clone(),
        "/_emulator/health",
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    let (status, body) = https_get(emulator.address(), made.cert.der().clone(), "/v1/health").await;
    assert_eq!(status, 401);
    assert!(body.contains("\"code\":1005"), "{body}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn tls_alone_makes_a_self_signed_certificate_that_healthcheck_accepts() {
    let emulator = Emulator::builder()
        .config(Config::default().tls(true))
        .start()
        .await;
    let url = format!("{}/_emulator/health", emulator.uri());
    assert!(url.starts_with("https://127.0.0.1:"));
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_wa-onprem-emulator"))
        .args(["healthcheck", "--url", &url])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "healthcheck over https");
    // Plain HTTP on the TLS port is not served.
    let plain = url.replacen("https://", "http://", 1);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_wa-onprem-emulator"))
        .args(["healthcheck", "--timeout", "1s", "--url", &plain])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("this looks like HTTPS: add --tls"), "{said}");
}

#[tokio::test]
async fn a_lone_tls_cert_is_a_startup_error() {
    let err = Emulator::builder()
        .config(Config::default().tls_cert("cert.pem"))
        .try_start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--tls-key"), "{err}");
    let missing = Emulator::builder()
        .config(
            Config::default()
                .tls_cert("/nonexistent/cert.pem")
                .tls_key("/nonexistent/key.pem"),
        )
        .try_start()
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent/cert.pem"),
        "{missing}"
    );
}

/// The scheme mixed up, both ways (issue 20, finding 6): plain HTTP to the HTTPS emulator is
/// answered 400 in plain HTTP saying to use https://; a TLS handshake on the plain emulator is
/// logged as a warning saying to use http:// or --tls.
#[tokio::test]
async fn a_client_on_the_wrong_scheme_is_told_which_to_use() {
    let https = Emulator::builder()
        .config(Config::default().tls(true))
        .start()
        .await;
    let plain_url = format!("http://{}/_emulator/health", https.address());
    let answer = reqwest::get(&plain_url).await.unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(
        answer.headers()["x-emulator-reason"],
        "request.plain_http_to_tls"
    );
    let body: serde_json::Value = answer.json().await.unwrap();
    let details = body["errors"][0]["details"].as_str().unwrap();
    assert!(details.contains("https://"), "{details}");
    assert_eq!(body["errors"][0]["code"], 1025);

    use std::io::BufRead;
    let mut child = std::process::Command::new(crate::helpers::BIN)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let addr = loop {
        let line = lines
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(addr) = entry["fields"]["addr"].as_str() {
            break addr.to_owned();
        }
    };
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // The start of a TLS ClientHello.
    tcp.write_all(&[
        0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
    ])
    .await
    .unwrap();
    let mut warned = None;
    while let Ok(line) = lines.recv_timeout(std::time::Duration::from_secs(5)) {
        if line.contains("TLS handshake") {
            warned = Some(line);
            break;
        }
    }
    child.kill().ok();
    child.wait().ok();
    let warned = warned.expect("a warning names the mix-up");
    let entry: serde_json::Value = serde_json::from_str(&warned).unwrap();
    assert_eq!(entry["level"], "WARN");
    let message = entry["fields"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("http://{addr}")) && message.contains("--tls"),
        "{message}"
    );
}

/// The `--tls` startup line says where the self-signed certificate is and how to trust it; a
/// client trusting that file (as `curl --cacert` would) gets through.
#[tokio::test]
async fn the_self_signed_certificate_is_written_where_the_startup_line_says() {
    use rustls::pki_types::pem::PemObject;
    let dir = std::env::temp_dir().join(format!("wa-emu-tls-self-signed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut child, addr, pem, message) = start_tls(&["--data-dir", dir.to_str().unwrap()]);
    assert!(
        message.contains(&format!("curl --cacert {}", pem.display())),
        "{message}"
    );
    assert!(message.contains("self-signed"), "{message}");
    assert_eq!(pem, dir.join("tls-cert.pem"));
    let root = rustls::pki_types::CertificateDer::from_pem_file(&pem).unwrap();
    let (status, _) = https_get(addr.parse().unwrap(), root, "/_emulator/health").await;
    child.kill().ok();
    child.wait().ok();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status, 200);
}

/// Without `--data-dir`, the self-signed certificate goes to the temporary folder and is removed
/// when the emulator stops; plain HTTP to the HTTPS port is told so, with no `retry-after` (a
/// retry would fail the same way).
#[tokio::test]
async fn a_temporary_self_signed_certificate_goes_with_the_emulator() {
    let (child, addr, pem, message) = start_tls(&[]);
    assert!(
        message.contains("removed when the emulator stops"),
        "{message}"
    );
    assert!(pem.starts_with(std::env::temp_dir()), "{}", pem.display());
    assert!(pem.exists());

    let plain = reqwest::get(format!("http://{addr}/_emulator/health"))
        .await
        .unwrap();
    assert_eq!(plain.status(), 400);
    assert!(plain.headers().get("retry-after").is_none());

    let mut running = crate::helpers::Running { child, base: addr };
    assert!(running.stop().success());
    assert!(!pem.exists(), "{} is left behind", pem.display());
}

/// Starts the binary with `--tls` and `extra`, JSON logs: the child, its address, the
/// self-signed certificate's file and the startup line that names it. The rest of the log is
/// read (and dropped) on a thread.
fn start_tls(extra: &[&str]) -> (std::process::Child, String, std::path::PathBuf, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(crate::helpers::BIN)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json", "--tls"])
        .args(extra)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut addr, mut pem) = (None, None);
    while addr.is_none() || pem.is_none() {
        let line = lines.next().expect("startup ended early").unwrap();
        let entry: serde_json::Value = serde_json::from_str(&line).unwrap();
        if let Some(a) = entry["fields"]["addr"].as_str() {
            addr = Some(a.to_owned());
        }
        if let Some(path) = entry["fields"]["tls_cert"].as_str() {
            let message = entry["fields"]["message"].as_str().unwrap().to_owned();
            pem = Some((std::path::PathBuf::from(path), message));
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let (pem, message) = pem.unwrap();
    (child, addr.unwrap(), pem, message)
}
