//! The sign-in flow: start a session, open the connect link (bind the browser, redirect
//! to the provider) and handle the callback (G3, G4). Status reports are in
//! [`super::session_status`].

use super::audit::{AuditAction, AuditOutcome};
use super::crypto::Binding;
use super::error::{CoreError, FlowError, SignInLink, UsedFlow};
use super::gateway::{Client, Gateway};
use super::random;
use crate::domain::{
    CredentialStatus, Email, IdentityPolicy, InvalidScope, ScopeSet, SessionState,
};
use crate::store::{NewSession, SessionRecord, SignInGrant};
use crate::upstream::{AuthorizeRequest, Provider, TokenGrant};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Longest accepted `code` (Google documents ≤ 256 bytes; docs/threat-model.md F3).
const MAX_CODE_LEN: usize = 2048;
/// Lifetime assumed when the provider does not say.
const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;

/// Where the connect page sends the browser, and the cookie that binds the flow to it.
pub struct ConnectRedirect {
    pub location: url::Url,
    pub cookie_name: String,
    pub cookie_value: SecretString,
    pub cookie_max_age_secs: i64,
}

/// The query of a provider's redirect back to us.
#[derive(Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

// Codes and states are one-time secrets: Debug output names only what is present.
impl std::fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[REDACTED]"))
            .field("state", &self.state.as_ref().map(|_| "[REDACTED]"))
            .field("error", &self.error)
            .finish()
    }
}

impl std::fmt::Debug for ConnectRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectRedirect")
            .field("location", &"[REDACTED: carries state]")
            .field("cookie_name", &self.cookie_name)
            .field("cookie_max_age_secs", &self.cookie_max_age_secs)
            .finish_non_exhaustive()
    }
}

/// A finished sign-in, for the success page.
#[derive(Debug, Clone)]
pub struct CompletedSignIn {
    pub user_email: String,
    pub provider: String,
    pub account_email: String,
}

/// The browser-binding cookie's name for a session.
pub fn binding_cookie_name(session_id: Uuid) -> String {
    format!("gw_flow_{}", session_id.simple())
}

impl Gateway {
    /// `POST /auth/init`: opens a sign-in session and returns its link.
    pub async fn start_sign_in(
        &self,
        client: &Client,
        provider: &str,
        user_email: &str,
        scopes: Option<&[String]>,
    ) -> Result<SignInLink, CoreError> {
        let provider = self.provider(provider)?;
        let email = Self::parse_email(user_email)?;
        let requested = checked_scopes(provider.as_ref(), scopes)?;
        self.check_allowed(client, provider.as_ref(), &email, &requested)
            .await?;
        let scopes = provider.default_scopes().union(&requested);
        self.open_session(client, provider.as_ref(), &email, &scopes)
            .await
    }

