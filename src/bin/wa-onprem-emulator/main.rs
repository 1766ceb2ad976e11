//! The `wa-onprem-emulator` binary: parse the configuration, start logging, bind, serve until
//! SIGTERM or Ctrl-C. Everything else is in the library.
//!
//! Exit codes: 0 after a clean stop; 2 when the emulator cannot start (a bad flag or variable, a
//! bad rules file, TLS files, `--data-dir`, an address in use), with one `error:` line on stderr
//! saying what to fix; 1 when serving fails after it started.
//!
//! Nothing here waits for stderr or stdout, nor dies when they are closed or their reader is
//! gone: log lines go through the library's non-blocking writer ([`logging`]), and the few lines
//! written directly (an `error:` before logging starts, a subcommand's output) are written with
//! their errors ignored, where `eprintln!` and `println!` would panic.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;
use wa_onprem_emulator::Config;
use wa_onprem_emulator::cert::{self, LocalizedName};

use crate::cli::{Cli, Command, LogFormat};

mod cli;
mod logs;
use wa_onprem_emulator::{
    AppState, StartupError, clock, healthcheck, logging, routes, serve_with, tls,
};

/// `eprintln!` that cannot panic: a closed stderr or one whose reader is gone loses the line.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `println!` that cannot panic, for a subcommand's output.
macro_rules! print_out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The emulator could not start: the configuration or the machine is not as it needs.
const CANNOT_START: u8 = 2;

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli.command {
        None => run(
            &cli.flags.config(),
            cli.flags.log_format,
            cli.flags.log_level.as_deref(),
            cli.flags.exit_on_stdin_close,
        ),
        Some(Command::Cert { vname, localized }) => print_cert(&vname, &localized),
        Some(Command::Openapi) => {
            let doc = routes::openapi();
            print_out!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Some(Command::Healthcheck { url, timeout }) => {
            let url = url.unwrap_or_else(|| {
                let config = cli.flags.config();
                healthcheck::default_url_for(config.listen_address(), config.serves_tls())
            });
            match healthcheck::probe(&url, timeout) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    say!("unhealthy: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The command line and the environment, or the exit code after saying what is wrong with them.
fn parse() -> Result<Cli, ExitCode> {
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(e) => return Err(usage_error(e)),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return Err(usage_error(e)),
    };
    // `--rules` alone selects the scripted policy; with another policy named, it is a mistake.
    let named = matches!(
        matches.value_source("policy"),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    );
    if let Err(e) = cli
        .flags
        .policy
        .with_rules(named, cli.flags.rules.is_some())
    {
        say!("error: {e}");
        return Err(ExitCode::from(CANNOT_START));
    }
    Ok(cli)
}

/// Prints a clap error once; a bad value that came from the environment names the variable.
fn usage_error(e: clap::Error) -> ExitCode {
    if matches!(
        e.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) && let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg)
        && let Some(variable) = from_environment(arg)
    {
        let value = match e.get(ContextKind::InvalidValue) {
            Some(ContextValue::String(value)) => value.clone(),
            _ => String::new(),
        };
        let flag = arg.split_whitespace().next().unwrap_or(arg);
        let why = why_invalid(&e.to_string(), &value);
        say!(
            "error: invalid value '{value}' in {variable} (the variable of {flag}){}",
            if why.is_empty() {
                String::new()
            } else {
                format!(": {why}")
            }
        );
        return ExitCode::from(CANNOT_START);
    }
    if e.kind() == ErrorKind::UnknownArgument
        && let Some(hint) = spelled_otherwise(&e)
    {
        say!("{hint}");
        return ExitCode::from(CANNOT_START);
    }
    let code = if e.use_stderr() { CANNOT_START } else { 0 };
    let _ = e.print();
    ExitCode::from(code)
}

/// What a clap error says of a bad value, on one line: the reason after the value, the possible
/// values and clap's suggestion, as a flag's error shows them.
fn why_invalid(message: &str, value: &str) -> String {
    let mut lines = message.lines();
    let mut parts: Vec<String> = lines
        .next()
        .and_then(|line| line.split_once("': ").map(|(_, why)| why.to_owned()))
        .map(|why| {
            if why.contains("not a boolean") {
                "write true or false, 1 or 0, yes or no, on or off".to_owned()
            } else {
                why
            }
        })
        .into_iter()
        .collect();
    for line in lines.map(str::trim) {
        if let Some(values) = line
            .strip_prefix("[possible values: ")
            .and_then(|rest| rest.strip_suffix(']'))
        {
            parts.push(format!("write one of {values}"));
            let similar = values
                .split(", ")
                .find(|v| v.eq_ignore_ascii_case(value) && *v != value);
            if let Some(similar) = similar
                && !message.contains("tip: ")
            {
                parts.push(format!("a similar value exists: '{similar}'"));
            }
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            parts.push(tip.to_owned());
        }
    }
    parts.join("; ")
}

/// The hint for a flag people try that the emulator spells otherwise.
fn spelled_otherwise(e: &clap::Error) -> Option<String> {
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = arg.split(['=', ' ']).next()?;
    let port = || {
        let args: Vec<String> = std::env::args().collect();
        let at = args.iter().position(|a| a.starts_with(flag))?;
        match args[at].split_once('=') {
            Some((_, value)) => Some(value.to_owned()),
            None => args.get(at + 1).cloned(),
        }
    };
    match flag {
        "--port" | "-p" => {
            let port = port()
                .filter(|p| p.parse::<u16>().is_ok())
                .unwrap_or("9090".into());
            Some(format!(
                "error: unexpected argument '{flag}': the port is part of --listen HOST:PORT (WA_EMU_LISTEN), for example --listen 127.0.0.1:{port}"
            ))
        }
        "--host" | "--bind" | "--address" | "--addr" => Some(format!(
            "error: unexpected argument '{flag}': the address is --listen HOST:PORT (WA_EMU_LISTEN), for example --listen 0.0.0.0:9090"
        )),
        _ => None,
    }
}

/// The variable a flag's bad value came from, when it was not on the command line.
fn from_environment(arg: &str) -> Option<String> {
    let flag = arg.split_whitespace().next()?.trim_start_matches("--");
    let command = Cli::command();
    let argument = command
        .get_arguments()
        .find(|a| a.get_long() == Some(flag))?;
    let variable = argument.get_env()?.to_str()?.to_owned();
    let on_command_line = std::env::args().any(|a| {
        a.strip_prefix("--")
            .is_some_and(|rest| rest == flag || rest.starts_with(&format!("{flag}=")))
    });
    (!on_command_line && std::env::var_os(&variable).is_some()).then_some(variable)
}

fn print_cert(vname: &str, localized: &[String]) -> ExitCode {
    let mut names = Vec::new();
    for item in localized {
        let parsed = item.split_once('=').and_then(|(locale, name)| {
            let (lg, lc) = locale.split_once('_')?;
            Some(LocalizedName {
                lg: Some(lg.into()),
                lc: Some(lc.into()),
                verified_name: Some(name.into()),
            })
        });
        match parsed {
            Some(name) => names.push(name),
            None => {
                say!(
                    "error: --localized {item:?}: write it as LG_LC=NAME, for example ja_JP=株式会社ヤマト"
                );
                return ExitCode::from(CANNOT_START);
            }
        }
    }
    let now = clock::unix_seconds(std::time::SystemTime::now());
    print_out!("{}", cert::make(vname, &names, now));
    ExitCode::SUCCESS
}

/// Logs go to stderr, in colour only on a terminal, through a writer that drops lines rather
/// than wait for a reader; `--log-level`, else `RUST_LOG`, filters them (default `info`). The
/// guard flushes the lines still queued when it is dropped.
fn start_logging(format: LogFormat, level: Option<&str>) -> WorkerGuard {
    let filter = match level {
        Some(level) => EnvFilter::new(level),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let (writer, guard) = logging::stderr_writer();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // A line that cannot be written is counted by the writer, not reported on stderr.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Text => builder.event_format(logs::Compact).init(),
        LogFormat::Json => builder.json().init(),
    }
    guard
}

fn run(
    config: &Config,
    log_format: LogFormat,
    log_level: Option<&str>,
    exit_on_stdin_close: bool,
) -> ExitCode {
    let _flush_at_exit = start_logging(log_format, log_level);
    let cannot_start = |e: &dyn std::fmt::Display| {
        say!("error: {e}");
        ExitCode::from(CANNOT_START)
    };
    // Configuration errors (a bad rules file) stop startup before anything is bound.
    let state = match AppState::new(config) {
        Ok(state) => state,
        Err(e) => return cannot_start(&e),
    };
    let tls = match tls(config) {
        Ok(tls) => tls,
        Err(e) => return cannot_start(&e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return cannot_start(&format!("cannot start the runtime: {e}")),
    };
    runtime.spawn(logging::report_dropped_lines());
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(config.listen_address()).await {
            Ok(listener) => listener,
            Err(e) => {
                let address = config.listen_address();
                let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
                    let host = address.rsplit_once(':').map_or("127.0.0.1", |(host, _)| host);
                    format!(
                        ": another program (another emulator?) already listens on {address}; stop it, choose another port, or let the emulator pick a free one with --listen {host}:0 (the startup line says which)"
                    )
                } else {
                    String::new()
                };
                return cannot_start(&format!(
                    "cannot listen on {address} (--listen, WA_EMU_LISTEN): {e}{hint}"
                ));
            }
        };
        match serve_with(
            listener,
            state,
            config,
            tls,
            shutdown_signal(exit_on_stdin_close),
        )
        .await
        {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            // What kept it from beginning to serve (a seed, the ready file) is a start error.
            Err(e) if e.get_ref().is_some_and(|e| e.is::<StartupError>()) => cannot_start(&e),
            Err(e) => {
                say!("error: serving stopped: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves on Ctrl-C, SIGTERM or SIGHUP (a closed terminal), and with `--exit-on-stdin-close`
/// when standard input ends: each drains the requests in flight the same way. The signals are
/// taken over here, at once (inside the runtime), not when the future is first polled: a
/// launcher may send SIGTERM as soon as the ready file says the emulator answers.
fn shutdown_signal(exit_on_stdin_close: bool) -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate, hangup) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::hangup()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        let received = async move {
            let wait = |signal: Option<tokio::signal::unix::Signal>| async move {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
                () = wait(hangup) => {},
            }
        };
        #[cfg(not(unix))]
        let received = async {
            tokio::signal::ctrl_c().await.ok();
        };
        let stdin_closed = async {
            if exit_on_stdin_close {
                stdin_end().await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = received => {},
            () = stdin_closed => {
                tracing::info!("standard input closed (--exit-on-stdin-close): the launcher is gone");
            },
        }
        // The library says "shutting down: finishing requests in flight" as it begins.
    }
}

/// Resolves when standard input reaches its end or cannot be read: the launcher holding its
/// other end has gone, however it ended (the kernel closes a dead process's pipes). Read on a
/// thread of its own, since reading a pipe blocks; what is read is ignored.
async fn stdin_end() {
    use std::io::Read;
    let (ended, end) = tokio::sync::oneshot::channel::<()>();
    let reader = std::thread::Builder::new()
        .name("wa-emu-stdin".into())
        .spawn(move || {
            let mut buffer = [0u8; 1024];
            let mut stdin = std::io::stdin().lock();
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(_) => {}
                    // A signal arriving meanwhile (SIGTERM's own handler, say) is not the end.
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = ended.send(());
        });
    match reader {
        Ok(_) => {
            let _ = end.await;
        }
        // Without the thread nothing can tell: serve on until a signal.
        Err(_) => std::future::pending().await,
    }
}
