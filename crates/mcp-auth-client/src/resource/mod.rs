//! The MCP server as an OAuth protected resource (MCP authorization, "Authorization
//! Server Discovery" and "Access Token Usage"): it publishes its RFC 9728 metadata,
//! checks the gateway's RFC 9068 access tokens locally against the gateway's JWKS, hands
//! the verified user to the tools, and trades the user's gateway token for an upstream
//! one by RFC 8693 token exchange. See `docs/protecting-an-rmcp-server.md`.
//!
//! ```no_run
//! use mcp_auth_client::resource::{ResourceGuard, VerifiedUser};
//! use rmcp::model::{CallToolResult, ContentBlock};
//! use rmcp::service::{RequestContext, RoleServer};
//! use rmcp::transport::streamable_http_server::{
//!     StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
//! };
//! use rmcp::{ErrorData, tool, tool_router};
//! use tower::Layer as _;
//!
//! #[derive(Clone)]
//! struct Ads;
//!
//! #[tool_router(server_handler)]
//! impl Ads {
//!     #[tool(description = "Who is calling")]
//!     async fn whoami(&self, ctx: RequestContext<RoleServer>) -> Result<CallToolResult, ErrorData> {
//!         let user = VerifiedUser::from_context(&ctx)
//!             .ok_or_else(|| ErrorData::internal_error("not behind the guard", None))?;
//!         Ok(CallToolResult::success(vec![ContentBlock::text(user.email)]))
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mcp = StreamableHttpService::new(
//!     || Ok(Ads),
//!     std::sync::Arc::new(LocalSessionManager::default()),
//!     StreamableHttpServerConfig::default(),
//! );
//! // The five lines:
//! let guard = ResourceGuard::builder("https://auth.example.com", "https://ads.example.com/mcp")
//!     .resource_name("Google Ads")
//!     .build()?;
//! let app = axum::Router::new()
//!     .nest_service("/mcp", guard.layer().layer(mcp))
//!     .merge(guard.metadata_router());
//! axum::serve(tokio::net::TcpListener::bind("0.0.0.0:8080").await?, app).await?;
//! # Ok(())
//! # }
//! ```

mod config;
mod exchange;
mod jwks;
mod layer;
mod metadata;
mod user;
mod verify;
mod wire;

pub use config::ResourceGuardBuilder;
pub use exchange::{ExchangeTarget, TokenExchange};
pub use layer::{GuardLayer, GuardService};
pub use metadata::ProtectedResourceMetadata;
pub use user::VerifiedUser;
pub use verify::TokenRejection;

use crate::token::Clock;
use jwks::JwksCache;
use std::sync::Arc;

/// Everything the guard of one MCP endpoint needs: who issues tokens, which resource it
/// is, the cached keys and the clock. Cheap to clone (shared inside).
#[derive(Clone)]
pub struct ResourceGuard {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    resource: String,
    scope: String,
    resource_name: String,
    metadata_url: String,
    jwks: JwksCache,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ResourceGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceGuard")
            .field("issuer", &self.inner.issuer)
            .field("resource", &self.inner.resource)
            .finish_non_exhaustive()
    }
}

impl ResourceGuard {
    /// A builder for the resource `resource` (its canonical URI as registered with
    /// `auth-gateway resources add`) protected by tokens of the gateway `issuer` (the
    /// gateway's public URL).
    pub fn builder(issuer: impl Into<String>, resource: impl Into<String>) -> ResourceGuardBuilder {
        ResourceGuardBuilder::new(issuer.into(), resource.into())
    }

    /// The gateway's issuer identifier (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The resource's canonical URI: the `aud` every accepted token carries.
    pub fn resource(&self) -> &str {
        &self.inner.resource
    }

    /// The resource's one gateway scope, `mcp:` and the URI without its scheme.
    pub fn scope(&self) -> &str {
        &self.inner.scope
    }

    /// The absolute URL of this resource's metadata (the path-inserted form of RFC 9728
    /// §3.1), as announced in `WWW-Authenticate`.
    pub fn metadata_url(&self) -> &str {
        &self.inner.metadata_url
    }

    /// The layer to put in front of the MCP endpoint (e.g. axum's `route_layer`).
    pub fn layer(&self) -> GuardLayer {
        GuardLayer::new(self.clone())
    }

    /// Routes serving the metadata at `/.well-known/oauth-protected-resource` and its
    /// path-inserted form; merge them into the server's router, outside the guard.
    pub fn metadata_router<S: Clone + Send + Sync + 'static>(&self) -> axum::Router<S> {
        metadata::router(self)
    }

    /// The metadata document this guard serves.
    pub fn metadata(&self) -> ProtectedResourceMetadata {
        ProtectedResourceMetadata {
            resource: self.inner.resource.clone(),
            authorization_servers: vec![self.inner.issuer.clone()],
            scopes_supported: vec![self.inner.scope.clone()],
            bearer_methods_supported: vec!["header".to_owned()],
            resource_name: self.inner.resource_name.clone(),
        }
    }

    /// Verifies a bearer token (without the `Bearer ` prefix) as the layer does.
    pub async fn verify(&self, token: &str) -> Result<VerifiedUser, TokenRejection> {
        verify::verify(self, token).await
    }

    /// How many times the JWKS was fetched (for tests and metrics).
    pub fn jwks_fetches(&self) -> u64 {
        self.inner.jwks.fetches()
    }
}
