//! The command line: subcommands, and the flags (each with its environment variable) that make
//! the library's [`Config`]. Their defaults are the library's `config::defaults`.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{BoolishValueParser, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use wa_onprem_emulator::Config;
use wa_onprem_emulator::config::{MAX_COREAPPS, defaults};
use wa_onprem_emulator::policy::PolicyKind;

/// Emulator of the WhatsApp Business On-Premises API's account registration.
#[derive(Debug, Parser)]
#[command(name = "wa-onprem-emulator", version, about, long_about = None)]
pub struct Cli {
    /// What to do; with none, serve.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// How to serve.
    #[command(flatten)]
    pub flags: Flags,
}

/// Subcommands besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a base64 verified-name certificate (the real protobuf format) for POST /v1/account.
    Cert {
        /// The business's verified name.
        #[arg(long)]
        vname: String,
        /// A localized name as LG_LC=NAME (for example ja_JP=株式会社ヤマト); repeatable.
        #[arg(long = "localized", value_name = "LG_LC=NAME")]
        localized: Vec<String>,
    },
    /// Print the OpenAPI document of both surfaces (the one served at /_emulator/openapi.json).
    Openapi,
    /// Exit 0 when the emulator's /_emulator/health answers 200, 1 otherwise (for container
    /// health checks in images without curl).
    Healthcheck {
        /// The health URL; defaults to /_emulator/health on the --listen address (0.0.0.0 and
        /// [::] are probed on loopback).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// How long to wait for an answer.
        #[arg(long, default_value = "2s", value_parser = duration)]
        timeout: Duration,
    },
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object a line, for containers.
    Json,
}

