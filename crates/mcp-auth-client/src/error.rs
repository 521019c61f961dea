//! The typed outcomes of a gateway call that did not yield what was asked for, one
//! variant per situation an MCP server handles differently: sign in, ask for more
//! scopes, retry later, or fix the server's configuration.

use std::time::Duration;

/// Why the client could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A required environment variable is not set (or is empty).
    #[error("{0} is not set")]
    Missing(&'static str),
    /// A variable is set but its value is unusable.
    #[error("{name}: {problem}")]
    Invalid {
        /// The variable (or builder field) at fault.
        name: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// `AUTH_GATEWAY_URL` is `http://` to a host that is not loopback: the API key and
    /// users' tokens would cross the network unencrypted.
    #[error(
        "AUTH_GATEWAY_URL: plain http:// to {host}, which is not loopback, would send the API \
         key and users' access tokens unencrypted; use an https:// URL, or set \
         AUTH_GATEWAY_ALLOW_INSECURE_HTTP=true (AuthClientBuilder::allow_insecure_http) if the \
         network to the gateway is private"
    )]
    InsecureUrl {
        /// The URL's host.
        host: String,
    },
    /// The HTTP client could not be built (TLS backend initialisation).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Why [`crate::AuthClient`] returned no token (or no answer).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The user has never signed in to this provider (gateway 404 `not_authenticated`):
    /// show them `auth_url`, then wait on `session_id`.
    #[error("sign-in required")]
    SignInRequired {
        /// The gateway's one-time connect link for this user and provider.
        auth_url: String,
        /// The sign-in session to wait on ([`crate::AuthClient::wait_for_sign_in`]).
        session_id: String,
    },
    /// The stored grant was revoked or could not be refreshed (401 `needs_reauth` /
    /// `refresh_failed`): the user must sign in again through `auth_url`.
    #[error("the user must sign in again ({reason})")]
    NeedsReauth {
        /// A fresh connect link.
        auth_url: String,
        /// The sign-in session to wait on.
        session_id: String,
        /// The gateway's code: `needs_reauth` or `refresh_failed`.
        reason: String,
    },
    /// The grant lacks scopes the caller requires (401 `insufficient_scope`): signing in
    /// through `auth_url` asks for them on top of the ones already granted.
    #[error("the grant lacks scopes: {}", missing.join(" "))]
    InsufficientScope {
        /// The required scopes the grant does not have.
        missing: Vec<String>,
        /// A connect link asking for the missing scopes (incremental consent).
        auth_url: String,
        /// The sign-in session to wait on.
        session_id: String,
    },
    /// The provider is failing and no valid token is stored (503 `provider_unavailable`);
    /// nothing is wrong with the grant. Retry after `retry_after` when given.
    #[error("the provider is unavailable")]
    ProviderUnavailable {
        /// From the `Retry-After` header (or `detail.retry_after`).
        retry_after: Option<Duration>,
    },
    /// The gateway rejected this server's API key (403 `Invalid API key`): an operator
    /// error, not the user's.
    #[error("the auth gateway rejected the API key")]
    InvalidApiKey,
    /// The gateway answered with a redirect to another origin (scheme, host or port).
    /// It was not followed, so this server's API key never left the configured origin:
    /// set `AUTH_GATEWAY_URL` to the address the gateway is really served at.
    #[error(
        "the auth gateway redirected to another origin ({to}); not followed, so the API key \
         stays with the gateway: set AUTH_GATEWAY_URL to the gateway's real address"
    )]
    CrossOriginRedirect {
        /// The origin the redirect pointed at (no path or query).
        to: String,
    },
    /// The gateway could not be reached (connection refused, DNS, TLS or timeout).
    #[error("the auth gateway is unreachable")]
    GatewayUnreachable(#[source] reqwest::Error),
    /// The gateway answered with another error (bad input, unknown session, rate limit).
    #[error("the auth gateway answered {status}: {code}: {message}")]
    Gateway {
        /// The HTTP status.
        status: u16,
        /// The stable machine code of `detail.error`, or `unknown`.
        code: String,
        /// The gateway's public message.
        message: String,
        /// From `Retry-After`, when the gateway sent one (429, 503).
        retry_after: Option<Duration>,
    },
    /// The gateway's answer could not be read (not the documented JSON shape).
    #[error("unexpected answer from the auth gateway (HTTP {status})")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// The decoding problem.
        #[source]
        source: Option<reqwest::Error>,
    },
}

impl AuthError {
    /// The sign-in link, for the three outcomes a sign-in resolves.
    pub fn auth_url(&self) -> Option<&str> {
        match self {
            Self::SignInRequired { auth_url, .. }
            | Self::NeedsReauth { auth_url, .. }
            | Self::InsufficientScope { auth_url, .. } => Some(auth_url),
            _ => None,
        }
    }

    /// The sign-in session to wait on, for the three outcomes a sign-in resolves.
    pub fn session_id(&self) -> Option<&str> {
        match self {
            Self::SignInRequired { session_id, .. }
            | Self::NeedsReauth { session_id, .. }
            | Self::InsufficientScope { session_id, .. } => Some(session_id),
            _ => None,
        }
    }

    /// True when the user (not the operator) can fix this by signing in.
    pub fn is_sign_in(&self) -> bool {
        self.auth_url().is_some()
    }
}
