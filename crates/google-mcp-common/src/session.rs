//! `GoogleAuth`: a Google token for each tool call from the gateway (or the sign-in
//! reply), and the one retry with a fresh token when Google answers 401.

use crate::failure::ToolFailure;
use crate::google_error::GoogleApiError;
use mcp_auth_client::{AuthClient, ConfigError, RequireAuth, Token, ToolCall};
use std::future::Future;

/// The gateway's provider id for Google.
pub const GOOGLE_PROVIDER: &str = "google";

/// Google access for tools: the gateway client, the `google` provider and the scopes
/// every call of this server needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GoogleAuth {
    auth: RequireAuth,
    scopes: Vec<String>,
}

impl GoogleAuth {
    /// Google access through `client`, asking for `required_scopes` on every token: a
    /// grant that lacks one answers with an incremental-consent link.
    pub fn new(client: AuthClient, required_scopes: &[&str]) -> Self {
        let auth = RequireAuth::new(client, GOOGLE_PROVIDER).display_name("Google");
        Self::with_require_auth(auth, required_scopes)
    }

    /// Like [`GoogleAuth::new`] over an already configured helper (its timeouts).
    pub fn with_require_auth(auth: RequireAuth, required_scopes: &[&str]) -> Self {
        Self {
            auth,
            scopes: required_scopes.iter().map(ToString::to_string).collect(),
        }
    }

    /// From `AUTH_GATEWAY_URL` and `AUTH_GATEWAY_API_KEY`.
    pub fn from_env(required_scopes: &[&str]) -> Result<Self, ConfigError> {
        Ok(Self::new(AuthClient::from_env()?, required_scopes))
    }

    /// The rmcp helper underneath.
    pub fn require_auth(&self) -> &RequireAuth {
        &self.auth
    }

    /// The scopes every token must carry.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// A token for `user`, or the reply to return instead (sign-in link, URL
    /// elicitation, gateway failure text).
    pub async fn token(&self, call: &ToolCall, user: &str) -> Result<Token, ToolFailure> {
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        self.auth
            .token(call, user, &scopes)
            .await
            .map_err(ToolFailure::from)
    }

    /// Runs `google_call` with a token for `user`.
    ///
    /// Without a usable grant the result is the sign-in reply. When Google answers 401
    /// (the token was revoked or expired early), the gateway is asked to replace the
    /// rejected token (it refreshes it now) and `google_call` runs once more with the
    /// new one; a revoked grant gets the sign-in reply instead, and a second 401, like
    /// any other Google error, becomes a readable failure text.
    pub async fn with_token<T, F, Fut>(
        &self,
        call: &ToolCall,
        user: &str,
        google_call: F,
    ) -> Result<T, ToolFailure>
    where
        F: Fn(Token) -> Fut,
        Fut: Future<Output = Result<T, GoogleApiError>>,
    {
        let token = self.token(call, user).await?;
        match google_call(token.clone()).await {
            Err(error) if error.is_unauthenticated() => {
                tracing::info!("Google rejected the access token; retrying once with a fresh one");
                let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
                let fresh = self
                    .auth
                    .token_replacing(call, user, &scopes, &token)
                    .await
                    .map_err(ToolFailure::from)?;
                Ok(google_call(fresh).await?)
            }
            other => Ok(other?),
        }
    }
}
