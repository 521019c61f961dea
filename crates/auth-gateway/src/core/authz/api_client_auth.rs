//! Authenticating an MCP server (an API client) at the authorization server's endpoints
//! for resources: token exchange (RFC 8693) and introspection (RFC 7662). The server
//! proves its API key either as the gateway's other endpoints take it (`X-API-Key`) or by
//! RFC 6749 §2.3.1 client authentication, `client_id` = the API client's name and
//! `client_secret` = its key (Basic or in the form). The shared `AUTH_GATEWAY_API_KEY` is
//! the client `default`.

use super::client_auth::BasicCredentials;
use super::oauth_error::OAuthError;
use super::params::Params;
use crate::core::admin::clients::ApiKeys;
use crate::core::client::Client;
use crate::core::error::CoreError;
use secrecy::{ExposeSecret as _, SecretString};

/// The API client a request comes from. Every failure is `invalid_client` (401), whose
/// description never says whether a name exists.
pub async fn authenticate_api_client(
    keys: &ApiKeys,
    params: &Params,
    basic: Option<&BasicCredentials>,
    api_key: Option<&SecretString>,
) -> Result<Client, OAuthError> {
    let posted = params.get("client_secret");
    let named = params.get("client_id");
    let (key, claimed) = match (api_key, basic, posted) {
        (Some(key), None, None) => (key.expose_secret(), named),
        (None, Some(basic), None) => {
            if named.is_some_and(|id| id != basic.client_id) {
                return Err(OAuthError::invalid_client(
                    "client_id differs from the Basic credentials",
                ));
            }
            (basic.secret.expose_secret(), Some(basic.client_id.as_str()))
        }
        (None, None, Some(secret)) => {
            let id = named
                .ok_or_else(|| OAuthError::invalid_client("client_secret without client_id"))?;
            (secret, Some(id))
        }
        (None, None, None) => {
            return Err(OAuthError::invalid_client(
                "authenticate as the resource's API client: X-API-Key, or client_id (the client's name) and client_secret (its key)",
            ));
        }
        // RFC 6749 §2.3: "MUST NOT use more than one authentication method".
        _ => {
            return Err(OAuthError::invalid_client(
                "use one client authentication method: X-API-Key, Basic or client_secret",
            ));
        }
    };
    let client = match keys.authenticate(Some(key)).await {
        Ok(client) => client,
        Err(CoreError::InvalidApiKey) => {
            return Err(OAuthError::invalid_client("invalid client credentials"));
        }
        Err(error) => return Err(error.into()),
    };
    // A key names its client: a client_id naming another one is a wrong secret for it.
    if claimed.is_some_and(|name| name != client.name) {
        return Err(OAuthError::invalid_client("invalid client credentials"));
    }
    Ok(client)
}
