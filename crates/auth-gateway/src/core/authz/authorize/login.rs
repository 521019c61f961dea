//! Signing in at the gateway: the browser goes to the login provider (Google) asking in
//! one consent for the user's identity *and* the resource's upstream scopes with offline
//! access, so the same trip fills the vault; the provider's callback opens the browser
//! session and resumes the authorization request.

use super::browser::{SESSION_COOKIE, SetCookie, login_cookie_name};
use super::service::{Authorize, AuthorizeStep};
use crate::core::audit::{AuditAction, AuditOutcome};
use crate::core::crypto::{Binding, KeyRing};
use crate::core::error::{CoreError, FlowError};
use crate::core::flows::checks::check_hosted_domain;
use crate::core::flows::sign_in::CallbackParams;
use crate::core::flows::sign_in::grant::{
    SignedInAccount, discard_grant, revoke_refused_grant, sealed_grant,
};
use crate::core::random;
use crate::domain::{Email, ScopeSet};
use crate::store::{BrowserSessionRecord, LoginRecord, NewLogin, ResourceRecord};
use crate::upstream::{AuthorizeRequest, Identity, Provider};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use std::sync::Arc;
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

/// What the login provider is asked for besides the resource's scopes: who the user is.
const IDENTITY_SCOPES: [&str; 2] = ["openid", "email"];

/// The user to sign in again, for more scopes: the same account must come back.
pub struct KnownUser<'a> {
    pub subject: &'a str,
    pub email: &'a Email,
    /// Whether a refresh token is stored (else the provider's consent screen is forced).
    pub has_refresh_token: bool,
}

/// A finished login: where the browser resumes, and its new session cookie.
#[derive(Debug)]
pub struct LoginFinished {
    /// The authorization request to resume (a path on this gateway).
    pub return_to: String,
    pub session: SetCookie,
}

impl Authorize {
    /// Sends the browser to the resource's provider to sign in (or, for `known`, to add
    /// the resource's scopes to the grant: incremental consent).
    pub(super) async fn start_login(
        &self,
        resource: &ResourceRecord,
        query: &str,
        known: Option<KnownUser<'_>>,
    ) -> Result<AuthorizeStep, CoreError> {
        self.login(
            &resource.provider,
            &resource.scopes,
            format!("/oauth/authorize?{query}"),
            known,
        )
        .await
    }

    /// Sends the browser to `provider_name` to sign in at the gateway, asking for the
    /// user's identity and `upstream_scopes`; the callback resumes at `return_to`.
    pub async fn login(
        &self,
        provider_name: &str,
        upstream_scopes: &[String],
        return_to: String,
        known: Option<KnownUser<'_>>,
    ) -> Result<AuthorizeStep, CoreError> {
        let provider = self.providers.get(provider_name)?;
        let now = self.clock.now();
        let id = Uuid::new_v4();
        let verifier = random::token();
        let state = random::token();
        let browser = random::token();
        let scopes = ScopeSet::from_trusted(
            IDENTITY_SCOPES
                .iter()
                .map(|scope| (*scope).to_owned())
                .chain(upstream_scopes.iter().cloned()),
        );
        let expires_at = now + self.settings.login_ttl;
        self.logins
            .insert_login(&NewLogin {
                id,
                state_hash: random::digest(state.expose_secret()),
                browser_hash: random::digest(browser.expose_secret()),
                pkce_verifier: self.keys.seal(
                    Binding::SessionVerifier {
                        session_id: &login_binding(id),
                    },
                    &verifier,
                ),
                provider: provider_name.to_owned(),
                scopes: scopes.to_vec(),
                return_to,
                expected_subject: known.as_ref().map(|user| user.subject.to_owned()),
                created_at: now,
                expires_at,
            })
            .await?;
        let location = provider.authorize_url(&AuthorizeRequest {
            state: state.expose_secret(),
            code_challenge: &random::pkce_challenge(verifier.expose_secret()),
            scopes: &scopes,
            login_hint: known.as_ref().map(|user| user.email),
            // Unknown users: the consent screen is what yields a refresh token.
            force_consent: known.is_none_or(|user| !user.has_refresh_token),
        });
        Ok(AuthorizeStep::Redirect {
            location,
            cookie: Some(SetCookie {
                name: login_cookie_name(id),
                value: browser,
                max_age_secs: (expires_at - now).num_seconds(),
            }),
        })
    }