/// The settings of a running emulator as flags, each with its environment variable; they make
/// the library's [`Config`].
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct Flags {
    /// Address to listen on, as HOST:PORT (0.0.0.0:9090 for every interface); port 0 picks a
    /// free port (the address actually bound is logged).
    #[arg(long, env = "WA_EMU_LISTEN", default_value = defaults::LISTEN, value_name = "HOST:PORT",
          value_parser = host_port)]
    pub listen: String,

    /// Registration policy of every cluster at start: `classic` (the flow before retirement),
    /// `sunset` (every registration refused with biz_link_on_prem_reg_blocked, as today) or
    /// `scripted` (outcomes forced per number by --rules, classic otherwise).
    #[arg(long, env = "WA_EMU_POLICY", value_parser = policy(), default_value_t = PolicyKind::Classic)]
    pub policy: PolicyKind,

    /// Keep every cluster's state in an embedded database (redb) in this folder, so that it
    /// survives restarts and crashes; without it, state is in memory only.
    #[arg(long, env = "WA_EMU_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// TOML file of `[[rule]]`s for the scripted policy (see rules.example.toml).
    #[arg(long, env = "WA_EMU_RULES", value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// Password the `admin` user starts with; when set, no first-login change is required.
    /// Without it admin starts with `secret` and must change it at first login, as the real API.
    #[arg(long, env = "WA_EMU_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,

    /// API version reported in every answer's `meta`.
    #[arg(long, env = "WA_EMU_API_VERSION", default_value = defaults::API_VERSION, value_parser = non_empty)]
    pub api_version: String,

    /// Lifetime of a login token (humantime: 30s, 10m, 7d).
    #[arg(long, env = "WA_EMU_TOKEN_TTL", default_value = defaults::TOKEN_TTL, value_parser = duration)]
    pub token_ttl: Duration,

    /// Lifetime of a registration code; after it, verify answers `stale`.
    #[arg(long, env = "WA_EMU_CODE_TTL", default_value = defaults::CODE_TTL, value_parser = duration)]
    pub code_ttl: Duration,

    /// Send this 6-digit code every time instead of a random one.
    #[arg(long, env = "WA_EMU_FIXED_CODE", value_parser = six_digits)]
    pub fixed_code: Option<String>,

    /// Codes one number may request by one method within --code-rate-window.
    #[arg(long, env = "WA_EMU_CODE_RATE_LIMIT", default_value_t = defaults::CODE_RATE_LIMIT, allow_negative_numbers = true,
          value_parser = at_least_one::<u32>)]
    pub code_rate_limit: u32,

    /// The window of --code-rate-limit.
    #[arg(long, env = "WA_EMU_CODE_RATE_WINDOW", default_value = defaults::CODE_RATE_WINDOW, value_parser = duration)]
    pub code_rate_window: Duration,

    /// How long the simulated Coreapp restart after a number is replaced lasts: /v1 calls but
    /// login and health answer 503/1011 meanwhile. 0 turns it off.
    #[arg(long, env = "WA_EMU_RESTART_DURATION", default_value = defaults::RESTART_DURATION, value_parser = duration)]
    pub restart_duration: Duration,

    /// Codes kept in each cluster's outbox; the oldest are dropped beyond it.
    #[arg(long, env = "WA_EMU_OUTBOX_LIMIT", default_value_t = defaults::OUTBOX_LIMIT, allow_negative_numbers = true,
          value_parser = at_least_one::<usize>)]
    pub outbox_limit: usize,

    /// Requests kept in each cluster's journal (GET /_emulator/clusters/{c}/requests); 0 keeps
    /// none.
    #[arg(long, env = "WA_EMU_JOURNAL_LIMIT", default_value_t = defaults::JOURNAL_LIMIT, allow_negative_numbers = true,
          value_parser = whole::<usize>)]
    pub journal_limit: usize,

    /// Require `Authorization: Bearer <token>` on every /_emulator call but health.
    #[arg(long, env = "WA_EMU_CONTROL_TOKEN", hide_env_values = true)]
    pub control_token: Option<String>,

    /// Serve no /_emulator route but GET /_emulator/health (the others answer 404).
    #[arg(long, env = "WA_EMU_NO_CONTROL_API", value_parser = BoolishValueParser::new())]
    pub no_control_api: bool,

    /// Connections served at once; more are answered 503 and closed.
    #[arg(long, env = "WA_EMU_MAX_CONNECTIONS", default_value_t = defaults::MAX_CONNECTIONS, allow_negative_numbers = true,
          value_parser = at_least_one::<usize>)]
    pub max_connections: usize,

    /// How long a client may take to send its request headers before it is dropped (for a new
    /// connection: its first request, TLS handshake included; on HTTP/1, each next request's,
    /// counted from the end of the last answer).
    #[arg(long, env = "WA_EMU_HEADER_TIMEOUT", default_value = defaults::HEADER_TIMEOUT, value_parser = duration)]
    pub header_timeout: Duration,

    /// How long a client may take to send a request body once its headers are in; then it is
    /// answered 408 and the connection closed.
    #[arg(long, env = "WA_EMU_BODY_TIMEOUT", default_value = defaults::BODY_TIMEOUT, value_parser = duration)]
    pub body_timeout: Duration,

    /// How long a connection may stay open with no request in flight (HTTP/2 connections are
    /// also pinged every third of it). HTTP/1 connections waiting for their next request are
    /// closed after --header-timeout already.
    #[arg(long, env = "WA_EMU_IDLE_TIMEOUT", default_value = defaults::IDLE_TIMEOUT, value_parser = duration)]
    pub idle_timeout: Duration,

    /// Coreapps of each cluster's deployment: 1 is a single instance (the plain health shape);
    /// more makes a high-availability deployment with two Masters, whose /v1/health lists every
    /// node, and allows multiconnect shards up to the number of running Coreapps.
    #[arg(long, env = "WA_EMU_COREAPPS", default_value_t = defaults::COREAPPS, allow_negative_numbers = true,
          value_parser = coreapps)]
    pub coreapps: u16,

    /// How long a shard whose Coreapp was stopped stays down before a running Coreapp takes it
    /// over (high availability).
    #[arg(long, env = "WA_EMU_FAILOVER_DELAY", default_value = defaults::FAILOVER_DELAY, value_parser = duration)]
    pub failover_delay: Duration,

    /// Clusters that may exist at once; a request naming a new cluster beyond it is answered
    /// 429 / 1015, while existing clusters keep working.
    #[arg(long, env = "WA_EMU_MAX_CLUSTERS", default_value_t = defaults::MAX_CLUSTERS, allow_negative_numbers = true,
          value_parser = at_least_one::<usize>)]
    pub max_clusters: usize,

    /// Remove a cluster that no request addressed for this long (all it holds, in memory and in
    /// --data-dir), as DELETE /_emulator/clusters/{c} does; the next request naming it starts
    /// it fresh. Off by default; for an instance shared by many test runs, 1h is a good value.
    #[arg(long, env = "WA_EMU_CLUSTER_IDLE_TTL", value_name = "DURATION", value_parser = positive_duration)]
    pub cluster_idle_ttl: Option<Duration>,

    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish.
    #[arg(long, env = "WA_EMU_SHUTDOWN_GRACE", default_value = defaults::SHUTDOWN_GRACE, value_parser = duration)]
    pub shutdown_grace: Duration,

    /// Serve HTTPS, on a self-signed certificate made at startup (as the real deployment did).
    #[arg(long, env = "WA_EMU_TLS", value_parser = BoolishValueParser::new())]
    pub tls: bool,

    /// PEM certificate chain to serve HTTPS with (with --tls-key).
    #[arg(long, env = "WA_EMU_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, env = "WA_EMU_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// The one access token the Graph surface (the Cloud API, /{version}/…) takes, as
    /// `Authorization: Bearer` or `?access_token=`; when unset, any non-empty token is taken, as a
    /// system user's would be. Tokens made with POST /_emulator/clusters/{c}/graph/tokens are
    /// taken in their cluster either way, until they expire.
    #[arg(long, env = "WA_EMU_GRAPH_TOKEN", hide_env_values = true)]
    pub graph_token: Option<String>,

    /// The Graph API version that Graph paths without one (/{WABA_ID}/phone_numbers) are
    /// served as, as Graph serves an app's calls without a version; v2.0 to the newest the
    /// emulator knows are served.
    #[arg(long, env = "WA_EMU_GRAPH_VERSION", default_value = wa_onprem_emulator::routes::NEWEST_GRAPH_VERSION)]
    pub graph_version: String,

    /// The app's secret: a Graph call that sends `appsecret_proof` must send the hex
    /// HMAC-SHA256 of its access token keyed with it (of `TOKEN|appsecret_time` with
    /// `appsecret_time`), as Graph checks it; when unset, a proof is taken unchecked.
    #[arg(long, env = "WA_EMU_APP_SECRET", hide_env_values = true)]
    pub app_secret: Option<String>,

    /// Refuse a Graph call without `appsecret_proof`, as Graph does for an app with "Require App
    /// Secret" on (needs --app-secret).
    #[arg(long, env = "WA_EMU_REQUIRE_APPSECRET_PROOF", requires = "app_secret")]
    pub require_appsecret_proof: bool,

    /// The app's webhook every cluster starts with (http://app:8000/webhook, for compose): the
    /// account's changes are signed with --app-secret and sent there once the app subscribes to
    /// the account (POST /{WABA_ID}/subscribed_apps); no verification request at start, as the
    /// app may start after the emulator (PUT /_emulator/clusters/{c}/webhooks verifies).
    #[arg(long, env = "WA_EMU_WEBHOOK_URL", requires = "app_secret")]
    pub webhook_url: Option<String>,

    /// The verify token of --webhook-url's webhook.
    #[arg(long, env = "WA_EMU_WEBHOOK_VERIFY_TOKEN", hide_env_values = true)]
    pub webhook_verify_token: Option<String>,

    /// How long a webhook delivery or verification request may take before it counts as failed
    /// (Meta's sender: 10 s).
    #[arg(long, env = "WA_EMU_WEBHOOK_TIMEOUT", default_value = defaults::WEBHOOK_TIMEOUT, value_parser = duration)]
    pub webhook_timeout: Duration,

    /// JSON or TOML file of clusters in a declared state ({"clusters": {"NAME": STATE}}, STATE a
    /// state document or its short form), applied at every start before the emulator answers;
    /// with --data-dir, a cluster the directory holds keeps what it holds.
    #[arg(long, env = "WA_EMU_SEED")]
    pub seed: Option<PathBuf>,

    /// How long a migration to the Cloud API (POST /{id}/register with a backup) takes before it
    /// answers, on the cluster's clock (the real one takes about 15 s).
    #[arg(long, env = "WA_EMU_MIGRATION_DELAY", default_value = defaults::MIGRATION_DELAY, value_parser = duration)]
    pub migration_delay: Duration,

    /// Largest control API request body (bytes, or with KiB, MiB or GiB): a PUT of a busy
    /// cluster's state is larger than the vendor's 64 KiB. The vendor and Graph surfaces keep 64
    /// KiB.
    #[arg(long, env = "WA_EMU_CONTROL_BODY_LIMIT", value_name = "BYTES",
          default_value_t = defaults::CONTROL_BODY_LIMIT, value_parser = bytes)]
    pub control_body_limit: usize,

    /// Once the emulator answers (the seed applied), write {"url", "control_url", "pid",
    /// "version", "listen"} to this file, atomically; `-` prints it as one JSON line on stdout.
    /// With --listen 127.0.0.1:0, a launcher needs no free port and no log line.
    #[arg(long, env = "WA_EMU_READY_FILE", value_name = "PATH")]
    pub ready_file: Option<PathBuf>,

    /// Stop (as on SIGTERM) when standard input reaches its end: a launcher that holds a pipe to
    /// it takes the emulator with it however it ends, SIGKILL included. Not for a shell or a
    /// container, whose stdin may be closed from the start.
    #[arg(long, env = "WA_EMU_EXIT_ON_STDIN_CLOSE", value_parser = BoolishValueParser::new())]
    pub exit_on_stdin_close: bool,

    /// Log line format.
    #[arg(long, env = "WA_EMU_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Which log lines to write: error, warn, info (the startup lines and one line per request),
    /// debug, trace or off, or RUST_LOG's directives (info,wa_onprem_emulator::access=off keeps
    /// the startup lines without the request lines). When unset, RUST_LOG, else info. Lines that
    /// stderr cannot take at once are dropped and counted, never waited for.
    #[arg(long, env = "WA_EMU_LOG_LEVEL", value_name = "LEVEL", value_parser = log_level)]
    pub log_level: Option<String>,
}

