//! A small rmcp server behind the resource guard, mounted as the crate's docs say:
//! `whoami` answers with the verified user the guard handed to it.

use mcp_auth_client::resource::{ResourceGuard, VerifiedUser};
use rmcp::model::{CallToolResult, ContentBlock};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, tool, tool_router};
use std::sync::Arc;
use tower::Layer as _;

/// The tool server.
#[derive(Clone, Default)]
pub struct Guarded;

#[tool_router(server_handler)]
impl Guarded {
    #[tool(description = "Says who the verified caller is")]
    async fn whoami(
        &self,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let text = VerifiedUser::from_context(&context).map_or_else(
            || "anonymous".to_owned(),
            |user| {
                format!(
                    "subject={} email={} client={} scopes={}",
                    user.subject,
                    user.email,
                    user.client_id,
                    user.scopes.join(" ")
                )
            },
        );
        Ok(CallToolResult::success(vec![ContentBlock::text(text)]))
    }
}

/// Serves [`Guarded`] at `/mcp` on `listener` behind `guard`, with the metadata routes.
pub fn serve(listener: tokio::net::TcpListener, guard: &ResourceGuard) {
    let service = StreamableHttpService::new(
        || Ok(Guarded),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let app = axum::Router::new()
        .nest_service("/mcp", guard.layer().layer(service))
        .merge(guard.metadata_router());
    tokio::spawn(async move { axum::serve(listener, app).await });
}
