//! `GET /auth/providers/{user_email}`: which providers a user has signed in to.

use super::checks::parse_email;
use crate::core::client::Client;
use crate::core::error::CoreError;
use crate::domain::{CredentialStatus, Email};
use crate::store::CredentialStore;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// One provider grant of a user, for `GET /auth/providers/{user_email}`.
#[derive(Debug, Clone)]
pub struct GrantSummary {
    pub provider: String,
    pub scopes: Vec<String>,
    pub authenticated_at: DateTime<Utc>,
    pub token_expires_at: DateTime<Utc>,
}

/// Lists grants. Uses: `CredentialStore`.
pub struct GrantList {
    pub(in crate::core) store: Arc<dyn CredentialStore>,
}

impl GrantList {
    /// `GET /auth/providers/{user_email}`: the user's active grants at the providers the
    /// client may use.
    pub async fn grants(
        &self,
        client: &Client,
        user_email: &str,
    ) -> Result<(Email, Vec<GrantSummary>), CoreError> {
        let email = parse_email(user_email)?;
        let grants = self
            .store
            .credentials_for_user(email.as_str())
            .await?
            .into_iter()
            .filter(|credential| {
                credential.status == CredentialStatus::Active
                    && client.check_provider(&credential.provider).is_ok()
            })
            .map(|credential| GrantSummary {
                provider: credential.provider,
                scopes: credential.scopes,
                authenticated_at: credential.authenticated_at,
                token_expires_at: credential.expires_at,
            })
            .collect();
        Ok((email, grants))
    }
}
