//! Upstream identity providers: build the authorization URL, exchange codes, refresh,
//! revoke, and say who signed in. Google is one implementation; endpoints come from
//! configuration so tests point at `google-emulator`. Imports only `crate::domain`; the
//! core uses the `Provider` trait, never `google`.

pub mod client_metadata;
pub mod google;
mod public_address;

pub use client_metadata::{CacheHint, ClientMetadataFetcher, FetchError, FetchedDocument};

use crate::domain::{Email, ScopeSet};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// A provider this gateway can talk to once configured.
#[derive(Debug, Clone, Copy)]
pub struct KnownProvider {
    /// The name used in the API (`google`).
    pub name: &'static str,
    /// How a person reads it (`Google`).
    pub display_name: &'static str,
    /// What an operator sets to turn it on.
    pub setup: &'static str,
}

/// Every provider the gateway has an implementation of.
pub const KNOWN_PROVIDERS: &[KnownProvider] = &[KnownProvider {
    name: "google",
    display_name: "Google",
    setup: "set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (or, offline, run google-emulator and set the GOOGLE_* variables it prints), then restart the gateway",
}];

/// The known provider of this API name.
pub fn known_provider(name: &str) -> Option<&'static KnownProvider> {
    KNOWN_PROVIDERS.iter().find(|known| known.name == name)
}

/// How a person reads a provider's name (`Google` for `google`); unknown names as given.
pub fn display_name(name: &str) -> &str {
    known_provider(name).map_or(name, |known| known.display_name)
}

/// What goes into one authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
pub struct AuthorizeRequest<'a> {
    pub state: &'a str,
    pub code_challenge: &'a str,
    pub scopes: &'a ScopeSet,
    /// The account to preselect; `None` when the user is not known yet (a sign-in at
    /// the gateway itself).
    pub login_hint: Option<&'a Email>,
    /// Ask for the consent screen again (needed to get a new refresh token).
    pub force_consent: bool,
}

impl std::fmt::Debug for AuthorizeRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("state", &"[REDACTED]")
            .field("scopes", self.scopes)
            .field("login_hint", &self.login_hint)
            .field("force_consent", &self.force_consent)
            .finish_non_exhaustive()
    }
}

/// A token endpoint answer (RFC 6749 §5.1). Secrets stay wrapped.
#[derive(Debug)]
pub struct TokenGrant {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    /// Lifetime in seconds, when the provider said.
    pub expires_in: Option<u64>,
    /// Granted scopes (space-separated), when the provider said.
    pub scope: Option<String>,
    pub id_token: Option<SecretString>,
}

/// The upstream account that signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    /// The Google Workspace domain of the account (`hd`), when it has one.
    pub hosted_domain: Option<String>,
}

/// Upstream failures, classified by what the gateway should do about them (G6).
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The code or refresh token is dead (`invalid_grant`): only a new sign-in helps.
    #[error("provider rejected the grant (invalid_grant)")]
    InvalidGrant,
    /// Our client credentials are wrong: an operator error.
    #[error("provider rejected the client credentials (invalid_client)")]
    InvalidClient,
    /// 5xx, 429, timeout or network failure: worth retrying later.
    #[error("provider unavailable: {0}")]
    Unavailable(String),
    /// Any other OAuth error code (the code only; bodies may echo secrets).
    #[error("provider answered error {0:?}")]
    Rejected(String),
    /// The answer did not follow the protocol.
    #[error("provider answer malformed: {0}")]
    Protocol(String),
    /// The identity in the answer failed a check (issuer, audience, expiry).
    #[error("identity token refused: {0}")]
    Identity(&'static str),
}

/// One OAuth 2.0 / OpenID Connect provider.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The name used in the API (`google`).
    fn name(&self) -> &str;

    /// Scopes every sign-in asks for.
    fn default_scopes(&self) -> &ScopeSet;

    /// Whether a caller may ask for this scope.
    fn allows_scope(&self, scope: &str) -> bool;

    /// The provider's authorization URL for one request.
    fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> url::Url;

    /// Exchanges an authorization code with its PKCE verifier.
    async fn exchange_code(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<TokenGrant, UpstreamError>;

    /// Uses a refresh token (RFC 6749 §6).
    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, UpstreamError>;

    /// Uses a refresh token for an access token carrying only `scopes`, a subset of the
    /// grant's (RFC 6749 §6). A provider that cannot narrow answers `Rejected`; the
    /// caller also checks the answer's `scope`, since a provider may ignore the request.
    async fn refresh_narrowed(
        &self,
        refresh_token: &SecretString,
        scopes: &ScopeSet,
    ) -> Result<TokenGrant, UpstreamError> {
        let _ = (refresh_token, scopes);
        Err(UpstreamError::Rejected(
            "scope_narrowing_unsupported".into(),
        ))
    }

    /// Revokes a token and with it the grant (RFC 7009).
    async fn revoke(&self, token: &SecretString) -> Result<(), UpstreamError>;

    /// The only account domain this provider is configured to accept (`hd`), if any.
    fn hosted_domain(&self) -> Option<&str> {
        None
    }

    /// Who signed in: from the `id_token` in `grant`, else from the userinfo endpoint.
    async fn identity(
        &self,
        grant: &TokenGrant,
        now: DateTime<Utc>,
    ) -> Result<Identity, UpstreamError>;
}
