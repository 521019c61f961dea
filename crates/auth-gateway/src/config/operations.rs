//! Operational settings: the metrics listener, timeouts, graceful shutdown, connection
//! cap and rate limits (docs/threat-model.md G1, G2, R11). All have defaults fit for production.

use super::{ConfigError, Vars, invalid};
use crate::domain::MaintenanceSettings;
use std::time::Duration;

/// How the HTTP server behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// `METRICS_PORT`: serve `/metrics` on this port (on `HOST`) instead of the main one.
    pub metrics_port: Option<u16>,
    /// `HEADER_READ_TIMEOUT_SECONDS`: a client must send its request headers within this.
    pub header_read_timeout: Duration,
    /// `REQUEST_TIMEOUT_SECONDS`: a request taking longer is answered 503.
    pub request_timeout: Duration,
    /// `SHUTDOWN_GRACE_SECONDS`: how long in-flight requests may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// `MAX_CONNECTIONS`: open connections beyond this wait to be accepted.
    pub max_connections: usize,
    /// `API_DOCS`: serve the `/docs` page (default: in development only).
    pub api_docs: bool,
}

/// Token buckets on `/auth/token` and `/auth/init`; 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `RATE_LIMIT_PER_MINUTE`: requests per minute per API key (burst of the same size).
    pub per_client_per_minute: u32,
    /// `RATE_LIMIT_PER_IP_PER_MINUTE`: requests per minute per client IP address.
    pub per_ip_per_minute: u32,
    /// `RATE_LIMIT_TRUST_FORWARDED_FOR`: take the client IP from the last
    /// `X-Forwarded-For` entry (only behind a load balancer that sets it).
    pub trust_forwarded_for: bool,
}

/// The long-poll of `/auth/status` waits up to 60 s, so requests must be allowed longer.
const MIN_REQUEST_TIMEOUT_SECS: u64 = 65;

pub(super) fn server(vars: &Vars<'_>, development: bool) -> Result<ServerSettings, ConfigError> {
    let metrics_port = match vars.text("METRICS_PORT") {
        None => None,
        Some(_) => Some(vars.number("METRICS_PORT", 0_u16)?),
    };
    let header_read_timeout = seconds(vars, "HEADER_READ_TIMEOUT_SECONDS", 10, 1..=300)?;
    let request_timeout = seconds(
        vars,
        "REQUEST_TIMEOUT_SECONDS",
        75,
        MIN_REQUEST_TIMEOUT_SECS..=3600,
    )?;
    let shutdown_grace = seconds(vars, "SHUTDOWN_GRACE_SECONDS", 20, 0..=3600)?;
    let max_connections: usize = vars.number("MAX_CONNECTIONS", 1024)?;
    if max_connections == 0 {
        return Err(invalid("MAX_CONNECTIONS", "must be at least 1"));
    }
    Ok(ServerSettings {
        metrics_port,
        header_read_timeout,
        request_timeout,
        shutdown_grace,
        max_connections,
        api_docs: flag(vars, "API_DOCS", development)?,
    })
}

pub(super) fn rate_limits(vars: &Vars<'_>) -> Result<RateLimits, ConfigError> {
    Ok(RateLimits {
        per_client_per_minute: vars.number("RATE_LIMIT_PER_MINUTE", 6000)?,
        per_ip_per_minute: vars.number("RATE_LIMIT_PER_IP_PER_MINUTE", 6000)?,
        trust_forwarded_for: flag(vars, "RATE_LIMIT_TRUST_FORWARDED_FOR", false)?,
    })
}

/// The background refresh job (see `core::maintenance`).
pub(super) fn background_refresh(vars: &Vars<'_>) -> Result<MaintenanceSettings, ConfigError> {
    let days: i64 = vars.number("KEEPALIVE_DAYS", 30)?;
    if !(1..=180).contains(&days) {
        return Err(invalid("KEEPALIVE_DAYS", "must be between 1 and 180"));
    }
    let batch: u32 = vars.number("BACKGROUND_REFRESH_BATCH", 20)?;
    if batch == 0 {
        return Err(invalid("BACKGROUND_REFRESH_BATCH", "must be at least 1"));
    }
    Ok(MaintenanceSettings {
        interval: seconds(vars, "BACKGROUND_REFRESH_INTERVAL_SECONDS", 60, 0..=3600)?,
        keep_alive_after: chrono::Duration::days(days),
        batch,
    })
}

fn seconds(
    vars: &Vars<'_>,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    let value: u64 = vars.number(name, default)?;
    if !range.contains(&value) {
        return Err(invalid(
            name,
            format!(
                "must be between {} and {} seconds",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(Duration::from_secs(value))
}

fn flag(vars: &Vars<'_>, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match vars
        .text(name)
        .map(|value| value.trim().to_ascii_lowercase())
        .as_deref()
    {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(invalid(
            name,
            format!("expected true or false, got {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use std::collections::HashMap;
    use std::time::Duration;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, super::ConfigError> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(&move |name| vars.get(name).cloned())
    }

    #[test]
    fn operational_defaults_are_generous_and_docs_are_on_in_development() {
        let config = load(&[]).unwrap();
        assert_eq!(config.server.metrics_port, None);
        assert_eq!(config.server.header_read_timeout, Duration::from_secs(10));
        assert_eq!(config.server.request_timeout, Duration::from_secs(75));
        assert_eq!(config.server.shutdown_grace, Duration::from_secs(20));
        assert!(config.server.api_docs);
        assert_eq!(config.rate_limits.per_client_per_minute, 6000);
        assert_eq!(config.rate_limits.per_ip_per_minute, 6000);
        assert!(!config.rate_limits.trust_forwarded_for);
    }

    #[test]
    fn operational_settings_are_read_from_their_variables() {
        let config = load(&[
            ("METRICS_PORT", "9100"),
            ("SHUTDOWN_GRACE_SECONDS", "5"),
            ("RATE_LIMIT_PER_MINUTE", "0"),
            ("RATE_LIMIT_PER_IP_PER_MINUTE", "30"),
            ("RATE_LIMIT_TRUST_FORWARDED_FOR", "true"),
            ("API_DOCS", "off"),
        ])
        .unwrap();
        assert_eq!(config.server.metrics_port, Some(9100));
        assert_eq!(config.server.shutdown_grace, Duration::from_secs(5));
        assert_eq!(config.rate_limits.per_client_per_minute, 0);
        assert_eq!(config.rate_limits.per_ip_per_minute, 30);
        assert!(config.rate_limits.trust_forwarded_for);
        assert!(!config.server.api_docs);
    }

    #[test]
    fn bad_operational_values_name_their_variable() {
        for (name, value) in [
            ("METRICS_PORT", "x"),
            ("REQUEST_TIMEOUT_SECONDS", "10"),
            ("HEADER_READ_TIMEOUT_SECONDS", "0"),
            ("MAX_CONNECTIONS", "0"),
            ("RATE_LIMIT_PER_MINUTE", "-1"),
            ("RATE_LIMIT_TRUST_FORWARDED_FOR", "maybe"),
        ] {
            assert_eq!(load(&[(name, value)]).unwrap_err().variable, name);
        }
    }
}
