//! The audit trail: who (client) did what (event) for whom (user, provider), how it went
//! and when. Never a token. A failed audit write is logged and does not fail the request.
//! Events and outcomes are typed here; the store keeps their stable strings, which the
//! `audit` command prints as stored.

use super::client::Client;
use super::clock::Clock;
use crate::store::{AuditEvent, AuditStore};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// "Token issued" is written at most this often per (client, user, provider) and replica,
/// so serving a hot token costs no write per request.
pub const TOKEN_ISSUED_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);
/// Above this many remembered triples, the stale ones are forgotten.
const THROTTLE_PRUNE_AT: usize = 10_000;

/// An event about to be recorded.
pub type Event = AuditEvent;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    SignInStarted,
    SignInCompleted,
    SignInFailed,
    /// The client's key may not use the provider or scope asked for.
    AccessDenied,
    TokenIssued,
    TokenRefreshed,
    Revoked,
    ClientCreated,
    ClientRevoked,
    ClientRotated,
    LegacyImport,
    KeyRotation,
    ResourceAdded,
    ResourceRemoved,
    SigningKeyCreated,
    SigningKeyRotated,
    /// An MCP client registered itself (RFC 7591).
    OAuthClientRegistered,
    /// A user signed in at the gateway (browser session opened).
    OAuthLoginCompleted,
    OAuthLoginFailed,
    OAuthConsentGranted,
    OAuthConsentDenied,
    OAuthCodeIssued,
    /// Access and refresh tokens for an authorization code.
    OAuthTokenIssued,
    OAuthTokenRefreshed,
    /// A token request refused: a replayed code, a reused refresh token, a PKCE mismatch … (the OAuth error code is the outcome).
    OAuthTokenRefused,
    /// An MCP server exchanged a user's access token for the upstream token (RFC 8693).
    OAuthTokenExchanged,
    /// A user or a client revoked an authorization (grant).
    OAuthAuthorizationRevoked,
    /// An operator changed a client's settings (`clients set`); the detail says which.
    ClientUpdated,
}

impl AuditAction {
    pub const ALL: [Self; 28] = [
        Self::SignInStarted,
        Self::SignInCompleted,
        Self::SignInFailed,
        Self::AccessDenied,
        Self::TokenIssued,
        Self::TokenRefreshed,
        Self::Revoked,
        Self::ClientCreated,
        Self::ClientRevoked,
        Self::ClientRotated,
        Self::LegacyImport,
        Self::KeyRotation,
        Self::ResourceAdded,
        Self::ResourceRemoved,
        Self::SigningKeyCreated,
        Self::SigningKeyRotated,
        Self::OAuthClientRegistered,
        Self::OAuthLoginCompleted,
        Self::OAuthLoginFailed,
        Self::OAuthConsentGranted,
        Self::OAuthConsentDenied,
        Self::OAuthCodeIssued,
        Self::OAuthTokenIssued,
        Self::OAuthTokenRefreshed,
        Self::OAuthTokenRefused,
        Self::OAuthTokenExchanged,
        Self::OAuthAuthorizationRevoked,
        Self::ClientUpdated,
    ];

    /// The stored string; existing rows hold these, so they never change.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignInStarted => "sign_in_started",
            Self::SignInCompleted => "sign_in_completed",
            Self::SignInFailed => "sign_in_failed",
            Self::AccessDenied => "access_denied",
            Self::TokenIssued => "token_issued",
            Self::TokenRefreshed => "token_refreshed",
            Self::Revoked => "revoked",
            Self::ClientCreated => "client_created",
            Self::ClientRevoked => "client_revoked",
            Self::ClientRotated => "client_rotated",
            Self::LegacyImport => "legacy_import",
            Self::KeyRotation => "key_rotation",
            Self::ResourceAdded => "resource_added",
            Self::ResourceRemoved => "resource_removed",
            Self::SigningKeyCreated => "signing_key_created",
            Self::SigningKeyRotated => "signing_key_rotated",
            Self::OAuthClientRegistered => "oauth_client_registered",
            Self::OAuthLoginCompleted => "oauth_login_completed",
            Self::OAuthLoginFailed => "oauth_login_failed",
            Self::OAuthConsentGranted => "oauth_consent_granted",
            Self::OAuthConsentDenied => "oauth_consent_denied",
            Self::OAuthCodeIssued => "oauth_code_issued",
            Self::OAuthTokenIssued => "oauth_token_issued",
            Self::OAuthTokenRefreshed => "oauth_token_refreshed",
            Self::OAuthTokenRefused => "oauth_token_refused",
            Self::OAuthTokenExchanged => "oauth_token_exchanged",
            Self::OAuthAuthorizationRevoked => "oauth_authorization_revoked",
            Self::ClientUpdated => "client_updated",
        }
    }

    /// The action a stored string names, if any.
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == stored)
    }
}

