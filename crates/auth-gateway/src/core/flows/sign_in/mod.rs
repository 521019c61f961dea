//! The sign-in flow (G3, G4): start a session ([`start`]), open the connect link (bind
//! the browser, redirect to the provider: [`connect`]) and handle the provider's
//! callback ([`callback`]). Status reports are in [`super::session_status`]. The
//! values the HTTP layer shows and the checks both ends share are here.

pub mod callback;
pub mod connect;
pub mod grant;
pub mod start;

use crate::core::crypto::{Binding, KeyRing};
use crate::core::error::{CoreError, FlowError, UsedFlow};
use crate::domain::{CredentialStatus, SessionState};
use crate::store::{CredentialStore, SessionRecord};
use secrecy::SecretString;
use uuid::Uuid;

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

/// Why a session can no longer be signed in through: used (and with what result) or
/// expired.
pub async fn finished_flow(
    store: &dyn CredentialStore,
    session_ttl: chrono::Duration,
    session: &SessionRecord,
) -> Result<FlowError, FlowError> {
    let used = match session.state {
        // Only an expired pending session ends up here (a live one is found by its
        // link, or expired between the two reads).
        SessionState::Pending => {
            return Ok(FlowError::Expired {
                lifetime_minutes: session_ttl.num_minutes(),
            });
        }
        SessionState::Exchanging => UsedFlow::InProgress,
        SessionState::Failed => UsedFlow::Failed,
        SessionState::Completed => {
            let active = store
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

/// Opens the session's PKCE verifier, sealed to the session.
pub fn open_verifier(keys: &KeyRing, session: &SessionRecord) -> Result<SecretString, CoreError> {
    let session_id = session.id.to_string();
    Ok(keys.open(
        Binding::SessionVerifier {
            session_id: &session_id,
        },
        &session.pkce_verifier.key_id,
        &session.pkce_verifier.ciphertext,
    )?)
}
