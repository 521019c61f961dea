//! The token endpoint's grants: an authorization code with its PKCE verifier (RFC 6749
//! §4.1.3, RFC 7636 §4.5–4.6) and a refresh token, rotated on every use (OAuth 2.1
//! §4.3.1, RFC 9700 §4.14.2: a reused one revokes its whole family).

use super::oauth_error::{OAuthError, OAuthErrorCode};
use super::params::Params;
use super::resources::canonical_uri;
use super::token_endpoint::{TokenEndpoint, TokenResponse};
use crate::core::audit::AuditAction;
use crate::core::random;
use crate::store::{AuthorizationGrantRecord, CodeRedemption, OAuthClientRecord, RefreshRotation};
use subtle::ConstantTimeEq as _;

const OK: &str = "ok";

impl TokenEndpoint {
    /// `grant_type=authorization_code`. The code is redeemed (and so spent) before the
    /// other checks: a code tried with the wrong verifier or client cannot be tried again,
    /// and its rightful redemption then reads as a replay and revokes the grant.
    pub(super) async fn authorization_code(
        &self,
        client: &OAuthClientRecord,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let code = params.require("code")?;
        let redirect_uri = params.require("redirect_uri")?;
        let verifier = params.require("code_verifier")?;
        if !valid_verifier(verifier) {
            return Err(OAuthError::invalid_request(
                "code_verifier must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)",
            ));
        }
        let resource = optional_resource(params)?;
        let (code, grant) = match self
            .grants
            .redeem_code(&random::digest(code), self.now())
            .await?
        {
            CodeRedemption::Redeemed { code, grant } => (code, grant),
            CodeRedemption::Unknown => {
                return Err(OAuthError::invalid_grant("the code is unknown or expired"));
            }
            CodeRedemption::Replayed { grant_id } => {
                let grant = self.grants.grant(grant_id).await.ok().flatten();
                let error = OAuthError::invalid_grant("the code was already used");
                let detail = detail(grant.as_ref(), "code replayed; the grant is revoked");
                self.refused(client, grant.as_ref(), &error, detail).await;
                return Err(error);
            }
        };
        let checks = [
            (grant.revoked_at.is_some(), "the authorization was revoked"),
            (
                grant.client_id != client.client_id,
                "the code was issued to another client",
            ),
            (
                code.redirect_uri != redirect_uri,
                "redirect_uri differs from the authorization request's",
            ),
            (
                !pkce_matches(verifier, &code.code_challenge),
                "code_verifier does not match the code_challenge",
            ),
        ];
        if let Some((_, why)) = checks.iter().find(|(failed, _)| *failed) {
            let error = OAuthError::invalid_grant(*why);
            self.refused(client, Some(&grant), &error, detail(Some(&grant), why))
                .await;
            return Err(error);
        }
        check_resource(resource.as_deref(), &grant)?;
        let response = self.issue(&grant, &grant.scope, None).await?;
        self.audit(
            AuditAction::OAuthTokenIssued,
            client,
            Some(&grant),
            OK,
            grant.resource.clone(),
        )
        .await;
        Ok(response)
    }

