//! `auth-gateway`: serve the gateway (the default command).

use auth_gateway::config::Config;
use auth_gateway::core::clock::SystemClock;
use auth_gateway::startup::{Application, shutdown_signal};
use clap::Parser;
use std::sync::Arc;

/// OAuth token gateway for MCP servers.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    Cli::parse();
    // A missing .env is normal; a malformed one is reported by what it breaks.
    let _ = dotenvy::dotenv();
    let config = Config::load(&|name| std::env::var(name).ok())
        .map_err(|error| anyhow::anyhow!("configuration error: {error}"))?;
    auth_gateway::telemetry::init(&config.log);
    let app = Application::build(&config, Arc::new(SystemClock)).await?;
    tracing::info!(address = %config.host, port = app.port(), "listening");
    app.run_until(shutdown_signal()).await?;
    Ok(())
}
