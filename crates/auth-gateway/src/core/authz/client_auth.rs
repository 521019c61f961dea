//! Authenticating an MCP client at the token and revocation endpoints (RFC 6749 §2.3,
//! OAuth 2.1 §2.4): public clients name themselves with `client_id` (`none`),
//! confidential ones prove their secret with `client_secret_basic` or
//! `client_secret_post`, whichever they registered.

use super::oauth_error::OAuthError;
use super::params::Params;
use crate::store::{OAuthClientRecord, OAuthClientStore};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

pub const METHOD_NONE: &str = "none";
pub const METHOD_BASIC: &str = "client_secret_basic";
pub const METHOD_POST: &str = "client_secret_post";
/// Every method the gateway accepts, as the metadata lists them.
pub const METHODS: [&str; 3] = [METHOD_NONE, METHOD_BASIC, METHOD_POST];

/// The credentials of an `Authorization: Basic` header.
pub struct BasicCredentials {
    pub client_id: String,
    pub secret: SecretString,
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl BasicCredentials {
    /// Parses the value of an `Authorization` header. `Ok(None)` when it is not Basic
    /// (or absent); a Basic header that does not decode is `invalid_client`. RFC 6749
    /// §2.3.1: the id and the secret are form-urlencoded before being joined by `:`.
    pub fn from_header(value: Option<&str>) -> Result<Option<Self>, OAuthError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let Some((scheme, encoded)) = value.trim().split_once(' ') else {
            return Ok(None);
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return Ok(None);
        }
        let malformed = || OAuthError::invalid_client("the Basic credentials do not decode");
        let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        Ok(Some(Self {
            client_id: form_decode(id),
            secret: SecretString::from(form_decode(secret)),
        }))
    }
}

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// The client a token or revocation request comes from, authenticated by the method it
/// registered. Every failure is `invalid_client`, with a description that does not say
/// whether the client exists beyond what the caller already sent.
pub async fn authenticate(
    store: &dyn OAuthClientStore,
    params: &Params,
    basic: Option<&BasicCredentials>,
) -> Result<OAuthClientRecord, OAuthError> {
    let posted_secret = params.get("client_secret");
    let (client_id, secret, method) = match (basic, posted_secret) {
        // RFC 6749 §2.3: "MUST NOT use more than one authentication method".
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_client(
                "use one client authentication method, not Basic and client_secret both",
            ));
        }
        (Some(basic), None) => {
            if params
                .get("client_id")
                .is_some_and(|id| id != basic.client_id)
            {
                return Err(OAuthError::invalid_client(
                    "client_id differs from the Basic credentials",
                ));
            }
            (
                basic.client_id.as_str(),
                Some(basic.secret.expose_secret()),
                METHOD_BASIC,
            )
        }
        (None, secret) => {
            let id = params.get("client_id").ok_or_else(|| {
                OAuthError::invalid_client("no client authentication: send client_id")
            })?;
            let method = if secret.is_some() {
                METHOD_POST
            } else {
                METHOD_NONE
            };
            (id, secret, method)
        }
    };
    let client = store
        .oauth_client(client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client("unknown client"))?;
    if client.token_endpoint_auth_method != method {
        let registered = &client.token_endpoint_auth_method;
        let why = if registered == METHOD_NONE {
            "a public client must not send a client secret".to_owned()
        } else {
            format!("this client authenticates with {registered}")
        };
        return Err(OAuthError::invalid_client(why));
    }
    if let Some(secret) = secret {
        let presented = Sha256::digest(secret.as_bytes());
        let matches = client
            .secret_digest
            .as_deref()
            .is_some_and(|stored| bool::from(stored.ct_eq(presented.as_slice())));
        if !matches {
            return Err(OAuthError::invalid_client("wrong client secret"));
        }
    }
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded_after_base64() {
        // "my%3Aid:s%2Bcret+x" → id "my:id", secret "s+cret x" (RFC 6749 §2.3.1).
        let header = format!("Basic {}", STANDARD.encode("my%3Aid:s%2Bcret+x"));
        let basic = BasicCredentials::from_header(Some(&header))
            .unwrap()
            .unwrap();
        assert_eq!(basic.client_id, "my:id");
        assert_eq!(basic.secret.expose_secret(), "s+cret x");
        assert!(!format!("{basic:?}").contains("cret"));
        assert!(
            BasicCredentials::from_header(Some("Bearer x"))
                .unwrap()
                .is_none()
        );
        assert!(BasicCredentials::from_header(Some("Basic !!!")).is_err());
        assert!(BasicCredentials::from_header(None).unwrap().is_none());
    }
}
