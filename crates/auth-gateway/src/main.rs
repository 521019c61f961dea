//! `auth-gateway`: serve the gateway (the default command), or run an admin command.

use auth_gateway::cli::Cli;
use auth_gateway::config::Config;
use auth_gateway::core::clock::SystemClock;
use auth_gateway::startup::{Application, shutdown_signal};
use clap::Parser;
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A missing .env is normal; a malformed one is reported by what it breaks. Loaded
    // before parsing so options that read the environment see it.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    if let Some(result) =
        auth_gateway::cli::run(cli.command.unwrap_or(auth_gateway::cli::Command::Serve)).await
    {
        return result;
    }
    let config = Config::load(&|name| std::env::var(name).ok())
        .map_err(|error| anyhow::anyhow!("configuration error: {error}"))?;
    auth_gateway::telemetry::init(&config.log);
    let app = Application::build(&config, Arc::new(SystemClock)).await?;
    tracing::info!(address = %config.host, port = app.port(), "listening");
    app.run_until(shutdown_signal()).await?;
    Ok(())
}
