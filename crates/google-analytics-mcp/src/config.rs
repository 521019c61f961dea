//! The server's configuration, read once from the environment at startup: where the
//! Analytics APIs are, and whose Google account the server acts for. The gateway's
//! settings (`AUTH_GATEWAY_URL`, `AUTH_GATEWAY_API_KEY`) are read by `mcp-auth-client`.

use google_mcp_common::{SIGN_IN_WAIT_VAR, UserPolicy, parse_sign_in_wait};
use std::time::Duration;
use url::Url;

/// Base URL of the Data API (`runReport`).
pub const DATA_URL_VAR: &str = "GOOGLE_ANALYTICS_DATA_URL";
/// Base URL of the Admin API (`accountSummaries`).
pub const ADMIN_URL_VAR: &str = "GOOGLE_ANALYTICS_ADMIN_URL";
/// Google's Data API.
pub const DEFAULT_DATA_URL: &str = "https://analyticsdata.googleapis.com";
/// Google's Admin API.
pub const DEFAULT_ADMIN_URL: &str = "https://analyticsadmin.googleapis.com";
/// The scope every token must carry; a grant without it triggers incremental consent.
pub const ANALYTICS_READONLY_SCOPE: &str = "https://www.googleapis.com/auth/analytics.readonly";

/// Why the configuration is unusable; names the variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

/// Everything the Analytics tools need besides the gateway client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub data_url: Url,
    pub admin_url: Url,
    pub users: UserPolicy,
    /// `MCP_SIGN_IN_WAIT_SECONDS`: how long a tool call waits for a sign-in the MCP
    /// client agreed to open (default 5 minutes).
    pub sign_in_wait: Duration,
}

impl Config {
    /// From the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// From `lookup` (the environment in production, a map in tests).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            data_url: base_url(&lookup, DATA_URL_VAR, DEFAULT_DATA_URL)?,
            admin_url: base_url(&lookup, ADMIN_URL_VAR, DEFAULT_ADMIN_URL)?,
            users: UserPolicy::from_value(lookup(google_mcp_common::USER_EMAIL_VAR).as_deref()),
            sign_in_wait: parse_sign_in_wait(lookup(SIGN_IN_WAIT_VAR).as_deref()).map_err(
                |problem| ConfigError {
                    name: SIGN_IN_WAIT_VAR,
                    problem,
                },
            )?,
        })
    }
}

/// An http(s) URL without query or fragment; blank means the default.
fn base_url(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<Url, ConfigError> {
    let value = lookup(name).filter(|value| !value.trim().is_empty());
    let text = value.as_deref().map_or(default, str::trim);
    let invalid = |problem: String| ConfigError { name, problem };
    let url =
        Url::parse(text).map_err(|error| invalid(format!("{text:?} is not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("{text:?} is not an http(s) URL")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "{text:?} must not have a query or fragment"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Config::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_googles_apis_and_a_shared_server() {
        let config = config(&[]).unwrap();
        assert_eq!(
            config.data_url.as_str(),
            "https://analyticsdata.googleapis.com/"
        );
        assert_eq!(
            config.admin_url.as_str(),
            "https://analyticsadmin.googleapis.com/"
        );
        assert_eq!(config.users, UserPolicy::shared());
        assert_eq!(config.sign_in_wait, Duration::from_mins(5));
    }

    #[test]
    fn overrides_and_the_configured_user_are_read() {
        let config = config(&[
            (DATA_URL_VAR, "http://127.0.0.1:4000"),
            (ADMIN_URL_VAR, " http://127.0.0.1:4001/admin "),
            ("MCP_USER_EMAIL", "ana@example.com"),
        ])
        .unwrap();
        assert_eq!(config.data_url.as_str(), "http://127.0.0.1:4000/");
        assert_eq!(config.admin_url.path(), "/admin");
        assert_eq!(config.users.configured_user(), Some("ana@example.com"));
    }

    #[test]
    fn a_bad_url_names_its_variable() {
        let error = config(&[(ADMIN_URL_VAR, "ftp://x")]).unwrap_err();
        assert!(
            error.to_string().starts_with("GOOGLE_ANALYTICS_ADMIN_URL:"),
            "{error}"
        );
        assert!(config(&[(DATA_URL_VAR, "not a url")]).is_err());
        let error = config(&[(SIGN_IN_WAIT_VAR, "forever")]).unwrap_err();
        assert!(
            error.to_string().starts_with("MCP_SIGN_IN_WAIT_SECONDS:"),
            "{error}"
        );
    }
}