    /// `grant_type=refresh_token`. A current token is checked against the request before
    /// it is rotated, so a wrong scope or resource does not spend it.
    pub(super) async fn refresh_token(
        &self,
        client: &OAuthClientRecord,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        let presented = random::digest(params.require("refresh_token")?);
        let resource = optional_resource(params)?;
        let now = self.now();
        let current = self.grants.grant_of_refresh_token(&presented, now).await?;
        if let Some(grant) = &current {
            check_refresh(client, params, resource.as_deref(), grant)?;
        }
        // The grant of a used token is unknown until the rotation says: the store takes
        // the family from the presented token's row.
        let grant_id = current
            .as_ref()
            .map_or_else(uuid::Uuid::nil, |grant| grant.id);
        let (token, new) = self.new_refresh_token(grant_id);
        let grace_since = now - self.settings.refresh_reuse_grace;
        let grant = match self
            .grants
            .rotate_refresh_token(&presented, &new, now, grace_since)
            .await?
        {
            RefreshRotation::Rotated { grant } | RefreshRotation::Reissued { grant } => grant,
            RefreshRotation::Invalid => {
                return Err(OAuthError::invalid_grant(
                    "the refresh token is unknown, expired or revoked",
                ));
            }
            RefreshRotation::Reused { grant_id } => {
                let grant = self.grants.grant(grant_id).await.ok().flatten();
                let error = OAuthError::invalid_grant("the refresh token was already used");
                let why = "refresh token reused; the grant is revoked";
                self.refused(client, grant.as_ref(), &error, detail(grant.as_ref(), why))
                    .await;
                return Err(error);
            }
        };
        check_refresh(client, params, resource.as_deref(), &grant)?;
        let scope = params.get("scope").unwrap_or(&grant.scope).to_owned();
        let response = self.issue(&grant, &scope, Some(token)).await?;
        self.audit(
            AuditAction::OAuthTokenRefreshed,
            client,
            Some(&grant),
            OK,
            grant.resource.clone(),
        )
        .await;
        Ok(response)
    }

    async fn refused(
        &self,
        client: &OAuthClientRecord,
        grant: Option<&AuthorizationGrantRecord>,
        error: &OAuthError,
        detail: String,
    ) {
        let outcome = error.code.as_str();
        self.audit(
            AuditAction::OAuthTokenRefused,
            client,
            grant,
            outcome,
            detail,
        )
        .await;
    }
}

/// The audit detail of a refusal: the resource, then what happened.
fn detail(grant: Option<&AuthorizationGrantRecord>, why: &str) -> String {
    match grant {
        Some(grant) => format!("{}: {why}", grant.resource),
        None => why.to_owned(),
    }
}

/// A refresh request fits its grant: same client, a scope within the grant's (RFC 6749
/// §6), the grant's resource if one is named.
fn check_refresh(
    client: &OAuthClientRecord,
    params: &Params,
    resource: Option<&str>,
    grant: &AuthorizationGrantRecord,
) -> Result<(), OAuthError> {
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if let Some(scope) = params.get("scope") {
        let granted: Vec<&str> = grant.scope.split_whitespace().collect();
        if !scope
            .split_whitespace()
            .all(|asked| granted.contains(&asked))
        {
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidScope,
                format!("the scope must be within the granted one: {}", grant.scope),
            ));
        }
    }
    check_resource(resource, grant)
}

/// An optional `resource` (RFC 8707) in its canonical form; one that is not a valid
/// resource URI is `invalid_target`.
fn optional_resource(params: &Params) -> Result<Option<String>, OAuthError> {
    params
        .get("resource")
        .map(|text| {
            canonical_uri(text)
                .map_err(|error| OAuthError::new(OAuthErrorCode::InvalidTarget, error.to_string()))
        })
        .transpose()
}

/// A named resource must be the grant's (RFC 8707 §2.2: tokens are for the resource
/// that was authorized).
fn check_resource(
    resource: Option<&str>,
    grant: &AuthorizationGrantRecord,
) -> Result<(), OAuthError> {
    match resource {
        Some(resource) if resource != grant.resource => Err(OAuthError::new(
            OAuthErrorCode::InvalidTarget,
            format!("resource must be the authorized one: {}", grant.resource),
        )),
        _ => Ok(()),
    }
}

/// RFC 7636 §4.1: 43–128 characters of the unreserved set.
fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 §4.6, S256 (the only method accepted), compared in constant time.
fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let computed = random::pkce_challenge(verifier);
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_follow_rfc_7636() {
        assert!(valid_verifier(&"a".repeat(43)));
        assert!(valid_verifier(&"A-._~9".repeat(22)[..128]));
        assert!(!valid_verifier(&"a".repeat(42)));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}+", "a".repeat(43))));
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXk-kEjXk",
            "JIR41DDhPj7MhvjRSfrWp1B4L4s-HZqJOIzA-517L3k"
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXk-kEjXk",
            "x"
        ));
    }
}