/// How it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    Ok,
    /// A batch (import, key rotation) where some items failed.
    Partial,
    /// A refresh whose result lost to a peer's.
    Superseded,
    NeedsReauth,
    ProviderError,
    /// Deleted here, but the provider did not confirm the revocation.
    UpstreamFailed,
    ScopeNotAllowed,
    ForbiddenProvider,
    /// A failed sign-in, stored as its flow error code (`FlowError::code`).
    SignInFailed(&'static str),
}

impl AuditOutcome {
    /// Every outcome but `SignInFailed`, whose codes belong to `FlowError`.
    pub const CLOSED: [Self; 8] = [
        Self::Ok,
        Self::Partial,
        Self::Superseded,
        Self::NeedsReauth,
        Self::ProviderError,
        Self::UpstreamFailed,
        Self::ScopeNotAllowed,
        Self::ForbiddenProvider,
    ];

    /// The stored string; existing rows hold these, so they never change.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Partial => "partial",
            Self::Superseded => "superseded",
            Self::NeedsReauth => "needs_reauth",
            Self::ProviderError => "provider_error",
            Self::UpstreamFailed => "upstream_failed",
            Self::ScopeNotAllowed => "scope_not_allowed",
            Self::ForbiddenProvider => "forbidden_provider",
            Self::SignInFailed(code) => code,
        }
    }

    /// The closed outcome a stored string names, if any (a flow error code is not one).
    pub fn parse(stored: &str) -> Option<Self> {
        Self::CLOSED
            .into_iter()
            .find(|outcome| outcome.as_str() == stored)
    }
}

impl AuditEvent {
    /// An administrative event about a client (created, revoked, rotated).
    pub fn admin(now: DateTime<Utc>, client: &str, action: AuditAction) -> Self {
        Self {
            occurred_at: now,
            client_name: Some(client.to_owned()),
            user_email: None,
            provider: None,
            event: action.as_str().to_owned(),
            outcome: AuditOutcome::Ok.as_str().to_owned(),
            detail: None,
        }
    }

    /// A batch run from the command line (import, key rotation): no client, no user.
    pub fn batch(
        now: DateTime<Utc>,
        action: AuditAction,
        outcome: AuditOutcome,
        detail: String,
    ) -> Self {
        Self {
            occurred_at: now,
            client_name: None,
            user_email: None,
            provider: None,
            event: action.as_str().to_owned(),
            outcome: outcome.as_str().to_owned(),
            detail: Some(detail),
        }
    }
}

/// Writes `event`; a failure is logged (the action it describes already happened).
pub async fn record(store: &dyn AuditStore, event: Event) {
    if let Err(error) = store.insert_audit_event(&event).await {
        tracing::warn!(%error, event = %event.event, "could not write an audit event");
    }
}

/// Remembers when "token issued" was last written per (client, user, provider).
#[derive(Debug, Default)]
struct IssueThrottle {
    last: Mutex<HashMap<(String, String, String), DateTime<Utc>>>,
}

impl IssueThrottle {
    /// True when a "token issued" event should be written now (and notes it).
    fn due(&self, client: &str, user: &str, provider: &str, now: DateTime<Utc>) -> bool {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.len() >= THROTTLE_PRUNE_AT {
            last.retain(|_, at| now - *at < TOKEN_ISSUED_INTERVAL);
        }
        let key = (client.to_owned(), user.to_owned(), provider.to_owned());
        match last.get(&key) {
            Some(at) if now - *at < TOKEN_ISSUED_INTERVAL => false,
            _ => {
                last.insert(key, now);
                true
            }
        }
    }
}

/// Writes the flows' events about users' grants, stamped by the clock; "token issued"
/// throttled per replica. Uses: `AuditStore`.
pub struct AuditLog {
    store: Arc<dyn AuditStore>,
    clock: Arc<dyn Clock>,
    issue_throttle: IssueThrottle,
}