impl Flags {
    /// The library's configuration these flags describe.
    pub fn config(&self) -> Config {
        let f = self.clone();
        let mut config = Config::default()
            .listen(f.listen)
            .policy(f.policy)
            .api_version(f.api_version)
            .token_ttl(f.token_ttl)
            .code_ttl(f.code_ttl)
            .code_rate_limit(f.code_rate_limit)
            .code_rate_window(f.code_rate_window)
            .restart_duration(f.restart_duration)
            .outbox_limit(f.outbox_limit)
            .journal_limit(f.journal_limit)
            .no_control_api(f.no_control_api)
            .max_connections(f.max_connections)
            .header_timeout(f.header_timeout)
            .body_timeout(f.body_timeout)
            .idle_timeout(f.idle_timeout)
            .coreapps(f.coreapps)
            .failover_delay(f.failover_delay)
            .max_clusters(f.max_clusters)
            .shutdown_grace(f.shutdown_grace)
            .migration_delay(f.migration_delay)
            .tls(f.tls);
        if let Some(dir) = f.data_dir {
            config = config.data_dir(dir);
        }
        if let Some(rules) = f.rules {
            config = config.rules(rules);
        }
        if let Some(password) = f.admin_password {
            config = config.admin_password(password);
        }
        if let Some(code) = f.fixed_code {
            config = config.fixed_code(code);
        }
        if let Some(token) = f.control_token {
            config = config.control_token(token);
        }
        if let Some(token) = f.graph_token {
            config = config.graph_token(token);
        }
        config = config.graph_version(f.graph_version);
        if let Some(secret) = f.app_secret {
            config = config.app_secret(secret);
        }
        config = config.require_appsecret_proof(f.require_appsecret_proof);
        if let Some(url) = f.webhook_url {
            config = config.webhook_url(url);
        }
        if let Some(token) = f.webhook_verify_token {
            config = config.webhook_verify_token(token);
        }
        config = config.webhook_timeout(f.webhook_timeout);
        config = config.control_body_limit(f.control_body_limit);
        if let Some(path) = f.ready_file {
            config = config.ready_file(path);
        }
        if let Some(seed) = f.seed {
            config = config.seed(seed);
        }
        if let Some(ttl) = f.cluster_idle_ttl {
            config = config.cluster_idle_ttl(ttl);
        }
        if let Some(cert) = f.tls_cert {
            config = config.tls_cert(cert);
        }
        if let Some(key) = f.tls_key {
            config = config.tls_key(key);
        }
        config
    }
}

