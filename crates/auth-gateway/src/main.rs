//! `auth-gateway`: serve the gateway (the default command), or run an admin command.

use anyhow::Context as _;
use auth_gateway::cli::{Cli, EnvFile};
use auth_gateway::config::Config;
use auth_gateway::core::clock::SystemClock;
use auth_gateway::startup::{Application, shutdown_signal};
use clap::Parser;
use std::process::ExitCode;
use std::sync::Arc;

/// A configuration, startup or admin-command error is one line on stderr (`error: ...`,
/// the causes joined by `: `) and exit status 1, whatever `RUST_BACKTRACE` says: an error
/// returned from `main` would be printed in its Debug form, with a backtrace.
#[tokio::main]
async fn main() -> ExitCode {
    // Loaded before parsing so options that read the environment see it.
    let env_file = match auth_gateway::cli::load_env_file() {
        Ok(env_file) => env_file,
        Err(error) => return fail(&EnvFile::None, &error),
    };
    match run(&env_file).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&env_file, &error),
    }
}

fn fail(env_file: &EnvFile, error: &anyhow::Error) -> ExitCode {
    eprintln!(
        "error: {}",
        env_file.annotate(&auth_gateway::cli::error_line(error))
    );
    ExitCode::FAILURE
}

async fn run(env_file: &EnvFile) -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(result) =
        auth_gateway::cli::run(cli.command.unwrap_or(auth_gateway::cli::Command::Serve)).await
    {
        return result;
    }
    let config = Config::load(&|name| std::env::var(name).ok()).context("invalid configuration")?;
    auth_gateway::telemetry::init(&config.log);
    match env_file {
        EnvFile::Loaded { path, .. } => tracing::info!(path = %path.display(), "loaded .env"),
        EnvFile::None => tracing::info!("no .env file in the working directory"),
    }
    let app = Application::build(&config, Arc::new(SystemClock)).await?;
    tracing::info!(address = %config.host, port = app.port(), "listening");
    app.run_until(shutdown_signal()).await?;
    Ok(())
}
