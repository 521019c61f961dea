//! Fetching a Client ID Metadata Document (draft-ietf-oauth-client-id-metadata-document,
//! MCP 2025-11-25): the `client_id` is an https URL and the document sits there. The URL
//! comes from an unauthenticated request, so the fetch is defensive (the draft's security
//! considerations: server-side request forgery, response size): https only, no redirects, 5 s, at most 5 KiB, JSON, and only public
//! addresses, with the connection pinned to the address that was checked (a second DNS
//! answer cannot swap in a private one: "DNS rebinding").

use super::public_address::fetchable;
use async_trait::async_trait;
use std::net::SocketAddr;
use std::time::Duration;
use url::{Host, Url};

/// The whole fetch, connect to last byte.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest document read; the draft asks for a limit, 5 KiB is what the MCP
/// clients' documents need many times over.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;

/// How long the server said the document may be cached (`Cache-Control`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheHint {
    /// `no-store` (or `no-cache`): use it for this request only, as far as the caller can.
    NoStore,
    /// `max-age` in seconds.
    MaxAge(u64),
    /// Nothing said.
    Unspecified,
}

/// A fetched document: the body (not yet parsed) and its caching hint.
#[derive(Debug, Clone)]
pub struct FetchedDocument {
    pub body: Vec<u8>,
    pub cache: CacheHint,
}

/// Why a document could not be fetched, in words an error page can show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("the client_id URL is refused: {0}")]
    Refused(String),
    #[error("its address is not public ({0}); the gateway fetches only from public addresses")]
    NotPublic(String),
    #[error("could not fetch it: {0}")]
    Unavailable(String),
    #[error("the server answered with a redirect (status {0}); redirects are not followed")]
    Redirected(u16),
    #[error("the server answered status {0}")]
    Status(u16),
    #[error("the document is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
    #[error("the document is not JSON (content-type {0:?})")]
    NotJson(String),
}

/// Fetches metadata documents; the core uses this trait, startup builds [`HttpsFetcher`].
#[async_trait]
pub trait ClientMetadataFetcher: Send + Sync + 'static {
    async fn fetch(&self, url: &Url) -> Result<FetchedDocument, FetchError>;
}

/// The fetcher's settings; both are for development and tests and refused in production.
#[derive(Debug, Clone, Default)]
pub struct FetchSettings {
    /// Loopback hosts may be fetched from (a test serving documents on 127.0.0.1).
    pub allow_loopback: bool,
    /// One more trusted CA (PEM), for a test server's certificate.
    pub extra_ca_pem: Option<Vec<u8>>,
}

/// The reqwest fetcher.
#[derive(Debug)]
pub struct HttpsFetcher {
    settings: FetchSettings,
    extra_ca: Option<reqwest::Certificate>,
}

impl HttpsFetcher {
    pub fn new(settings: FetchSettings) -> Result<Self, reqwest::Error> {
        let extra_ca = settings
            .extra_ca_pem
            .as_deref()
            .map(reqwest::Certificate::from_pem)
            .transpose()?;
        Ok(Self { settings, extra_ca })
    }

    /// The addresses to connect to: every address the name resolves to must be public,
    /// so no answer can point the gateway inward; the connection is pinned to these.
    async fn checked_addresses(&self, url: &Url) -> Result<Vec<SocketAddr>, FetchError> {
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses: Vec<SocketAddr> = match url.host() {
            Some(Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
            Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
                .await
                .map_err(|error| {
                    FetchError::Unavailable(format!("{name} does not resolve ({error})"))
                })?
                .collect(),
            None => return Err(FetchError::Refused("it has no host".into())),
        };
        if let Some(bad) = addresses
            .iter()
            .find(|address| !fetchable(address.ip(), self.settings.allow_loopback))
        {
            return Err(FetchError::NotPublic(bad.ip().to_string()));
        }
        if addresses.is_empty() {
            return Err(FetchError::Unavailable("the host has no address".into()));
        }
        Ok(addresses)
    }

    fn client(&self, url: &Url, addresses: &[SocketAddr]) -> Result<reqwest::Client, FetchError> {
        let mut builder = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .https_only(true)
            .no_proxy();
        if let Some(Host::Domain(name)) = url.host() {
            // Pinned: reqwest connects to these checked addresses, never asks DNS again.
            builder = builder.resolve_to_addrs(name, addresses);
        }
        if let Some(ca) = &self.extra_ca {
            builder = builder.tls_certs_merge([ca.clone()]);
        }
        builder
            .build()
            .map_err(|error| FetchError::Unavailable(format!("HTTP client: {error}")))
    }
}

#[async_trait]
impl ClientMetadataFetcher for HttpsFetcher {
    async fn fetch(&self, url: &Url) -> Result<FetchedDocument, FetchError> {
        // The client's timeout does not cover name resolution: this bounds it all.
        tokio::time::timeout(FETCH_TIMEOUT, self.fetch_unbounded(url))
            .await
            .unwrap_or_else(|_| Err(FetchError::Unavailable("timed out".into())))
    }
}

impl HttpsFetcher {
    async fn fetch_unbounded(&self, url: &Url) -> Result<FetchedDocument, FetchError> {
        if url.scheme() != "https" {
            return Err(FetchError::Refused("it is not https".into()));
        }
        let addresses = self.checked_addresses(url).await?;
        let mut response = self
            .client(url, &addresses)?
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| FetchError::Unavailable(without_url(&error)))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(FetchError::Redirected(status.as_u16()));
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let headers = response.headers();
        let content_type = header_text(headers, reqwest::header::CONTENT_TYPE);
        if !is_json(&content_type) {
            return Err(FetchError::NotJson(
                content_type.chars().take(100).collect(),
            ));
        }
        let cache = cache_hint(&header_text(headers, reqwest::header::CACHE_CONTROL));
        if response
            .content_length()
            .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        // Read chunk by chunk and stop past the limit: Content-Length may be absent or lie.
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| FetchError::Unavailable(without_url(&error)))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchedDocument { body, cache })
    }
}

fn header_text(headers: &reqwest::header::HeaderMap, name: reqwest::header::HeaderName) -> String {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// `application/json` or a `+json` type (RFC 6839), parameters aside.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The caching hint of a `Cache-Control` value (RFC 9111 §5.2.2).
fn cache_hint(value: &str) -> CacheHint {
    let mut hint = CacheHint::Unspecified;
    for directive in value
        .split(',')
        .map(|part| part.trim().to_ascii_lowercase())
    {
        if directive == "no-store" || directive == "no-cache" {
            return CacheHint::NoStore;
        }
        if let Some(seconds) = directive.strip_prefix("max-age=")
            && let Ok(seconds) = seconds.trim_matches('"').parse()
        {
            hint = CacheHint::MaxAge(seconds);
        }
    }
    hint
}

/// reqwest's message without the URL it appends (the caller shows the URL itself).
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let source = std::error::Error::source(error).map(ToString::to_string);
    match source {
        Some(source) => format!("{kind}: {}", source.chars().take(200).collect::<String>()),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_and_content_type_are_read() {
        assert_eq!(cache_hint("public, max-age=600"), CacheHint::MaxAge(600));
        assert_eq!(cache_hint("max-age=60, no-store"), CacheHint::NoStore);
        assert_eq!(cache_hint(""), CacheHint::Unspecified);
        assert_eq!(cache_hint("max-age=abc"), CacheHint::Unspecified);
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/oauth-client+json"));
        assert!(!is_json("text/html"));
        assert!(!is_json(""));
    }
}
