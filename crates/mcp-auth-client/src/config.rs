//! How an [`AuthClient`] is configured: from `AUTH_GATEWAY_URL` and
//! `AUTH_GATEWAY_API_KEY` (like the original Python client), or explicitly. Plain
//! `http://` is accepted for a loopback gateway only, unless explicitly allowed: every
//! request carries the API key, and every answer a user's access token.

use crate::cache::{Limits, TokenCache};
use crate::client::AuthClient;
use crate::error::ConfigError;
use crate::redirect;
use crate::token::{Clock, SystemClock};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// The environment variable holding the gateway's base URL.
pub const URL_VAR: &str = "AUTH_GATEWAY_URL";
/// The environment variable holding this MCP server's API key.
pub const API_KEY_VAR: &str = "AUTH_GATEWAY_API_KEY";
/// The environment variable that allows an `http://` gateway URL outside loopback
/// (`true` or `false`, default `false`).
pub const ALLOW_INSECURE_HTTP_VAR: &str = "AUTH_GATEWAY_ALLOW_INSECURE_HTTP";

/// Builds an [`AuthClient`]; every setting but the URL and key has a default.
pub struct AuthClientBuilder {
    base_url: String,
    api_key: SecretString,
    connect_timeout: Duration,
    request_timeout: Duration,
    cache_margin: Duration,
    cache_idle_timeout: Duration,
    cache_capacity: usize,
    clock: Arc<dyn Clock>,
    allow_insecure_http: bool,
}

impl std::fmt::Debug for AuthClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClientBuilder")
            .field("base_url", &self.base_url)
            .field("api_key", &"[REDACTED]")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("cache_margin", &self.cache_margin)
            .field("cache_idle_timeout", &self.cache_idle_timeout)
            .field("cache_capacity", &self.cache_capacity)
            .field("allow_insecure_http", &self.allow_insecure_http)
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
            cache_idle_timeout: Duration::from_mins(15),
            cache_capacity: 10_000,
            clock: Arc::new(SystemClock),
            allow_insecure_http: false,
        }
    }

    /// Reads `AUTH_GATEWAY_URL`, `AUTH_GATEWAY_API_KEY` and the optional
    /// `AUTH_GATEWAY_ALLOW_INSECURE_HTTP` through `var` (pass
    /// `|name| std::env::var(name).ok()` for the process environment).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &'static str| {
            var(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let required = |name: &'static str| read(name).ok_or(ConfigError::Missing(name));
        let allow_insecure_http = match read(ALLOW_INSECURE_HTTP_VAR)
            .map(|value| value.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("0" | "false" | "no" | "off") => false,
            Some("1" | "true" | "yes" | "on") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: ALLOW_INSECURE_HTTP_VAR,
                    problem: format!("expected true or false, got {other:?}"),
                });
            }
        };
        Ok(Self::new(
            required(URL_VAR)?,
            SecretString::from(required(API_KEY_VAR)?),
        )
        .allow_insecure_http(allow_insecure_http))
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

    /// Accepts an `http://` gateway URL whose host is not loopback. Off by default: over
    /// plain HTTP this server's API key and its users' access tokens cross the network
    /// unencrypted, so allow it only where that network is private (e.g. a container
    /// network between the MCP server and the gateway). In the environment,
    /// `AUTH_GATEWAY_ALLOW_INSECURE_HTTP=true` does the same ([`Self::from_vars`]).
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// A user's cached token is dropped after this long without a call for them (a call
    /// restarts it), so the tokens held in memory follow the active users; the next call
    /// asks the gateway again. Default 15 min.
    #[must_use]
    pub fn cache_idle_timeout(mut self, timeout: Duration) -> Self {
        self.cache_idle_timeout = timeout;
        self
    }

    /// At most this many (provider, user) tokens are cached; past it the least recently
    /// used goes first. 0 turns the cache off. Default 10 000.
    #[must_use]
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
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
        if base_url.scheme() == "http" && !self.allow_insecure_http && !is_loopback(&base_url) {
            return Err(ConfigError::InsecureUrl {
                host: base_url.host_str().unwrap_or_default().to_owned(),
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
        let duration = |value: Duration, name: &'static str| {
            chrono::Duration::from_std(value).map_err(|_| ConfigError::Invalid {
                name,
                problem: "too large".into(),
            })
        };
        let limits = Limits {
            margin: duration(self.cache_margin, "cache_margin")?,
            idle: duration(self.cache_idle_timeout, "cache_idle_timeout")?,
            capacity: self.cache_capacity,
        };
        Ok(AuthClient::from_parts(
            http,
            base_url,
            self.request_timeout,
            TokenCache::new(self.clock, limits),
        ))
    }
}

