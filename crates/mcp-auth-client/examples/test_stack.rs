//! A gateway, the Google emulator and an rmcp tool server using `RequireAuth`, all on
//! port 0, for black-box MCP clients (tests/python/run.sh). Prints one JSON line with
//! the addresses, then serves until stdin closes.

#[path = "../tests/it/support/server.rs"]
mod server;

use mcp_auth_client::RequireAuth;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let stack = test_kit::TestStack::start().await?;
    let auth =
        RequireAuth::new(stack.auth_client(), "google").sign_in_timeout(Duration::from_mins(1));
    let service = StreamableHttpService::new(
        move || Ok(server::WhoAmI::new(auth.clone())),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mcp_url = format!("http://{}/mcp", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, router).await });
    println!(
        "{}",
        serde_json::json!({ "mcp_url": mcp_url, "gateway_url": stack.gateway_url })
    );
    // Serve until the driving script closes our stdin (or dies).
    let mut rest = Vec::new();
    tokio::io::stdin().read_to_end(&mut rest).await?;
    Ok(())
}
