//! `GET /auth/callback/{provider}`: completes the session named by `state`, once, in
//! the browser it was bound to; checks who signed in before storing the grant.

use super::grant::{SignedInAccount, discard_grant, revoke_refused_grant, sealed_grant};
use super::{CallbackParams, CompletedSignIn, binding_cookie_name, finished_flow, open_verifier};
use crate::core::audit::{AuditAction, AuditLog, AuditOutcome};
use crate::core::clock::Clock;
use crate::core::crypto::KeyRing;
use crate::core::error::{FlowError, UsedFlow};
use crate::core::flows::checks::check_hosted_domain;
use crate::core::providers::Providers;
use crate::core::random;
use crate::core::runtime::events::SessionEvents;
use crate::core::runtime::token_cache::TokenCache;
use crate::domain::{Email, IdentityPolicy, SessionState};
use crate::store::{CredentialStore, SessionRecord, SessionStore};
use crate::upstream::Provider;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Longest accepted `code` (Google documents ≤ 256 bytes; docs/threat-model.md F3).
const MAX_CODE_LEN: usize = 2048;

/// Finishes sign-ins. Uses: `SessionStore`, `CredentialStore`, `ChangeFeed` (through events),
/// `AuditStore`.
pub struct Callback {
    pub(in crate::core) store: Arc<dyn SessionStore>,
    pub(in crate::core) credentials: Arc<dyn CredentialStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) providers: Arc<Providers>,
    pub(in crate::core) audit: Arc<AuditLog>,
    pub(in crate::core) events: Arc<SessionEvents>,
    pub(in crate::core) cache: Arc<TokenCache>,
    pub(in crate::core) identity_policy: IdentityPolicy,
    pub(in crate::core) session_ttl: chrono::Duration,
}

impl Callback {
    /// `GET /auth/callback/{provider}`: completes the session named by `state`, once.
    /// `cookie` looks up a cookie of the request by name.
    pub async fn callback(
        &self,
        provider_name: &str,
        params: CallbackParams,
        cookie: impl Fn(&str) -> Option<String>,
    ) -> Result<CompletedSignIn, FlowError> {
        let provider = self
            .providers
            .get(provider_name)
            .map_err(|_| FlowError::UnknownState)?;
        let state = params.state.as_deref().unwrap_or_default();
        if !random::looks_like_token(state) {
            return Err(FlowError::InvalidCallback);
        }
        let session = self
            .store
            .session_by_state(&random::digest(state))
            .await?
            .filter(|session| session.provider == provider_name)
            .ok_or(FlowError::UnknownState)?;
        let now = self.clock.now();
        if session.state != SessionState::Pending || session.expires_at <= now {
            return Err(
                finished_flow(self.credentials.as_ref(), self.session_ttl, &session).await?,
            );
        }
        let bound = cookie(&binding_cookie_name(session.id)).is_some_and(|value| {
            session.browser_hash.as_ref().is_some_and(|expected| {
                bool::from(random::digest(&value).ct_eq(expected.as_slice()))
            })
        });
        if !bound {
            return Err(FlowError::NotBound);
        }
        if let Some(error) = params.error {
            let code = if error == "access_denied" {
                "access_denied"
            } else {
                "provider_error"
            };
            let failure = FlowError::ProviderDenied(code);
            self.fail(&session, &failure).await?;
            return Err(failure);
        }
        let code = params
            .code
            .filter(|code| {
                !code.is_empty()
                    && code.len() <= MAX_CODE_LEN
                    && code.bytes().all(|b| b.is_ascii_graphic())
            })
            .ok_or(FlowError::InvalidCallback)?;
        if !self.store.claim_session(session.id, now).await? {
            return Err(FlowError::AlreadyUsed(UsedFlow::InProgress));
        }
        match self.finish_sign_in(provider, &session, &code, now).await {
            Ok(done) => {
                self.audit
                    .grant_event(
                        &session.client_name,
                        &session.user_email,
                        &session.provider,
                        AuditAction::SignInCompleted,
                        AuditOutcome::Ok,
                    )
                    .await;
                self.events.announce_finished(session.id).await;
                Ok(done)
            }
            Err(failure) => {
                self.fail(&session, &failure).await?;
                Err(failure)
            }
        }
    }

    /// Exchanges the code, checks who signed in, and stores the grant.
    async fn finish_sign_in(
        &self,
        provider: &Arc<dyn Provider>,
        session: &SessionRecord,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<CompletedSignIn, FlowError> {
        let verifier = open_verifier(&self.keys, session)?;
        let upstream = |source| FlowError::Exchange {
            provider: session.provider.clone(),
            source,
        };
        let grant = provider
            .exchange_code(code, &verifier)
            .await
            .map_err(upstream)?;
        // Until we know who signed in, a refused grant cannot be attributed to an
        // account whose stored grant revoking would kill: revoke it anyway, since a
        // live grant nobody holds is the worse outcome (that account signs in again).
        let identity = match provider.identity(&grant, now).await {
            Ok(identity) => identity,
            Err(source) => {
                revoke_refused_grant(provider.as_ref(), &grant).await;
                return Err(upstream(source));
            }
        };
        let Ok(account) = Email::parse(&identity.email) else {
            revoke_refused_grant(provider.as_ref(), &grant).await;
            return Err(FlowError::EmailUnverified);
        };
        if let Err(refused) = check_hosted_domain(provider.as_ref(), &identity) {
            discard_grant(
                self.credentials.as_ref(),
                provider.as_ref(),
                &account,
                &session.provider,
                &grant,
            )
            .await;
            return Err(refused);
        }
        let expected = &session.user_email;
        let mismatch = (self.identity_policy == IdentityPolicy::SameEmail
            && account.as_str() != expected)
            || !identity.email_verified;
        let stored = self
            .credentials
            .credential(expected, &session.provider)
            .await?;
        let other_subject = stored
            .as_ref()
            .and_then(|credential| credential.account_subject.as_deref())
            .is_some_and(|subject| subject != identity.subject);
        if mismatch || other_subject {
            discard_grant(
                self.credentials.as_ref(),
                provider.as_ref(),
                &account,
                &session.provider,
                &grant,
            )
            .await;
            return Err(if identity.email_verified {
                FlowError::AccountMismatch {
                    expected: expected.clone(),
                }
            } else {
                FlowError::EmailUnverified
            });
        }
        let record = sealed_grant(
            &self.keys,
            SignedInAccount {
                user_email: expected,
                provider: &session.provider,
                account_email: account.as_str(),
                subject: identity.subject,
            },
            &grant,
            &session.scopes,
            now,
        );
        self.store
            .complete_sign_in(session.id, &record, now)
            .await?;
        self.cache.invalidate(&record.provider, &record.user_email);
        tracing::info!(session_id = %session.id, provider = %session.provider, "sign-in completed");
        Ok(CompletedSignIn {
            user_email: record.user_email,
            provider: record.provider,
            account_email: record.account_email,
        })
    }

    async fn fail(&self, session: &SessionRecord, failure: &FlowError) -> Result<(), FlowError> {
        tracing::warn!(session_id = %session.id, code = failure.code(), error = %failure, "sign-in failed");
        self.store
            .fail_session(session.id, failure.code(), self.clock.now())
            .await?;
        self.audit
            .grant_event(
                &session.client_name,
                &session.user_email,
                &session.provider,
                AuditAction::SignInFailed,
                AuditOutcome::SignInFailed(failure.code()),
            )
            .await;
        self.events.announce_finished(session.id).await;
        Ok(())
    }
}
