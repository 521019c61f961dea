//! `POST /auth/init`: a sign-in session for a user at a provider, and its link.

use crate::core::audit::AuditLog;
use crate::core::client::Client;
use crate::core::error::{CoreError, SignInLink};
use crate::core::flows::checks::{check_allowed, checked_scopes, parse_email};
use crate::core::flows::sessions::SessionOpener;
use crate::core::providers::Providers;
use std::sync::Arc;

/// Starts sign-ins. Uses: `SessionStore` (through the opener), `AuditStore`.
pub struct SignInStart {
    pub(in crate::core) providers: Arc<Providers>,
    pub(in crate::core) audit: Arc<AuditLog>,
    pub(in crate::core) sessions: Arc<SessionOpener>,
}

impl SignInStart {
    /// `POST /auth/init`: opens a sign-in session and returns its link.
    pub async fn start(
        &self,
        client: &Client,
        provider: &str,
        user_email: &str,
        scopes: Option<&[String]>,
    ) -> Result<SignInLink, CoreError> {
        // The email is asserted: a verified-only client gets its connect links from token
        // exchange, where the user is the access token's.
        client.check_may_assert_users()?;
        let provider = self.providers.get(provider)?;
        let email = parse_email(user_email)?;
        let requested = checked_scopes(provider.as_ref(), scopes)?;
        check_allowed(&self.audit, client, provider.as_ref(), &email, &requested).await?;
        let scopes = provider.default_scopes().union(&requested);
        self.sessions
            .open(client, provider.as_ref(), &email, &scopes)
            .await
    }
}
