//! The user's own page at the gateway: the connections in the vault (provider, scopes,
//! status, last use) and the MCP clients they authorized, each revocable, and signing
//! out. Every change is a POST carrying the session's CSRF token.

use super::authorize::browser::{self, csrf_matches};
use crate::core::audit::{AuditAction, AuditLog, AuditOutcome};
use crate::core::clock::Clock;
use crate::core::error::CoreError;
use crate::core::flows::revoke::Revoker;
use crate::domain::{AuthorizationSettings, CredentialStatus, Email};
use crate::store::{
    AuthorizationStore, BrowserSessionRecord, CredentialStore, LoginStore, OAuthClientStore,
};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One connection of the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionView {
    pub provider: String,
    pub scopes: Vec<String>,
    pub needs_reauth: bool,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// One MCP client the user authorized, with the servers it may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedClientView {
    pub client_id: String,
    pub client_name: Option<String>,
    pub resources: Vec<String>,
    pub since: DateTime<Utc>,
}

/// What the page shows.
#[derive(Debug, Clone)]
pub struct AccountView {
    pub email: String,
    pub connections: Vec<ConnectionView>,
    pub clients: Vec<AuthorizedClientView>,
    pub csrf: String,
}

/// What a form on the page asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountAction {
    RevokeClient(String),
    RevokeConnection(String),
    SignOut,
}

/// Why a form on the page was not applied.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("not signed in")]
    NotSignedIn,
    #[error("the form is stale or was not sent from this gateway")]
    Forged,
    #[error("there is no such connection or client to revoke")]
    NotFound,
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl From<crate::store::StoreError> for AccountError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Core(error.into())
    }
}

/// The user's page. Uses: `LoginStore`, `AuthorizationStore`, `CredentialStore`,
/// `OAuthClientStore`, and the revoker for connections.
pub struct Account {
    pub(in crate::core) logins: Arc<dyn LoginStore>,
    pub(in crate::core) authorizations: Arc<dyn AuthorizationStore>,
    pub(in crate::core) credentials: Arc<dyn CredentialStore>,
    pub(in crate::core) clients: Arc<dyn OAuthClientStore>,
    pub(in crate::core) revoker: Revoker,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) audit: Arc<AuditLog>,
    pub(in crate::core) settings: AuthorizationSettings,
}

impl Account {
    /// The page's content; `None` when the browser is not signed in.
    pub async fn view(&self, cookie: Option<&str>) -> Result<Option<AccountView>, CoreError> {
        let Some(session) = self.session(cookie).await? else {
            return Ok(None);
        };
        let connections = self
            .credentials
            .credentials_for_user(&session.user_email)
            .await?
            .into_iter()
            .map(|credential| ConnectionView {
                provider: credential.provider,
                scopes: credential.scopes,
                needs_reauth: credential.status == CredentialStatus::NeedsReauth,
                last_used_at: credential.last_used_at,
            })
            .collect();
        let mut by_client: BTreeMap<String, AuthorizedClientView> = BTreeMap::new();
        for consent in self
            .authorizations
            .consents_for_user(&session.user_subject)
            .await?
        {
            let entry = by_client
                .entry(consent.client_id.clone())
                .or_insert_with(|| AuthorizedClientView {
                    client_id: consent.client_id.clone(),
                    client_name: None,
                    resources: Vec::new(),
                    since: consent.granted_at,
                });
            entry.resources.push(consent.resource);
            entry.since = entry.since.min(consent.granted_at);
        }
        for client in by_client.values_mut() {
            client.client_name = self
                .clients
                .oauth_client(&client.client_id)
                .await?
                .and_then(|record| record.client_name);
        }
        Ok(Some(AccountView {
            email: session.user_email,
            connections,
            clients: by_client.into_values().collect(),
            csrf: browser::csrf_token(cookie.unwrap_or_default()),
        }))
    }

    /// Applies a form of the page, after checking the session and its CSRF token.
    pub async fn act(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        action: &AccountAction,
    ) -> Result<(), AccountError> {
        let cookie = cookie.ok_or(AccountError::NotSignedIn)?;
        if !csrf_matches(cookie, csrf) {
            return Err(AccountError::Forged);
        }
        let session = self
            .session(Some(cookie))
            .await?
            .ok_or(AccountError::NotSignedIn)?;
        match action {
            AccountAction::SignOut => {
                if let Some(hash) = browser::session_hash(cookie) {
                    self.logins.delete_browser_session(&hash).await?;
                }
                Ok(())
            }
            AccountAction::RevokeClient(client_id) => {
                let revoked = self
                    .authorizations
                    .revoke_client_authorization(&session.user_subject, client_id, self.clock.now())
                    .await?;
                self.audit
                    .oauth_event(
                        Some(client_id),
                        Some(&session.user_email),
                        AuditAction::OAuthAuthorizationRevoked,
                        AuditOutcome::Ok,
                        Some(format!("by the user; {revoked} grant(s)")),
                    )
                    .await;
                Ok(())
            }
            AccountAction::RevokeConnection(provider) => {
                let email = Email::parse(&session.user_email).map_err(CoreError::from)?;
                match self.revoker.revoke_by_user(provider, &email, "user").await {
                    Ok(_) => Ok(()),
                    Err(CoreError::CredentialNotFound | CoreError::UnknownProvider { .. }) => {
                        Err(AccountError::NotFound)
                    }
                    Err(error) => Err(error.into()),
                }
            }
        }
    }

    async fn session(
        &self,
        cookie: Option<&str>,
    ) -> Result<Option<BrowserSessionRecord>, CoreError> {
        Ok(browser::signed_in(
            self.logins.as_ref(),
            self.clock.now(),
            self.settings.browser_session_idle,
            cookie,
        )
        .await?)
    }
}
