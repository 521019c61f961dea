//! Configuration: the original gateway's environment variables (and `.env`), loaded once
//! into one typed tree and passed down. A bad value stops startup with one line naming
//! the variable. `*_FILE` variants read secrets from files.

use crate::domain::{AuthorizationSettings, IdentityPolicy, MaintenanceSettings, ScopeSet};
use crate::store::DatabaseUrl;
use crate::upstream::google::GoogleSettings;
use secrecy::SecretString;
use std::net::IpAddr;
use std::path::PathBuf;

mod authorization;
mod operations;
mod production;
pub use operations::{IpNetwork, RateLimits, ServerSettings};

/// Google's production endpoints.
const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
/// Asked for on every Google sign-in unless `GOOGLE_SCOPES` says otherwise: identity,
/// plus the APIs of the MCP servers this gateway was built for.
const GOOGLE_DEFAULT_SCOPES: &str = "openid email https://www.googleapis.com/auth/adwords https://www.googleapis.com/auth/analytics.readonly";

/// Deployment kind. Development fills in missing secrets; production refuses to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// A configuration error: which variable, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

/// Log output settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// A `tracing` filter directive (`info`, `auth_gateway=debug`, ...).
    pub filter: String,
    pub json: bool,
}

/// Secrets that may be missing in development (and are then generated).
#[derive(Debug)]
pub struct Secrets {
    pub encryption_key: Option<SecretString>,
    pub encryption_salt: Option<SecretString>,
    pub rotation_keys: Vec<SecretString>,
    pub api_key: Option<SecretString>,
}

/// The whole configuration. Its `Debug` hides the database password (secrets are
/// `SecretString`s, which hide themselves).
pub struct Config {
    pub environment: Environment,
    pub host: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub public_url: url::Url,
    pub secrets: Secrets,
    /// `None` when `GOOGLE_CLIENT_ID` is unset (development only): Google is disabled.
    pub google: Option<GoogleSettings>,
    pub identity_policy: IdentityPolicy,
    pub session_ttl: chrono::Duration,
    pub refresh_buffer: chrono::Duration,
    pub log: LogSettings,
    pub server: ServerSettings,
    pub rate_limits: RateLimits,
    /// The background refresh job; an interval of zero turns it off.
    pub background_refresh: MaintenanceSettings,
    /// The OAuth authorization server's lifetimes and switches.
    pub authorization: AuthorizationSettings,
    /// `AUDIT_RETENTION_DAYS`: audit events older than this are deleted; `None` (0)
    /// keeps them forever.
    pub audit_retention: Option<chrono::Duration>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.redacted())
            .field("public_url", &self.public_url.as_str())
            .field("secrets", &self.secrets)
            .field("google", &self.google)
            .field("identity_policy", &self.identity_policy)
            .field("audit_retention", &self.audit_retention)
            .field("session_ttl", &self.session_ttl)
            .field("refresh_buffer", &self.refresh_buffer)
            .field("log", &self.log)
            .field("server", &self.server)
            .field("rate_limits", &self.rate_limits)
            .field("background_refresh", &self.background_refresh)
            .field("authorization", &self.authorization)
            .finish()
    }
}

