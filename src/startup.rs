//! Putting the emulator together: the state a [`Config`] describes, and serving it on a bound
//! listener until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::config::Config;
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::password;
use crate::domain::policy::{ClassicRules, PolicyError, PolicyKind, scripted};
use crate::domain::webhooks::{AppWebhook, Field};
use crate::http::common::Meta;
use crate::http::common::error::{envelope, title};
use crate::http::{AppState, ControlAccess, Shared, app};
use crate::server;
pub use crate::server::tls::TlsError;
use crate::store::persist::{Durable, Persistence, Volatile};
use crate::store::{Settings, Store};

/// Why the emulator cannot start: each kind names what to change.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The policy and its rules do not fit together.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The rules cannot be read, or are not valid.
    #[error("{0}")]
    Rules(String),
    /// The `--admin-password` does not meet the vendor's password rules.
    #[error(
        "--admin-password (WA_EMU_ADMIN_PASSWORD) does not meet the vendor's password rules: it {0}"
    )]
    AdminPassword(String),
    /// The `--data-dir` cannot be opened, or what it holds cannot be read.
    #[error("stored state: {0}")]
    StoredState(String),
    /// The TLS flags do not fit together, or the certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The `--graph-version` is not a Graph version the emulator serves.
    #[error(
        "--graph-version (WA_EMU_GRAPH_VERSION) {0:?} is not a Graph API version the emulator serves: give one from v2.0 to {newest}, such as {newest}",
        newest = crate::domain::cloud::version::NEWEST
    )]
    GraphVersion(String),
    /// The `--seed` file cannot be read or used.
    #[error("{0}")]
    Seed(String),

    /// `--webhook-url` is not a URL the emulator can send to.
    #[error("{0}")]
    Webhook(String),
    /// The `--ready-file` cannot be written.
    #[error("--ready-file {path} (WA_EMU_READY_FILE): cannot be written: {source}")]
    ReadyFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The address cannot be listened on.
    #[error("cannot bind {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
}

impl From<StartupError> for std::io::Error {
    /// An error of kind `InvalidInput` that carries the [`StartupError`] itself (a caller tells
    /// a start that could not begin from a server that failed with
    /// `e.get_ref().is_some_and(|e| e.is::<StartupError>())`); a bind error as it came.
    fn from(e: StartupError) -> Self {
        match e {
            StartupError::Bind { source, .. } => source,
            other => std::io::Error::new(std::io::ErrorKind::InvalidInput, other),
        }
    }
}

/// What `--ready-file` holds once the emulator answers: enough for a launcher to use it without
/// reading its log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ready {
    /// The base URL to reach it at (an address of every interface is given as the loopback's).
    pub url: String,
    /// The control API's base URL.
    pub control_url: String,
    /// The emulator's process id.
    pub pid: u32,
    /// Its version.
    pub version: String,
    /// The address it listens on, as bound (port 0 resolved).
    pub listen: String,
}

