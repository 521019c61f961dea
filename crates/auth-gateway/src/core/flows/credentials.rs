//! A stored credential as a request sees it: whether it can serve (present, not
//! rejected, covering the scopes), the sign-in to ask for when not, and its token opened.

use super::sessions::SessionOpener;
use crate::core::client::Client;
use crate::core::crypto::{Binding, KeyRing};
use crate::core::error::{CoreError, SignInReason};
use crate::domain::{CredentialStatus, Email, ScopeSet};
use crate::store::{CredentialRecord, CredentialStore};
use crate::upstream::Provider;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::sync::Arc;

/// A valid access token for the caller.
#[derive(Debug)]
pub struct IssuedToken {
    pub access_token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
    /// True when this request refreshed the token at the provider.
    pub refreshed: bool,
}

/// Judges and opens stored credentials. Uses: `CredentialStore` (and `SessionStore` through
/// the opener).
pub struct Credentials {
    pub(in crate::core) store: Arc<dyn CredentialStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) sessions: Arc<SessionOpener>,
}

impl Credentials {
    /// Reads the credential again and issues it if it can serve this request.
    pub async fn reread_and_issue(
        &self,
        client: &Client,
        provider: &dyn Provider,
        email: &Email,
        required: &ScopeSet,
    ) -> Result<IssuedToken, CoreError> {
        let credential = self
            .store
            .credential(email.as_str(), provider.name())
            .await?;
        let credential = self
            .usable(client, provider, email, required, credential)
            .await?;
        self.issue(&credential)
    }

    /// The credential if it can serve this request, else the sign-in to ask for.
    pub async fn usable(
        &self,
        client: &Client,
        provider: &dyn Provider,
        email: &Email,
        required: &ScopeSet,
        credential: Option<CredentialRecord>,
    ) -> Result<CredentialRecord, CoreError> {
        let Some(credential) = credential else {
            let scopes = provider.default_scopes().union(required);
            let link = self
                .sessions
                .open_or_reuse(client, provider, email, &scopes)
                .await?;
            return Err(CoreError::SignInRequired {
                reason: SignInReason::NotAuthenticated,
                link,
            });
        };
        if credential.status == CredentialStatus::NeedsReauth {
            return Err(self
                .sign_in_required(
                    client,
                    provider,
                    email,
                    &credential,
                    required,
                    SignInReason::NeedsReauth,
                )
                .await);
        }
        let granted = ScopeSet::from_trusted(credential.scopes.iter().cloned());
        let missing = required.missing_from(&granted);
        if !missing.is_empty() {
            return Err(self
                .sign_in_required(
                    client,
                    provider,
                    email,
                    &credential,
                    required,
                    SignInReason::InsufficientScope { missing },
                )
                .await);
        }
        Ok(credential)
    }

    /// Opens a session asking for what the grant has plus what is required.
    pub async fn sign_in_required(
        &self,
        client: &Client,
        provider: &dyn Provider,
        email: &Email,
        credential: &CredentialRecord,
        required: &ScopeSet,
        reason: SignInReason,
    ) -> CoreError {
        let scopes = provider
            .default_scopes()
            .union(&ScopeSet::from_trusted(credential.scopes.iter().cloned()))
            .union(required);
        match self
            .sessions
            .open_or_reuse(client, provider, email, &scopes)
            .await
        {
            Ok(link) => CoreError::SignInRequired { reason, link },
            Err(error) => error,
        }
    }

    /// The credential's access token, opened.
    pub fn issue(&self, credential: &CredentialRecord) -> Result<IssuedToken, CoreError> {
        // A failure is logged once, with the request's user and provider, by the error map.
        let access_token = self.keys.open(
            credential_binding(credential, "access_token"),
            &credential.access_token.key_id,
            &credential.access_token.ciphertext,
        )?;
        Ok(IssuedToken {
            access_token,
            expires_at: credential.expires_at,
            scopes: credential.scopes.clone(),
            refreshed: false,
        })
    }
}

/// What a credential's `field` is sealed to: its row.
pub fn credential_binding<'a>(credential: &'a CredentialRecord, field: &'a str) -> Binding<'a> {
    Binding::Credential {
        user_email: &credential.user_email,
        provider: &credential.provider,
        field,
    }
}
