//! What both sign-ins do with the provider's answer (the `/auth/init` flow's callback and
//! the authorization server's own login): seal it as the grant to store, or revoke it when
//! the sign-in is refused, so no live grant is left at the provider that nobody holds.

use crate::core::crypto::{Binding, KeyRing};
use crate::domain::{Email, ScopeSet};
use crate::store::{CredentialStore, SignInGrant};
use crate::upstream::{Provider, TokenGrant};
use chrono::{DateTime, Utc};

/// Lifetime assumed when the provider does not say.
const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 3600;

/// Who signed in, checked.
pub struct SignedInAccount<'a> {
    /// The vault key the grant is stored under.
    pub user_email: &'a str,
    pub provider: &'a str,
    pub account_email: &'a str,
    pub subject: String,
}

/// The grant to store: tokens sealed to their row, the expiry from `expires_in`, and the
/// granted scopes as the provider reported them (else those asked for).
pub fn sealed_grant(
    keys: &KeyRing,
    account: SignedInAccount<'_>,
    grant: &TokenGrant,
    asked_scopes: &[String],
    now: DateTime<Utc>,
) -> SignInGrant {
    let binding = |field| Binding::Credential {
        user_email: account.user_email,
        provider: account.provider,
        field,
    };
    let lifetime = grant.expires_in.unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS);
    SignInGrant {
        user_email: account.user_email.to_owned(),
        provider: account.provider.to_owned(),
        access_token: keys.seal(binding("access_token"), &grant.access_token),
        refresh_token: grant
            .refresh_token
            .as_ref()
            .map(|token| keys.seal(binding("refresh_token"), token)),
        expires_at: now
            + chrono::Duration::seconds(i64::try_from(lifetime).unwrap_or(i64::MAX / 1000)),
        scopes: grant.scope.as_deref().map_or_else(
            || asked_scopes.to_vec(),
            |scope| ScopeSet::from_space_separated(scope).to_vec(),
        ),
        account_email: account.account_email.to_owned(),
        account_subject: account.subject,
    }
}

/// Revokes a refused sign-in's grant at the provider; a failure is only logged (the
/// sign-in is refused either way).
pub async fn revoke_refused_grant(provider: &dyn Provider, grant: &TokenGrant) {
    if let Err(error) = provider.revoke(&grant.access_token).await {
        tracing::warn!(%error, "could not revoke the tokens of a refused sign-in");
    }
}

/// Revokes a refused sign-in's grant of a known account, unless we hold a grant for that
/// account: at Google, revoking one token ends the whole grant, ours included.
pub async fn discard_grant(
    credentials: &dyn CredentialStore,
    provider: &dyn Provider,
    account: &Email,
    provider_name: &str,
    grant: &TokenGrant,
) {
    match credentials
        .credential(account.as_str(), provider_name)
        .await
    {
        Ok(None) => revoke_refused_grant(provider, grant).await,
        Ok(Some(_)) => {}
        Err(error) => tracing::warn!(%error, "could not check for a stored grant"),
    }
}
