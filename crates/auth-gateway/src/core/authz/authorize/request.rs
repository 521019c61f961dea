//! Reading and checking an authorization request (OAuth 2.1 §4.1.1, RFC 7636, RFC 8707).
//! The order matters: until the client and its redirect URI are verified, a bad request
//! gets an error *page* (RFC 6749 §4.1.2.1: never redirect to an unverified URI); after
//! that, an error goes back to the client on its redirect URI with `state` and `iss`.

use crate::core::authz::oauth_error::{OAuthError, OAuthErrorCode};
use crate::core::authz::params::Params;
use crate::core::authz::redirects::redirect_uri_matches;
use crate::core::authz::resources::{canonical_uri, resource_scope};
use crate::store::{OAuthClientRecord, ResourceRecord};

/// Longest authorization request query read.
pub const MAX_QUERY_LEN: usize = 8192;
/// The one PKCE method accepted (OAuth 2.1 §4.1.1: `plain` is not).
const S256: &str = "S256";
/// A scope some clients add by habit; refresh tokens are always issued, so it is ignored.
const OFFLINE_ACCESS: &str = "offline_access";

/// Why an authorization request cannot even be answered on the client's redirect URI.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizePageError {
    #[error("the authorization request is malformed: {0}")]
    Malformed(String),
    #[error("the authorization request names no client_id")]
    MissingClient,
    #[error("unknown client")]
    UnknownClient,
    #[error("the authorization request names no redirect_uri")]
    MissingRedirect,
    #[error("redirect_uri is not registered for this client")]
    RedirectMismatch,
    /// The consent form came back without the token of the session it was shown to.
    #[error("the consent form is stale or was not sent from this gateway")]
    Forged,
    /// The consent form came back from a browser that is not signed in.
    #[error("not signed in")]
    NotSignedIn,
    #[error(transparent)]
    Core(#[from] crate::core::error::CoreError),
}

impl From<crate::store::StoreError> for AuthorizePageError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Core(error.into())
    }
}

/// The parameters of an authorization request, each present at most once.
#[derive(Debug, Default)]
pub struct RawRequest {
    params: Params,
}

impl RawRequest {
    /// Parses a query; a parameter sent twice is refused (RFC 6749 §3.1).
    pub fn parse(query: &str) -> Result<Self, AuthorizePageError> {
        if query.len() > MAX_QUERY_LEN {
            return Err(AuthorizePageError::Malformed(format!(
                "longer than {MAX_QUERY_LEN} bytes"
            )));
        }
        let params = Params::parse(query.as_bytes())
            .map_err(|error| AuthorizePageError::Malformed(error.description))?;
        Ok(Self { params })
    }

    /// A parameter's value; one sent empty counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// Checks the client and its redirect URI; from here on errors can be redirected.
    pub fn verified_client(
        &self,
        client: Option<OAuthClientRecord>,
    ) -> Result<(OAuthClientRecord, String), AuthorizePageError> {
        let client = client.ok_or(AuthorizePageError::UnknownClient)?;
        let redirect_uri = self
            .get("redirect_uri")
            .ok_or(AuthorizePageError::MissingRedirect)?;
        if !redirect_uri_matches(&client.redirect_uris, redirect_uri) {
            return Err(AuthorizePageError::RedirectMismatch);
        }
        Ok((client, redirect_uri.to_owned()))
    }

    /// The canonical form of the `resource` parameter (RFC 8707 §2: required here).
    pub fn resource_uri(&self) -> Result<String, OAuthError> {
        let resource = self.get("resource").ok_or_else(|| {
            OAuthError::invalid_request(
                "resource is required: the canonical URI of the MCP server (RFC 8707)",
            )
        })?;
        canonical_uri(resource)
            .map_err(|error| OAuthError::new(OAuthErrorCode::InvalidTarget, error.to_string()))
    }

    /// The request's PKCE challenge, `response_type` and scope, checked against the
    /// resource it names.
    pub fn checked(&self, resource: &ResourceRecord) -> Result<Checked, OAuthError> {
        if self.get("response_type") != Some("code") {
            return Err(OAuthError::new(
                OAuthErrorCode::UnsupportedResponseType,
                "response_type must be code",
            ));
        }
        let challenge = self.get("code_challenge").ok_or_else(|| {
            OAuthError::invalid_request("code_challenge is required (PKCE, RFC 7636)")
        })?;
        if self.get("code_challenge_method") != Some(S256) {
            return Err(OAuthError::invalid_request(
                "code_challenge_method must be S256",
            ));
        }
        // An S256 challenge is a base64url SHA-256: 43 characters.
        if challenge.len() != 43
            || !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(OAuthError::invalid_request(
                "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
            ));
        }
        let scope = resource_scope(&resource.uri);
        let requested_other = self.get("scope").is_some_and(|requested| {
            requested
                .split(' ')
                .filter(|token| !token.is_empty())
                .any(|token| token != scope && token != OFFLINE_ACCESS)
        });
        if requested_other {
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidScope,
                format!("this resource's only scope is {scope}"),
            ));
        }
        Ok(Checked {
            code_challenge: challenge.to_owned(),
            scope,
            always_ask: self.get("prompt").is_some_and(|prompt| {
                prompt
                    .split(' ')
                    .any(|value| value == "consent" || value == "login")
            }),
        })
    }
}

/// What the request asks for, once checked.
#[derive(Debug, Clone)]
pub struct Checked {
    pub code_challenge: String,
    /// The gateway scope granted: the resource's one scope.
    pub scope: String,
    /// `prompt=consent` (or `login`): show the consent page even if remembered.
    pub always_ask: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_sent_twice_is_refused() {
        assert!(RawRequest::parse("client_id=a&client_id=b").is_err());
        let request = RawRequest::parse("client_id=a&state=").unwrap_or_default();
        assert_eq!(request.get("client_id"), Some("a"));
        assert_eq!(request.get("state"), None);
    }
}
