//! `portico`: the command line. Everything else lives in the crates.

mod bench;
mod docs_cli;
mod telemetry;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use portico_catalog::read::{validate_paths, ReadOptions, Severity};
use portico_server::{open_catalog, AppState, Background, Config};

#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about = "A Backstage-compatible developer portal in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines as text or as JSON objects (for log collectors).
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: telemetry::LogFormat,
}

#[derive(Subcommand)]
enum Command {
    /// Start the portal (HTTP API on 127.0.0.1:7007 by default).
    Serve {
        /// YAML config file (portico.yaml); give it again for more files,
        /// later ones overriding earlier ones key by key.
        #[arg(long)]
        config: Vec<PathBuf>,
        #[arg(long)]
        port: Option<u16>,
        /// Where SQLite and other local state live (default ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Check catalog files as the catalog would read them; prints
    /// `file:line: message` per problem and exits 1 if there is an error.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[arg(long)]
        config: Vec<PathBuf>,
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Check the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Generate a deterministic catalog, ingest it and measure the API.
    Bench(bench::BenchArgs),
    /// Build or preview a TechDocs site (mkdocs.yml and Markdown).
    Docs {
        #[command(subcommand)]
        command: docs_cli::DocsCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration (files, `${VAR}`s, PORTICO__ variables)
    /// and print the effective settings, secrets redacted.
    Check {
        #[arg(long)]
        config: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Serve {
            config,
            port,
            data_dir,
        } => serve(config, port, data_dir),
        Command::Validate { files } => return validate(&files),
        Command::Migrate { config, data_dir } => migrate(config, data_dir),
        Command::Config {
            command: ConfigCommand::Check { config },
        } => check_config(config),
        Command::Bench(args) => bench::run(&args),
        Command::Docs { command } => return docs_cli::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

fn load_config(paths: Vec<PathBuf>, data_dir: Option<PathBuf>) -> Result<Config, AnyError> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let mut config = Config::load_layers(&paths, &env)?;
    if let Some(dir) = data_dir {
        config.data_dir = dir;
    }
    Ok(config)
}

fn check_config(paths: Vec<PathBuf>) -> Result<(), AnyError> {
    let config = load_config(paths, None)?;
    print!("{}", portico_server::config::redacted_yaml(&config)?);
    Ok(())
}

fn serve(path: Vec<PathBuf>, port: Option<u16>, data_dir: Option<PathBuf>) -> Result<(), AnyError> {
    let mut config = load_config(path, data_dir)?;
    if let Some(port) = port {
        config.server.port = port;
    }
    let catalog = open_catalog(&config)?;
    let addr = format!("{}:{}", config.server.host, config.server.port);
    let listener = TcpListener::bind(&addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let mut background = Background::spawn(
        catalog.clone(),
        Duration::from_millis(config.catalog.sync_interval_millis),
        config.catalog.refresh_interval > 0,
    );
    let state = AppState::new(catalog.clone(), &config)?;
    background.maintain_keys(state.auth.clone());
    let recheck = config.techdocs.recheck_interval;
    let _docs = portico_server::docs::DocsFollower::spawn(
        catalog.clone(),
        state.docs.clone(),
        (recheck > 0).then(|| Duration::from_secs(recheck)),
    );
    let scaffolder = state.scaffolder.clone();
    let _workers = scaffolder.as_ref().map(|s| s.start());
    tracing::info!(%addr, entities = catalog.index().len(), "portico is listening");
    actix_web::rt::System::new()
        .block_on(async move { portico_server::serve_state(listener, state)?.await })?;
    // Workers finish the step they are in; tasks left running are failed
    // by the heartbeat sweep of whichever replica runs next.
    if let Some(scaffolder) = scaffolder {
        scaffolder.stop();
    }
    Ok(())
}

fn validate(files: &[PathBuf]) -> ExitCode {
    let problems = validate_paths(files, &ReadOptions::default());
    let mut errors = 0;
    for p in &problems {
        match p.severity {
            Severity::Error => {
                errors += 1;
                println!("{p}");
            }
            Severity::Warning => println!("{p} (warning)"),
        }
    }
    if errors > 0 {
        eprintln!("{errors} error(s) in {} file(s)", files.len());
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn migrate(path: Vec<PathBuf>, data_dir: Option<PathBuf>) -> Result<(), AnyError> {
    let config = load_config(path, data_dir)?;
    portico_store::Store::open(&config.database_url())?;
    println!("database is at the latest schema version");
    Ok(())
}
