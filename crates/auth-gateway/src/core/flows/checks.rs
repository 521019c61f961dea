//! The checks every request-driven flow makes before touching a grant: the scopes asked
//! for are ones the provider allows, and the client may use the provider and scopes.

use crate::core::audit::{AuditAction, AuditLog, AuditOutcome};
use crate::core::client::Client;
use crate::core::error::{CoreError, FlowError};
use crate::domain::{Email, InvalidScope, ScopeSet};
use crate::upstream::{Identity, Provider};

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

/// When the provider is restricted to one hosted domain (`GOOGLE_HOSTED_DOMAIN`), the
/// account signed in must carry exactly that `hd`: the authorization URL's `hd` is only
/// a hint the user can remove, and an account's email domain proves no membership.
pub fn check_hosted_domain(provider: &dyn Provider, identity: &Identity) -> Result<(), FlowError> {
    let Some(expected) = provider.hosted_domain() else {
        return Ok(());
    };
    let member = identity
        .hosted_domain
        .as_deref()
        .is_some_and(|domain| domain.eq_ignore_ascii_case(expected));
    if member {
        Ok(())
    } else {
        Err(FlowError::HostedDomainMismatch {
            expected: expected.to_owned(),
        })
    }
}
