//! `google-ads-mcp`: parse the command line, load the configuration, serve.

use google_ads_mcp::AdsServer;
use google_mcp_common::transport::{self, TransportArgs};

// The help text is the `about` below (a doc comment would be checked as rustdoc).
#[derive(Debug, clap::Parser)]
#[command(
    version,
    about = "MCP server for the Google Ads API. Google sign-in goes through the auth gateway \
             (AUTH_GATEWAY_URL, AUTH_GATEWAY_API_KEY); see the README for every variable."
)]
struct Cli {
    #[command(flatten)]
    transport: TransportArgs,
}

/// Next to the gateway's 8000 (the port docker-compose gives this server too).
const DEFAULT_BIND: &str = "127.0.0.1:8001";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = transport::parse_command_line(DEFAULT_BIND);
    transport::init_tracing();
    // Refuses an HTTP server that would not know who calls, before anything else.
    let access = cli.transport.access()?;
    let config = google_ads_mcp::AdsConfig::from_env()?;
    let auth = mcp_auth_client::AuthClient::from_env()?;
    let server = AdsServer::with_access(&config, auth, &access)?;
    transport::serve(move || server.clone(), &cli.transport, access.guard).await?;
    Ok(())
}