/// Reads variables from a lookup function (the process environment in the binary).
struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Vars<'_> {
    fn text(&self, name: &'static str) -> Option<String> {
        (self.0)(name).filter(|value| !value.trim().is_empty())
    }

    /// A secret from `NAME`, or from the file named by `NAME_FILE`.
    fn secret(
        &self,
        name: &'static str,
        file_var: &'static str,
    ) -> Result<Option<SecretString>, ConfigError> {
        if let Some(value) = self.text(name) {
            return Ok(Some(SecretString::from(value.trim().to_owned())));
        }
        let Some(path) = self.text(file_var) else {
            return Ok(None);
        };
        let content = std::fs::read_to_string(&path)
            .map_err(|error| invalid(file_var, format!("cannot read {path}: {error}")))?;
        Ok(Some(SecretString::from(content.trim().to_owned())))
    }

    fn number<T: std::str::FromStr>(
        &self,
        name: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        self.text(name).map_or(Ok(default), |value| {
            value
                .trim()
                .parse()
                .map_err(|_| invalid(name, format!("expected a number, got {value:?}")))
        })
    }

    fn url(&self, name: &'static str, default: &str) -> Result<url::Url, ConfigError> {
        let value = self.text(name).unwrap_or_else(|| default.to_owned());
        let url = url::Url::parse(value.trim())
            .map_err(|error| invalid(name, format!("not a URL: {error}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(name, "must be an http or https URL"));
        }
        Ok(url)
    }
}

impl Config {
    /// Loads the configuration from `lookup` (e.g. `|name| std::env::var(name).ok()`).
    pub fn load(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let vars = Vars(lookup);
        let environment = environment(&vars)?;
        let production = environment == Environment::Production;
        let default_host = if production { "0.0.0.0" } else { "127.0.0.1" };
        let host = vars
            .text("HOST")
            .unwrap_or_else(|| default_host.to_owned())
            .trim()
            .parse()
            .map_err(|_| {
                invalid(
                    "HOST",
                    "expected an IP address such as 127.0.0.1 or 0.0.0.0",
                )
            })?;
        let port = vars.number("PORT", 8000_u16)?;
        let data_dir = PathBuf::from(
            vars.text("AUTH_GATEWAY_DATA_DIR")
                .unwrap_or_else(|| ".auth-gateway".into()),
        );
        let database_url = match vars.text("DATABASE_URL") {
            Some(url) => DatabaseUrl::parse(url.trim())
                .map_err(|problem| invalid("DATABASE_URL", problem))?,
            None => DatabaseUrl::Sqlite(format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("auth-gateway.db").display()
            )),
        };
        let public_url = public_url(&vars, port)?;
        let secrets = secrets(&vars, production)?;
        let google = match vars.text("GOOGLE_CLIENT_ID") {
            Some(client_id) => Some(google(&vars, client_id.trim(), &public_url)?),
            None if production => {
                return Err(invalid("GOOGLE_CLIENT_ID", "required in production"));
            }
            None => None,
        };
        let identity_policy = match vars
            .text("GOOGLE_IDENTITY_POLICY")
            .as_deref()
            .map(str::trim)
        {
            None | Some("email") => IdentityPolicy::SameEmail,
            Some("any") => IdentityPolicy::Any,
            Some(other) => {
                return Err(invalid(
                    "GOOGLE_IDENTITY_POLICY",
                    format!("expected email or any, got {other:?}"),
                ));
            }
        };
        let session_minutes: i64 = vars.number("SESSION_EXPIRY_MINUTES", 10)?;
        let buffer_seconds: i64 = vars.number("TOKEN_REFRESH_BUFFER_SECONDS", 300)?;
        if !(1..=24 * 60).contains(&session_minutes) {
            return Err(invalid(
                "SESSION_EXPIRY_MINUTES",
                "must be between 1 and 1440",
            ));
        }
        if !(0..=3600).contains(&buffer_seconds) {
            return Err(invalid(
                "TOKEN_REFRESH_BUFFER_SECONDS",
                "must be between 0 and 3600",
            ));
        }
        let config = Self {
            environment,
            host,
            port,
            data_dir,
            database_url,
            public_url,
            secrets,
            google,
            identity_policy,
            session_ttl: chrono::Duration::minutes(session_minutes),
            refresh_buffer: chrono::Duration::seconds(buffer_seconds),
            log: log_settings(&vars, production)?,
            server: operations::server(&vars, !production)?,
            rate_limits: operations::rate_limits(&vars)?,
            background_refresh: operations::background_refresh(&vars)?,
            authorization: authorization::settings(&vars)?,
            audit_retention: operations::audit_retention(&vars)?,
        };
        if production {
            production::refuse_weak(&vars, &config)?;
        }
        Ok(config)
    }
}

fn environment(vars: &Vars<'_>) -> Result<Environment, ConfigError> {
    match vars
        .text("ENVIRONMENT")
        .map(|value| value.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("development" | "dev" | "local" | "test") => Ok(Environment::Development),
        Some("production" | "prod" | "staging") => Ok(Environment::Production),
        Some(other) => Err(invalid(
            "ENVIRONMENT",
            format!("expected development or production, got {other:?}"),
        )),
    }
}

