//! The checks every request-driven flow makes before touching a grant: the scopes asked
//! for are ones the provider allows, and the client may use the provider and scopes.

use crate::core::audit::{AuditAction, AuditLog, AuditOutcome};
use crate::core::client::Client;
use crate::core::error::CoreError;
use crate::domain::{Email, InvalidScope, ScopeSet};
use crate::upstream::Provider;

/// Validates requested scopes against the provider's allow-list.
pub fn checked_scopes(
    provider: &dyn Provider,
    scopes: Option<&[String]>,
) -> Result<ScopeSet, CoreError> {
    let set = ScopeSet::from_request(scopes.unwrap_or_default())?;
    if let Some(refused) = set.iter().find(|scope| !provider.allows_scope(scope)) {
        return Err(InvalidScope::NotAllowed(refused.chars().take(256).collect()).into());
    }
    Ok(set)
}

/// Checks the client may use `provider` and the `requested` scopes; a refusal is audited
/// as `access_denied`.
pub async fn check_allowed(
    audit: &AuditLog,
    client: &Client,
    provider: &dyn Provider,
    email: &Email,
    requested: &ScopeSet,
) -> Result<(), CoreError> {
    let checked = client
        .check_provider(provider.name())
        .and_then(|()| client.check_scopes(requested, provider.default_scopes()));
    if let Err(error) = &checked {
        let outcome = match error {
            CoreError::ForbiddenScope(_) => AuditOutcome::ScopeNotAllowed,
            _ => AuditOutcome::ForbiddenProvider,
        };
        audit
            .grant_event(
                &client.name,
                email.as_str(),
                provider.name(),
                AuditAction::AccessDenied,
                outcome,
            )
            .await;
    }
    checked
}

/// Parses a user's email as given in a request.
pub fn parse_email(raw: &str) -> Result<Email, CoreError> {
    Ok(Email::parse(raw)?)
}