/// `--policy`: the built-in policies by name, listed in `--help` and in errors.
fn policy() -> impl TypedValueParser<Value = PolicyKind> {
    PossibleValuesParser::new(PolicyKind::ALL.map(PolicyKind::as_str))
        .map(|name| name.parse().unwrap_or(PolicyKind::Classic))
}

/// Parses a humantime duration (`30s`, `10m`, `7d`).
pub fn duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text)
        .map_err(|_| "write a duration with its unit, as 30s, 10m, 2h or 7d".to_owned())
}

/// `HOST:PORT`, with a port of 0 to 65535; a bare port says how to write it.
fn host_port(text: &str) -> Result<String, String> {
    let example =
        |port: &str| format!("write HOST:PORT, for example 127.0.0.1:{port} or 0.0.0.0:{port}");
    if text.parse::<u16>().is_ok() {
        return Err(example(text));
    }
    if let Some((scheme, rest)) = text.split_once("://") {
        let address = rest.trim_end_matches('/');
        return Err(format!(
            "write HOST:PORT without the scheme: --listen {address} ({scheme}:// is what clients use; --tls serves HTTPS)"
        ));
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
            Ok(text.to_owned())
        }
        _ => Err(example("9090")),
    }
}

/// A whole number, with a message that says so.
fn whole<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("write a whole number of 0 or more (got {text:?})"))
}