/// `AUTH_GATEWAY_PUBLIC_URL`, else the origin of `GOOGLE_REDIRECT_URI`, else localhost.
fn public_url(vars: &Vars<'_>, port: u16) -> Result<url::Url, ConfigError> {
    if vars.text("AUTH_GATEWAY_PUBLIC_URL").is_some() {
        return vars.url("AUTH_GATEWAY_PUBLIC_URL", "");
    }
    if vars.text("GOOGLE_REDIRECT_URI").is_some() {
        let redirect = vars.url("GOOGLE_REDIRECT_URI", "")?;
        return url::Url::parse(&redirect.origin().ascii_serialization()).map_err(|error| {
            invalid(
                "GOOGLE_REDIRECT_URI",
                format!("has no usable origin: {error}"),
            )
        });
    }
    vars.url(
        "AUTH_GATEWAY_PUBLIC_URL",
        &format!("http://localhost:{port}"),
    )
}

fn secrets(vars: &Vars<'_>, production: bool) -> Result<Secrets, ConfigError> {
    let secrets = Secrets {
        encryption_key: vars.secret(
            "AUTH_GATEWAY_ENCRYPTION_KEY",
            "AUTH_GATEWAY_ENCRYPTION_KEY_FILE",
        )?,
        encryption_salt: vars.secret(
            "AUTH_GATEWAY_ENCRYPTION_KEY_SALT",
            "AUTH_GATEWAY_ENCRYPTION_KEY_SALT_FILE",
        )?,
        rotation_keys: vars
            .secret(
                "AUTH_GATEWAY_ROTATION_KEYS",
                "AUTH_GATEWAY_ROTATION_KEYS_FILE",
            )?
            .map(|keys| split_keys(&keys))
            .unwrap_or_default(),
        api_key: vars.secret("AUTH_GATEWAY_API_KEY", "AUTH_GATEWAY_API_KEY_FILE")?,
    };
    if production && secrets.encryption_key.is_none() {
        return Err(invalid(
            "AUTH_GATEWAY_ENCRYPTION_KEY",
            "required in production (a random string of 32+ characters)",
        ));
    }
    if production && secrets.api_key.is_none() {
        return Err(invalid("AUTH_GATEWAY_API_KEY", "required in production"));
    }
    Ok(secrets)
}

fn google(
    vars: &Vars<'_>,
    client_id: &str,
    public_url: &url::Url,
) -> Result<GoogleSettings, ConfigError> {
    Ok(GoogleSettings {
        client_id: client_id.to_owned(),
        client_secret: vars
            .secret("GOOGLE_CLIENT_SECRET", "GOOGLE_CLIENT_SECRET_FILE")?
            .ok_or_else(|| {
                invalid(
                    "GOOGLE_CLIENT_SECRET",
                    "required when GOOGLE_CLIENT_ID is set",
                )
            })?,
        redirect_uri: vars.url(
            "GOOGLE_REDIRECT_URI",
            &format!(
                "{}/auth/callback/google",
                public_url.as_str().trim_end_matches('/')
            ),
        )?,
        auth_url: vars.url("GOOGLE_AUTH_URL", GOOGLE_AUTH_URL)?,
        token_url: vars.url("GOOGLE_TOKEN_URL", GOOGLE_TOKEN_URL)?,
        revoke_url: vars.url("GOOGLE_REVOKE_URL", GOOGLE_REVOKE_URL)?,
        userinfo_url: vars.url("GOOGLE_USERINFO_URL", GOOGLE_USERINFO_URL)?,
        default_scopes: ScopeSet::from_space_separated(
            &vars
                .text("GOOGLE_SCOPES")
                .unwrap_or_else(|| GOOGLE_DEFAULT_SCOPES.to_owned()),
        ),
        hosted_domain: vars
            .text("GOOGLE_HOSTED_DOMAIN")
            .map(|domain| domain.trim().to_ascii_lowercase()),
        outbound_proxy: match vars.text("AUTH_GATEWAY_OUTBOUND_PROXY") {
            Some(_) => Some(SecretString::from(
                vars.url("AUTH_GATEWAY_OUTBOUND_PROXY", "")?.to_string(),
            )),
            None => None,
        },
    })
}

fn split_keys(keys: &SecretString) -> Vec<SecretString> {
    use secrecy::ExposeSecret;
    keys.expose_secret()
        .split(',')
        .map(str::trim)
        .filter(|key| !key.is_empty())
        .map(|key| SecretString::from(key.to_owned()))
        .collect()
}

