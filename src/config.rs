//! What shapes a running emulator, as a value: [`Config::default`] then setters, so that a new
//! setting breaks no user. The binary reads the same settings from flags and environment
//! variables (its `--help` lists them) and builds a `Config` from them; its defaults are the
//! [`defaults`] here, written once.
//!
//! ```
//! use std::time::Duration;
//! use wa_onprem_emulator::Config;
//! use wa_onprem_emulator::policy::PolicyKind;
//!
//! let config = Config::default()
//!     .admin_password("Adm1n!pass")
//!     .policy(PolicyKind::Sunset)
//!     .code_ttl(Duration::from_secs(60));
//! # let _ = config;
//! ```

use std::path::PathBuf;
use std::time::Duration;

use crate::domain::policy::PolicyKind;

/// Most Coreapps a deployment may have ([`Config::coreapps`]).
pub use crate::domain::topology::MAX_COREAPPS;

/// The default of every setting, as the binary's `--help` shows it (durations in humantime).
pub mod defaults {
    /// `--listen`.
    pub const LISTEN: &str = "127.0.0.1:9090";
    /// `--api-version`.
    pub const API_VERSION: &str = "v2.45.1";
    /// `--token-ttl`.
    pub const TOKEN_TTL: &str = "7d";
    /// `--code-ttl`.
    pub const CODE_TTL: &str = "10m";
    /// `--code-rate-limit`.
    pub const CODE_RATE_LIMIT: u32 = 5;
    /// `--code-rate-window`.
    pub const CODE_RATE_WINDOW: &str = "1h";
    /// `--restart-duration`.
    pub const RESTART_DURATION: &str = "0s";
    /// `--outbox-limit`.
    pub const OUTBOX_LIMIT: usize = 1000;
    /// `--journal-limit`.
    pub const JOURNAL_LIMIT: usize = 1000;
    /// `--max-connections`.
    pub const MAX_CONNECTIONS: usize = 1024;
    /// `--header-timeout`.
    pub const HEADER_TIMEOUT: &str = "10s";
    /// `--body-timeout`.
    pub const BODY_TIMEOUT: &str = "10s";
    /// `--idle-timeout`.
    pub const IDLE_TIMEOUT: &str = "60s";
    /// `--coreapps`.
    pub const COREAPPS: u16 = 1;
    /// `--failover-delay`.
    pub const FAILOVER_DELAY: &str = "5s";
    /// `--max-clusters`.
    pub const MAX_CLUSTERS: usize = 100_000;
    /// `--shutdown-grace`.
    pub const SHUTDOWN_GRACE: &str = "10s";
    /// `--migration-delay`.
    pub const MIGRATION_DELAY: &str = "0s";
    /// How long a webhook delivery (or the verification request) may take (Meta's sender: 10 s).
    pub const WEBHOOK_TIMEOUT: &str = "10s";
    /// `--control-body-limit`, in bytes: 32 MiB, about a hundred times a cluster with a full
    /// outbox (1,000 codes are about 340 KB of state document).
    pub const CONTROL_BODY_LIMIT: usize = 32 * 1024 * 1024;
}

/// A default duration, written in humantime in [`defaults`].
fn default_duration(text: &str) -> Duration {
    humantime::parse_duration(text).expect("the defaults are valid durations")
}

