//! Opening a sign-in session: the pending row (with its sealed PKCE verifier) and the
//! connect link shown to the user. Used by the sign-in flow and by every flow that has
//! to answer "sign in first".

use crate::core::audit::{AuditAction, AuditLog, AuditOutcome};
use crate::core::client::Client;
use crate::core::clock::Clock;
use crate::core::crypto::{Binding, KeyRing};
use crate::core::error::{CoreError, SignInLink};
use crate::core::random;
use crate::domain::{Email, ScopeSet};
use crate::store::{NewSession, SessionStore};
use crate::upstream::Provider;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use std::sync::Arc;
use uuid::Uuid;

/// Opens sign-in sessions. Uses: `SessionStore` (and `AuditStore` through the log).
pub struct SessionOpener {
    pub(in crate::core) store: Arc<dyn SessionStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) audit: Arc<AuditLog>,
    /// Public base URL of this gateway; connect links are built on it.
    pub(in crate::core) public_url: url::Url,
    pub(in crate::core) session_ttl: chrono::Duration,
}

impl SessionOpener {
    /// Creates a pending session asking for `scopes`, and its connect link.
    pub async fn open(
        &self,
        client: &Client,
        provider: &dyn Provider,
        email: &Email,
        scopes: &ScopeSet,
    ) -> Result<SignInLink, CoreError> {
        let now = self.clock.now();
        let id = Uuid::new_v4();
        let verifier = random::token();
        let connect_secret = random::connect_secret(verifier.expose_secret());
        let session_id = id.to_string();
        let session = NewSession {
            id,
            connect_hash: random::digest(connect_secret.expose_secret()),
            user_email: email.as_str().to_owned(),
            provider: provider.name().to_owned(),
            scopes: scopes.to_vec(),
            client_name: client.name.clone(),
            pkce_verifier: self.keys.seal(
                Binding::SessionVerifier {
                    session_id: &session_id,
                },
                &verifier,
            ),
            created_at: now,
            expires_at: now + self.session_ttl,
        };
        self.store.insert_session(&session).await?;
        self.audit
            .grant_event(
                &client.name,
                email.as_str(),
                provider.name(),
                AuditAction::SignInStarted,
                AuditOutcome::Ok,
            )
            .await;
        Ok(self.link(id, connect_secret.expose_secret(), session.expires_at))
    }

    /// Like [`Self::open`], but first looks for a pending session this client opened for
    /// the same user, provider and scopes with at least half its lifetime left, and hands
    /// out its link again: an MCP server retrying `/auth/token` while the user has not
    /// signed in yet gets one link (and one session to poll), not a new one per call.
    /// Only the link's digest is stored, but its secret is derived from the session's
    /// sealed PKCE verifier, so the same link can be rebuilt. Another client never gets
    /// this client's link. Two calls racing may still open two sessions; either works.
    pub async fn open_or_reuse(
        &self,
        client: &Client,
        provider: &dyn Provider,
        email: &Email,
        scopes: &ScopeSet,
    ) -> Result<SignInLink, CoreError> {
        let now = self.clock.now();
        // A link about to expire would leave the user no time to finish.
        let fresh_until = now + self.session_ttl / 2;
        let pending = self
            .store
            .pending_sessions_for(&client.name, email.as_str(), provider.name(), now)
            .await?;
        for session in pending {
            if session.expires_at < fresh_until
                || ScopeSet::from_trusted(session.scopes.iter().cloned()) != *scopes
            {
                continue;
            }
            let session_id = session.id.to_string();
            // A verifier sealed under a key no longer configured: open a new session.
            let Ok(verifier) = self.keys.open(
                Binding::SessionVerifier {
                    session_id: &session_id,
                },
                &session.pkce_verifier.key_id,
                &session.pkce_verifier.ciphertext,
            ) else {
                continue;
            };
            let connect_secret = random::connect_secret(verifier.expose_secret());
            return Ok(self.link(
                session.id,
                connect_secret.expose_secret(),
                session.expires_at,
            ));
        }
        self.open(client, provider, email, scopes).await
    }

    /// The connect link of session `id` with link secret `connect_secret`.
    fn link(&self, id: Uuid, connect_secret: &str, expires_at: DateTime<Utc>) -> SignInLink {
        // Base64url, a dot and hex: no escaping needed in a path segment.
        let auth_url = format!(
            "{}/connect/{}",
            self.public_url.as_str().trim_end_matches('/'),
            random::connect_link_token(connect_secret, id)
        );
        SignInLink {
            auth_url,
            session_id: id.to_string(),
            expires_at,
        }
    }
}
