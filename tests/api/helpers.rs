//! `TestApp`: an emulator on a real socket (port 0) with typed helpers, and `Oneshot` for
//! router-level tests on a controllable clock.

use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tower::ServiceExt;
use wa_onprem_emulator::clock::Clock;
use wa_onprem_emulator::{App, AppState, Config, Emulator, app};

pub const PASSWORD: &str = "Adm1n!pass";

/// Logs only when `TEST_LOG` is set, so passing tests stay quiet.
pub fn init_tracing() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt().with_env_filter("debug").init();
        }
    });
}

/// A config with a known admin password, as most tests want.
pub fn config() -> Config {
    Config::default().admin_password(PASSWORD)
}

/// What a client sees of one answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The first error's code, title and details.
    pub fn error(&self) -> (u64, &str, &str) {
        let e = &self.body["errors"][0];
        (
            e["code"]
                .as_u64()
                .unwrap_or_else(|| panic!("no error in {:?}", self.body)),
            e["title"].as_str().unwrap(),
            e["details"].as_str().unwrap(),
        )
    }

    /// Asserts a Graph error: status, code, the exact `message`, and `details` mentioning
    /// `needle`.
    #[track_caller]
    pub fn assert_graph_error(&self, status: u16, code: u64, message: &str, needle: &str) {
        assert_eq!(self.status, status, "{:?}", self.body);
        let e = &self.body["error"];
        assert_eq!(e["code"], code, "{:?}", self.body);
        assert_eq!(e["message"], message, "{:?}", self.body);
        assert_eq!(e["error_data"]["messaging_product"], "whatsapp");
        let details = e["error_data"]["details"].as_str().unwrap();
        assert!(
            details.contains(needle),
            "{details:?} should mention {needle:?}"
        );
        assert!(e["type"].is_string() && e["fbtrace_id"].is_string());
        assert!(!self.reason().is_empty(), "every error names its rule");
    }

    /// Asserts one of Graph's own errors (tokens, objects, paths) as Graph writes it: status,
    /// code, subcode, type and the exact `message` (no `(#code)` prefix), `fbtrace_id`, no
    /// `error_data`; what to fix in `X-Emulator-Details`, mentioning `needle`.
    #[track_caller]
    pub fn assert_core_graph_error(
        &self,
        status: u16,
        code: u64,
        subcode: Option<u64>,
        kind: &str,
        message: &str,
        needle: &str,
    ) {
        assert_eq!(self.status, status, "{:?}", self.body);
        let e = &self.body["error"];
        assert_eq!(e["code"], code, "{:?}", self.body);
        assert_eq!(
            e.get("error_subcode").and_then(Value::as_u64),
            subcode,
            "{:?}",
            self.body
        );
        assert_eq!(e["type"], kind, "{:?}", self.body);
        assert_eq!(e["message"], message, "{:?}", self.body);
        assert!(e.get("error_data").is_none(), "{:?}", self.body);
        assert!(e["fbtrace_id"].is_string(), "{:?}", self.body);
        let details = self
            .headers
            .get("x-emulator-details")
            .map_or("", |v| v.to_str().unwrap());
        assert!(
            details.contains(needle),
            "{details:?} should mention {needle:?}"
        );
        assert!(!self.reason().is_empty(), "every error names its rule");
    }

    /// Asserts Graph's `{"success": true}` (200), the registration operations' answer.
    #[track_caller]
    pub fn assert_graph_success(&self) {
        assert_eq!(self.status, 200, "{:?}", self.body);
        assert_eq!(self.body, serde_json::json!({"success": true}));
    }

    pub fn reason(&self) -> &str {
        self.headers
            .get("x-emulator-reason")
            .map_or("", |v| v.to_str().unwrap())
    }

    /// Asserts status, vendor code and that `details` mentions `needle`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: u64, needle: &str) {
        assert_eq!(self.status, status, "{:?}", self.body);
        let (c, title, details) = self.error();
        assert_eq!(c, code, "{:?}", self.body);
        assert!(
            details.contains(needle),
            "{details:?} should mention {needle:?}"
        );
        assert!(!title.is_empty());
        assert_eq!(self.body["meta"]["api_status"], "stable");
        assert_eq!(
            self.headers.get("content-type").unwrap(),
            "application/json",
            "errors are JSON"
        );
        assert!(!self.reason().is_empty(), "every error names its rule");
    }
}

/// An emulator served on 127.0.0.1:0 by the crate's own [`Emulator`], stopped when the last
/// `TestApp` of it is dropped.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// Prefix of vendor paths: `/v1` or `/clusters/{name}/v1`.
    pub v1: String,
    pub cluster: String,
    emulator: Option<Arc<Emulator>>,
}