/// `LOG_LEVEL` takes the original's names (`DEBUG`, `INFO`, `WARNING`, `ERROR`) and
/// `tracing` filter directives; `LOG_FORMAT` is `json` or `text`.
fn log_settings(vars: &Vars<'_>, production: bool) -> Result<LogSettings, ConfigError> {
    let level = vars.text("LOG_LEVEL").unwrap_or_else(|| "INFO".into());
    let filter = match level.trim().to_ascii_uppercase().as_str() {
        "TRACE" => "trace".to_owned(),
        "DEBUG" => "debug".to_owned(),
        "INFO" => "info".to_owned(),
        "WARNING" | "WARN" => "warn".to_owned(),
        "ERROR" | "CRITICAL" => "error".to_owned(),
        _ if tracing_subscriber::EnvFilter::try_new(level.trim()).is_ok() => {
            level.trim().to_owned()
        }
        _ => {
            return Err(invalid(
                "LOG_LEVEL",
                format!("expected DEBUG, INFO, WARNING or ERROR, got {level:?}"),
            ));
        }
    };
    let json = match vars.text("LOG_FORMAT").as_deref().map(str::trim) {
        None => production,
        Some("json") => true,
        Some("text" | "pretty" | "plain") => false,
        Some(other) => {
            return Err(invalid(
                "LOG_FORMAT",
                format!("expected json or text, got {other:?}"),
            ));
        }
    };
    Ok(LogSettings { filter, json })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::load(&move |name| vars.get(name).cloned())
    }

    #[test]
    fn no_configuration_means_development_on_loopback_port_8000_with_sqlite() {
        let config = load(&[]).unwrap();
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.host.to_string(), "127.0.0.1");
        assert_eq!(config.port, 8000);
        assert!(matches!(config.database_url, DatabaseUrl::Sqlite(_)));
        assert!(config.google.is_none());
        assert_eq!(config.log.filter, "info");
    }

    #[test]
    fn production_without_keys_names_the_missing_variable() {
        let error = load(&[("ENVIRONMENT", "production")]).unwrap_err();
        assert_eq!(error.variable, "AUTH_GATEWAY_ENCRYPTION_KEY");
        let error = load(&[
            ("ENVIRONMENT", "production"),
            ("AUTH_GATEWAY_ENCRYPTION_KEY", "k"),
        ])
        .unwrap_err();
        assert_eq!(error.variable, "AUTH_GATEWAY_API_KEY");
    }

    #[test]
    fn original_names_and_url_forms_are_accepted() {
        let config = load(&[
            ("DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/gw"),
            ("LOG_LEVEL", "WARNING"),
            ("AUTH_GATEWAY_ROTATION_KEYS", "old-key-one, old-key-two"),
            ("GOOGLE_CLIENT_ID", "id"),
            ("GOOGLE_CLIENT_SECRET", "secret"),
            (
                "GOOGLE_REDIRECT_URI",
                "https://gw.example.com/auth/callback/google",
            ),
        ])
        .unwrap();
        assert_eq!(
            config.database_url,
            DatabaseUrl::Postgres("postgresql://u:p@db:5432/gw".into())
        );
        assert_eq!(config.log.filter, "warn");
        assert_eq!(config.secrets.rotation_keys.len(), 2);
        assert_eq!(config.public_url.as_str(), "https://gw.example.com/");
    }

    #[test]
    fn debug_output_hides_the_database_password_and_every_secret() {
        let config = load(&[
            ("DATABASE_URL", "postgres://gateway:hunter2-db@db:5432/gw"),
            ("AUTH_GATEWAY_API_KEY", "api-key-that-must-not-show"),
            (
                "AUTH_GATEWAY_ENCRYPTION_KEY",
                "encryption-key-that-must-not-show",
            ),
            ("GOOGLE_CLIENT_ID", "id"),
            ("GOOGLE_CLIENT_SECRET", "client-secret-that-must-not-show"),
        ])
        .unwrap();
        let debug = format!("{config:?}");
        for secret in [
            "hunter2-db",
            "api-key-that-must-not-show",
            "encryption-key-that-must-not-show",
            "client-secret-that-must-not-show",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(
            debug.contains("postgres://gateway:***@db:5432/gw"),
            "{debug}"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (name, value) in [
            ("PORT", "eighty"),
            ("HOST", "example.com"),
            ("DATABASE_URL", "mysql://x"),
            ("LOG_LEVEL", "LOUD=="),
            ("ENVIRONMENT", "moon"),
        ] {
            assert_eq!(load(&[(name, value)]).unwrap_err().variable, name);
        }
        assert_eq!(
            load(&[("GOOGLE_CLIENT_ID", "id")]).unwrap_err().variable,
            "GOOGLE_CLIENT_SECRET"
        );
    }
}