impl AuditLog {
    pub fn new(store: Arc<dyn AuditStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            issue_throttle: IssueThrottle::default(),
        }
    }

    /// Records an event about a user's grant at a provider.
    pub async fn grant_event(
        &self,
        client: &str,
        user_email: &str,
        provider: &str,
        action: AuditAction,
        outcome: AuditOutcome,
    ) {
        record(
            self.store.as_ref(),
            Event {
                occurred_at: self.clock.now(),
                client_name: Some(client.to_owned()),
                user_email: Some(user_email.to_owned()),
                provider: Some(provider.to_owned()),
                event: action.as_str().to_owned(),
                outcome: outcome.as_str().to_owned(),
                detail: None,
            },
        )
        .await;
    }

    /// Records an event of the authorization server: `client` is the OAuth client's
    /// `client_id` when one is involved, `detail` non-secret context (a resource URI,
    /// an OAuth error code).
    pub async fn oauth_event(
        &self,
        client: Option<&str>,
        user_email: Option<&str>,
        action: AuditAction,
        outcome: AuditOutcome,
        detail: Option<String>,
    ) {
        record(
            self.store.as_ref(),
            Event {
                occurred_at: self.clock.now(),
                client_name: client.map(str::to_owned),
                user_email: user_email.map(str::to_owned),
                provider: None,
                event: action.as_str().to_owned(),
                outcome: outcome.as_str().to_owned(),
                detail,
            },
        )
        .await;
    }

    /// Records "token issued", at most once a minute per client, user and provider.
    pub async fn issued(&self, client: &Client, user_email: &str, provider: &str) {
        if self
            .issue_throttle
            .due(&client.name, user_email, provider, self.clock.now())
        {
            self.grant_event(
                &client.name,
                user_email,
                provider,
                AuditAction::TokenIssued,
                AuditOutcome::Ok,
            )
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_is_stored_as_todays_string_and_reads_back() {
        let stored = AuditAction::ALL.map(AuditAction::as_str);
        assert_eq!(
            stored,
            [
                "sign_in_started",
                "sign_in_completed",
                "sign_in_failed",
                "access_denied",
                "token_issued",
                "token_refreshed",
                "revoked",
                "client_created",
                "client_revoked",
                "client_rotated",
                "legacy_import",
                "key_rotation",
                "resource_added",
                "resource_removed",
                "signing_key_created",
                "signing_key_rotated",
                "oauth_client_registered",
                "oauth_login_completed",
                "oauth_login_failed",
                "oauth_consent_granted",
                "oauth_consent_denied",
                "oauth_code_issued",
                "oauth_token_issued",
                "oauth_token_refreshed",
                "oauth_token_refused",
                "oauth_token_exchanged",
                "oauth_authorization_revoked",
                "client_updated",
            ]
        );
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::parse("event-1"), None);
    }

    #[test]
    fn each_outcome_is_stored_as_todays_string_and_reads_back() {
        let stored = AuditOutcome::CLOSED.map(AuditOutcome::as_str);
        assert_eq!(
            stored,
            [
                "ok",
                "partial",
                "superseded",
                "needs_reauth",
                "provider_error",
                "upstream_failed",
                "scope_not_allowed",
                "forbidden_provider",
            ]
        );
        for outcome in AuditOutcome::CLOSED {
            assert_eq!(AuditOutcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(
            AuditOutcome::SignInFailed("flow_expired").as_str(),
            "flow_expired"
        );
        assert_eq!(AuditOutcome::parse("flow_expired"), None);
    }

    #[test]
    fn token_issued_is_due_once_a_minute_per_client_user_and_provider() {
        let throttle = IssueThrottle::default();
        let t0 = DateTime::UNIX_EPOCH;
        assert!(throttle.due("ads", "a@x.io", "google", t0));
        assert!(!throttle.due(
            "ads",
            "a@x.io",
            "google",
            t0 + chrono::Duration::seconds(59)
        ));
        assert!(throttle.due("analytics", "a@x.io", "google", t0));
        assert!(throttle.due("ads", "b@x.io", "google", t0));
        assert!(throttle.due(
            "ads",
            "a@x.io",
            "google",
            t0 + chrono::Duration::seconds(61)
        ));
    }
}
