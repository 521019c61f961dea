//! A real auth gateway, the Google emulator and a shared (multi-user) Ads server over
//! streamable HTTP, all on port 0, for black-box MCP clients (tests/python/run.sh).
//! Prints one JSON line with the addresses, then serves until stdin closes.

use google_ads_mcp::{AdsConfig, AdsServer};
use google_mcp_common::UserPolicy;
use test_kit::{API_KEY, TestStack, mcp};
use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let stack = TestStack::start().await?;
    let ads_api_url = stack.emulator.base_url();
    let config =
        AdsConfig::from_vars(|name| (name == "GOOGLE_ADS_API_URL").then(|| ads_api_url.clone()))?;
    let server = AdsServer::new(&config, stack.auth_client(), UserPolicy::shared())?;
    let mcp_url = mcp::serve_http_locally(move || server.clone()).await?;
    println!(
        "{}",
        serde_json::json!({
            "mcp_url": mcp_url,
            "gateway_url": stack.gateway_url,
            "gateway_api_key": API_KEY,
            "emulator_url": stack.emulator.base_url(),
        })
    );
    // Serve until the driving script closes our stdin (or dies).
    let mut rest = Vec::new();
    tokio::io::stdin().read_to_end(&mut rest).await?;
    Ok(())
}
