//! The `wa-onprem-emulator` binary: parse the configuration, start logging, bind, serve until
//! SIGTERM or Ctrl-C. Everything else is in the library.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use wa_onprem_emulator::cert::{self, LocalizedName};
use wa_onprem_emulator::config::{Cli, Command, Config, LogFormat};
use wa_onprem_emulator::{AppState, clock, healthcheck, routes, serve_with, tls};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => run(cli.config),
        Some(Command::Cert { vname, localized }) => print_cert(&vname, &localized),
        Some(Command::Openapi) => {
            let doc = routes::openapi();
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Some(Command::Healthcheck { url, timeout }) => {
            let url = url.unwrap_or_else(|| {
                let tls = cli.config.tls || cli.config.tls_cert.is_some();
                healthcheck::default_url_for(&cli.config.listen, tls)
            });
            match healthcheck::probe(&url, timeout) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("unhealthy: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
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
                eprintln!(
                    "--localized {item:?}: write it as LG_LC=NAME, for example ja_JP=株式会社ヤマト"
                );
                return ExitCode::from(2);
            }
        }
    }
    let now = clock::unix_seconds(std::time::SystemTime::now());
    println!("{}", cert::make(vname, &names, now));
    ExitCode::SUCCESS
}

fn run(config: Config) -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
    }
    // Configuration errors (a bad rules file) stop startup before anything is bound.
    let state = match AppState::new(&config) {
        Ok(state) => state,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let tls = match tls(&config) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(&config.listen).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::error!("cannot listen on {}: {e}", config.listen);
                return ExitCode::FAILURE;
            }
        };
        match serve_with(listener, state, &config, tls, shutdown_signal()).await {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                tracing::error!("server error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
