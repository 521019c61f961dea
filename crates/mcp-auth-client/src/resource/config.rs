//! Building a [`ResourceGuard`]: the issuer and the resource URI in the canonical forms
//! the gateway compares byte for byte (`iss`, `aud`), the JWKS location, and the clock.

use super::jwks::JwksCache;
use super::{Inner, ResourceGuard};
use crate::error::ConfigError;
use crate::token::{Clock, SystemClock};
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

/// How long a JWKS request may take.
const JWKS_TIMEOUT: Duration = Duration::from_secs(10);

/// Configures a [`ResourceGuard`]; see [`ResourceGuard::builder`].
pub struct ResourceGuardBuilder {
    issuer: String,
    resource: String,
    resource_name: Option<String>,
    jwks_uri: Option<String>,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::Client>,
    insecure_jwks: bool,
}

impl ResourceGuardBuilder {
    pub(super) fn new(issuer: String, resource: String) -> Self {
        Self {
            issuer,
            resource,
            resource_name: None,
            jwks_uri: None,
            clock: Arc::new(SystemClock),
            http: None,
            insecure_jwks: false,
        }
    }

    /// Accepts an `http://` JWKS URL off loopback: for a gateway reached over a private
    /// network (docker-compose's `mcp-internal`, `AUTH_GATEWAY_ALLOW_INSECURE_HTTP`).
    /// The issuer and resource stay https-only.
    #[must_use]
    pub fn allow_insecure_jwks_http(mut self, allow: bool) -> Self {
        self.insecure_jwks = allow;
        self
    }

    /// The human-readable name in the metadata (`resource_name`, RFC 9728 §2); defaults
    /// to the resource URI.
    #[must_use]
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// Where the keys are fetched; defaults to `{issuer}/oauth/jwks`, the gateway's
    /// `jwks_uri` (RFC 8414 §2).
    #[must_use]
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// The clock `exp`/`nbf` and the JWKS cache are compared with (tests move it).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The HTTP client for the JWKS (default: a new one with a 10 s timeout).
    #[must_use]
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the URLs and builds the guard.
    pub fn build(self) -> Result<ResourceGuard, ConfigError> {
        let issuer = canonical("issuer", &self.issuer)?;
        let resource = canonical("resource", &self.resource)?;
        let jwks_uri = match self.jwks_uri {
            Some(uri) if self.insecure_jwks && uri.trim().starts_with("http://") => {
                canonical("jwks_uri", &uri.trim().replacen("http://", "https://", 1))?
                    .replacen("https://", "http://", 1)
            }
            Some(uri) => canonical("jwks_uri", &uri)?,
            None => format!("{issuer}/oauth/jwks"),
        };
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(JWKS_TIMEOUT)
                // A key set is never worth following a redirect to another host for.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(ConfigError::Http)?,
        };
        let metadata_url = metadata_url(&resource);
        Ok(ResourceGuard {
            inner: Arc::new(Inner {
                scope: scope_of(&resource),
                resource_name: self.resource_name.unwrap_or_else(|| resource.clone()),
                issuer,
                resource,
                metadata_url,
                jwks: JwksCache::new(http, jwks_uri),
                clock: self.clock,
            }),
        })
    }
}

/// The canonical form the gateway stores (docs/authorization-server.md, "The canonical
/// URI"): https (http on loopback only), no user information, query or fragment,
/// lower-case scheme and host, no default port, no trailing slash.
fn canonical(name: &'static str, text: &str) -> Result<String, ConfigError> {
    let invalid = |problem: &str| ConfigError::Invalid {
        name,
        problem: problem.to_owned(),
    };
    let url = Url::parse(text.trim()).map_err(|error| invalid(&error.to_string()))?;
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost",
        Some(Host::Ipv4(address)) => address.is_loopback(),
        Some(Host::Ipv6(address)) => address.is_loopback(),
        None => return Err(invalid("no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(invalid("must be https (http only on a loopback host)")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry user information"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or fragment"));
    }
    let origin = &url[..url::Position::BeforePath];
    Ok(format!("{origin}{}", url.path().trim_end_matches('/')))
}

/// `mcp:` and the canonical URI without its scheme (the gateway's `resource_scope`).
fn scope_of(resource: &str) -> String {
    let rest = resource
        .split_once("://")
        .map_or(resource, |(_, rest)| rest);
    format!("mcp:{rest}")
}

/// RFC 9728 §3.1: the well-known suffix goes between the host and the resource's path.
fn metadata_url(resource: &str) -> String {
    let (origin, path) = split_origin(resource);
    format!("{origin}{}{path}", super::metadata::WELL_KNOWN)
}

/// The origin and the path (possibly empty) of a canonical URI.
pub(super) fn split_origin(resource: &str) -> (&str, &str) {
    let after_scheme = resource.find("://").map_or(0, |at| at + 3);
    match resource[after_scheme..].find('/') {
        Some(slash) => resource.split_at(after_scheme + slash),
        None => (resource, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_match_the_gateway() {
        let cases = [
            (
                "https://Ads.Example.com:443/mcp/",
                "https://ads.example.com/mcp",
            ),
            ("https://ads.example.com/", "https://ads.example.com"),
            ("http://127.0.0.1:8080/mcp", "http://127.0.0.1:8080/mcp"),
        ];
        for (given, expected) in cases {
            assert_eq!(canonical("resource", given).ok().as_deref(), Some(expected));
        }
        for refused in [
            "http://ads.example.com/mcp",
            "https://a.example/mcp?x=1",
            "ftp://x",
        ] {
            assert!(canonical("resource", refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn scope_and_metadata_url_follow_the_resource() {
        assert_eq!(
            scope_of("https://ads.example.com/mcp"),
            "mcp:ads.example.com/mcp"
        );
        assert_eq!(
            metadata_url("https://ads.example.com/mcp"),
            "https://ads.example.com/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            metadata_url("https://ads.example.com"),
            "https://ads.example.com/.well-known/oauth-protected-resource"
        );
    }
}
