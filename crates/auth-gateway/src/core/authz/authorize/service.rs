//! The authorization endpoint's service and the values its parts share: what the
//! browser gets next, a request whose client is verified, and the consent page's
//! content. A leaf: the parts (`login`, `consent`, the endpoint in `mod.rs`) import it,
//! it imports none of them.

use super::browser::SetCookie;
use super::request::RawRequest;
use crate::core::audit::AuditLog;
use crate::core::authz::client_directory::ClientDirectory;
use crate::core::authz::oauth_error::OAuthError;
use crate::core::clock::Clock;
use crate::core::crypto::KeyRing;
use crate::core::providers::Providers;
use crate::core::runtime::token_cache::TokenCache;
use crate::domain::AuthorizationSettings;
use crate::store::{
    AuthorizationStore, CredentialStore, LoginStore, OAuthClientRecord, ResourceStore,
};
use std::sync::Arc;
use url::Url;

/// What the browser gets next.
#[derive(Debug)]
pub enum AuthorizeStep {
    /// A 302: to the client's redirect URI (with a code or an error), or to the login
    /// provider (with a cookie binding the login to this browser).
    Redirect {
        location: Url,
        cookie: Option<SetCookie>,
    },
    /// The consent page.
    Consent(Box<ConsentView>),
}

/// The authorization endpoint. Uses: `OAuthClientStore`, `ResourceStore`, `LoginStore`,
/// `AuthorizationStore`, `CredentialStore`, `AuditStore` (through the log).
pub struct Authorize {
    /// The clients (`OAuthClientStore`), fetching the metadata document of a `client_id`
    /// URL (CIMD).
    pub(in crate::core) directory: Arc<ClientDirectory>,
    pub(in crate::core) resources: Arc<dyn ResourceStore>,
    pub(in crate::core) logins: Arc<dyn LoginStore>,
    pub(in crate::core) authorizations: Arc<dyn AuthorizationStore>,
    pub(in crate::core) credentials: Arc<dyn CredentialStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) providers: Arc<Providers>,
    pub(in crate::core) audit: Arc<AuditLog>,
    pub(in crate::core) cache: Arc<TokenCache>,
    /// The public URL without a trailing slash: the `iss` of every response (RFC 9207).
    pub(in crate::core) issuer: String,
    pub(in crate::core) settings: AuthorizationSettings,
}

/// A request whose client and redirect URI are verified, and where to answer it.
pub struct Verified {
    pub raw: RawRequest,
    pub client: OAuthClientRecord,
    /// As sent: a code is bound to this exact string (OAuth 2.1 §4.1.3).
    pub redirect_uri: String,
    pub redirect_url: Url,
}

/// What the consent page shows, and what its form posts back.
#[derive(Debug, Clone)]
pub struct ConsentView {
    /// The client's own name, as it registered it (not vouched for).
    pub client_name: Option<String>,
    pub client_id: String,
    /// Nothing vouches for who the client is: a dynamic registration names itself, and
    /// so does a metadata document on a host not in `OAUTH_KNOWN_CLIENT_HOSTS`.
    pub unverified: bool,
    /// The host of a metadata document on a known client host ("claude.ai"): who the
    /// client is, vouched for by the site serving its document.
    pub verified_host: Option<String>,
    /// The host the browser goes back to: what the user can actually check.
    pub redirect_host: String,
    pub resource_name: String,
    pub resource_uri: String,
    /// The upstream permissions the MCP server's tools use, in words.
    pub permissions: Vec<String>,
    pub account_email: String,
    /// Posted back: the authorization request, checked again in full.
    pub request: String,
    pub csrf: String,
}

impl Authorize {
    /// The client's redirect URI with `error`, `error_description`, `state` and `iss`.
    pub(super) fn error_redirect(&self, verified: &Verified, error: &OAuthError) -> AuthorizeStep {
        self.client_redirect(
            verified,
            &[
                ("error", error.code.as_str()),
                ("error_description", &error.description),
            ],
        )
    }

    /// The client's redirect URI with these parameters, `state` (when sent) and `iss`.
    pub(super) fn client_redirect(
        &self,
        verified: &Verified,
        params: &[(&str, &str)],
    ) -> AuthorizeStep {
        let mut location = verified.redirect_url.clone();
        {
            let mut query = location.query_pairs_mut();
            for (name, value) in params {
                query.append_pair(name, value);
            }
            if let Some(state) = verified.raw.get("state") {
                query.append_pair("state", state);
            }
            query.append_pair("iss", &self.issuer);
        }
        AuthorizeStep::Redirect {
            location,
            cookie: None,
        }
    }
}
