//! Dynamic Client Registration (RFC 7591), `POST /oauth/register`: how MCP clients that
//! have never met the gateway get a `client_id`. Served only while
//! `OAUTH_DYNAMIC_REGISTRATION` is on; anyone may register, so every field is bounded
//! and only redirect URIs a browser cannot be abused through are accepted.

use super::client_auth::{METHOD_BASIC, METHOD_NONE, METHODS};
use super::oauth_error::{OAuthError, OAuthErrorCode};
use super::redirects::is_loopback_redirect;
use crate::core::audit::{self, AuditAction};
use crate::core::clock::Clock;
use crate::core::random;
use crate::store::{AuditEvent, AuditStore, OAuthClientKind, OAuthClientRecord, OAuthClientStore};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use std::sync::Arc;
use url::Url;

const MAX_REDIRECT_URIS: usize = 10;
const MAX_REDIRECT_URI_LEN: usize = 2000;
const MAX_CLIENT_NAME_LEN: usize = 200;
/// What the gateway's token endpoint serves (RFC 7591 §2 `grant_types`).
const GRANT_TYPES: [&str; 2] = ["authorization_code", "refresh_token"];

/// The registration request's fields the gateway uses; others are ignored (RFC 7591
/// §2: "The authorization server MUST ignore any client metadata sent by the client
/// that it does not understand").
#[derive(Debug, Default, Deserialize)]
pub struct RegistrationRequest {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub client_name: Option<String>,
}

/// A registered client (RFC 7591 §3.2.1). The secret is shown once, here.
pub struct RegisteredClient {
    pub client_id: String,
    pub client_id_issued_at: i64,
    pub client_secret: Option<SecretString>,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub client_name: Option<String>,
}

impl std::fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredClient")
            .field("client_id", &self.client_id)
            .field(
                "token_endpoint_auth_method",
                &self.token_endpoint_auth_method,
            )
            .finish_non_exhaustive()
    }
}

/// The registration endpoint. Uses: `OAuthClientStore`, `AuditStore`.
pub struct Registration {
    pub(in crate::core) clients: Arc<dyn OAuthClientStore>,
    pub(in crate::core) audit: Arc<dyn AuditStore>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) enabled: bool,
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(OAuthErrorCode::InvalidClientMetadata, description)
}

impl Registration {
    /// Registers a client from a JSON body; `None` when registration is off (the route
    /// then does not exist).
    pub async fn register(&self, body: &[u8]) -> Option<Result<RegisteredClient, OAuthError>> {
        if !self.enabled {
            return None;
        }
        Some(self.register_json(body).await)
    }

    async fn register_json(&self, body: &[u8]) -> Result<RegisteredClient, OAuthError> {
        let request: RegistrationRequest = serde_json::from_slice(body).map_err(|error| {
            // Bounded: serde's message may quote a (long) value.
            let why: String = error.to_string().chars().take(200).collect();
            metadata_error(format!("the body is not valid client metadata: {why}"))
        })?;
        let client = validate(request)?;
        let secret = (client.token_endpoint_auth_method != METHOD_NONE).then(random::token);
        let now = self.clock.now();
        let record = OAuthClientRecord {
            client_id: random::token().expose_secret().to_owned(),
            kind: OAuthClientKind::Dynamic,
            client_name: client.client_name.clone(),
            redirect_uris: client.redirect_uris.clone(),
            token_endpoint_auth_method: client.token_endpoint_auth_method.clone(),
            secret_digest: secret
                .as_ref()
                .map(|secret| random::digest(secret.expose_secret())),
            created_at: now,
            last_used_at: None,
            refresh_after: None,
        };
        // 256 random bits: a collision means the generator is broken, not bad luck.
        if !self.clients.insert_oauth_client(&record).await? {
            return Err(OAuthError::new(
                OAuthErrorCode::ServerError,
                "client_id collision",
            ));
        }
        // `admin` stamps the outcome `ok`; the client_id stands where a client name goes.
        let mut event =
            AuditEvent::admin(now, &record.client_id, AuditAction::OAuthClientRegistered);
        event.detail = Some(record.token_endpoint_auth_method.clone());
        audit::record(self.audit.as_ref(), event).await;
        Ok(RegisteredClient {
            client_id: record.client_id,
            client_id_issued_at: now.timestamp(),
            client_secret: secret,
            ..client
        })
    }
}

