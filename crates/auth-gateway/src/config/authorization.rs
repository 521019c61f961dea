//! The OAuth authorization server's settings (docs/authorization-server.md).

use super::operations::{flag, seconds};
use super::{ConfigError, Vars, invalid};
use crate::domain::AuthorizationSettings;
use std::path::PathBuf;

pub(super) fn settings(vars: &Vars<'_>) -> Result<AuthorizationSettings, ConfigError> {
    let defaults = AuthorizationSettings::default();
    let access = seconds(vars, "OAUTH_ACCESS_TOKEN_TTL_SECONDS", 3600, 60..=86_400)?;
    let refresh_days: i64 = vars.number("OAUTH_REFRESH_TOKEN_TTL_DAYS", 30)?;
    if !(1..=365).contains(&refresh_days) {
        return Err(invalid(
            "OAUTH_REFRESH_TOKEN_TTL_DAYS",
            "must be between 1 and 365",
        ));
    }
    let session_days: i64 = vars.number("OAUTH_BROWSER_SESSION_DAYS", 30)?;
    if !(1..=365).contains(&session_days) {
        return Err(invalid(
            "OAUTH_BROWSER_SESSION_DAYS",
            "must be between 1 and 365",
        ));
    }
    Ok(AuthorizationSettings {
        access_token_ttl: chrono::Duration::from_std(access)
            .map_err(|_| invalid("OAUTH_ACCESS_TOKEN_TTL_SECONDS", "out of range"))?,
        refresh_token_ttl: chrono::Duration::days(refresh_days),
        browser_session_absolute: chrono::Duration::days(session_days),
        browser_session_idle: defaults
            .browser_session_idle
            .min(chrono::Duration::days(session_days)),
        dynamic_registration: flag(vars, "OAUTH_DYNAMIC_REGISTRATION", true)?,
        known_client_hosts: known_client_hosts(vars)?.unwrap_or(defaults.known_client_hosts),
        metadata_allow_loopback: flag(vars, "OAUTH_CIMD_ALLOW_LOOPBACK", false)?,
        metadata_extra_ca_file: vars
            .text("OAUTH_CIMD_EXTRA_CA_FILE")
            .map(|path| PathBuf::from(path.trim())),
        ..AuthorizationSettings::default()
    })
}

/// `OAUTH_KNOWN_CLIENT_HOSTS`: comma-separated host names (no scheme, no path).
fn known_client_hosts(vars: &Vars<'_>) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(text) = vars.text("OAUTH_KNOWN_CLIENT_HOSTS") else {
        return Ok(None);
    };
    let hosts: Vec<String> = text
        .split(',')
        .map(|host| host.trim().to_ascii_lowercase())
        .filter(|host| !host.is_empty())
        .collect();
    for host in &hosts {
        if url::Host::parse(host).is_err() || host.contains(['/', ':', '@']) {
            return Err(invalid(
                "OAUTH_KNOWN_CLIENT_HOSTS",
                format!("{host:?} is not a host name (write claude.ai, not https://claude.ai/)"),
            ));
        }
    }
    Ok(Some(hosts))
}

/// Refuses the metadata fetcher's development settings in production: fetching from
/// loopback, or trusting an extra CA, would let a `client_id` reach the gateway's own
/// host or be served by a certificate only a test should accept.
pub(super) fn refuse_in_production(settings: &AuthorizationSettings) -> Result<(), ConfigError> {
    if settings.metadata_allow_loopback {
        return Err(invalid(
            "OAUTH_CIMD_ALLOW_LOOPBACK",
            "is for development and tests; production fetches client metadata documents from public addresses only",
        ));
    }
    if settings.metadata_extra_ca_file.is_some() {
        return Err(invalid(
            "OAUTH_CIMD_EXTRA_CA_FILE",
            "is for development and tests; production trusts the system's CAs only",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, crate::config::ConfigError> {
        let strong = [
            ("ENVIRONMENT", "production"),
            (
                "AUTH_GATEWAY_ENCRYPTION_KEY",
                "hV3kP9zQ-2mT7xR4wL8nB1cJ6fD0sG5yA_eK3uN7iO2",
            ),
            (
                "AUTH_GATEWAY_API_KEY",
                "Qw8eR2tY6uI0oP4aS9dF3gH7jK1lZ5xC-vB_nM2qW8",
            ),
            ("GOOGLE_CLIENT_ID", "1234.apps.googleusercontent.com"),
            ("GOOGLE_CLIENT_SECRET", "GOCSPX-a8Fj2kLq9ZpX"),
            (
                "GOOGLE_REDIRECT_URI",
                "https://gw.test.dev/auth/callback/google",
            ),
        ];
        let vars: HashMap<String, String> = strong
            .iter()
            .chain(pairs)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(&move |name| vars.get(name).cloned())
    }

    #[test]
    fn production_refuses_the_metadata_fetchers_development_settings() {
        let config = load(&[]).unwrap();
        assert_eq!(
            config.authorization.known_client_hosts,
            ["claude.ai", "chatgpt.com", "vscode.dev"]
        );
        for (name, value) in [
            ("OAUTH_CIMD_ALLOW_LOOPBACK", "true"),
            ("OAUTH_CIMD_EXTRA_CA_FILE", "/tmp/ca.pem"),
        ] {
            assert_eq!(load(&[(name, value)]).unwrap_err().variable, name);
        }
        assert!(load(&[("OAUTH_CIMD_ALLOW_LOOPBACK", "false")]).is_ok());
        let hosts = load(&[("OAUTH_KNOWN_CLIENT_HOSTS", " Claude.ai, ,example.org")]).unwrap();
        assert_eq!(
            hosts.authorization.known_client_hosts,
            ["claude.ai", "example.org"]
        );
        let error = load(&[("OAUTH_KNOWN_CLIENT_HOSTS", "https://claude.ai/")]).unwrap_err();
        assert_eq!(error.variable, "OAUTH_KNOWN_CLIENT_HOSTS");
    }
}
