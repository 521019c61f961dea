//! Bearer-token checks shared by the Ads and Analytics routes: which account
//! is calling, and whether its grant carries the API's scope.

use axum::http::{HeaderMap, header};

use super::errors::{ApiError, UNAUTHENTICATED_MESSAGE};
use crate::state::{Inner, TokenStatus};

pub(crate) const ADWORDS_SCOPE: &str = "https://www.googleapis.com/auth/adwords";
pub(crate) const ANALYTICS_READONLY_SCOPE: &str =
    "https://www.googleapis.com/auth/analytics.readonly";
pub(crate) const ANALYTICS_EDIT_SCOPE: &str = "https://www.googleapis.com/auth/analytics.edit";
/// The full Analytics scope implies read access to both APIs.
pub(crate) const ANALYTICS_SCOPE: &str = "https://www.googleapis.com/auth/analytics";

/// Which Google service a route belongs to, for scopes and `ErrorInfo` metadata.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Service {
    /// `googleads.googleapis.com` etc.
    pub name: &'static str,
    /// RPC name for `ErrorInfo.metadata.method`.
    pub method: &'static str,
    /// Any one of these scopes is enough.
    pub scopes: &'static [&'static str],
}

/// Why a request was not authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not a token the emulator minted, or revoked.
    Unknown,
    /// Minted but past its lifetime.
    Expired,
    /// Valid, but the grant lacks every scope the service accepts.
    ScopeInsufficient,
}

/// The email of the account behind the request's bearer token.
pub(crate) fn authenticate(
    inner: &Inner,
    headers: &HeaderMap,
    service: Service,
) -> Result<String, AuthFailure> {
    let token = bearer(headers).ok_or(AuthFailure::Missing)?;
    let (grant, scopes) = match inner.classify_access_token(&token) {
        TokenStatus::Live(grant, scopes) => (grant, scopes),
        TokenStatus::Expired => return Err(AuthFailure::Expired),
        TokenStatus::Unknown => return Err(AuthFailure::Unknown),
    };
    if !scopes.iter().any(|s| service.scopes.contains(&s.as_str())) {
        return Err(AuthFailure::ScopeInsufficient);
    }
    Ok(grant.email.clone())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

impl AuthFailure {
    /// The error Google's front end answers, before any API-specific detail.
    pub(crate) fn plain_error(self, service: Service) -> ApiError {
        match self {
            Self::Missing => ApiError::new(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            )
            .with_error_info("CREDENTIALS_MISSING", service.name, service.method),
            Self::Unknown => ApiError::new(401, UNAUTHENTICATED_MESSAGE),
            Self::Expired => ApiError::new(401, UNAUTHENTICATED_MESSAGE).with_error_info(
                "ACCESS_TOKEN_EXPIRED",
                service.name,
                service.method,
            ),
            Self::ScopeInsufficient => {
                ApiError::permission_denied("Request had insufficient authentication scopes.")
                    .with_error_info(
                        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                        service.name,
                        service.method,
                    )
            }
        }
    }
}
