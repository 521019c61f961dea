//! A small rmcp server whose one tool needs a Google token through `RequireAuth`.
//! Shared by the Rust MCP tests and the `test_stack` example the Python script drives.

use mcp_auth_client::{RequireAuth, ToolCall};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use rmcp::{ErrorData, tool, tool_router};

/// The tool server.
#[derive(Clone)]
pub struct WhoAmI {
    auth: RequireAuth,
}

/// Arguments of `whoami`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct WhoAmIArgs {
    /// The user whose Google account the tool uses.
    pub user_email: String,
    /// Scopes the tool needs beyond the gateway's defaults.
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl WhoAmI {
    pub fn new(auth: RequireAuth) -> Self {
        Self { auth }
    }
}

#[tool_router(server_handler)]
impl WhoAmI {
    #[tool(description = "Says which Google account the tool can use and with which scopes")]
    async fn whoami(
        &self,
        Parameters(args): Parameters<WhoAmIArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let scopes: Vec<&str> = args.scopes.iter().map(String::as_str).collect();
        let token = match self.auth.token(&call, &args.user_email, &scopes).await {
            Ok(token) => token,
            Err(reply) => return Ok(reply),
        };
        let text = format!(
            "Google access for {} with {} scopes, valid until {}",
            args.user_email,
            token.scopes().len(),
            token.expires_at().to_rfc3339()
        );
        Ok(CallToolResult::success(vec![ContentBlock::text(text)]).into())
    }
}
