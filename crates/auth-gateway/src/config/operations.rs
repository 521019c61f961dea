//! Operational settings: the metrics listener, timeouts, graceful shutdown, connection
//! cap, rate limits and trusted proxies (docs/threat-model.md G1, G2, R11). All have defaults fit for production.

use super::{ConfigError, Vars, invalid};
use crate::domain::MaintenanceSettings;
use std::net::IpAddr;
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
    /// `MAX_CONNECTIONS_PER_IP`: open connections from one address (not a trusted
    /// proxy) beyond this are closed; default half of `MAX_CONNECTIONS`.
    pub max_connections_per_ip: usize,
    /// `MAX_LONG_POLLS_PER_CLIENT`: `/auth/status?wait=` requests one client may have
    /// waiting at once; more get 429.
    pub max_long_polls_per_client: usize,
    /// `API_DOCS`: serve the `/docs` page (default: in development only).
    pub api_docs: bool,
}

/// Token buckets (docs/threat-model.md G1); 0 turns a limit off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimits {
    /// `RATE_LIMIT_PER_MINUTE`: requests per minute per API key (burst of the same
    /// size). The default is above what one replica serves: only a runaway client meets it.
    pub per_client_per_minute: u32,
    /// `RATE_LIMIT_PER_IP_PER_MINUTE`: requests per minute per client IP address that
    /// did not authenticate (public routes, missing or refused keys).
    pub per_ip_per_minute: u32,
    /// `RATE_LIMIT_TRUST_FORWARDED_FOR`: take the client IP from the last
    /// `X-Forwarded-For` entry whatever the peer (the earlier, coarser setting; prefer
    /// `TRUSTED_PROXIES`).
    pub trust_forwarded_for: bool,
    /// `TRUSTED_PROXIES`: addresses or networks of our own proxies. A request from one
    /// of them is counted against the rightmost `X-Forwarded-For` hop that is not.
    pub trusted_proxies: Vec<IpNetwork>,
}

/// Above the ~35 000 requests/s one replica serves on the benchmark's cached path.
const DEFAULT_PER_CLIENT_PER_MINUTE: u32 = 3_000_000;
/// Ten a second per address, with a burst of 600: sign-ins and probes fit easily.
const DEFAULT_PER_IP_PER_MINUTE: u32 = 600;

/// An IP address or a CIDR network (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    address: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    /// Parses `address` or `address/prefix`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or network"))?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= bits)
                .ok_or_else(|| format!("{text:?} has a prefix length outside 0-{bits}"))?,
        };
        Ok(Self { address, prefix })
    }

    /// Whether `ip` is in this network (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
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
    let max_connections_per_ip: usize =
        vars.number("MAX_CONNECTIONS_PER_IP", (max_connections / 2).max(1))?;
    if !(1..=max_connections).contains(&max_connections_per_ip) {
        return Err(invalid(
            "MAX_CONNECTIONS_PER_IP",
            format!("must be between 1 and MAX_CONNECTIONS ({max_connections})"),
        ));
    }
    let max_long_polls_per_client: usize = vars.number("MAX_LONG_POLLS_PER_CLIENT", 64)?;
    if max_long_polls_per_client == 0 {
        return Err(invalid("MAX_LONG_POLLS_PER_CLIENT", "must be at least 1"));
    }
    Ok(ServerSettings {
        metrics_port,
        header_read_timeout,
        request_timeout,
        shutdown_grace,
        max_connections,
        max_connections_per_ip,
        max_long_polls_per_client,
        api_docs: flag(vars, "API_DOCS", development)?,
    })
}

pub(super) fn rate_limits(vars: &Vars<'_>) -> Result<RateLimits, ConfigError> {
    let trusted_proxies = vars
        .text("TRUSTED_PROXIES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(IpNetwork::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|problem| {
            invalid(
                "TRUSTED_PROXIES",
                format!(
                    "{problem}; expected comma-separated addresses or networks such as 10.0.0.0/8"
                ),
            )
        })?;
    Ok(RateLimits {
        per_client_per_minute: vars
            .number("RATE_LIMIT_PER_MINUTE", DEFAULT_PER_CLIENT_PER_MINUTE)?,
        per_ip_per_minute: vars
            .number("RATE_LIMIT_PER_IP_PER_MINUTE", DEFAULT_PER_IP_PER_MINUTE)?,
        trust_forwarded_for: flag(vars, "RATE_LIMIT_TRUST_FORWARDED_FOR", false)?,
        trusted_proxies,
    })
}

/// The background refresh job (see `core::flows::maintenance`).
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

/// `AUDIT_RETENTION_DAYS` (default 400, a little over a year so a yearly review still
/// finds last year's events; 0 keeps events forever).
pub(super) fn audit_retention(vars: &Vars<'_>) -> Result<Option<chrono::Duration>, ConfigError> {
    let days: i64 = vars.number("AUDIT_RETENTION_DAYS", 400)?;
    if !(0..=36_500).contains(&days) {
        return Err(invalid(
            "AUDIT_RETENTION_DAYS",
            "must be between 0 (keep forever) and 36500",
        ));
    }
    Ok((days > 0).then(|| chrono::Duration::days(days)))
}

pub(super) fn seconds(
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

pub(super) fn flag(
    vars: &Vars<'_>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
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
        assert_eq!(config.rate_limits.per_client_per_minute, 3_000_000);
        assert_eq!(config.rate_limits.per_ip_per_minute, 600);
        assert!(!config.rate_limits.trust_forwarded_for);
        assert!(config.rate_limits.trusted_proxies.is_empty());
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
    fn trusted_proxies_are_addresses_and_networks() {
        use super::IpNetwork;
        let config = load(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8, fd00::/8")]).unwrap();
        let proxies = &config.rate_limits.trusted_proxies;
        assert_eq!(proxies.len(), 3);
        let contains = |ip: &str| proxies.iter().any(|net| net.contains(ip.parse().unwrap()));
        assert!(contains("127.0.0.1"));
        assert!(contains("10.200.3.4"));
        assert!(contains("::ffff:10.1.1.1"));
        assert!(contains("fd12::1"));
        assert!(!contains("127.0.0.2"));
        assert!(!contains("11.0.0.1"));
        assert!(
            IpNetwork::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
    }

    #[test]
    fn bad_operational_values_name_their_variable() {
        for (name, value) in [
            ("METRICS_PORT", "x"),
            ("REQUEST_TIMEOUT_SECONDS", "10"),
            ("HEADER_READ_TIMEOUT_SECONDS", "0"),
            ("MAX_CONNECTIONS", "0"),
            ("MAX_CONNECTIONS_PER_IP", "0"),
            ("MAX_LONG_POLLS_PER_CLIENT", "0"),
            ("RATE_LIMIT_PER_MINUTE", "-1"),
            ("RATE_LIMIT_TRUST_FORWARDED_FOR", "maybe"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TRUSTED_PROXIES", "proxy.internal"),
        ] {
            assert_eq!(load(&[(name, value)]).unwrap_err().variable, name);
        }
    }
}