/// The request checked and completed with RFC 7591 §2's defaults. Pure, so the fuzz
/// target calls it too.
pub fn validate(request: RegistrationRequest) -> Result<RegisteredClient, OAuthError> {
    if request.redirect_uris.is_empty() {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidRedirectUri,
            "redirect_uris is required",
        ));
    }
    if request.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(metadata_error(format!(
            "at most {MAX_REDIRECT_URIS} redirect_uris"
        )));
    }
    for uri in &request.redirect_uris {
        check_redirect_uri(uri)?;
    }
    let method = request
        .token_endpoint_auth_method
        .unwrap_or_else(|| METHOD_BASIC.to_owned());
    if !METHODS.contains(&method.as_str()) {
        return Err(metadata_error(format!(
            "token_endpoint_auth_method must be one of {}",
            METHODS.join(", ")
        )));
    }
    let grant_types = request
        .grant_types
        .unwrap_or_else(|| vec!["authorization_code".to_owned()]);
    if grant_types.is_empty()
        || !grant_types
            .iter()
            .all(|grant| GRANT_TYPES.contains(&grant.as_str()))
    {
        return Err(metadata_error(
            "grant_types must be within authorization_code, refresh_token",
        ));
    }
    let response_types = request
        .response_types
        .unwrap_or_else(|| vec!["code".to_owned()]);
    if response_types.is_empty() || response_types.iter().any(|kind| kind != "code") {
        return Err(metadata_error("response_types must be [\"code\"]"));
    }
    let client_name = request
        .client_name
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    if client_name.as_ref().is_some_and(|name| {
        name.chars().count() > MAX_CLIENT_NAME_LEN || name.chars().any(char::is_control)
    }) {
        return Err(metadata_error(format!(
            "client_name must be at most {MAX_CLIENT_NAME_LEN} printable characters"
        )));
    }
    Ok(RegisteredClient {
        client_id: String::new(),
        client_id_issued_at: 0,
        client_secret: None,
        redirect_uris: request.redirect_uris,
        token_endpoint_auth_method: method,
        grant_types,
        response_types,
        client_name,
    })
}

/// A redirect URI a client may register: absolute, without fragment (RFC 6749 §3.1.2),
/// and `https`, `http` on a loopback host (RFC 8252 §7.3), or a native app's private-use
/// scheme, which has a dot (RFC 8252 §7.1, `com.example.app:/cb`). Schemes a browser
/// runs or reads locally (`javascript`, `data`, `file`, …) have none, so they fail.
fn check_redirect_uri(text: &str) -> Result<(), OAuthError> {
    let invalid = |why: &str| {
        let shown: String = text.chars().take(100).collect();
        OAuthError::new(
            OAuthErrorCode::InvalidRedirectUri,
            format!("{shown}: {why}"),
        )
    };
    if text.len() > MAX_REDIRECT_URI_LEN {
        return Err(metadata_error(format!(
            "a redirect URI is longer than {MAX_REDIRECT_URI_LEN} characters"
        )));
    }
    let uri = Url::parse(text).map_err(|_| invalid("not an absolute URI"))?;
    if uri.fragment().is_some() {
        return Err(invalid("a redirect URI must not have a fragment"));
    }
    match uri.scheme() {
        "https" if uri.host().is_some() => Ok(()),
        "http" if is_loopback_redirect(&uri) => Ok(()),
        "http" => Err(invalid("http is allowed on a loopback host only")),
        scheme if scheme.contains('.') => Ok(()),
        _ => Err(invalid(
            "the scheme must be https, http on loopback, or a private-use scheme like com.example.app",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_a_browser_can_be_abused_through_are_refused() {
        for good in [
            "https://claude.ai/api/mcp/auth_callback",
            "http://127.0.0.1:33418/callback",
            "http://localhost/cb",
            "http://[::1]:8080/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(check_redirect_uri(good).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "http://example.com/cb",
            "https://example.com/cb#frag",
            "/relative",
            "myapp:/cb",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
