//! Starting the gateway + emulator and connecting MCP clients to the server under test,
//! plus the emulator's sample Ads data the results are checked against.

use google_ads_mcp::{AdsConfig, AdsServer};
use google_emulator::{AdsCustomer, AdsMetrics, sample_ads_customers};
use google_mcp_common::UserPolicy;
use rmcp::model::CallToolResult;
use test_kit::TestStack;
use test_kit::mcp::{self, McpClient};

pub use google_emulator::sample_ids as ids;
pub use test_kit::mcp::{is_error, sign_in_link, text_of};

/// The user the tests sign in as.
pub const USER: &str = "ana@example.com";

/// How a test reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The built binary as a child process, over its stdin/stdout.
    Stdio,
    /// Streamable HTTP to a server in this process.
    Http,
}

/// The variables the server under test gets: gateway, emulator as Google Ads, and the
/// single user (when given).
pub fn server_env(stack: &TestStack, user: Option<&str>) -> Vec<(String, String)> {
    let mut env = stack.gateway_env();
    env.push(("GOOGLE_ADS_API_URL".into(), stack.emulator.base_url()));
    if let Some(user) = user {
        env.push(("MCP_USER_EMAIL".into(), user.to_owned()));
    }
    env
}

/// A client of a fresh server for `user` (`None`: a shared server), reached `via`.
pub async fn connect(stack: &TestStack, user: Option<&str>, via: Via) -> McpClient {
    let env = server_env(stack, user);
    match via {
        Via::Stdio => mcp::connect_stdio(env!("CARGO_BIN_EXE_google-ads-mcp"), &[], &env)
            .await
            .unwrap(),
        Via::Http => {
            let config = AdsConfig::from_vars(|name| {
                env.iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            })
            .unwrap();
            let users = UserPolicy::from_value(user);
            let server = AdsServer::new(&config, stack.auth_client(), users).unwrap();
            let url = mcp::serve_http_locally(move || server.clone())
                .await
                .unwrap();
            mcp::connect_http(&url).await.unwrap()
        }
    }
}

/// A stack with [`USER`] signed in, and a single-user server for them.
pub async fn signed_in(via: Via) -> (TestStack, McpClient) {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(USER).await.unwrap();
    let client = connect(&stack, Some(USER), via).await;
    (stack, client)
}

/// Calls `tool`; panics on protocol errors (tool errors are returned).
pub async fn call(client: &McpClient, tool: &str, arguments: serde_json::Value) -> CallToolResult {
    mcp::call(client, tool, arguments).await.unwrap()
}

/// Calls `tool` and expects data.
pub async fn call_ok(
    client: &McpClient,
    tool: &str,
    arguments: serde_json::Value,
) -> CallToolResult {
    let result = call(client, tool, arguments).await;
    assert!(!is_error(&result), "{tool} failed: {}", text_of(&result));
    result
}

/// The sample customer `id`.
pub fn customer(id: &str) -> AdsCustomer {
    sample_ads_customers()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap()
}

/// A fixture total as the emulator reports it over `days` days (value / 30 per day).
pub fn over_days(value: u64, days: u64) -> u64 {
    value / 30 * days
}

/// The metrics of every ad of `customer`, by ad id.
pub fn ads_of(customer: &AdsCustomer) -> Vec<(String, String, AdsMetrics)> {
    customer
        .campaigns
        .iter()
        .flat_map(|campaign| &campaign.ad_groups)
        .flat_map(|group| &group.ads)
        .map(|ad| (ad.id.clone(), ad.ad_type.clone(), ad.metrics.clone()))
        .collect()
}
