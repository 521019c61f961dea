//! What an MCP server links to get OAuth access tokens from the auth gateway.
//!
//! - [`AuthClient`]: the gateway's HTTP API as typed calls (`get_token`, `init`,
//!   `status`, `wait_for_sign_in`, `providers`, `revoke`, `is_authenticated`), with
//!   one pooled HTTP client, timeouts, and an in-memory token cache so a burst of tool
//!   calls costs one gateway round-trip. Failures are an [`AuthError`] per situation.
//!   The cache keys users by the gateway's own email normalisation
//!   ([`gateway_proto::normalize_email`]; an address the gateway refuses is never
//!   cached), drops a user unused for [`AuthClientBuilder::cache_idle_timeout`]
//!   (default 15 min) and keeps at most [`AuthClientBuilder::cache_capacity`] entries
//!   (default 10 000, least recently used out first).
//! - [`RequireAuth`]: the rmcp helper. One call inside a tool returns the token, or
//!   answers "sign-in required" the best way the MCP client allows:
//!   - the client declared URL-mode elicitation, protocol 2025-11-25: the user gets an
//!     `elicitation/create` (`mode: "url"`) with the link; the tool call waits for the
//!     sign-in (gateway long-poll) and then completes with data;
//!   - the client declared URL-mode elicitation, protocol 2026-07-28: the tool answers
//!     `input_required` with a URL-mode elicitation; the client opens the link and
//!     retries, and the retry waits for the sign-in and completes with data;
//!   - in both, once the client has accepted the elicitation the tool call stays open
//!     until the user finishes signing in or the wait ends:
//!     [`RequireAuth::sign_in_timeout`], **default 5 minutes**. A user who never
//!     finishes blocks that call for the whole wait; it then answers with the link (the
//!     text below). Set a shorter wait for clients that show the link where it is easy
//!     to miss;
//!   - otherwise: a tool result with `isError: true` whose text gives the link and asks
//!     the user to retry after signing in; the same text goes out as a log message and,
//!     when the call asked for progress, as a progress message.
//!
//! - [`resource`]: the MCP server as an OAuth protected resource: RFC 9728 metadata, a
//!   tower layer that checks the gateway's access tokens locally and hands the
//!   [`resource::VerifiedUser`] to tools, and RFC 8693 token exchange for the user's
//!   upstream token (docs/protecting-an-rmcp-server.md).
//!
//! # What the client protects
//!
//! - **The API key stays with the gateway.** A redirect is followed only within the
//!   gateway's origin (scheme, host, port); one to another origin is refused with
//!   [`AuthError::CrossOriginRedirect`] before anything is sent there. Point
//!   `AUTH_GATEWAY_URL` at the address the gateway is really served at.
//! - **No plain HTTP across a network by accident.** An `http://` gateway URL is
//!   accepted only for a loopback host (`127.0.0.0/8`, `::1`, `localhost`); any other
//!   host fails at build time with [`ConfigError::InsecureUrl`], naming the host. Use
//!   `https://`, or, where the network to the gateway is private (a container network),
//!   opt in with `AUTH_GATEWAY_ALLOW_INSECURE_HTTP=true` or
//!   [`AuthClientBuilder::allow_insecure_http`].
//!
//! # Add the gateway to your MCP server in five lines
//!
//! Configuration comes from the environment: `AUTH_GATEWAY_URL` (the gateway's base
//! URL, e.g. `https://auth.example.com` or `http://127.0.0.1:8000`),
//! `AUTH_GATEWAY_API_KEY` (this server's key) and, optionally,
//! `AUTH_GATEWAY_ALLOW_INSECURE_HTTP` (`true` to accept `http://` to a host that is not
//! loopback, e.g. `http://auth-gateway:8000` on a container network; default `false`).
//!
//! ```no_run
//! use mcp_auth_client::{AuthClient, RequireAuth, ToolCall};
//! use rmcp::handler::server::wrapper::Parameters;
//! use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
//! use rmcp::{ErrorData, tool, tool_router};
//!
//! #[derive(Clone)]
//! struct Ads {
//!     auth: RequireAuth,
//! }
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Args {
//!     /// The signed-in user's email (take it from your MCP authorization in production).
//!     user_email: String,
//! }
//!
//! #[tool_router(server_handler)]
//! impl Ads {
//!     #[tool(description = "List the user's Google Ads accounts")]
//!     async fn list_accounts(
//!         &self,
//!         Parameters(args): Parameters<Args>,
//!         call: ToolCall,
//!     ) -> Result<CallToolResponse, ErrorData> {
//!         let token = match self.auth.token(&call, &args.user_email, &[]).await {
//!             Ok(token) => token,
//!             Err(reply) => return Ok(reply), // sign-in link, elicitation, or failure text
//!         };
//!         // ... call the Google Ads API with `token.bearer()` ...
//!         # let _ = token;
//!         Ok(CallToolResult::success(vec![ContentBlock::text("accounts: ...")]).into())
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let auth = RequireAuth::new(AuthClient::from_env()?, "google");
//! let server = Ads { auth };
//! # let _ = server;
//! # Ok(())
//! # }
//! ```
//!
//! Without rmcp, use the client directly:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use mcp_auth_client::{AuthClient, AuthError};
//! use secrecy::ExposeSecret;
//!
//! let client = AuthClient::from_env()?;
//! match client.get_token("google", "alice@example.com", &[]).await {
//!     Ok(token) => println!("expires at {}", token.expires_at()),
//!     Err(AuthError::SignInRequired { auth_url, session_id }) => {
//!         println!("Open {auth_url} to sign in");
//!         client.wait_for_sign_in(&session_id, std::time::Duration::from_secs(300)).await?;
//!     }
//!     Err(other) => return Err(other.into()),
//! }
//! # Ok(())
//! # }
//! ```

mod cache;
mod client;
mod config;
mod error;
mod redirect;
mod reply;
pub mod resource;
mod token;
mod tool;

pub use client::AuthClient;
pub use config::{ALLOW_INSECURE_HTTP_VAR, API_KEY_VAR, AuthClientBuilder, URL_VAR};
pub use error::{AuthError, ConfigError};
pub use token::{Clock, SystemClock, Token};
pub use tool::{RequireAuth, SIGN_IN_INPUT_KEY, ToolCall};

/// Re-exported wire types of the gateway's answers.
pub use gateway_proto::{
    InitResponse, ProviderGrant, ProvidersResponse, RevokeResponse, SessionStatus, StatusResponse,
};