/// Everything that shapes a running emulator. Each setting has a setter of its name; the
/// binary's flag of the same name (`--code-ttl` for [`Config::code_ttl`]) documents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub(crate) listen: String,
    pub(crate) policy: PolicyKind,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) rules: Option<PathBuf>,
    pub(crate) admin_password: Option<String>,
    pub(crate) api_version: String,
    pub(crate) token_ttl: Duration,
    pub(crate) code_ttl: Duration,
    pub(crate) fixed_code: Option<String>,
    pub(crate) code_rate_limit: u32,
    pub(crate) code_rate_window: Duration,
    pub(crate) restart_duration: Duration,
    pub(crate) outbox_limit: usize,
    pub(crate) journal_limit: usize,
    pub(crate) control_token: Option<String>,
    pub(crate) no_control_api: bool,
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) coreapps: u16,
    pub(crate) failover_delay: Duration,
    pub(crate) max_clusters: usize,
    pub(crate) cluster_idle_ttl: Option<Duration>,
    pub(crate) shutdown_grace: Duration,
    pub(crate) tls: bool,
    pub(crate) tls_cert: Option<PathBuf>,
    pub(crate) tls_key: Option<PathBuf>,
    pub(crate) graph_token: Option<String>,
    pub(crate) graph_version: String,
    pub(crate) app_secret: Option<String>,
    pub(crate) require_appsecret_proof: bool,
    pub(crate) seed: Option<PathBuf>,
    pub(crate) migration_delay: Duration,
    pub(crate) control_body_limit: usize,
    pub(crate) ready_file: Option<PathBuf>,
    pub(crate) webhook_url: Option<String>,
    pub(crate) webhook_verify_token: Option<String>,
    pub(crate) webhook_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        use defaults::*;
        Self {
            listen: LISTEN.into(),
            policy: PolicyKind::Classic,
            data_dir: None,
            rules: None,
            admin_password: None,
            api_version: API_VERSION.into(),
            token_ttl: default_duration(TOKEN_TTL),
            code_ttl: default_duration(CODE_TTL),
            fixed_code: None,
            code_rate_limit: CODE_RATE_LIMIT,
            code_rate_window: default_duration(CODE_RATE_WINDOW),
            restart_duration: default_duration(RESTART_DURATION),
            outbox_limit: OUTBOX_LIMIT,
            journal_limit: JOURNAL_LIMIT,
            control_token: None,
            no_control_api: false,
            max_connections: MAX_CONNECTIONS,
            header_timeout: default_duration(HEADER_TIMEOUT),
            body_timeout: default_duration(BODY_TIMEOUT),
            idle_timeout: default_duration(IDLE_TIMEOUT),
            coreapps: COREAPPS,
            failover_delay: default_duration(FAILOVER_DELAY),
            max_clusters: MAX_CLUSTERS,
            cluster_idle_ttl: None,
            shutdown_grace: default_duration(SHUTDOWN_GRACE),
            tls: false,
            tls_cert: None,
            tls_key: None,
            graph_token: None,
            graph_version: crate::domain::cloud::version::NEWEST.into(),
            app_secret: None,
            require_appsecret_proof: false,
            seed: None,
            migration_delay: default_duration(MIGRATION_DELAY),
            control_body_limit: CONTROL_BODY_LIMIT,
            ready_file: None,
            webhook_url: None,
            webhook_verify_token: None,
            webhook_timeout: default_duration(WEBHOOK_TIMEOUT),
        }
    }
}

/// A setter per setting: `name(value)` sets it. Text takes anything that converts into it;
/// numbers, durations and switches take their own type (so that `5` is a `u32` where one is
/// meant); an optional setting is unset by default and set by its setter.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        impl Config {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                    self.$name = value.into();
                    self
                }
            )*
        }
    };
}

macro_rules! exact_setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        impl Config {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}

macro_rules! optional_setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        impl Config {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, value: impl Into<$ty>) -> Self {
                    self.$name = Some(value.into());
                    self
                }
            )*
        }
    };
}

setters! {
    /// Address to listen on (`HOST:PORT`; port 0 picks a free one).
    listen: String,
    /// API version reported in every answer's `meta`.
    api_version: String,
    /// The Graph version a Graph path without one is served as (`v26.0`, the newest the
    /// emulator knows, by default).
    graph_version: String,
}

