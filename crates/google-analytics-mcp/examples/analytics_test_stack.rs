//! A real auth gateway, the Google emulator and this MCP server over streamable HTTP,
//! all on port 0, for black-box MCP clients (tests/python/run.sh). Prints one JSON line
//! with the addresses and the gateway's API key (the Python script also starts the
//! binary over stdio against them), then serves until stdin closes.

use google_analytics_mcp::config::{ADMIN_URL_VAR, Config, DATA_URL_VAR};
use google_analytics_mcp::{AnalyticsServer, build};
use test_kit::mcp::serve_http_locally;
use test_kit::{API_KEY, TestStack};
use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let stack = TestStack::start().await?;
    let emulator_url = stack.emulator.base_url();
    let config = Config::from_vars(|name| {
        (name == DATA_URL_VAR || name == ADMIN_URL_VAR).then(|| emulator_url.clone())
    })?;
    let analytics = build(config, stack.auth_client())?;
    let mcp_url = serve_http_locally(move || AnalyticsServer::new(analytics.clone())).await?;
    println!(
        "{}",
        serde_json::json!({
            "mcp_url": mcp_url,
            "gateway_url": stack.gateway_url,
            "api_key": API_KEY,
            "emulator_url": emulator_url,
        })
    );
    // Serve until the driving script closes our stdin (or dies).
    let mut rest = Vec::new();
    tokio::io::stdin().read_to_end(&mut rest).await?;
    Ok(())
}
