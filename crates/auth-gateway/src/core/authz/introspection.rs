//! `POST /oauth/introspect` (RFC 7662) for MCP servers, authenticated as their API client
//! (`api_client_auth`). Resources can verify the JWTs offline; introspection adds what
//! only the gateway knows: whether the grant behind a token was revoked.
//!
//! - An access token is active only if it verifies, its grant is not revoked, and its
//!   `aud` is a resource **owned by the caller**: a token for another client's resource
//!   is answered inactive, so introspection tells a server nothing about tokens that are
//!   not its own (RFC 7662 §4 allows the server to answer inactive to a caller it does
//!   not want to tell).
//! - A refresh token is always answered inactive: refresh tokens belong to the MCP
//!   client that redeemed the code and never reach a resource, so a resource holding one
//!   is itself a leak; telling it the token is live would only help whoever leaked it.

use super::access_tokens::{AccessTokenClaims, AccessTokenError, AccessTokens};
use super::api_client_auth::authenticate_api_client;
use super::client_auth::BasicCredentials;
use super::oauth_error::OAuthError;
use super::params::Params;
use crate::core::admin::clients::ApiKeys;
use crate::store::{AuthorizationStore, ResourceStore};
use secrecy::SecretString;
use std::sync::Arc;

/// An introspection request: the form, and the client's credentials.
#[derive(Debug)]
pub struct IntrospectionRequest {
    pub params: Params,
    pub basic: Option<BasicCredentials>,
    pub api_key: Option<SecretString>,
}

/// The introspection endpoint. Uses: `ClientStore` (through the API keys),
/// `AuthorizationStore`, `ResourceStore`.
pub struct Introspection {
    pub(in crate::core) api_keys: ApiKeys,
    pub(in crate::core) access_tokens: Arc<AccessTokens>,
    pub(in crate::core) grants: Arc<dyn AuthorizationStore>,
    pub(in crate::core) resources: Arc<dyn ResourceStore>,
}

impl Introspection {
    /// The claims of an active token of the caller's, `None` for anything else (RFC 7662
    /// §2.2: `{"active": false}`). Only a missing `token` or failed client authentication
    /// is an error.
    pub async fn introspect(
        &self,
        request: IntrospectionRequest,
    ) -> Result<Option<AccessTokenClaims>, OAuthError> {
        let IntrospectionRequest {
            params,
            basic,
            api_key,
        } = request;
        let client =
            authenticate_api_client(&self.api_keys, &params, basic.as_ref(), api_key.as_ref())
                .await?;
        let token = params.require("token")?;
        // A hint is only a hint (RFC 7662 §2.1): every token is tried as an access token,
        // and anything else (a refresh token included) is inactive.
        let claims = match self.access_tokens.verify(token).await {
            Ok(claims) => claims,
            Err(AccessTokenError::Core(error)) => return Err(error.into()),
            Err(_) => return Ok(None),
        };
        let grant = self.grants.grant(claims.grant_id).await?;
        if grant.is_none_or(|grant| grant.revoked_at.is_some()) {
            return Ok(None);
        }
        let resource = self.resources.resource(&claims.aud).await?;
        if resource.is_none_or(|resource| resource.client_name != client.name) {
            return Ok(None);
        }
        Ok(Some(claims))
    }
}