/// A size in bytes: a whole number, or one with KiB, MiB or GiB; at least 1 KiB.
fn bytes(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => 0,
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|n| *n >= 1024)
        .ok_or_else(|| {
            format!("write a size of at least 1 KiB, in bytes or with KiB, MiB or GiB, as 64MiB (got {text:?})")
        })
}

/// A duration of more than zero.
fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        d if d.is_zero() => Err("write a duration of more than 0, as 30m or 1h".to_owned()),
        d => Ok(d),
    }
}

/// A level or `RUST_LOG` directives, checked as the log filter reads them.
fn log_level(text: &str) -> Result<String, String> {
    const LEVELS: [&str; 6] = ["error", "warn", "info", "debug", "trace", "off"];
    let directives = text.contains(['=', ',']);
    if !directives && !LEVELS.contains(&text.trim().to_ascii_lowercase().as_str()) {
        return Err(format!(
            "write one of {}, or RUST_LOG's directives such as info,wa_onprem_emulator::access=off",
            LEVELS.join(", ")
        ));
    }
    tracing_subscriber::EnvFilter::builder()
        .parse(text)
        .map(|_| text.to_owned())
        .map_err(|e| {
            format!("write error, warn, info, debug, trace or off, or RUST_LOG's directives ({e})")
        })
}

fn at_least_one<T: std::str::FromStr + PartialEq + Default>(text: &str) -> Result<T, String> {
    match text.trim().parse::<T>() {
        Ok(n) if n != T::default() => Ok(n),
        _ => Err(format!("write a whole number of at least 1 (got {text:?})")),
    }
}

fn coreapps(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(n) if (1..=MAX_COREAPPS).contains(&n) => Ok(n),
        _ => Err(format!(
            "write a whole number from 1 to {} (got {text:?})",
            MAX_COREAPPS
        )),
    }
}

fn non_empty(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("must not be empty (for example v2.45.1)".into())
    } else {
        Ok(text.to_owned())
    }
}

