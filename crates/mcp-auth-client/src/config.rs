//! How an [`AuthClient`] is configured: from `AUTH_GATEWAY_URL` and
//! `AUTH_GATEWAY_API_KEY` (like the original Python client), or explicitly.

use crate::client::AuthClient;
use crate::error::ConfigError;
use crate::redirect;
use crate::token::{Clock, SystemClock, TokenCache};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// The environment variable holding the gateway's base URL.
pub const URL_VAR: &str = "AUTH_GATEWAY_URL";
/// The environment variable holding this MCP server's API key.
pub const API_KEY_VAR: &str = "AUTH_GATEWAY_API_KEY";

/// Builds an [`AuthClient`]; every setting but the URL and key has a default.
pub struct AuthClientBuilder {
    base_url: String,
    api_key: SecretString,
    connect_timeout: Duration,
    request_timeout: Duration,
    cache_margin: Duration,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AuthClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("cache_margin", &self.cache_margin)
            .finish_non_exhaustive()
    }
}

impl AuthClientBuilder {
    /// A builder for the gateway at `base_url` (e.g. `http://auth-gateway:8000`).
    pub fn new(base_url: impl Into<String>, api_key: SecretString) -> Self {
        Self {
            base_url: base_url.into(),
            api_key,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            cache_margin: Duration::from_mins(1),
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads `AUTH_GATEWAY_URL` and `AUTH_GATEWAY_API_KEY` through `var` (pass
    /// `|name| std::env::var(name).ok()` for the process environment).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &'static str| {
            var(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
                .ok_or(ConfigError::Missing(name))
        };
        Ok(Self::new(
            read(URL_VAR)?,
            SecretString::from(read(API_KEY_VAR)?),
        ))
    }

    /// How long to wait for a TCP (and TLS) connection to the gateway. Default 5 s.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one request may take in total (long-polls get their wait on top).
    /// Default 30 s.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Cached tokens are served until this long before they expire. Default 60 s.
    #[must_use]
    pub fn cache_margin(mut self, margin: Duration) -> Self {
        self.cache_margin = margin;
        self
    }

    /// The clock the cache compares expiry times with (tests move it).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the settings and builds the client (one connection pool for its lifetime).
    pub fn build(self) -> Result<AuthClient, ConfigError> {
        let base_url = url::Url::parse(&self.base_url).map_err(|problem| ConfigError::Invalid {
            name: URL_VAR,
            problem: problem.to_string(),
        })?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid {
                name: URL_VAR,
                problem: "must be an http:// or https:// URL".into(),
            });
        }
        let mut header = reqwest::header::HeaderValue::from_str(self.api_key.expose_secret())
            .map_err(|_| ConfigError::Invalid {
                name: API_KEY_VAR,
                problem: "not a valid HTTP header value".into(),
            })?;
        header.set_sensitive(true);
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(gateway_proto::API_KEY_HEADER, header);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(redirect::within(base_url.origin()))
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("mcp-auth-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ConfigError::Http)?;
        let margin =
            chrono::Duration::from_std(self.cache_margin).map_err(|_| ConfigError::Invalid {
                name: "cache_margin",
                problem: "too large".into(),
            })?;
        Ok(AuthClient::from_parts(
            http,
            base_url,
            self.request_timeout,
            TokenCache::new(self.clock, margin),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_variables_are_required() {
        let only_url = |name: &str| (name == URL_VAR).then(|| "http://gw:8000".to_owned());
        let error = AuthClientBuilder::from_vars(only_url).unwrap_err();
        assert!(
            matches!(error, ConfigError::Missing(API_KEY_VAR)),
            "{error}"
        );
    }

    #[test]
    fn a_url_that_is_not_http_fails_with_the_variable_name() {
        let error = AuthClientBuilder::new("ftp://gw", SecretString::from("k"))
            .build()
            .unwrap_err();
        assert!(error.to_string().starts_with(URL_VAR), "{error}");
    }

    #[test]
    fn debug_output_never_shows_the_api_key() {
        let vars = |name: &str| {
            Some(match name {
                URL_VAR => "http://gw:8000/".to_owned(),
                _ => "super-secret-key".to_owned(),
            })
        };
        let builder = AuthClientBuilder::from_vars(vars).unwrap();
        assert!(!format!("{builder:?}").contains("super-secret"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("super-secret"));
        assert_eq!(client.base_url(), "http://gw:8000");
    }
}
