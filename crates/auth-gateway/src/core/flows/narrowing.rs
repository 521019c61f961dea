//! Scope allow-lists enforced when a token is handed out (docs/threat-model.md A3): a
//! grant is shared by every client that serves its user, so a client allowed fewer
//! scopes than the grant carries gets a token minted with only those it may hold (a
//! refresh that names a subset, RFC 6749 §6), never the grant's own token. When the
//! provider cannot narrow, the request is refused with `scope_not_allowed`.

use super::credentials::{IssuedToken, credential_binding};
use super::refresh::{DEFAULT_TOKEN_LIFETIME_SECS, RETRY_AFTER_SECS, RefreshRequest, Refresher};
use crate::core::audit::AuditOutcome;
use crate::core::error::CoreError;
use crate::core::runtime::narrowed_tokens::{NarrowedToken, narrowed_key};
use crate::core::runtime::retry;
use crate::domain::ScopeSet;
use crate::store::{CredentialRecord, RefreshedTokens};
use crate::upstream::{TokenGrant, UpstreamError};
use chrono::{DateTime, Utc};

impl Refresher {
    /// A token of `credential`'s grant carrying only the scopes the client may hold:
    /// the one kept while the row is unchanged and it is valid past `valid_after` (and,
    /// with `minted_since`, was minted since then: the provider rejected an older one),
    /// else one minted now.
    pub async fn narrowed(
        &self,
        request: &RefreshRequest<'_>,
        credential: &CredentialRecord,
        valid_after: DateTime<Utc>,
        minted_since: Option<DateTime<Utc>>,
    ) -> Result<IssuedToken, CoreError> {
        let RefreshRequest {
            client,
            provider,
            email,
            ..
        } = *request;
        let defaults = provider.default_scopes();
        let permitted = ScopeSet::from_trusted(
            credential
                .scopes
                .iter()
                .filter(|scope| client.may_hold(scope, defaults))
                .cloned(),
        );
        if permitted.is_empty() {
            return Err(refused(request, credential));
        }
        let key = narrowed_key(provider.name(), email.as_str(), &permitted);
        let kept = || {
            self.cache
                .narrowed
                .get(&key, credential.version, valid_after)
                .filter(|token| minted_since.is_none_or(|since| token.minted_at >= since))
        };
        if let Some(token) = kept() {
            return Ok(issued(token, false));
        }
        let _flight = self.flights.lock(email.as_str(), provider.name()).await;
        // A request that waited on the lock may find the token its predecessor minted.
        if let Some(token) = kept() {
            return Ok(issued(token, false));
        }
        let now = self.clock.now();
        let Some(grant) = self
            .refresh_narrowed(request, credential, &permitted, now)
            .await?
        else {
            return Err(refused(request, credential));
        };
        // The answer's `scope` is the truth about the token (RFC 6749 §5.1: absent when
        // it is what was asked); a provider that ignored the subset must not leak it.
        let scopes = grant
            .scope
            .as_deref()
            .map_or_else(|| permitted.clone(), ScopeSet::from_space_separated);
        if let Some(extra) = scopes
            .iter()
            .find(|scope| !client.may_hold(scope, defaults))
        {
            tracing::warn!(
                provider = provider.name(),
                "provider ignored the narrowed scope; token withheld"
            );
            return Err(CoreError::ForbiddenScope(extra.chars().take(256).collect()));
        }
        let source_version = self
            .keep_rotated_refresh_token(credential, &grant, now)
            .await?;
        self.audit_refresh(client, email, provider.name(), AuditOutcome::Ok)
            .await;
        let lifetime = grant
            .expires_in
            .and_then(|secs| i64::try_from(secs).ok())
            .unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS);
        let token = NarrowedToken {
            source_version,
            minted_at: now,
            access_token: grant.access_token,
            expires_at: now + chrono::Duration::seconds(lifetime),
            scopes: scopes.to_vec(),
        };
        self.cache.narrowed.insert(key, token.clone());
        Ok(issued(token, true))
    }

    /// Asks the provider for a token carrying only `permitted`; `None` when it cannot
    /// narrow (no refresh token, or a refusal other than a dead grant).
    async fn refresh_narrowed(
        &self,
        request: &RefreshRequest<'_>,
        credential: &CredentialRecord,
        permitted: &ScopeSet,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenGrant>, CoreError> {
        let RefreshRequest {
            client,
            provider,
            email,
            ..
        } = *request;
        let Some(sealed_refresh) = &credential.refresh_token else {
            return Ok(None);
        };
        let refresh_token = self.keys.open(
            credential_binding(credential, "refresh_token"),
            &sealed_refresh.key_id,
            &sealed_refresh.ciphertext,
        )?;
        match retry::with_backoff(|| provider.refresh_narrowed(&refresh_token, permitted)).await {
            Ok(grant) => Ok(Some(grant)),
            Err(UpstreamError::InvalidGrant) => {
                match self.grant_rejected(request, credential, now).await {
                    Err(error) => Err(error),
                    // A peer replaced the grant meanwhile; what it serves is the row's own
                    // token, so the caller retries and is narrowed from the new row.
                    Ok(_) => Err(CoreError::ProviderUnavailable {
                        retry_after_secs: 1,
                        source: UpstreamError::InvalidGrant,
                    }),
                }
            }
            Err(UpstreamError::Rejected(code)) => {
                tracing::warn!(
                    provider = provider.name(),
                    code,
                    "provider refused to narrow a token's scopes"
                );
                Ok(None)
            }
            Err(error) => {
                tracing::warn!(provider = provider.name(), %error, "narrowed refresh failed");
                self.audit_refresh(client, email, provider.name(), AuditOutcome::ProviderError)
                    .await;
                Err(CoreError::ProviderUnavailable {
                    retry_after_secs: RETRY_AFTER_SECS,
                    source: error,
                })
            }
        }
    }

    /// A provider that rotates refresh tokens on every use returns a new one here too:
    /// it is stored (fenced on the row's version) while the row's own access token, which
    /// other clients are served, stays. Returns the row's version the token belongs to.
    async fn keep_rotated_refresh_token(
        &self,
        credential: &CredentialRecord,
        grant: &TokenGrant,
        now: DateTime<Utc>,
    ) -> Result<i64, CoreError> {
        let Some(rotated) = &grant.refresh_token else {
            return Ok(credential.version);
        };
        let tokens = RefreshedTokens {
            access_token: credential.access_token.clone(),
            refresh_token: Some(
                self.keys
                    .seal(credential_binding(credential, "refresh_token"), rotated),
            ),
            expires_at: credential.expires_at,
            scopes: None,
        };
        let stored = self
            .store
            .store_refreshed(
                &credential.user_email,
                &credential.provider,
                credential.version,
                &tokens,
                now,
            )
            .await?;
        self.cache
            .invalidate(&credential.provider, &credential.user_email);
        // A peer wrote first: the token is still good, but kept for no row version.
        Ok(stored.map_or(-1, |record| record.version))
    }
}

/// The refusal when no narrowed token can be had: names a scope the client may not hold.
fn refused(request: &RefreshRequest<'_>, credential: &CredentialRecord) -> CoreError {
    let defaults = request.provider.default_scopes();
    let scope = credential
        .scopes
        .iter()
        .find(|scope| !request.client.may_hold(scope, defaults))
        .map_or_else(String::new, |scope| scope.chars().take(256).collect());
    CoreError::ForbiddenScope(scope)
}

fn issued(token: NarrowedToken, refreshed: bool) -> IssuedToken {
    IssuedToken {
        access_token: token.access_token,
        expires_at: token.expires_at,
        scopes: token.scopes,
        refreshed,
    }
}
