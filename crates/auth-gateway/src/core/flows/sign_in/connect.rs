//! `GET /connect/{token}`: binds a pending session to the browser that opened its link
//! and sends that browser to the provider.

use super::{ConnectRedirect, binding_cookie_name, finished_flow, open_verifier};
use crate::core::clock::Clock;
use crate::core::crypto::KeyRing;
use crate::core::error::FlowError;
use crate::core::flows::checks::parse_email;
use crate::core::providers::Providers;
use crate::core::random;
use crate::domain::{CredentialStatus, ScopeSet};
use crate::store::{CredentialStore, SessionStore};
use crate::upstream::AuthorizeRequest;
use secrecy::ExposeSecret;
use std::sync::Arc;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Opens connect links. Uses: `SessionStore`, `CredentialStore`.
pub struct Connect {
    pub(in crate::core) store: Arc<dyn SessionStore>,
    pub(in crate::core) credentials: Arc<dyn CredentialStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) providers: Arc<Providers>,
    pub(in crate::core) session_ttl: chrono::Duration,
}

impl Connect {
    /// `GET /connect/{token}`: binds the session to this browser and sends it to the
    /// provider. Each visit makes a new `state`, so only the latest tab can finish.
    pub async fn connect(&self, link_token: &str) -> Result<ConnectRedirect, FlowError> {
        let (secret, session_id) =
            random::parse_connect_link_token(link_token).ok_or(FlowError::UnknownFlow)?;
        let now = self.clock.now();
        let state = random::token();
        let browser = random::token();
        let Some(session) = self
            .store
            .begin_authorization(
                &random::digest(secret),
                &random::digest(state.expose_secret()),
                &random::digest(browser.expose_secret()),
                now,
            )
            .await?
        else {
            return Err(self.unusable_link(secret, session_id).await?);
        };
        let provider = self.providers.get(&session.provider)?;
        let verifier = open_verifier(&self.keys, &session)?;
        let email = parse_email(&session.user_email)?;
        // Google gives a refresh token only on the consent screen, and limits how many
        // live ones a user has: force the screen only when we hold none.
        let force_consent = self
            .credentials
            .credential(&session.user_email, &session.provider)
            .await?
            .is_none_or(|credential| {
                // A rejected grant's refresh token is dead: get a new one. A grant
                // imported from the legacy gateway has no pinned account: this sign-in
                // pins it, so it gets the consent screen (the user sees which account
                // they grant, and we get a refresh token issued to this sign-in).
                credential.refresh_token.is_none()
                    || credential.status == CredentialStatus::NeedsReauth
                    || credential.account_subject.is_none()
            });
        let location = provider.authorize_url(&AuthorizeRequest {
            state: state.expose_secret(),
            code_challenge: &random::pkce_challenge(verifier.expose_secret()),
            scopes: &ScopeSet::from_trusted(session.scopes.iter().cloned()),
            login_hint: Some(&email),
            force_consent,
        });
        Ok(ConnectRedirect {
            location,
            cookie_name: binding_cookie_name(session.id),
            cookie_value: browser,
            cookie_max_age_secs: (session.expires_at - now).num_seconds().max(0),
        })
    }

    /// Why a connect link that matches no pending session cannot be used. The session id
    /// in the link is believed only when the link's secret matches the one derived from
    /// that session's verifier: otherwise anyone with an id could learn its fate.
    async fn unusable_link(
        &self,
        secret: &str,
        session_id: Option<Uuid>,
    ) -> Result<FlowError, FlowError> {
        let Some(id) = session_id else {
            return Ok(FlowError::UnknownFlow);
        };
        let Some(session) = self.store.session(id).await? else {
            return Ok(FlowError::UnknownFlow);
        };
        let Ok(verifier) = open_verifier(&self.keys, &session) else {
            return Ok(FlowError::UnknownFlow);
        };
        let expected = random::connect_secret(verifier.expose_secret());
        if !bool::from(expected.expose_secret().as_bytes().ct_eq(secret.as_bytes())) {
            return Ok(FlowError::UnknownFlow);
        }
        finished_flow(self.credentials.as_ref(), self.session_ttl, &session).await
    }
}
