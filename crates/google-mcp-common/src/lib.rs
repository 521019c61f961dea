//! What the Google MCP servers (Ads, Analytics) share, so each server is only its
//! tools:
//!
//! - [`UserPolicy`]: whose Google account a call uses (`MCP_USER_EMAIL` or the
//!   `user_email` argument); a single-user server never acts for anyone else.
//! - [`GoogleAuth`]: a token from the auth gateway per call (or the sign-in reply:
//!   link, URL elicitation or incremental consent), with one retry on a fresh token
//!   when Google answers 401. After an MCP client accepts a URL elicitation, the tool
//!   call waits for the sign-in up to `MCP_SIGN_IN_WAIT_SECONDS` (default 5 minutes;
//!   [`parse_sign_in_wait`]), then answers with the link.
//! - [`GoogleHttp`] and [`GoogleApiError`]: one pooled HTTP client with timeouts, and
//!   Google's error bodies turned into texts a person can act on.
//! - [`ToolFailure`]: the one error type of tool bodies, already in reply shape.
//! - [`call_tool`]: a server's `call_tool` that explains arguments not fitting a tool's
//!   input schema (the missing or wrong argument, what it expects) instead of serde.
//! - [`Table`]: readable aligned text tables with a row count.
//! - [`transport`]: `--transport stdio|http`, `--bind`, `--allowed-host`, `--auth`,
//!   `--resource-url`, and serving (HTTP with a header read timeout and caps on
//!   connections, body size and sessions).
//! - [`Access`] (`MCP_AUTH`): gateway mode (the resource guard in front of `/mcp`, the
//!   verified user for every call, Google tokens by token exchange, no `user_email` in
//!   the schemas via [`router_for`]), single-user on loopback, or `asserted-unsafe`; an
//!   HTTP server that would not know who calls refuses to start.
//!
//! # A tool in a few lines
//!
//! ```no_run
//! use google_mcp_common::{GoogleAuth, GoogleHttp, Table, ToolFailure, UserPolicy};
//! use mcp_auth_client::ToolCall;
//! use rmcp::handler::server::wrapper::Parameters;
//! use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
//! use rmcp::{ErrorData, tool, tool_router};
//!
//! #[derive(Clone)]
//! struct Server {
//!     users: UserPolicy,
//!     google: GoogleAuth,
//!     http: GoogleHttp,
//! }
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Args {
//!     /// Whose Google account to use; leave out on a single-user server.
//!     user_email: Option<String>,
//! }
//!
//! #[tool_router(server_handler)]
//! impl Server {
//!     #[tool(description = "List the user's Google Ads accounts")]
//!     async fn list_accounts(
//!         &self,
//!         Parameters(args): Parameters<Args>,
//!         call: ToolCall,
//!     ) -> Result<CallToolResponse, ErrorData> {
//!         Ok(self.accounts(&args, &call).await.unwrap_or_else(Into::into))
//!     }
//! }
//!
//! impl Server {
//!     async fn accounts(&self, args: &Args, call: &ToolCall) -> Result<CallToolResponse, ToolFailure> {
//!         let user = self.users.resolve(args.user_email.as_deref())?;
//!         let names: serde_json::Value = self
//!             .google
//!             .with_token(call, &user, |token| async move {
//!                 let url = "https://googleads.googleapis.com/v26/customers:listAccessibleCustomers";
//!                 self.http.send_json(self.http.client().get(url), &token).await
//!             })
//!             .await?;
//!         let mut table = Table::new(["Resource name"]);
//!         for name in names["resourceNames"].as_array().into_iter().flatten() {
//!             table.push_row([name.as_str().unwrap_or_default()]);
//!         }
//!         let mut result = CallToolResult::success(vec![ContentBlock::text(table.render())]);
//!         result.structured_content = Some(names);
//!         Ok(result.into())
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server {
//!     users: UserPolicy::from_env(),
//!     google: GoogleAuth::from_env(&["https://www.googleapis.com/auth/adwords"])?,
//!     http: GoogleHttp::new("Google Ads API", "GOOGLE_ADS_API_URL")?,
//! };
//! # let _ = server;
//! # Ok(())
//! # }
//! ```

mod accept;
pub mod access;
mod arguments;
mod failure;
mod google_error;
mod http;
mod session;
mod sessions;
mod table;
mod tools;
pub mod transport;
mod unreachable;
mod user;

pub use access::{Access, AccessError, AuthMode};
pub use arguments::{call_tool, explain as explain_arguments};
pub use failure::ToolFailure;
pub use google_error::{DetailError, GoogleApiError, GoogleStatus};
pub use http::GoogleHttp;
pub use session::{
    DEFAULT_SIGN_IN_WAIT, GOOGLE_PROVIDER, GoogleAuth, SIGN_IN_WAIT_VAR, parse_sign_in_wait,
};
pub use table::Table;
pub use tools::{router_for, without_user_email};
pub use transport::{Transport, TransportArgs};
pub use unreachable::NoAnswer;
pub use user::{USER_EMAIL_VAR, UserPolicy};