fn six_digits(text: &str) -> Result<String, String> {
    if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err("the code must be exactly 6 digits".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_flags_make_the_default_config() {
        if std::env::vars().any(|(k, _)| k.starts_with("WA_EMU_")) {
            return; // the environment sets flags; the defaults cannot be compared here
        }
        let cli = Cli::try_parse_from(["wa-onprem-emulator"]).unwrap();
        assert_eq!(cli.flags.config(), Config::default());
    }

    #[test]
    fn log_levels_and_the_idle_ttl_are_checked() {
        for ok in ["warn", "INFO", "off", "info,wa_onprem_emulator::access=off"] {
            let cli = Cli::try_parse_from(["x", "--log-level", ok]).unwrap();
            assert_eq!(cli.flags.log_level.as_deref(), Some(ok));
        }
        for bad in ["warning", "loud", "info,=x=y"] {
            let e = Cli::try_parse_from(["x", "--log-level", bad]).unwrap_err();
            assert!(e.to_string().contains("error, warn, info"), "{bad}: {e}");
        }
        let cli = Cli::try_parse_from(["x", "--cluster-idle-ttl", "90m"]).unwrap();
        assert_eq!(cli.flags.cluster_idle_ttl, Some(Duration::from_secs(5400)));
        assert_eq!(
            Cli::try_parse_from(["x"]).unwrap().flags.cluster_idle_ttl,
            None
        );
        let e = Cli::try_parse_from(["x", "--cluster-idle-ttl", "0s"]).unwrap_err();
        assert!(e.to_string().contains("more than 0"), "{e}");
    }

    #[test]
    fn durations_and_codes_are_checked() {
        let cli = Cli::try_parse_from([
            "x",
            "--token-ttl",
            "30s",
            "--code-ttl",
            "2m",
            "--fixed-code",
            "123456",
        ])
        .unwrap();
        assert_eq!(cli.flags.token_ttl, Duration::from_secs(30));
        assert_eq!(cli.flags.code_ttl, Duration::from_secs(120));
        assert_eq!(cli.flags.fixed_code.as_deref(), Some("123456"));
        assert!(Cli::try_parse_from(["x", "--fixed-code", "12345"]).is_err());
        assert!(Cli::try_parse_from(["x", "--token-ttl", "soon"]).is_err());
        assert!(Cli::try_parse_from(["x", "--policy", "nope"]).is_err());
    }

    #[test]
    fn yes_no_variables_and_numbers_are_read_as_people_write_them() {
        let cli = Cli::try_parse_from(["x", "--tls", "--no-control-api"]).unwrap();
        assert!(
            cli.flags.tls && cli.flags.no_control_api,
            "the flags alone are yes"
        );
        let parser = BoolishValueParser::new();
        let cmd = clap::Command::new("x");
        for (text, expected) in [
            ("1", true),
            ("yes", true),
            ("on", true),
            ("0", false),
            ("off", false),
            ("no", false),
        ] {
            let value = parser
                .parse_ref(&cmd, None, std::ffi::OsStr::new(text))
                .unwrap();
            assert_eq!(value, expected, "{text}");
        }
        let negative = Cli::try_parse_from(["x", "--code-rate-limit", "-1"]).unwrap_err();
        assert!(negative.to_string().contains("at least 1"), "{negative}");
        let zero = Cli::try_parse_from(["x", "--max-connections", "0"]).unwrap_err();
        assert!(zero.to_string().contains("at least 1"), "{zero}");
        let empty = Cli::try_parse_from(["x", "--api-version", ""]).unwrap_err();
        assert!(empty.to_string().contains("must not be empty"), "{empty}");
        assert!(Cli::try_parse_from(["x", "--journal-limit", "0"]).is_ok());
    }

    #[test]
    fn subcommands_parse() {
        let cli = Cli::try_parse_from(["x", "cert", "--vname", "Acme", "--localized", "ja_JP=ア"])
            .unwrap();
        assert!(
            matches!(cli.command, Some(Command::Cert { ref vname, ref localized })
            if vname == "Acme" && localized == &["ja_JP=ア"])
        );
    }
}
