//! The release binary as a user runs it: started on port 0, driven over HTTP, and its
//! subcommands.

use std::process::Command;

use serde_json::json;

use crate::helpers::{Running, TestApp};

const BIN: &str = env!("CARGO_BIN_EXE_wa-onprem-emulator");

/// Starts the binary on a free port and reads the address it logs.
fn start(args: &[&str]) -> Running {
    let mut command = Command::new(BIN);
    command
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(args);
    spawn(command)
}

/// Spawns a prepared command (which must log JSON) and waits for its listening line.
fn spawn(command: Command) -> Running {
    let (child, base) = crate::helpers::spawn_listening(command);
    Running { child, base }
}

#[tokio::test]
async fn the_binary_serves_a_whole_registration() {
    let running = start(&[]);
    let client = reqwest::Client::new();
    let base = &running.base;

    let first = client
        .post(format!("{base}/v1/users/login"))
        .basic_auth("admin", Some("secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 400, "the default password must be changed");
    let login: serde_json::Value = client
        .post(format!("{base}/v1/users/login"))
        .basic_auth("admin", Some("secret"))
        .json(&json!({"new_password": "N3w!passw0rd"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["users"][0]["token"].as_str().unwrap();

    let cert = Command::new(BIN)
        .args([
            "cert",
            "--vname",
            "Caffè Sport",
            "--localized",
            "it_IT=Caffè Sport",
        ])
        .output()
        .unwrap();
    assert!(cert.status.success());
    let cert = String::from_utf8(cert.stdout).unwrap();

    let body = json!({"cc": "39", "phone_number": "0612345678", "method": "sms", "cert": cert});
    let res = client
        .post(format!("{base}/v1/account"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let sent: serde_json::Value = res.json().await.unwrap();
    assert_eq!(sent["account"][0]["vname"], "Caffè Sport");

    let code: serde_json::Value = client
        .get(format!(
            "{base}/_emulator/clusters/default/codes/latest?cc=39&phone_number=0612345678&wait=5"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let verify = client
        .post(format!("{base}/v1/account/verify"))
        .bearer_auth(token)
        .json(&json!({"code": code["code"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(verify.status(), 201);
    let again = client
        .post(format!("{base}/v1/account"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    let health: serde_json::Value = client
        .get(format!("{base}/v1/health"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["health"]["gateway_status"], "connected");

    // The healthcheck subcommand probes the running server, and fails once it is gone.
    let probe = |url: String| {
        Command::new(BIN)
            .args(["healthcheck", "--url", &url])
            .status()
            .unwrap()
    };
    assert!(probe(format!("{base}/_emulator/health")).success());
    let url = format!("{base}/_emulator/health");
    drop(running);
    assert!(!probe(url).success());
}

#[tokio::test]
async fn the_binary_takes_flags_from_the_environment() {
    let mut command = Command::new(BIN);
    command
        .env("WA_EMU_LISTEN", "127.0.0.1:0")
        .env("WA_EMU_POLICY", "sunset")
        .env("WA_EMU_ADMIN_PASSWORD", "Env!passw0rd")
        .env("WA_EMU_LOG_FORMAT", "json");
    let running = spawn(command);
    let app = TestApp::external(&running.base);
    let token = {
        let answer = app.login_with("admin", "Env!passw0rd", None).await;
        answer.body["users"][0]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let cert = app.cert("Acme").await;
    app.request_code(&token, "6315550000", "sms", &cert)
        .await
        .assert_error(403, 1005, "biz_link_on_prem_reg_blocked");
}

/// Runs `tests/compat/{script}` (a flow of a published Python client of the real API, unmodified)
/// against the binary, with the Python of `WA_EMU_PYTHON` (`.ci/run` installs the clients there)
/// or `python3`; fails, saying what the flow printed, when the flow fails or the client is not
/// installed.
fn published_client_flow(script: &str) {
    published_client_flow_with(script, &[], &[BIN]);
}

/// [`published_client_flow`] against the binary started with `flags`, the flow given `argv`
/// after the base URL.
fn published_client_flow_with(script: &str, flags: &[&str], argv: &[&str]) {
    let python = std::env::var("WA_EMU_PYTHON").unwrap_or_else(|_| "python3".into());
    let running = start(flags);
    let script = format!("{}/tests/compat/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python)
        .arg(&script)
        .arg(&running.base)
        .args(argv)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script} failed (is the client installed? see .ci/run):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The published Python client `wabclient` 2.3.3 completes a registration. It needs the package,
/// so a plain `cargo test` lists it as ignored; `.ci/run` installs it, sets `WA_EMU_PYTHON` and
/// runs it with `--ignored`.
#[test]
#[ignore = "needs the published wabclient: `cargo test -- --ignored` with WA_EMU_PYTHON set, as .ci/run does"]
fn the_unmodified_wabclient_package_registers_a_number() {
    published_client_flow("wabclient_flow.py");
}

/// The published Python client `whatsappez` 0.0.1 registers a number, reads shards, backs up and
/// meets its quirks (`tests/compat/whatsappez_flow.py` lists them). Run as the wabclient test is.
#[test]
#[ignore = "needs the published whatsappez: `cargo test -- --ignored` with WA_EMU_PYTHON set, as .ci/run does"]
fn the_unmodified_whatsappez_package_registers_a_number() {
    published_client_flow("whatsappez_flow.py");
}

/// The published Cloud API client `pywa` 4.5.0, unmodified, adds a number, requests a code,
/// verifies, registers, reads and deregisters it, and raises its own errors for the emulator's
/// (`tests/compat/pywa_flow.py`). Run as the wabclient test is.
#[test]
#[ignore = "needs the published pywa: `cargo test -- --ignored` with WA_EMU_PYTHON set, as .ci/run does"]
fn the_unmodified_pywa_package_registers_a_cloud_number() {
    published_client_flow("pywa_flow.py");
}

/// An app built on the unmodified `pywa` 4.5.0 receives the emulator's webhooks: pywa's own
/// challenge handler answers the verification request, its validator checks the signature of
/// the exact bytes, its parser makes an `AccountUpdate`; and it refuses tampered, unsigned and
/// wrongly signed deliveries, which the emulator journals and retries
/// (`tests/compat/pywa_webhook_flow.py`). Run as the wabclient test is.
#[test]
#[ignore = "needs the published pywa: `cargo test -- --ignored` with WA_EMU_PYTHON set, as .ci/run does"]
fn an_app_built_on_pywa_verifies_and_parses_the_emulators_webhooks() {
    published_client_flow("pywa_webhook_flow.py");
}

/// Meta's own Python SDK `facebook-business` 26.0.3, unmodified, given an app secret, adds
/// `appsecret_proof` to every call by itself: against the binary started with `--app-secret` and
/// `--require-appsecret-proof` it adds numbers, pages through them, registers one, and meets
/// Graph's errors for a wrong proof and for none (`tests/compat/facebook_business_flow.py`).
#[test]
#[ignore = "needs the published facebook-business: `cargo test -- --ignored` with WA_EMU_PYTHON set, as .ci/run does"]
fn the_unmodified_facebook_business_sdk_signs_every_call() {
    let secret = "9f2c6c1e5b7d4a3f8e0d1c2b3a495867";
    published_client_flow_with(
        "facebook_business_flow.py",
        &["--app-secret", secret, "--require-appsecret-proof"],
        &[secret],
    );
}

/// Meta's official Node.js SDK `whatsapp` 0.0.5-Alpha, unmodified, sets a Cloud API number's
/// pin (`tests/compat/node_sdk_flow.js`). The SDK speaks HTTPS to port 443 only: the binary runs
/// with `--tls` on 127.0.0.1:443 (root, or a capability to bind it) and Node trusts its
/// self-signed certificate through `NODE_EXTRA_CA_CERTS`. Needs Node and the SDK in
/// `WA_EMU_NODE_MODULES` (`.ci/run` installs it in target/node-sdk).
#[test]
#[ignore = "needs node, the published whatsapp SDK and port 443: `cargo test -- --ignored`, as .ci/run does"]
fn the_unmodified_node_sdk_sets_a_cloud_pin() {
    let dir = std::env::temp_dir().join(format!("wa-emu-node-sdk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut command = Command::new(BIN);
    command
        .args(["--listen", "127.0.0.1:443", "--log-format", "json", "--tls"])
        .arg("--data-dir")
        .arg(&dir);
    let _running = spawn(command);
    let modules = std::env::var("WA_EMU_NODE_MODULES").unwrap_or_else(|_| {
        format!(
            "{}/target/node-sdk/node_modules",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let script = format!(
        "{}/tests/compat/node_sdk_flow.js",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new("node")
        .arg(&script)
        .env("WA_BASE_URL", "localhost")
        .env("CLOUD_API_VERSION", "v23.0")
        .env("CLOUD_API_ACCESS_TOKEN", "EAAG-emulated-token")
        .env("NODE_EXTRA_CA_CERTS", dir.join("tls-cert.pem"))
        .env("NODE_ENV", "production")
        .env("NODE_PATH", &modules)
        .output()
        .expect("node runs (see .ci/run)");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{script} failed (is the SDK in {modules}? see .ci/run):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cert_subcommand_rejects_malformed_localized_names() {
    let out = Command::new(BIN)
        .args(["cert", "--vname", "Acme", "--localized", "japanese"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("LG_LC=NAME"));
}

#[test]
fn help_lists_every_flag_with_its_environment_variable_and_the_readme_documents_them() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    // The flags the issue names must be there...
    for (flag, env) in [
        ("--listen", "WA_EMU_LISTEN"),
        ("--policy", "WA_EMU_POLICY"),
        ("--admin-password", "WA_EMU_ADMIN_PASSWORD"),
        ("--api-version", "WA_EMU_API_VERSION"),
        ("--token-ttl", "WA_EMU_TOKEN_TTL"),
        ("--code-ttl", "WA_EMU_CODE_TTL"),
        ("--fixed-code", "WA_EMU_FIXED_CODE"),
        ("--log-format", "WA_EMU_LOG_FORMAT"),
        ("--rules", "WA_EMU_RULES"),
        ("--control-token", "WA_EMU_CONTROL_TOKEN"),
        ("--data-dir", "WA_EMU_DATA_DIR"),
        ("--tls", "WA_EMU_TLS"),
    ] {
        assert!(
            help.contains(flag) && help.contains(env),
            "{flag} / {env} missing from --help"
        );
    }
    // ...and every flag and variable --help shows is documented in the book's Configuration.
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/configuration.md"
    ))
    .unwrap();
    let words = help.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    let mut checked = 0;
    for word in words {
        let is_flag =
            word.starts_with("--") && word.len() > 2 && word != "--help" && word != "--version";
        if is_flag || word.starts_with("WA_EMU_") {
            assert!(
                readme.contains(word),
                "{word} is in --help but not in docs/src/configuration.md"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 40,
        "only {checked} flags and variables found in --help"
    );
}

/// The Python and npm packages are versioned as the crate is (npm/pack.sh stamps the crate's
/// version on what it packs; the files in the tree must not say another one).
#[test]
fn the_python_and_npm_packages_carry_the_crate_s_version() {
    let root = env!("CARGO_MANIFEST_DIR");
    let version = env!("CARGO_PKG_VERSION");
    let pyproject: toml::Value =
        toml::from_str(&std::fs::read_to_string(format!("{root}/pyproject.toml")).unwrap())
            .unwrap();
    assert_eq!(pyproject["project"]["version"].as_str(), Some(version));
    let npm: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/npm/wa-onprem-emulator/package.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(npm["version"], version);
    let platforms = npm["optionalDependencies"].as_object().unwrap();
    assert_eq!(platforms.len(), 5, "{platforms:?}");
    for (name, wanted) in platforms {
        assert_eq!(wanted, version, "{name}");
    }
}