impl Ready {
    /// The ready signal of an emulator bound to `addr`.
    pub fn new(addr: std::net::SocketAddr, tls: bool) -> Self {
        let scheme = if tls { "https" } else { "http" };
        let reachable = match addr.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
                std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
            }
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
                std::net::SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
            }
            _ => addr,
        };
        let url = format!("{scheme}://{reachable}");
        Self {
            control_url: format!("{url}/_emulator"),
            url,
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            listen: addr.to_string(),
        }
    }

    /// Writes it to `path` atomically (a file beside it, then renamed), or as one line on stdout
    /// for `-`.
    fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write;
        let mut text = serde_json::to_string(self).map_err(std::io::Error::other)?;
        text.push('\n');
        if path.as_os_str() == "-" {
            let mut out = std::io::stdout().lock();
            // A stdout nobody reads is not waited for long: one short line fits any pipe.
            return out.write_all(text.as_bytes()).and_then(|()| out.flush());
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(format!(".{}.partial", std::process::id()));
        let partial = std::path::PathBuf::from(partial);
        std::fs::write(&partial, text)
            .and_then(|()| std::fs::rename(&partial, path))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&partial);
            })
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
        let has_rules = given_rules.is_some() || config.rules.is_some();
        // Here `classic` may be the default: only another policy counts as named.
        let named = config.policy != PolicyKind::Classic;
        let policy = config.policy.with_rules(named, has_rules)?;
        let rules = match (given_rules, &config.rules, policy) {
            (Some(rules), _, _) => Some(rules),
            (None, Some(path), _) => Some(scripted::load(path).map_err(StartupError::Rules)?),
            (None, None, PolicyKind::Scripted) => {
                return Err(StartupError::Rules(
                    "--policy scripted needs --rules FILE (WA_EMU_RULES)".into(),
                ));
            }
            (None, None, _) => None,
        };
        let default_policy = policy.build(classic, rules)?;
        let (admin_password, admin_must_change) = match &config.admin_password {
            Some(password) => {
                if let Some((_, problem)) = password::weakness(password) {
                    return Err(StartupError::AdminPassword(problem));
                }
                (password.as_str(), false)
            }
            None => (password::DEFAULT_ADMIN_PASSWORD, true),
        };
        if !crate::domain::cloud::version::is_known(&config.graph_version) {
            return Err(StartupError::GraphVersion(config.graph_version.clone()));
        }
        let persist: Arc<dyn Persistence> = match &config.data_dir {
            Some(dir) => Arc::new(Durable::open(dir).map_err(StartupError::StoredState)?),
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
            max_clusters: config.max_clusters.max(1),
            cluster_idle_ttl: config.cluster_idle_ttl.filter(|ttl| !ttl.is_zero()),
            events: Default::default(),
            coreapps: config.coreapps,
            failover_delay: config.failover_delay,
            // Hashed once: every cluster starts from the same admin password.
            admin_hash: password::hash(admin_password).into(),
            admin_must_change,
            persist,
            migration_delay: config.migration_delay,
            codes_sent: Default::default(),
            courier: Arc::new(crate::courier::Courier::new(config.webhook_timeout)),
            webhook_default: config.webhook_url.as_ref().map(|url| AppWebhook {
                callback_url: url.clone(),
                verify_token: config.webhook_verify_token.clone().unwrap_or_default(),
                app_secret: config.app_secret.clone().unwrap_or_default(),
                fields: Field::ALL.to_vec(),
                signature: Default::default(),
            }),
            deliveries_counted: Default::default(),
        };
        if let Some(url) = &config.webhook_url {
            crate::domain::webhooks::config::check_url(url).map_err(|e| {
                StartupError::Webhook(format!("--webhook-url (WA_EMU_WEBHOOK_URL): {e}"))
            })?;
        }
        let store = Store::new(settings).map_err(StartupError::StoredState)?;
        let routes = crate::http::table::names();
        Ok(Self::new_shared(Shared {
            store: Arc::new(store),
            meta: Meta::new(&config.api_version),
            body_timeout: config.body_timeout,
            openapi: crate::http::openapi::served,
            control_body_limit: crate::http::BodyLimit::control(config.control_body_limit),
            control: ControlAccess {
                enabled: !config.no_control_api,
                token: config.control_token.as_deref().map(Into::into),
            },
            graph_token: config.graph_token.as_deref().map(Into::into),
            app_secret: config.app_secret.as_deref().map(Into::into),
            require_appsecret_proof: config.require_appsecret_proof,
            graph_version: config.graph_version.as_str().into(),
            metrics: crate::http::common::metrics::Metrics::new(&routes),
            routes,
            webhook_timeout: config.webhook_timeout,
        }))
    }
}

/// The TLS configuration `config` asks for (`None` for plain HTTP). A self-signed certificate
/// is written where [`self_signed_cert_path`] says.
pub fn tls(config: &Config) -> Result<Option<Arc<rustls::ServerConfig>>, StartupError> {
    server::tls::configure(
        config.tls,
        config.tls_cert.as_deref(),
        config.tls_key.as_deref(),
        &self_signed_cert_path(config),
    )
    .map_err(StartupError::Tls)
}

/// Where the self-signed certificate of `--tls` is written, for clients to trust: `tls-cert.pem`
/// in `--data-dir`, else a file of this process in the temporary folder.
pub fn self_signed_cert_path(config: &Config) -> std::path::PathBuf {
    match &config.data_dir {
        Some(dir) => dir.join("tls-cert.pem"),
        None => std::env::temp_dir().join(format!(
            "wa-onprem-emulator-{}-cert.pem",
            std::process::id()
        )),
    }
}