exact_setters! {
    /// Registration policy of every cluster at start.
    policy: PolicyKind,
    /// Lifetime of a login token.
    token_ttl: Duration,
    /// Lifetime of a registration code.
    code_ttl: Duration,
    /// Codes one number may request by one method within the rate window (at least 1).
    code_rate_limit: u32,
    /// The window of the code rate limit.
    code_rate_window: Duration,
    /// How long the simulated Coreapp restart after a number is replaced lasts (0: none).
    restart_duration: Duration,
    /// Codes kept in each cluster's outbox.
    outbox_limit: usize,
    /// Requests kept in each cluster's journal (0 keeps none).
    journal_limit: usize,
    /// Serve no control route but its health probe.
    no_control_api: bool,
    /// Connections served at once.
    max_connections: usize,
    /// How long a client may take to send its request headers.
    header_timeout: Duration,
    /// How long a client may take to send a request body.
    body_timeout: Duration,
    /// How long a connection may stay open with no request in flight.
    idle_timeout: Duration,
    /// Coreapps of each cluster's deployment (1: a single instance).
    coreapps: u16,
    /// How long a shard whose Coreapp stopped stays down before another takes it over.
    failover_delay: Duration,
    /// Clusters that may exist at once.
    max_clusters: usize,
    /// On shutdown, how long requests in flight may take to finish.
    shutdown_grace: Duration,
    /// Serve HTTPS on a self-signed certificate made at startup.
    tls: bool,
    /// How long a migration to the Cloud API (register with a backup) takes, on the cluster's
    /// clock (0: it answers at once; the real call takes about 15 s).
    migration_delay: Duration,
    /// Largest control API request body, in bytes (a `PUT …/state` of a busy cluster is larger
    /// than the vendor's 64 KiB).
    control_body_limit: usize,
    /// Refuse a Graph call without `appsecret_proof` (with an app secret set), as an app with
    /// "Require App Secret" on does.
    require_appsecret_proof: bool,
    /// How long a webhook delivery or verification request may take before it counts as
    /// failed (Meta's sender: 10 s).
    webhook_timeout: Duration,
}

optional_setters! {
    /// Keep every cluster's state in an embedded database in this folder.
    data_dir: PathBuf,
    /// TOML file of rules for the scripted policy (rules alone select it).
    rules: PathBuf,
    /// JSON or TOML file of clusters in a declared state, applied at every start before the
    /// emulator answers (`{"clusters": {"NAME": STATE}}`).
    seed: PathBuf,
    /// Password the `admin` user starts with (no first-login change then).
    admin_password: String,
    /// Send this 6-digit code every time.
    fixed_code: String,
    /// Require this Bearer token on the control API.
    control_token: String,
    /// PEM certificate chain to serve HTTPS with.
    tls_cert: PathBuf,
    /// PEM private key of the certificate chain.
    tls_key: PathBuf,
    /// The one access token the Graph surface (the Cloud API) takes; any non-empty one when
    /// unset.
    graph_token: String,
    /// The app secret: a Graph call's `appsecret_proof` must be the HMAC-SHA256 of its token
    /// under it.
    app_secret: String,
    /// Once the emulator answers (the seed applied), write `{"url", "control_url", "pid",
    /// "version", "listen"}` to this file, atomically (`-`: one JSON line on stdout), for
    /// launchers: no log line to read, no free port to guess.
    ready_file: PathBuf,
    /// Remove a cluster that no request addressed for this long (its memory and what the data
    /// directory holds of it); never when unset.
    cluster_idle_ttl: Duration,
    /// The app's webhook every cluster starts with (`http://app:8000/webhook`): its changes are
    /// signed with the app secret and sent there once the app subscribes to the account (no
    /// verification request at start: the app may start after the emulator).
    webhook_url: String,
    /// The verify token of that webhook.
    webhook_verify_token: String,
}

impl Config {
    /// The address to listen on.
    pub fn listen_address(&self) -> &str {
        &self.listen
    }

    /// Whether HTTPS is served.
    pub fn serves_tls(&self) -> bool {
        self.tls || self.tls_cert.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setters_set_and_optional_settings_start_unset() {
        let config = Config::default()
            .admin_password("Adm1n!pass")
            .code_ttl(Duration::from_secs(60))
            .policy(PolicyKind::Sunset);
        assert_eq!(config.admin_password.as_deref(), Some("Adm1n!pass"));
        assert_eq!(config.code_ttl, Duration::from_secs(60));
        assert_eq!(config.policy, PolicyKind::Sunset);
        assert_eq!(Config::default().admin_password, None);
        assert_eq!(
            Config::default().token_ttl,
            Duration::from_secs(7 * 24 * 3600)
        );
    }
}
