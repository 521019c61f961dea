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
        // Base64url, a dot and hex: no escaping needed in a path segment.
        let auth_url = format!(
            "{}/connect/{}",
            self.public_url.as_str().trim_end_matches('/'),
            random::connect_link_token(connect_secret.expose_secret(), id)
        );
        Ok(SignInLink {
            auth_url,
            session_id,
            expires_at: session.expires_at,
        })
    }
}