    /// The provider's callback, if its `state` names a login at the gateway: checks the
    /// browser, exchanges the code, checks who signed in, stores the grant and opens the
    /// browser session. `Ok(None)` when the state is not a login's (then it is a
    /// sign-in session's, handled by the sign-in flow).
    pub async fn finish_login(
        &self,
        provider_name: &str,
        params: &CallbackParams,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Option<LoginFinished>, FlowError> {
        let Some(state) = params
            .state
            .as_deref()
            .filter(|state| random::looks_like_token(state))
        else {
            return Ok(None);
        };
        let Some(login) = self
            .logins
            .login_by_state(&random::digest(state))
            .await?
            .filter(|login| login.provider == provider_name)
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        if login.used_at.is_some() {
            return Err(FlowError::AlreadyUsed(crate::core::error::UsedFlow::Failed));
        }
        if login.expires_at <= now {
            return Err(FlowError::Expired {
                lifetime_minutes: self.settings.login_ttl.num_minutes(),
            });
        }
        let bound = cookie(&login_cookie_name(login.id)).is_some_and(|value| {
            bool::from(random::digest(&value).ct_eq(login.browser_hash.as_slice()))
        });
        if !bound {
            return Err(FlowError::NotBound);
        }
        if let Some(error) = &params.error {
            let code = if error == "access_denied" {
                "access_denied"
            } else {
                "provider_error"
            };
            self.login_failed(&login, code).await;
            return Err(FlowError::ProviderDenied(code));
        }
        let code = params
            .code
            .as_deref()
            .filter(|code| !code.is_empty() && code.len() <= 2048)
            .ok_or(FlowError::InvalidCallback)?;
        if !self.logins.claim_login(login.id, now).await? {
            return Err(FlowError::AlreadyUsed(
                crate::core::error::UsedFlow::InProgress,
            ));
        }
        let provider = Arc::clone(self.providers.get(provider_name)?);
        match self.sign_in(provider.as_ref(), &login, code, now).await {
            Ok(finished) => Ok(Some(finished)),
            Err(failure) => {
                self.login_failed(&login, failure.code()).await;
                Err(failure)
            }
        }
    }

    async fn sign_in(
        &self,
        provider: &dyn Provider,
        login: &LoginRecord,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<LoginFinished, FlowError> {
        let verifier = open_login_verifier(&self.keys, login)?;
        let upstream = |source| FlowError::Exchange {
            provider: login.provider.clone(),
            source,
        };
        let grant = provider
            .exchange_code(code, &verifier)
            .await
            .map_err(upstream)?;
        // Until we know who signed in, a refused grant cannot be attributed: revoke it.
        let identity = match provider.identity(&grant, now).await {
            Ok(identity) => identity,
            Err(source) => {
                revoke_refused_grant(provider, &grant).await;
                return Err(upstream(source));
            }
        };
        let Ok(email) = Email::parse(&identity.email) else {
            revoke_refused_grant(provider, &grant).await;
            return Err(FlowError::EmailUnverified);
        };
        if let Err(refused) = self.check_account(provider, login, &identity, &email).await {
            discard_grant(
                self.credentials.as_ref(),
                provider,
                &email,
                &login.provider,
                &grant,
            )
            .await;
            return Err(refused);
        }
        let record = sealed_grant(
            &self.keys,
            SignedInAccount {
                user_email: email.as_str(),
                provider: &login.provider,
                account_email: email.as_str(),
                subject: identity.subject.clone(),
            },
            &grant,
            &login.scopes,
            now,
        );
        let cookie = random::token();
        let session = BrowserSessionRecord {
            id_hash: random::digest(cookie.expose_secret()),
            user_subject: identity.subject,
            user_email: email.as_str().to_owned(),
            provider: login.provider.clone(),
            created_at: now,
            idle_expires_at: now + self.settings.browser_session_idle,
            absolute_expires_at: now + self.settings.browser_session_absolute,
        };
        self.logins.complete_login(&record, &session, now).await?;
        self.cache.invalidate(&record.provider, &record.user_email);
        self.audit
            .oauth_event(
                None,
                Some(email.as_str()),
                AuditAction::OAuthLoginCompleted,
                AuditOutcome::Ok,
                Some(login.provider.clone()),
            )
            .await;
        tracing::info!(login_id = %login.id, provider = %login.provider, "signed in at the gateway");
        Ok(LoginFinished {
            return_to: login.return_to.clone(),
            session: SetCookie {
                name: SESSION_COOKIE.to_owned(),
                value: cookie,
                max_age_secs: self.settings.browser_session_absolute.num_seconds(),
            },
        })
    }

    /// Who signed in may sign in here: a verified email in the hosted domain (if one is
    /// set), not another account (`sub`) behind an email already in the vault, and the
    /// same account when one was asked to sign in again.
    async fn check_account(
        &self,
        provider: &dyn Provider,
        login: &LoginRecord,
        identity: &Identity,
        email: &Email,
    ) -> Result<(), FlowError> {
        if !identity.email_verified {
            return Err(FlowError::EmailUnverified);
        }
        check_hosted_domain(provider, identity)?;
        let stored = self
            .credentials
            .credential(email.as_str(), &login.provider)
            .await?;
        let other_subject = stored
            .as_ref()
            .and_then(|credential| credential.account_subject.as_deref())
            .is_some_and(|subject| subject != identity.subject);
        let not_expected = login
            .expected_subject
            .as_deref()
            .is_some_and(|expected| expected != identity.subject);
        if not_expected {
            return Err(FlowError::AccountMismatch {
                expected: "the account already signed in at this gateway".to_owned(),
            });
        }
        if other_subject {
            return Err(FlowError::AccountMismatch {
                expected: format!("the {email} account signed in here before"),
            });
        }
        Ok(())
    }

    async fn login_failed(&self, login: &LoginRecord, code: &'static str) {
        tracing::warn!(login_id = %login.id, code, "sign-in at the gateway failed");
        self.audit
            .oauth_event(
                None,
                None,
                AuditAction::OAuthLoginFailed,
                AuditOutcome::SignInFailed(code),
                Some(login.provider.clone()),
            )
            .await;
    }
}

/// The key-ring binding of a login's verifier: a session-verifier binding under an id
/// no sign-in session can have (`login:` prefix), so a ciphertext moved between the two
/// tables does not open.
fn login_binding(id: Uuid) -> String {
    format!("login:{id}")
}

fn open_login_verifier(keys: &KeyRing, login: &LoginRecord) -> Result<SecretString, FlowError> {
    Ok(keys
        .open(
            Binding::SessionVerifier {
                session_id: &login_binding(login.id),
            },
            &login.pkce_verifier.key_id,
            &login.pkce_verifier.ciphertext,
        )
        .map_err(CoreError::from)?)
}