    /// Creates a pending session asking for `scopes`, and its connect link.
    pub(super) async fn open_session(
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
            expires_at: now + self.settings.session_ttl,
        };
        self.store.insert_session(&session).await?;
        self.audit(
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
            self.settings.public_url.as_str().trim_end_matches('/'),
            random::connect_link_token(connect_secret.expose_secret(), id)
        );
        Ok(SignInLink {
            auth_url,
            session_id,
            expires_at: session.expires_at,
        })
    }

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
        let provider = self.provider(&session.provider)?;
        let verifier = self.open_verifier(&session)?;
        let email = Self::parse_email(&session.user_email)?;
        // Google gives a refresh token only on the consent screen, and limits how many
        // live ones a user has: force the screen only when we hold none.
        let force_consent = self
            .store
            .credential(&session.user_email, &session.provider)
            .await?
            .is_none_or(|credential| {
                // A rejected grant's refresh token is dead: get a new one.
                credential.refresh_token.is_none()
                    || credential.status == CredentialStatus::NeedsReauth
            });
        let location = provider.authorize_url(&AuthorizeRequest {
            state: state.expose_secret(),
            code_challenge: &random::pkce_challenge(verifier.expose_secret()),
            scopes: &ScopeSet::from_trusted(session.scopes.iter().cloned()),
            login_hint: &email,
            force_consent,
        });
        Ok(ConnectRedirect {
            location,
            cookie_name: binding_cookie_name(session.id),
            cookie_value: browser,
            cookie_max_age_secs: (session.expires_at - now).num_seconds().max(0),
        })
    }

    /// `GET /auth/callback/{provider}`: completes the session named by `state`, once.
    /// `cookie` looks up a cookie of the request by name.
    pub async fn callback(
        &self,
        provider_name: &str,
        params: CallbackParams,
        cookie: impl Fn(&str) -> Option<String>,
    ) -> Result<CompletedSignIn, FlowError> {
        let provider = self
            .provider(provider_name)
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
            return Err(self.finished_flow(&session).await?);
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
                self.audit(
                    &session.client_name,
                    &session.user_email,
                    &session.provider,
                    AuditAction::SignInCompleted,
                    AuditOutcome::Ok,
                )
                .await;
                self.announce_finished(session.id).await;
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
        let verifier = self.open_verifier(session)?;
        let upstream = |source| FlowError::Exchange {
            provider: session.provider.clone(),
            source,
        };
        let grant = provider
            .exchange_code(code, &verifier)
            .await
            .map_err(upstream)?;
        let identity = provider.identity(&grant, now).await.map_err(upstream)?;
        let account = Email::parse(&identity.email).map_err(|_| FlowError::EmailUnverified)?;
        let expected = &session.user_email;
        let mismatch = (self.settings.identity_policy == IdentityPolicy::SameEmail
            && account.as_str() != expected)
            || !identity.email_verified;
        let stored = self.store.credential(expected, &session.provider).await?;
        let other_subject = stored
            .as_ref()
            .and_then(|credential| credential.account_subject.as_deref())
            .is_some_and(|subject| subject != identity.subject);
        if mismatch || other_subject {
            self.discard_grant(provider.as_ref(), &account, &session.provider, &grant)
                .await;
            return Err(if identity.email_verified {
                FlowError::AccountMismatch {
                    expected: expected.clone(),
                }
            } else {
                FlowError::EmailUnverified
            });
        }
        let binding = |field| Binding::Credential {
            user_email: expected,
            provider: &session.provider,
            field,
        };
        let scopes = grant.scope.as_deref().map_or_else(
            || session.scopes.clone(),
            |scope| ScopeSet::from_space_separated(scope).to_vec(),
        );
        let lifetime = grant.expires_in.unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS);
        let record = SignInGrant {
            user_email: expected.clone(),
            provider: session.provider.clone(),
            access_token: self.keys.seal(binding("access_token"), &grant.access_token),
            refresh_token: grant
                .refresh_token
                .as_ref()
                .map(|token| self.keys.seal(binding("refresh_token"), token)),
            expires_at: now
                + chrono::Duration::seconds(i64::try_from(lifetime).unwrap_or(i64::MAX / 1000)),
            scopes,
            account_email: account.as_str().to_owned(),
            account_subject: identity.subject,
        };
        self.store
            .complete_sign_in(session.id, &record, now)
            .await?;
        self.token_cache
            .invalidate(&record.provider, &record.user_email);
        tracing::info!(session_id = %session.id, provider = %session.provider, "sign-in completed");
        Ok(CompletedSignIn {
            user_email: record.user_email,
            provider: record.provider,
            account_email: record.account_email,
        })
    }

    /// Revokes tokens from a refused sign-in so they are not left live at the provider,
    /// unless we hold a grant for that account: revoking would kill it too.
    async fn discard_grant(
        &self,
        provider: &dyn Provider,
        account: &Email,
        provider_name: &str,
        grant: &TokenGrant,
    ) {
        match self.store.credential(account.as_str(), provider_name).await {
            Ok(None) => {
                if let Err(error) = provider.revoke(&grant.access_token).await {
                    tracing::warn!(%error, "could not revoke the tokens of a refused sign-in");
                }
            }
            Ok(Some(_)) => {}
            Err(error) => tracing::warn!(%error, "could not check for a stored grant"),
        }
    }

    async fn fail(&self, session: &SessionRecord, failure: &FlowError) -> Result<(), FlowError> {
        tracing::warn!(session_id = %session.id, code = failure.code(), error = %failure, "sign-in failed");
        self.store
            .fail_session(session.id, failure.code(), self.clock.now())
            .await?;
        self.audit(
            &session.client_name,
            &session.user_email,
            &session.provider,
            AuditAction::SignInFailed,
            AuditOutcome::SignInFailed(failure.code()),
        )
        .await;
        self.announce_finished(session.id).await;
        Ok(())
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
        let Ok(verifier) = self.open_verifier(&session) else {
            return Ok(FlowError::UnknownFlow);
        };
        let expected = random::connect_secret(verifier.expose_secret());
        if !bool::from(expected.expose_secret().as_bytes().ct_eq(secret.as_bytes())) {
            return Ok(FlowError::UnknownFlow);
        }
        self.finished_flow(&session).await
    }

    /// Why a session can no longer be signed in through: used (and with what result) or
    /// expired.
    async fn finished_flow(&self, session: &SessionRecord) -> Result<FlowError, FlowError> {
        let used = match session.state {
            // Only an expired pending session ends up here (a live one is found by its
            // link, or expired between the two reads).
            SessionState::Pending => {
                return Ok(FlowError::Expired {
                    lifetime_minutes: self.settings.session_ttl.num_minutes(),
                });
            }
            SessionState::Exchanging => UsedFlow::InProgress,
            SessionState::Failed => UsedFlow::Failed,
            SessionState::Completed => {
                let active = self
                    .store
                    .credential(&session.user_email, &session.provider)
                    .await?
                    .filter(|credential| credential.status == CredentialStatus::Active);
                match active {
                    Some(credential) => UsedFlow::SignedIn {
                        provider: session.provider.clone(),
                        account_email: credential
                            .account_email
                            .unwrap_or_else(|| session.user_email.clone()),
                    },
                    None => UsedFlow::NoLongerSignedIn {
                        provider: session.provider.clone(),
                    },
                }
            }
        };
        Ok(FlowError::AlreadyUsed(used))
    }

    fn open_verifier(&self, session: &SessionRecord) -> Result<SecretString, CoreError> {
        let session_id = session.id.to_string();
        Ok(self.keys.open(
            Binding::SessionVerifier {
                session_id: &session_id,
            },
            &session.pkce_verifier.key_id,
            &session.pkce_verifier.ciphertext,
        )?)
    }
}

/// Validates requested scopes against the provider's allow-list.
pub(super) fn checked_scopes(
    provider: &dyn Provider,
    scopes: Option<&[String]>,
) -> Result<ScopeSet, CoreError> {
    let set = ScopeSet::from_request(scopes.unwrap_or_default())?;
    if let Some(refused) = set.iter().find(|scope| !provider.allows_scope(scope)) {
        return Err(InvalidScope::NotAllowed(refused.chars().take(256).collect()).into());
    }
    Ok(set)
}