/// Says at startup what a newcomer needs: where it listens, who the admin is, where state lives,
/// and where the control API and the OpenAPI document are (as fields too, for JSON logs).
fn banner(addr: std::net::SocketAddr, tls: bool, state: &AppState, config: &Config) {
    let scheme = if tls { "https" } else { "http" };
    let bound = format!("{scheme}://{addr}");
    // Bound to every interface (a container's 0.0.0.0): the links below are the ones this machine
    // reaches; another container reaches it by its service name.
    let url = Ready::new(addr, tls).url;
    let every = if url == bound {
        String::new()
    } else {
        format!(
            "; every interface: {url} from this machine, {scheme}://SERVICE:{} from another container, the published port from the host",
            addr.port()
        )
    };
    let settings = state.store.settings();
    let policy = settings.default_policy.name();
    tracing::info!(
        %addr,
        url = %bound,
        policy,
        version = env!("CARGO_PKG_VERSION"),
        "wa-onprem-emulator {} listening on {bound} (policy {policy}){every}",
        env!("CARGO_PKG_VERSION")
    );
    let stored = (config.data_dir.is_some() || config.seed.is_some())
        && state
            .store
            .find(crate::store::DEFAULT_CLUSTER)
            .is_some_and(|c| c.admin_password_stored());
    if stored {
        tracing::info!(
            admin_user = password::ADMIN,
            password_from = if config.data_dir.is_some() {
                "data_dir"
            } else {
                "seed"
            },
            "admin user: admin, with the password --data-dir or --seed holds for cluster default (not the one a new cluster starts with); --admin-password and \"secret\" apply to clusters made from now on"
        );
    } else if settings.admin_must_change {
        tracing::info!(
            admin_user = password::ADMIN,
            must_change_password = true,
            "admin user: admin, password \"secret\"; the first login must change it (send {{\"new_password\": \"...\"}}), as on the real API"
        );
    } else {
        tracing::info!(
            admin_user = password::ADMIN,
            must_change_password = false,
            "admin user: admin, with the password of --admin-password; no change required"
        );
    }
    if tls {
        match &config.tls_cert {
            Some(cert) => tracing::info!(
                tls = "own",
                "HTTPS with the certificate of --tls-cert {}",
                cert.display()
            ),
            None => {
                let pem = self_signed_cert_path(config);
                tracing::info!(
                    tls = "self-signed",
                    tls_cert = %pem.display(),
                    "HTTPS on a self-signed certificate made at startup for localhost, 127.0.0.1, ::1 and emulator, written to {}{}: trust it with curl --cacert {} (NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE), or serve your own with --tls-cert FILE --tls-key FILE; plain http:// requests are answered 400",
                    pem.display(),
                    if config.data_dir.is_some() {
                        " (kept with the state)"
                    } else {
                        " (removed when the emulator stops; --data-dir keeps it there)"
                    },
                    pem.display()
                );
            }
        }
    }
    match &config.data_dir {
        Some(dir) => {
            let state = dir.join(crate::store::persist::FILE_NAME);
            tracing::info!(state = %state.display(), "state: kept in {}, across restarts", state.display());
        }
        None => tracing::info!(
            state = "memory",
            "state: in memory, gone when the emulator stops (--data-dir DIR keeps it)"
        ),
    }
    let clusters = state.store.len();
    let max_clusters = settings.max_clusters;
    match settings.cluster_idle_ttl {
        Some(ttl) => tracing::info!(
            clusters,
            max_clusters,
            cluster_idle_ttl_seconds = ttl.as_secs_f64(),
            "clusters: {clusters} of at most {max_clusters} (--max-clusters); one no request addressed for {} is removed (--cluster-idle-ttl)",
            humantime::format_duration(ttl)
        ),
        None => tracing::info!(
            clusters,
            max_clusters,
            "clusters: {clusters} of at most {max_clusters} (--max-clusters); kept until deleted (DELETE /_emulator/clusters/{{cluster}}, or --cluster-idle-ttl)"
        ),
    }
    let openapi = format!("{url}/_emulator/openapi.json");
    match (&state.control.enabled, &state.control.token) {
        (false, _) => tracing::info!(
            control_api = "off",
            "control API: off (--no-control-api); only {url}/_emulator/health answers"
        ),
        (true, token) => {
            let guard = if token.is_some() {
                "behind --control-token"
            } else {
                "open, no token"
            };
            let console = format!("{url}/_emulator/ui");
            tracing::info!(
                control_api = %format!("{url}/_emulator"),
                %console,
                %openapi,
                "control API: {url}/_emulator ({guard}); console: {console}; OpenAPI document: {openapi}"
            );
        }
    }
    tracing::info!(
        graph_version = %state.graph_version,
        "Cloud API (Graph): {url}/{{version}}/… for v2.0 to {}; paths without a version are served as {} (--graph-version)",
        crate::domain::cloud::version::NEWEST,
        state.graph_version
    );
}

