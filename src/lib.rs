//! An emulator of the WhatsApp Business On-Premises API's account registration.
//!
//! Meta retired the On-Premises API in October 2025: the real endpoint refuses every
//! registration, and nobody can get a code or a certificate any more. This crate serves the same
//! contract (login and tokens, `POST /v1/account`, `POST /v1/account/verify`, two-step pins,
//! health) so that clients of the API can still be run and tested, plus a control API under
//! `/_emulator` to read the codes it "sends", make certificates, switch policies and reset state.
//!
//! The binary `wa-onprem-emulator` is a thin user of [`serve`]. Rust tests embed it with
//! [`Emulator`], which starts it on a free port and stops it when dropped:
//!
//! ```
//! use serde_json::{Value, json};
//! use wa_onprem_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::builder()
//!     .admin_password("Adm1n!pass")
//!     .fixed_code("123456")
//!     .start()
//!     .await;
//! let client = reqwest::Client::new();
//! let url = |path: &str| format!("{}{path}", emulator.uri());
//!
//! // Log in as admin, make a certificate, request a code.
//! let login: Value = client.post(url("/v1/users/login"))
//!     .basic_auth("admin", Some("Adm1n!pass"))
//!     .send().await?.json().await?;
//! let token = login["users"][0]["token"].as_str().unwrap();
//! let cert = wa_onprem_emulator::cert::make("Caffè Sport", &[], 0);
//! let sent = client.post(url("/v1/account"))
//!     .bearer_auth(token)
//!     .json(&json!({"cc": "39", "phone_number": "0612345678", "method": "sms", "cert": cert}))
//!     .send().await?;
//! assert_eq!(sent.status(), 202);
//!
//! // Read the code from the outbox, typed, and verify it.
//! let code = emulator.latest_code("39", "0612345678").expect("a code was sent");
//! assert_eq!(&*code.vname, "Caffè Sport");
//! let verified = client.post(url("/v1/account/verify"))
//!     .bearer_auth(token)
//!     .json(&json!({"code": code.code}))
//!     .send().await?;
//! assert_eq!(verified.status(), 201);
//! # Ok(()) }
//! ```
//!
//! Or serve on a listener of your own with [`serve`] (the binary does exactly this).

pub mod backup;
pub mod cert;
pub mod clock;
pub mod config;
pub mod embed;
pub mod envelope;
pub mod error;
pub mod faults;
pub mod healthcheck;
pub mod http;
pub mod journal;
pub mod password;
pub mod persist;
pub mod phone;
pub mod policy;
pub mod request;
pub mod server;
pub mod store;
pub mod tls;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
pub use embed::{Emulator, EmulatorBuilder};
pub use http::{App, AppState, ControlAccess, router};

use crate::clock::{Clock, SystemClock};
use crate::envelope::Meta;
use crate::persist::{Durable, Persistence, Volatile};
use crate::policy::{ClassicRules, PolicyKind, scripted};
use crate::store::{Settings, Store};

/// A configuration the emulator cannot start with, such as a bad rules file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

impl From<StartupError> for std::io::Error {
    fn from(e: StartupError) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e.0)
    }
}

impl AppState {
    /// The state of a fresh emulator configured by `config`, on the system clock.
    pub fn new(config: &Config) -> Result<Self, StartupError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// Like [`AppState::new`], with time from `clock`.
    pub fn with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        Self::build(config, clock, None)
    }

    /// Like [`AppState::with_clock`], with scripted rules given as values rather than by
    /// `config.rules`.
    pub fn build(
        config: &Config,
        clock: Arc<dyn Clock>,
        given_rules: Option<Vec<scripted::Rule>>,
    ) -> Result<Self, StartupError> {
        let classic = ClassicRules {
            max_codes_per_window: config.code_rate_limit,
            window: config.code_rate_window,
            ..ClassicRules::default()
        };
        let rules = match (given_rules, &config.rules, config.policy) {
            (Some(rules), _, _) => Some(rules),
            (None, Some(path), _) => Some(scripted::load(path).map_err(StartupError)?),
            (None, None, PolicyKind::Scripted) => {
                return Err(StartupError(
                    "--policy scripted needs --rules FILE (WA_EMU_RULES)".into(),
                ));
            }
            (None, None, _) => None,
        };
        let default_policy = config.policy.build(classic, rules).map_err(StartupError)?;
        let (admin_password, admin_must_change) = match &config.admin_password {
            Some(password) => (password.as_str(), false),
            None => (password::DEFAULT_ADMIN_PASSWORD, true),
        };
        let persist: Arc<dyn Persistence> = match &config.data_dir {
            Some(dir) => Arc::new(Durable::open(dir)?),
            None => Arc::new(Volatile),
        };
        let settings = Settings {
            clock,
            default_policy,
            rules: classic,
            token_ttl: config.token_ttl,
            code_ttl: config.code_ttl,
            fixed_code: config.fixed_code.as_deref().map(Into::into),
            restart_duration: config.restart_duration,
            outbox_limit: config.outbox_limit.max(1),
            journal_limit: config.journal_limit,
            // Hashed once: every cluster starts from the same admin password.
            admin_hash: password::hash(admin_password).into(),
            admin_must_change,
            persist,
        };
        let store = Store::new(settings).map_err(|e| StartupError(format!("stored state: {e}")))?;
        Ok(Self {
            store: Arc::new(store),
            meta: Meta::new(&config.api_version),
            control: ControlAccess {
                enabled: !config.no_control_api,
                token: config.control_token.as_deref().map(Into::into),
            },
        })
    }
}

/// The whole application for `config`: every route with its state.
pub fn app(config: &Config) -> Result<App, StartupError> {
    AppState::new(config).map(router)
}

/// Serves the emulator on an already bound `listener` until `shutdown` resolves, then finishes
/// the requests in flight (up to `--shutdown-grace`) and returns.
///
/// Taking a bound listener lets callers bind port 0 and know the address before the first
/// request: no sleeping, no races. A configuration that cannot start (a bad rules file) is an
/// error of kind `InvalidInput`.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState::new(&config)?;
    serve_state(listener, state, &config, shutdown).await
}

/// Like [`serve`], with a state built beforehand (to report configuration errors before binding,
/// or to use another clock).
pub async fn serve_state(
    listener: TcpListener,
    state: AppState,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = tls::from_config(config)?;
    serve_with(listener, state, config, tls, shutdown).await
}

/// Like [`serve_state`], with the TLS configuration built beforehand (`None` for plain HTTP).
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    config: &Config,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(%addr, scheme, policy = ?config.policy, "listening on {scheme}://{addr}");
    }
    let limits = server::Limits {
        max_connections: config.max_connections.max(1),
        header_timeout: config.header_timeout,
        shutdown_grace: config.shutdown_grace,
    };
    let overload = error::overload_body(&state.meta, limits.max_connections);
    let store = state.store.clone();
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        store.begin_shutdown();
    };
    let result = server::run(
        listener,
        router(state.clone()),
        limits,
        overload,
        tls,
        shutdown,
    )
    .await;
    // Every answer already waited for its changes; this flushes and closes the database.
    state.store.close();
    result
}
