//! An emulator of the WhatsApp Business On-Premises API's account registration.
//!
//! Meta retired the On-Premises API in October 2025: the real endpoint refuses every
//! registration, and nobody can get a code or a certificate any more. This crate serves the same
//! contract (login and tokens, `POST /v1/account`, `POST /v1/account/verify`, two-step pins,
//! health) so that clients of the API can still be run and tested, plus a control API under
//! `/_emulator` to read the codes it "sends", make certificates, switch policies and reset state.
//!
//! The binary `wa-onprem-emulator` is a thin user of [`serve`]. Tests embed it the same way:
//!
//! ```
//! use wa_onprem_emulator::{Config, serve};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let base = format!("http://{}", listener.local_addr()?);
//! let config = Config { fixed_code: Some("123456".into()), ..Config::default() };
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(serve(listener, config, async { stopped.await.ok(); }));
//!
//! // The listener is bound: no sleep before the first request.
//! let health: serde_json::Value = reqwest::get(format!("{base}/_emulator/health"))
//!     .await?
//!     .json()
//!     .await?;
//! assert_eq!(health["status"], "ok");
//!
//! stop.send(()).ok();
//! server.await??;
//! # Ok(()) }
//! ```

pub mod cert;
pub mod clock;
pub mod config;
pub mod envelope;
pub mod error;
pub mod healthcheck;
pub mod http;
pub mod password;
pub mod phone;
pub mod policy;
pub mod request;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

pub use config::Config;
pub use http::{AppState, router};

use crate::clock::{Clock, SystemClock};
use crate::envelope::Meta;
use crate::policy::ClassicRules;
use crate::store::{Settings, Store};

impl AppState {
    /// The state of a fresh emulator configured by `config`, on the system clock.
    pub fn new(config: &Config) -> Self {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// Like [`AppState::new`], with time from `clock`.
    pub fn with_clock(config: &Config, clock: Arc<dyn Clock>) -> Self {
        let rules = ClassicRules {
            max_codes_per_window: config.code_rate_limit,
            window: config.code_rate_window,
            ..ClassicRules::default()
        };
        let (admin_password, admin_must_change) = match &config.admin_password {
            Some(password) => (password.as_str(), false),
            None => (password::DEFAULT_ADMIN_PASSWORD, true),
        };
        let settings = Settings {
            clock,
            default_policy: config.policy.build(rules),
            rules,
            token_ttl: config.token_ttl,
            code_ttl: config.code_ttl,
            fixed_code: config.fixed_code.clone(),
            restart_duration: config.restart_duration,
            outbox_limit: config.outbox_limit.max(1),
            // Hashed once: every cluster starts from the same admin password.
            admin_hash: password::hash(admin_password).into(),
            admin_must_change,
        };
        Self {
            store: Arc::new(Store::new(settings)),
            meta: Meta::new(&config.api_version),
        }
    }
}

/// The whole application for `config`: every route with its state.
pub fn app(config: &Config) -> Router {
    router(AppState::new(config))
}

/// Serves the emulator on an already bound `listener` until `shutdown` resolves, then finishes
/// the requests in flight and returns.
///
/// Taking a bound listener lets callers bind port 0 and know the address before the first
/// request: no sleeping, no races.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = app(&config);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, policy = ?config.policy, "listening on http://{addr}");
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
