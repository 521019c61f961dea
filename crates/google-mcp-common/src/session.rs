//! `GoogleAuth`: a Google token for each tool call from the gateway (or the sign-in
//! reply), and the one retry with a fresh token when Google answers 401.

use crate::failure::ToolFailure;
use crate::google_error::GoogleApiError;
use mcp_auth_client::resource::{ExchangeTarget, TokenExchange, VerifiedUser};
use mcp_auth_client::{AuthClient, ConfigError, RequireAuth, Token, ToolCall};
use std::future::Future;
use std::time::Duration;

/// The gateway's provider id for Google.
pub const GOOGLE_PROVIDER: &str = "google";

/// The variable setting how long a tool call waits for a sign-in the MCP client agreed
/// to open (URL elicitation), in whole seconds.
pub const SIGN_IN_WAIT_VAR: &str = "MCP_SIGN_IN_WAIT_SECONDS";
/// Five minutes: time to sign in, while the tool call (and the model) waits.
pub const DEFAULT_SIGN_IN_WAIT: Duration = Duration::from_mins(5);
/// An hour: longer waits only hold a call open on a sign-in nobody finishes.
const MAX_SIGN_IN_WAIT_SECONDS: u64 = 3600;

/// The sign-in wait from the value of [`SIGN_IN_WAIT_VAR`]: unset or blank gives
/// [`DEFAULT_SIGN_IN_WAIT`]; otherwise whole seconds from 1 to 3600.
///
/// ```
/// use google_mcp_common::parse_sign_in_wait;
/// use std::time::Duration;
///
/// assert_eq!(parse_sign_in_wait(None).unwrap(), Duration::from_secs(300));
/// assert_eq!(parse_sign_in_wait(Some(" 60 ")).unwrap(), Duration::from_secs(60));
/// assert!(parse_sign_in_wait(Some("0")).is_err());
/// assert!(parse_sign_in_wait(Some("5m")).is_err());
/// ```
pub fn parse_sign_in_wait(value: Option<&str>) -> Result<Duration, String> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(DEFAULT_SIGN_IN_WAIT);
    };
    match value.parse::<u64>() {
        Ok(seconds @ 1..=MAX_SIGN_IN_WAIT_SECONDS) => Ok(Duration::from_secs(seconds)),
        _ => Err(format!(
            "{value:?} is not a number of seconds from 1 to {MAX_SIGN_IN_WAIT_SECONDS}"
        )),
    }
}

/// Google access for tools: the gateway client, the `google` provider and the scopes
/// every call of this server needs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GoogleAuth {
    auth: RequireAuth,
    scopes: Vec<String>,
    /// Gateway mode: Google tokens by exchanging the caller's verified access token.
    exchange: Option<TokenExchange>,
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
            exchange: None,
        }
    }

    /// Gets Google tokens by token exchange of each call's verified user (gateway
    /// mode) instead of asking the gateway by email.
    #[must_use]
    pub fn with_exchange(mut self, exchange: Option<TokenExchange>) -> Self {
        self.exchange = exchange;
        self
    }

    /// How long a tool call waits for a sign-in after the MCP client agreed to open the
    /// link (URL elicitation); the call is blocked meanwhile. Default
    /// [`DEFAULT_SIGN_IN_WAIT`].
    #[must_use]
    pub fn sign_in_wait(mut self, wait: Duration) -> Self {
        self.auth = self.auth.sign_in_timeout(wait);
        self
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
        if let Some(exchange) = &self.exchange {
            return self.exchanged(exchange, call, false).await;
        }
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
                if let Some(exchange) = &self.exchange {
                    let fresh = self.exchanged(exchange, call, true).await?;
                    return Ok(google_call(fresh).await?);
                }
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

    /// The caller's Google token by token exchange; `force` after Google refused the
    /// cached one. A user who has not connected Google gets the sign-in reply.
    async fn exchanged(
        &self,
        exchange: &TokenExchange,
        call: &ToolCall,
        force: bool,
    ) -> Result<Token, ToolFailure> {
        let Some(user) = VerifiedUser::from_call(call) else {
            return Err(ToolFailure::message(
                "Refused: this server verifies its callers, but the request carried no verified user.",
            ));
        };
        let scopes: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let target = ExchangeTarget::Provider(GOOGLE_PROVIDER.to_owned());
        let error = match exchange.token(&user, &target, &scopes, force).await {
            Ok(token) => return Ok(token),
            Err(error) => error,
        };
        if !error.is_sign_in() {
            return Err(ToolFailure::from(self.auth.reply_to(call, &error).await));
        }
        // Not connected: the link as a URL elicitation where the client supports it;
        // once the sign-in completed, one more exchange.
        self.auth
            .elicit_sign_in(call, &error)
            .await
            .map_err(ToolFailure::from)?;
        match exchange.token(&user, &target, &scopes, false).await {
            Ok(token) => Ok(token),
            Err(again) => Err(ToolFailure::from(self.auth.reply_to(call, &again).await)),
        }
    }
}