/// Applies `config`'s `--seed` to `state`'s clusters: which were seeded, and which the data
/// directory kept. Done before the emulator answers anything.
pub(crate) async fn apply_seed(
    state: &AppState,
    config: &Config,
) -> Result<Option<(Vec<String>, Vec<String>)>, StartupError> {
    let Some(path) = &config.seed else {
        return Ok(None);
    };
    let seeds = crate::store::seed::read(path).map_err(StartupError::Seed)?;
    let done = crate::store::seed::apply(&state.store, path, seeds)
        .await
        .map_err(StartupError::Seed)?;
    Ok(Some(done))
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
    let tls = tls(&config)?;
    serve_with(listener, state, &config, tls, shutdown).await
}

/// Like [`serve`], with the state and the TLS configuration built beforehand (to report
/// configuration errors before binding, or to use another clock).
pub async fn serve_with(
    listener: TcpListener,
    state: AppState,
    config: &Config,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let seeded = apply_seed(&state, config).await?;
    // Deliveries that --data-dir holds under way go on where they stood.
    state.store.resume_deliveries();
    let addr = listener.local_addr()?;
    banner(addr, tls.is_some(), &state, config);
    if let (Some(path), Some((seeded, kept))) = (&config.seed, seeded) {
        let list = |names: &[String]| {
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        };
        tracing::info!(
            seed = %path.display(),
            seeded = %list(&seeded),
            kept = %list(&kept),
            "seed: {} gave clusters {}; kept as --data-dir holds them: {}",
            path.display(),
            list(&seeded),
            list(&kept)
        );
    }
    let limits = server::Limits {
        max_connections: config.max_connections.max(1),
        header_timeout: config.header_timeout,
        idle_timeout: config.idle_timeout,
        shutdown_grace: config.shutdown_grace,
    };
    let details = format!(
        "Too many open connections (limit {}); retry shortly",
        limits.max_connections
    );
    let refusals = server::Refusals {
        overload: envelope(&state.meta, 1011, title(1011), &details),
        plain_http_to_tls: envelope(
            &state.meta,
            1025,
            title(1025),
            "This emulator serves HTTPS (--tls) and the request was plain HTTP: use https:// (trust the certificate, as with curl --cacert or -k)",
        ),
    };
    // Last before serving: the seed is in place, and the listener's backlog holds any connection
    // that arrives before the first accept.
    if let Some(path) = &config.ready_file {
        Ready::new(addr, tls.is_some())
            .write(path)
            .map_err(|source| StartupError::ReadyFile {
                path: path.display().to_string(),
                source,
            })?;
    }
    // The index of libphonenumber's territories, made beside the first requests rather than in
    // the first Cloud number's (half a millisecond).
    crate::domain::cloud::index_territories();
    let store = state.store.clone();
    let expiry = state
        .store
        .settings()
        .cluster_idle_ttl
        .map(|ttl| tokio::spawn(expire_idle_clusters(state.store.clone(), ttl)));
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        store.begin_shutdown();
    };
    let result = server::run(
        listener,
        app(state.clone()),
        limits,
        refusals,
        tls.clone(),
        shutdown,
    )
    .await;
    if let Some(expiry) = expiry {
        expiry.abort();
    }
    // A self-signed certificate written to the temporary folder is this process's alone: it goes
    // with it (one in --data-dir stays, for clients that keep trusting it across restarts).
    if tls.is_some() && config.tls_cert.is_none() && config.data_dir.is_none() {
        let _ = std::fs::remove_file(self_signed_cert_path(config));
    }
    // Every answer already waited for its changes; this flushes and closes the database.
    state.store.close();
    // It no longer answers: a launcher reading the file later must not think it does.
    if let Some(path) = config.ready_file.as_ref().filter(|p| p.as_os_str() != "-") {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// Removes the clusters no request addressed for `ttl`, looking a few times per `ttl` (at least
/// every minute), each with a log line and a `deleted` event.
async fn expire_idle_clusters(store: Arc<Store>, ttl: Duration) {
    let every = (ttl / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match store.expire_idle().await {
            Ok(names) => {
                for name in names {
                    tracing::info!(
                        cluster = &*name,
                        "cluster {name} removed: no request for {} (--cluster-idle-ttl)",
                        humantime::format_duration(ttl)
                    );
                }
            }
            Err(e) => tracing::error!("removing idle clusters: {e}"),
        }
    }
}
