//! The server's configuration from the environment, checked once at startup; an
//! invalid value fails startup with the variable's name.

use crate::customer_id::CustomerId;
use google_mcp_common::{SIGN_IN_WAIT_VAR, parse_sign_in_wait};
use secrecy::SecretString;
use std::time::Duration;

/// `v26`: current, and what Google recommends to new users (v19–v22 are sunset).
pub const DEFAULT_API_VERSION: &str = "v26";
/// The variable that sets the API's base URL.
pub const API_URL_VAR: &str = "GOOGLE_ADS_API_URL";
/// Google's production endpoint.
pub const DEFAULT_API_URL: &str = "https://googleads.googleapis.com";
/// Versions at or below this one were sunset by late 2026.
const LAST_SUNSET_VERSION: u32 = 22;

/// Google Ads API settings.
#[derive(Debug, Clone)]
pub struct AdsConfig {
    /// `GOOGLE_ADS_API_VERSION`: `v` and digits.
    pub api_version: String,
    /// `GOOGLE_ADS_API_URL`: the base URL, without a trailing slash.
    pub api_url: String,
    /// `GOOGLE_ADS_DEVELOPER_TOKEN`: sent as `developer-token` only when set (Google
    /// now ignores it, and a future version will reject it).
    pub developer_token: Option<SecretString>,
    /// `GOOGLE_ADS_LOGIN_CUSTOMER_ID`: the manager to act through when an account is
    /// reachable through several.
    pub login_customer_id: Option<CustomerId>,
    /// `MCP_SIGN_IN_WAIT_SECONDS`: how long a tool call waits for a sign-in the MCP
    /// client agreed to open (default 5 minutes).
    pub sign_in_wait: Duration,
}

/// A configuration value that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    /// The variable at fault.
    pub name: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl AdsConfig {
    /// From the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// From variables read through `var` (blank counts as unset).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &str| {
            var(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let api_version =
            read("GOOGLE_ADS_API_VERSION").unwrap_or_else(|| DEFAULT_API_VERSION.into());
        let major = api_version
            .strip_prefix('v')
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u32>().ok())
            .ok_or_else(|| ConfigError {
                name: "GOOGLE_ADS_API_VERSION",
                problem: format!("{api_version:?} is not a version like {DEFAULT_API_VERSION}"),
            })?;
        if major <= LAST_SUNSET_VERSION {
            tracing::warn!(%api_version, "this Google Ads API version is sunset; use {DEFAULT_API_VERSION}");
        }
        let api_url = read(API_URL_VAR).unwrap_or_else(|| DEFAULT_API_URL.into());
        let parsed = reqwest::Url::parse(&api_url).map_err(|problem| ConfigError {
            name: API_URL_VAR,
            problem: problem.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError {
                name: API_URL_VAR,
                problem: "must be an http:// or https:// URL".into(),
            });
        }
        let login_customer_id = read("GOOGLE_ADS_LOGIN_CUSTOMER_ID")
            .map(|value| CustomerId::parse(&value))
            .transpose()
            .map_err(|problem| ConfigError {
                name: "GOOGLE_ADS_LOGIN_CUSTOMER_ID",
                problem,
            })?;
        let sign_in_wait =
            parse_sign_in_wait(read(SIGN_IN_WAIT_VAR).as_deref()).map_err(|problem| {
                ConfigError {
                    name: SIGN_IN_WAIT_VAR,
                    problem,
                }
            })?;
        Ok(Self {
            api_version,
            api_url: api_url.trim_end_matches('/').to_owned(),
            developer_token: read("GOOGLE_ADS_DEVELOPER_TOKEN").map(SecretString::from),
            login_customer_id,
            sign_in_wait,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn defaults_are_the_current_version_at_google() {
        let config = AdsConfig::from_vars(vars(&[])).unwrap();
        assert_eq!(config.api_version, "v26");
        assert_eq!(config.api_url, "https://googleads.googleapis.com");
        assert!(config.developer_token.is_none());
        assert!(config.login_customer_id.is_none());
        assert_eq!(config.sign_in_wait, Duration::from_mins(5));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let error = AdsConfig::from_vars(vars(&[("GOOGLE_ADS_API_VERSION", "26")])).unwrap_err();
        assert_eq!(error.name, "GOOGLE_ADS_API_VERSION");
        let error =
            AdsConfig::from_vars(vars(&[("GOOGLE_ADS_LOGIN_CUSTOMER_ID", "12-34")])).unwrap_err();
        assert_eq!(error.name, "GOOGLE_ADS_LOGIN_CUSTOMER_ID");
        let error = AdsConfig::from_vars(vars(&[("GOOGLE_ADS_API_URL", "ftp://x")])).unwrap_err();
        assert_eq!(error.name, "GOOGLE_ADS_API_URL");
        let error = AdsConfig::from_vars(vars(&[("MCP_SIGN_IN_WAIT_SECONDS", "-1")])).unwrap_err();
        assert_eq!(error.name, "MCP_SIGN_IN_WAIT_SECONDS");
    }

    #[test]
    fn a_login_customer_id_with_dashes_is_accepted() {
        let config = AdsConfig::from_vars(vars(&[
            ("GOOGLE_ADS_LOGIN_CUSTOMER_ID", "123-456-7890"),
            ("GOOGLE_ADS_API_URL", "http://127.0.0.1:9/"),
        ]))
        .unwrap();
        assert_eq!(config.login_customer_id.unwrap().digits(), "1234567890");
        assert_eq!(config.api_url, "http://127.0.0.1:9");
    }
}
