//! An MCP server for the Google Ads API, with Google sign-in through the auth gateway
//! (the server never sees client secrets or refresh tokens).
//!
//! Six read-only tools, as the original Python server: `list_accounts`,
//! `execute_gaql_query`, `resolve_customer`, `get_campaign_performance`,
//! `get_ad_performance` and `analytics_router`. Results are text tables plus
//! structured content; manager (MCC) accounts are followed with `login-customer-id`.
//! Whose Google account a call uses is decided by [`google_mcp_common::UserPolicy`]:
//! the verified caller in gateway mode (`MCP_AUTH=gateway`), else `MCP_USER_EMAIL`.
//!
//! ```no_run
//! use google_ads_mcp::{AdsConfig, AdsServer};
//! use google_mcp_common::transport::{self, TransportArgs};
//!
//! # async fn run(args: TransportArgs) -> anyhow::Result<()> {
//! let access = args.access()?; // MCP_AUTH: refuses HTTP that would not know who calls
//! let auth = mcp_auth_client::AuthClient::from_env()?; // AUTH_GATEWAY_URL, AUTH_GATEWAY_API_KEY
//! let server = AdsServer::with_access(&AdsConfig::from_env()?, auth, &access)?;
//! transport::serve(move || server.clone(), &args, access.guard).await?;
//! # Ok(())
//! # }
//! ```

mod accounts;
mod api;
mod config;
mod customer_id;
mod date_range;
mod params;
mod reports;
pub mod rows;
mod server;
mod tools;

pub use accounts::{Account, Accounts};
pub use api::{ADWORDS_SCOPE, AdsApi, MAX_ROWS};
pub use config::{AdsConfig, ConfigError, DEFAULT_API_URL, DEFAULT_API_VERSION};
pub use customer_id::CustomerId;
pub use date_range::{DateRange, PRESETS};
pub use reports::{INTENTS, Intent};
pub use server::{AdsServer, StartupError};