impl TestApp {
    pub async fn spawn(config: Config) -> Self {
        init_tracing();
        let emulator = Emulator::builder().config(config).start().await;
        Self {
            base: emulator.uri().to_owned(),
            client: reqwest::Client::new(),
            v1: "/v1".into(),
            cluster: "default".into(),
            emulator: Some(Arc::new(emulator)),
        }
    }

    /// A client of an emulator running elsewhere (the binary, in its own process).
    pub fn external(base: &str) -> TestApp {
        TestApp {
            base: base.into(),
            client: reqwest::Client::new(),
            v1: "/v1".into(),
            cluster: "default".into(),
            emulator: None,
        }
    }

    /// The same server, addressing cluster `name` through `/clusters/{name}/v1`.
    pub fn in_cluster(&self, name: &str) -> TestApp {
        TestApp {
            base: self.base.clone(),
            client: self.client.clone(),
            v1: format!("/clusters/{name}/v1"),
            cluster: name.into(),
            emulator: self.emulator.clone(),
        }
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let res = req.send().await.expect("request failed");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}{}", self.base, self.v1, path)
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body),
        )
        .await
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(self.client.get(self.url(path)).bearer_auth(token))
            .await
    }

    pub async fn login_with(&self, user: &str, password: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .client
            .post(self.url("/users/login"))
            .basic_auth(user, Some(password));
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    /// An admin token (config with `admin_password` = [`PASSWORD`]).
    pub async fn admin_token(&self) -> String {
        let answer = self.login_with("admin", PASSWORD, None).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        answer.body["users"][0]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .client
            .request(method, format!("{}/_emulator{}", self.base, path));
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    /// A Graph (Cloud API) call of this cluster: `path` below `/v23.0`, with `token` as Bearer
    /// when given and `body` as JSON when given.
    pub async fn graph(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let prefix = if self.cluster == "default" {
            String::new()
        } else {
            format!("/clusters/{}", self.cluster)
        };
        let mut req = self
            .client
            .request(method, format!("{}{prefix}/v23.0{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    /// The names of the clusters that exist, as `GET /_emulator/clusters` lists them.
    pub async fn clusters(&self) -> Vec<String> {
        let answer = self.control(reqwest::Method::GET, "/clusters", None).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        serde_json::from_value(answer.body["clusters"].clone()).unwrap()
    }

    /// Moves the cluster's virtual clock forward by `seconds`.
    pub async fn advance_clock(&self, seconds: u64) {
        let answer = self
            .control(
                reqwest::Method::POST,
                &format!("/clusters/{}/clock", self.cluster),
                Some(json!({"advance_seconds": seconds})),
            )
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
    }

    /// The cluster's WhatsApp Business Account, as the control API shows it (the cluster made
    /// first, by a control POST, when it does not exist yet: reads do not make one).
    pub async fn cloud(&self) -> Value {
        self.control(
            reqwest::Method::POST,
            &format!("/clusters/{}/clock", self.cluster),
            Some(json!({"advance_seconds": 0})),
        )
        .await;
        let answer = self
            .control(
                reqwest::Method::GET,
                &format!("/clusters/{}/cloud", self.cluster),
                None,
            )
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        answer.body
    }

    /// The id of the cluster's WhatsApp Business Account.
    pub async fn waba_id(&self) -> String {
        self.cloud().await["waba_id"].as_str().unwrap().to_owned()
    }

    /// Adds +1 `phone` (verified name Acme) to the cluster's account with Graph token `token`;
    /// its id.
    pub async fn add_cloud_number(&self, token: &str, phone: &str) -> String {
        let waba = self.waba_id().await;
        let added = self
            .graph(
                reqwest::Method::POST,
                &format!("/{waba}/phone_numbers"),
                Some(token),
                Some(json!({"cc": "1", "phone_number": phone, "verified_name": "Acme"})),
            )
            .await;
        assert_eq!(added.status, 200, "{:?}", added.body);
        added.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn cert(&self, vname: &str) -> String {
        let answer = self
            .control(
                reqwest::Method::POST,
                "/certs",
                Some(json!({ "vname": vname })),
            )
            .await;
        answer.body["cert"].as_str().unwrap().to_owned()
    }

    pub async fn request_code(&self, token: &str, phone: &str, method: &str, cert: &str) -> Answer {
        let body = json!({"cc": "1", "phone_number": phone, "method": method, "cert": cert});
        self.post("/account", token, body).await
    }

    /// The newest code sent to +1 `phone` in this cluster.
    pub async fn latest_code(&self, phone: &str) -> String {
        let path = format!(
            "/clusters/{}/codes/latest?cc=1&phone_number={phone}",
            self.cluster
        );
        let answer = self.control(reqwest::Method::GET, &path, None).await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
        answer.body["code"].as_str().unwrap().to_owned()
    }

    pub async fn verify(&self, token: &str, code: &str) -> Answer {
        self.post("/account/verify", token, json!({ "code": code }))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.send(self.client.delete(self.url(path)).bearer_auth(token))
            .await
    }

    /// Turns two-step verification on for the registered number, with `pin`.
    pub async fn set_pin(&self, token: &str, pin: &str) {
        let answer = self
            .post("/settings/account/two-step", token, json!({ "pin": pin }))
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.body);
    }

    /// `POST /v1/settings/backup` with `password`, the answer as it came.
    pub async fn backup(&self, token: &str, password: &str) -> Answer {
        self.post("/settings/backup", token, json!({ "password": password }))
            .await
    }

    /// Creates a `ROLE_USER` with the admin token and logs it in; its token.
    pub async fn user_token(&self, admin: &str, username: &str, password: &str) -> String {
        let body = json!({ "username": username, "password": password });
        let created = self.post("/users", admin, body).await;
        assert_eq!(created.status, 201, "{:?}", created.body);
        let login = self.login_with(username, password, None).await;
        login.body["users"][0]["token"].as_str().unwrap().to_owned()
    }

    /// Logs in, requests a code for +1 `phone` and verifies it.
    pub async fn register(&self, token: &str, phone: &str) {
        let cert = self.cert("Acme").await;
        assert_eq!(
            self.request_code(token, phone, "sms", &cert).await.status,
            202
        );
        let code = self.latest_code(phone).await;
        assert_eq!(self.verify(token, &code).await.status, 201);
    }
}

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(SystemTime::now())))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// The router driven in-process with `oneshot`, on a [`ManualClock`].
pub struct Oneshot {
    pub router: App,
    pub clock: Arc<ManualClock>,
}

impl Oneshot {
    pub fn new(config: Config) -> Self {
        init_tracing();
        let clock = ManualClock::new();
        let router = app(AppState::with_clock(&config, clock.clone()).unwrap());
        Self { router, clock }
    }

    pub async fn call(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        if headers
            .get("content-type")
            .is_some_and(|ct| ct == "text/event-stream")
        {
            // An event stream never ends: what a client sees first is the status and headers.
            return Answer {
                status,
                headers,
                body: Value::Null,
            };
        }
        // The console's page and the metrics: their text.
        let html = headers.get("content-type").is_some_and(|ct| {
            let ct = ct.to_str().unwrap_or("");
            ct.starts_with("text/html") || ct.starts_with("text/plain")
        });
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else if html {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn json(&self, method: &str, path: &str, token: Option<&str>, body: Value) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json");
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        self.call(req.body(Body::from(body.to_string())).unwrap())
            .await
    }

    pub async fn admin_token(&self) -> String {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"));
        let req = Request::post("/v1/users/login")
            .header("authorization", format!("Basic {basic}"))
            .body(Body::empty())
            .unwrap();
        let answer = self.call(req).await;
        answer.body["users"][0]["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_wa-onprem-emulator");

/// Spawns a prepared command of the binary and waits for its ready line (`--ready-file -`, one
/// JSON line on stdout); the child and its base URL. Started with `--exit-on-stdin-close` on a
/// pipe this process holds, so that a test binary that dies takes its emulators with it. Its
/// logs keep being drained afterwards so it never blocks on a full pipe.
pub fn spawn_listening(mut command: std::process::Command) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .args(["--ready-file", "-", "--exit-on-stdin-close"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
    let mut ready = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut ready)
        .unwrap();
    let ready: wa_onprem_emulator::Ready = serde_json::from_str(&ready)
        .unwrap_or_else(|e| panic!("the emulator exited before it was ready ({e}): {ready:?}"));
    (child, ready.url)
}

/// The binary, started by a test: killed if the test ends before it stops it.
pub struct Running {
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// SIGTERM, then the exit status within 15 s.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        self.stop_with("TERM")
    }

    /// Signal `signal` (`TERM`, `HUP`, ...), then the exit status within 15 s.
    pub fn stop_with(&mut self, signal: &str) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        exited_within(&mut self.child, Duration::from_secs(15))
            .unwrap_or_else(|| panic!("the emulator did not stop within 15 s of SIG{signal}"))
    }
}

/// The exit status of `child` once it has ended, or `None` while it still runs after `limit`.
pub fn exited_within(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if started.elapsed() >= limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port that was free a moment ago, for a binary whose log cannot tell its address.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