/// Loopback traffic never leaves the machine, so plain HTTP exposes nothing there.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|ip| ip.is_loopback())
        }
        None => false,
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
    fn an_http_url_outside_loopback_is_refused_naming_the_host_and_the_fix() {
        for url in [
            "http://auth-gateway:8000",
            "http://10.0.0.7",
            "http://[2001:db8::1]",
        ] {
            let error = AuthClientBuilder::new(url, SecretString::from("k"))
                .build()
                .unwrap_err();
            let text = error.to_string();
            let host = url::Url::parse(url).unwrap().host_str().unwrap().to_owned();
            assert!(text.contains(&host), "{text}");
            assert!(text.contains("https://"), "{text}");
            assert!(text.contains("AUTH_GATEWAY_ALLOW_INSECURE_HTTP"), "{text}");
        }
    }

    #[test]
    fn http_on_loopback_and_https_anywhere_are_accepted() {
        for url in [
            "http://127.0.0.1:8000",
            "http://127.8.9.10",
            "http://[::1]:8000",
            "http://localhost:8000",
            "https://auth-gateway:8443",
        ] {
            let built = AuthClientBuilder::new(url, SecretString::from("k")).build();
            assert!(built.is_ok(), "{url}: {built:?}");
        }
    }

    #[test]
    fn the_opt_in_accepts_http_outside_loopback() {
        let built = AuthClientBuilder::new("http://auth-gateway:8000", SecretString::from("k"))
            .allow_insecure_http(true)
            .build();
        assert!(built.is_ok(), "{built:?}");

        let vars = |allow: &'static str| {
            move |name: &str| match name {
                URL_VAR => Some("http://auth-gateway:8000".to_owned()),
                API_KEY_VAR => Some("k".to_owned()),
                ALLOW_INSECURE_HTTP_VAR => Some(allow.to_owned()),
                _ => None,
            }
        };
        let from_env = AuthClientBuilder::from_vars(vars("true")).unwrap().build();
        assert!(from_env.is_ok(), "{from_env:?}");
        let refused = AuthClientBuilder::from_vars(vars("false")).unwrap().build();
        assert!(
            matches!(refused, Err(ConfigError::InsecureUrl { .. })),
            "{refused:?}"
        );
        let error = AuthClientBuilder::from_vars(vars("maybe")).unwrap_err();
        assert!(
            error.to_string().starts_with(ALLOW_INSECURE_HTTP_VAR),
            "{error}"
        );
    }

    #[test]
    fn debug_output_never_shows_the_api_key() {
        let vars = |name: &str| {
            Some(match name {
                URL_VAR => "https://gw:8000/".to_owned(),
                API_KEY_VAR => "super-secret-key".to_owned(),
                _ => return None,
            })
        };
        let builder = AuthClientBuilder::from_vars(vars).unwrap();
        assert!(!format!("{builder:?}").contains("super-secret"));
        let client = builder.build().unwrap();
        assert!(!format!("{client:?}").contains("super-secret"));
        assert_eq!(client.base_url(), "https://gw:8000");
    }
}
