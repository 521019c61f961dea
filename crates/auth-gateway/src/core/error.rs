//! The core's errors. The HTTP layer maps each to one status code and public message;
//! the source chain is only ever logged.

use crate::domain::{InvalidEmail, InvalidScope};
use crate::store::StoreError;
use crate::upstream::UpstreamError;
use chrono::{DateTime, Utc};

/// A sign-in link handed to the MCP server to show the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLink {
    pub auth_url: String,
    pub session_id: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a token cannot be handed out until the user signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInReason {
    /// Nothing stored for this user and provider.
    NotAuthenticated,
    /// The provider rejected the stored grant.
    NeedsReauth,
    /// No refresh token is stored and the access token has expired.
    RefreshFailed,
    /// The grant lacks these scopes.
    InsufficientScope { missing: Vec<String> },
}

/// Errors of the API operations.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("invalid API key")]
    InvalidApiKey,
    /// `name` is not a provider this gateway knows. `configured` lists those it serves.
    #[error("unknown provider {name:?}")]
    UnknownProvider {
        name: String,
        configured: Vec<String>,
    },
    /// A provider the gateway knows but was not configured with (no client id).
    #[error("provider {name:?} is not configured")]
    ProviderNotConfigured {
        name: String,
        configured: Vec<String>,
    },
    /// The client's key is not allowed this provider (docs/threat-model.md A2, G7).
    #[error("this API key may not use provider {0:?}")]
    ForbiddenProvider(String),
    /// The client is restricted to verified users: it may not assert a `user_email`
    /// (docs/authorization-server.md, "Verified-only clients").
    #[error("this API key may obtain tokens only by token exchange")]
    VerifiedUsersOnly,
    /// The client's key is not allowed this scope (docs/threat-model.md A3).
    #[error("this API key may not ask for scope {0:?}")]
    ForbiddenScope(String),
    #[error(transparent)]
    InvalidEmail(#[from] InvalidEmail),
    #[error(transparent)]
    InvalidScope(#[from] InvalidScope),
    #[error("sign-in session not found")]
    SessionNotFound,
    #[error("no credentials stored for this user and provider")]
    CredentialNotFound,
    #[error("sign-in required: {reason:?}")]
    SignInRequired {
        reason: SignInReason,
        link: SignInLink,
    },
    #[error("provider unavailable")]
    ProviderUnavailable {
        retry_after_secs: u64,
        #[source]
        source: UpstreamError,
    },
    /// A dependency cannot be reached right now (today: the database); the caller may
    /// retry later. Carries the cause for the log only.
    #[error("database unavailable: {0}")]
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
    /// Any other storage failure: a bug or bad data.
    #[error(transparent)]
    Store(StoreError),
    #[error("stored secret unreadable: {0}")]
    Crypto(#[from] super::crypto::CryptoError),
}

/// Storage errors reach the HTTP layer as core errors, so it needs no storage types: an
/// unreachable database becomes `Unavailable`, anything else `Store`.
impl From<StoreError> for CoreError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(source) => Self::Unavailable(Box::new(source)),
            other => Self::Store(other),
        }
    }
}

/// What became of a sign-in whose link or callback is used again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsedFlow {
    /// It completed and the grant is still active: the user is signed in.
    SignedIn {
        provider: String,
        account_email: String,
    },
    /// It completed, but the grant has since been revoked or rejected.
    NoLongerSignedIn { provider: String },
    /// It failed (refused, wrong account, provider error, ...).
    Failed,
    /// Its callback is being handled right now.
    InProgress,
}

/// Why a connect link or callback did not complete a sign-in. Each maps to a page and a
/// status code.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("callback is missing code or state, or they are malformed")]
    InvalidCallback,
    /// No session has this connect link (never issued, or swept after expiry).
    #[error("no sign-in matches this link")]
    UnknownFlow,
    /// No session has this callback's `state` (also: a state superseded by opening the
    /// link again in another tab).
    #[error("no sign-in matches this state")]
    UnknownState,
    /// Links last `lifetime_minutes` (`SESSION_EXPIRY_MINUTES`).
    #[error("sign-in session expired")]
    Expired { lifetime_minutes: i64 },
    #[error("sign-in session was already used")]
    AlreadyUsed(UsedFlow),
    #[error("callback came from a browser that did not open the sign-in link")]
    NotBound,
    /// The provider sent the user back with an error (`access_denied`, ...).
    #[error("the provider reported {0}")]
    ProviderDenied(&'static str),
    #[error("signed in as a different account than {expected}")]
    AccountMismatch { expected: String },
    #[error("the account's email address is not verified")]
    EmailUnverified,
    /// `GOOGLE_HOSTED_DOMAIN` is set and the account is not of that domain.
    #[error("the account is not of the {expected} domain")]
    HostedDomainMismatch { expected: String },
    /// The code exchange or identity lookup at `provider` failed.
    #[error("code exchange failed: {source}")]
    Exchange {
        provider: String,
        #[source]
        source: UpstreamError,
    },
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl From<StoreError> for FlowError {
    fn from(error: StoreError) -> Self {
        Self::Core(CoreError::from(error))
    }
}

impl From<super::crypto::CryptoError> for FlowError {
    fn from(error: super::crypto::CryptoError) -> Self {
        Self::Core(CoreError::Crypto(error))
    }
}

impl FlowError {
    /// The stable code recorded on a failed session and shown on the page.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCallback => "invalid_callback",
            Self::UnknownFlow | Self::UnknownState => "flow_not_found",
            Self::Expired { .. } => "flow_expired",
            Self::AlreadyUsed(_) => "flow_already_used",
            Self::NotBound => "flow_not_bound",
            Self::ProviderDenied(code) => code,
            Self::AccountMismatch { .. } => "account_mismatch",
            Self::EmailUnverified => "email_not_verified",
            Self::HostedDomainMismatch { .. } => "hosted_domain_mismatch",
            Self::Exchange {
                source: UpstreamError::Unavailable(_),
                ..
            } => "provider_unavailable",
            Self::Exchange { .. } => "exchange_failed",
            Self::Core(_) => "internal",
        }
    }
}
