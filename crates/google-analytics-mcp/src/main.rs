//! `google-analytics-mcp`: parse the command line, read the environment, serve MCP
//! over stdio or streamable HTTP.

use anyhow::Context as _;
use google_analytics_mcp::config::Config;
use google_analytics_mcp::{AnalyticsServer, build_with_access};
use google_mcp_common::transport::{self, TransportArgs};
use mcp_auth_client::AuthClient;

/// The command line; everything else comes from the environment (see `--help`).
#[derive(Debug, clap::Parser)]
#[command(version, about = ABOUT, after_help = ENVIRONMENT)]
struct Cli {
    #[command(flatten)]
    transport: TransportArgs,
}

const ABOUT: &str = "Google Analytics 4 MCP server; Google sign-in goes through the auth gateway";

const ENVIRONMENT: &str = "\
Environment:
  AUTH_GATEWAY_URL            the auth gateway's base URL (required)
  AUTH_GATEWAY_API_KEY        this server's API key at the gateway (required)
  AUTH_GATEWAY_ALLOW_INSECURE_HTTP  true: accept an http:// gateway URL off loopback
  MCP_AUTH                    gateway | single-user | asserted-unsafe (see --auth; HTTP needs one)
  MCP_RESOURCE_URL            gateway mode: this server's registered URL (the tokens' aud)
  AUTH_GATEWAY_PUBLIC_URL     gateway mode: the tokens' issuer (default AUTH_GATEWAY_URL)
  MCP_USER_EMAIL              act only for this user (single-user; HTTP on loopback only)
  GOOGLE_ANALYTICS_DATA_URL   default https://analyticsdata.googleapis.com
  GOOGLE_ANALYTICS_ADMIN_URL  default https://analyticsadmin.googleapis.com
  MCP_SIGN_IN_WAIT_SECONDS    how long a call waits for a sign-in the client opened (default 300)
  RUST_LOG                    log filter for stderr (default info)";

/// Next to the gateway's 8000 and google-ads-mcp's 8001 (as in docker-compose).
const DEFAULT_BIND: &str = "127.0.0.1:8002";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = transport::parse_command_line(DEFAULT_BIND);
    transport::init_tracing();
    // Refuses an HTTP server that would not know who calls, before anything else.
    let access = cli.transport.access()?;
    let config = Config::from_env()?;
    let gateway = AuthClient::from_env().context("auth gateway configuration")?;
    let analytics =
        build_with_access(config, gateway, &access).context("HTTP client for Google")?;
    transport::serve(
        move || AnalyticsServer::new(analytics.clone()),
        &cli.transport,
        access.guard,
    )
    .await?;
    Ok(())
}
