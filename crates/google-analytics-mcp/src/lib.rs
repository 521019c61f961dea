//! A Google Analytics 4 MCP server on rmcp that gets Google access only through the
//! auth gateway (`mcp-auth-client`), never holding client secrets or refresh tokens.
//!
//! Five read-only tools: `list_properties` (Admin API `accountSummaries`, all pages),
//! `get_page_views`, `get_active_users`, `get_traffic_sources` and `run_report` (Data
//! API v1beta `runReport`). Input is checked before any Google call ([`input`]);
//! answers are text tables with row counts and totals plus structured content
//! ([`render`]). Users who have not signed in (or lack the `analytics.readonly` scope)
//! get the gateway's sign-in link; `MCP_USER_EMAIL` pins the server to one user.
//!
//! Layout: [`tools`] is the MCP surface (arguments, descriptions, thin handlers),
//! [`analytics`] the work behind it, [`api`] the Google wire types and calls,
//! [`config`] the environment.

pub mod analytics;
pub mod api;
pub mod config;
pub mod input;
pub mod render;
pub mod tools;

use analytics::Analytics;
use api::AnalyticsApi;
use config::{ANALYTICS_READONLY_SCOPE, Config};
use google_mcp_common::{Access, GoogleAuth};
use mcp_auth_client::AuthClient;
pub use tools::AnalyticsServer;

/// Builds the server's shared state from its configuration and a gateway client.
pub fn build(config: Config, gateway: AuthClient) -> Result<Analytics, reqwest::Error> {
    let api = AnalyticsApi::new(config.data_url, config.admin_url)?;
    let auth =
        GoogleAuth::new(gateway, &[ANALYTICS_READONLY_SCOPE]).sign_in_wait(config.sign_in_wait);
    Ok(Analytics::new(api, auth, config.users))
}

/// Like [`build`] for the callers `access` describes (the transport's `--auth` mode):
/// its user policy replaces `MCP_USER_EMAIL`'s, and in gateway mode Google tokens come
/// by token exchange of each caller's access token.
pub fn build_with_access(
    config: Config,
    gateway: AuthClient,
    access: &Access,
) -> Result<Analytics, reqwest::Error> {
    let api = AnalyticsApi::new(config.data_url, config.admin_url)?;
    let auth = GoogleAuth::new(gateway, &[ANALYTICS_READONLY_SCOPE])
        .sign_in_wait(config.sign_in_wait)
        .with_exchange(access.exchange.clone());
    Ok(Analytics::new(api, auth, access.users.clone()))
}
