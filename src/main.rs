//! `portico`: the command line. Everything else lives in the crates.

mod bench;
mod docs_cli;
mod serve;
mod telemetry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use portico_catalog::read::{validate_paths, ReadOptions, Severity};
use portico_server::Config;

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
    /// Ask a running server whether it is healthy: exits 0 when the URL
    /// answers 200, 1 otherwise. For container health checks, where the
    /// image has no curl.
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:7007/healthz")]
        url: String,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
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
    let _telemetry = telemetry::init(cli.log_format);
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
        Command::Healthcheck { url, timeout } => return healthcheck(&url, timeout),
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
    serve::serve(&config)
}

fn healthcheck(url: &str, timeout: u64) -> ExitCode {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(timeout.max(1))))
        .http_status_as_error(false)
        .build()
        .into();
    match agent.get(url).call() {
        Ok(response) if response.status() == 200 => ExitCode::SUCCESS,
        Ok(response) => {
            eprintln!("{url} answered {}", response.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{url}: {e}");
            ExitCode::FAILURE
        }
    }
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
