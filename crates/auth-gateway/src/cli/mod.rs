//! The admin command line: `generate-keys`, `reencrypt`, `clients`, `resources`,
//! `signing-keys`, `audit` and `import-legacy`, next to the default `serve`. Each command is a function taking
//! explicit inputs and an output, so tests call them directly.

pub mod audit;
pub mod clients;
pub mod generate_keys;
pub mod import_legacy;
pub mod reencrypt;
pub mod resources;
pub mod signing_keys;

use crate::config::Config;
use crate::core::clock::{Clock as _, SystemClock};
use crate::core::crypto::KeyRing;
use crate::store::{self, Store};
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::Arc;

/// OAuth token gateway for MCP servers.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// What to do; without one, the gateway serves.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gateway (the default).
    Serve,
    /// Print a new encryption key, API key and salt in `.env` form.
    GenerateKeys(generate_keys::Args),
    /// Re-encrypt every stored secret not under the primary key (online, resumable).
    Reencrypt(reencrypt::Args),
    /// Manage per-MCP-server API keys.
    #[command(subcommand)]
    Clients(clients::ClientsCommand),
    /// Manage the MCP servers registered as OAuth protected resources.
    #[command(subcommand)]
    Resources(resources::ResourcesCommand),
    /// Manage the keys that sign the gateway's access tokens.
    #[command(subcommand)]
    SigningKeys(signing_keys::SigningKeysCommand),
    /// Print the audit trail.
    Audit(audit::Args),
    /// Import grants from the original Python gateway's database.
    ImportLegacy(import_legacy::Args),
}

/// Runs an admin command; `None` for `serve`, which the binary runs itself.
pub async fn run(command: Command) -> Option<anyhow::Result<()>> {
    let mut out = std::io::stdout().lock();
    let now = SystemClock.now();
    Some(match command {
        Command::Serve => return None,
        Command::GenerateKeys(args) => generate_keys::run(&args, &mut out),
        Command::Reencrypt(args) => match open().await {
            Ok((store, keys, _)) => reencrypt::run(store.as_ref(), &keys, now, &args, &mut out)
                .await
                .map(drop),
            Err(error) => Err(error),
        },
        Command::Clients(command) => match open().await {
            Ok((store, _, providers)) => match clients::check_providers(&command, &providers) {
                Ok(()) => clients::run(store.as_ref(), now, command, &mut out).await,
                Err(error) => Err(error),
            },
            Err(error) => Err(error),
        },
        Command::Resources(command) => match open().await {
            Ok((store, _, providers)) => {
                resources::run(store.as_ref(), now, command, &providers, &mut out).await
            }
            Err(error) => Err(error),
        },
        Command::SigningKeys(command) => match open().await {
            Ok((store, keys, _)) => {
                signing_keys::run(store.as_ref(), &keys, now, command, &mut out).await
            }
            Err(error) => Err(error),
        },
        Command::Audit(args) => match open().await {
            Ok((store, _, _)) => audit::run(store.as_ref(), now, &args, &mut out).await,
            Err(error) => Err(error),
        },
        Command::ImportLegacy(args) => match open().await {
            Ok((store, keys, _)) => import_legacy::run(store.as_ref(), &keys, now, &args, &mut out)
                .await
                .map(drop),
            Err(error) => Err(error),
        },
    })
}

/// Opens the store and key ring the gateway would use, from the same environment, and
/// names the providers configured there. Never creates a key: a development key is read
/// from the data directory if one was made.
async fn open() -> anyhow::Result<(Arc<dyn Store>, KeyRing, Vec<String>)> {
    let config = Config::load(&|name| std::env::var(name).ok()).context("invalid configuration")?;
    let secrets = &config.secrets;
    let saved = config.data_dir.join("encryption.key");
    let key = match &secrets.encryption_key {
        Some(key) => key.clone(),
        None => std::fs::read_to_string(&saved)
            .ok()
            .map(|text| SecretString::from(text.trim().to_owned()))
            .filter(|key| !secrecy::ExposeSecret::expose_secret(key).is_empty())
            .with_context(|| {
                format!(
                    "AUTH_GATEWAY_ENCRYPTION_KEY is not set (and {} does not exist)",
                    saved.display()
                )
            })?,
    };
    let keys = KeyRing::new(
        &key,
        secrets.encryption_salt.as_ref(),
        &secrets.rotation_keys,
    )
    .context("AUTH_GATEWAY_ENCRYPTION_KEY")?;
    let store = store::connect(&config.database_url)
        .await
        .context("DATABASE_URL")?;
    let providers = config.google.iter().map(|_| "google".to_owned()).collect();
    Ok((store, keys, providers))
}

/// Which `.env` file the process loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFile {
    /// `set` names the variables the file set (those not already in the environment).
    Loaded {
        path: PathBuf,
        set: Vec<String>,
    },
    None,
}

impl EnvFile {
    /// Adds where a variable came from to the first place an error line names one the
    /// file set (`DATABASE_URL (from /app/.env): ...`): a setting copied from another
    /// deployment's `.env` is then found at once.
    pub fn annotate(&self, line: &str) -> String {
        let Self::Loaded { path, set } = self else {
            return line.to_owned();
        };
        let mut parts: Vec<String> = line.split(": ").map(str::to_owned).collect();
        if let Some(part) = parts
            .iter_mut()
            .find(|part| set.iter().any(|name| name == part.as_str()))
        {
            *part = format!("{part} (from {})", path.display());
        }
        parts.join(": ")
    }
}

/// Loads `.env` from the working directory only, without overriding variables already
/// set, and says which file that was. Not from a directory above (where dotenvy would
/// look): started from a subdirectory, the gateway would take settings, even secrets,
/// from a file nobody meant for it. A file that does not parse stops startup naming the
/// file and the variable on the bad line, never the line itself (it may hold a secret).
pub fn load_env_file() -> anyhow::Result<EnvFile> {
    let Ok(cwd) = std::env::current_dir() else {
        return Ok(EnvFile::None);
    };
    let path = cwd.join(".env");
    if !path.is_file() {
        return Ok(EnvFile::None);
    }
    let read_error =
        |error| anyhow::Error::new(error).context(format!("cannot read {}", path.display()));
    // Read once to learn which variables the file will set (and to report a bad line),
    // then let dotenvy set them.
    let mut set = Vec::new();
    for item in dotenvy::from_path_iter(&path).map_err(read_error)? {
        match item {
            Ok((name, _)) => {
                if std::env::var_os(&name).is_none() && !set.contains(&name) {
                    set.push(name);
                }
            }
            Err(dotenvy::Error::LineParse(line, _)) => return Err(bad_line(&path, &line)),
            Err(error) => return Err(read_error(error)),
        }
    }
    dotenvy::from_path(&path).map_err(read_error)?;
    Ok(EnvFile::Loaded { path, set })
}

/// A `.env` line that does not parse, named by its variable (the value may be secret).
fn bad_line(path: &std::path::Path, line: &str) -> anyhow::Error {
    let name = line
        .split_once('=')
        .map(|(name, _)| name.trim().trim_start_matches("export ").trim())
        .filter(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        });
    match name {
        Some(name) => anyhow::anyhow!(
            "{}: the line setting {name} does not parse (check its quotes)",
            path.display()
        ),
        None => anyhow::anyhow!("{}: a line does not parse", path.display()),
    }
}

/// An error as one line for a person: the causes joined by `: `, leaving out a cause the
/// message before it already ends with (sqlx's errors, for one, repeat their source at
/// the end of their own text), with line breaks flattened.
pub fn error_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let message = cause.to_string();
        let message = message.trim();
        let quoted = parts.last().is_some_and(|last| last.ends_with(message));
        if !message.is_empty() && !quoted {
            parts.push(message.to_owned());
        }
    }
    parts
        .join(": ")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Parses `30s`, `15m`, `24h` or `7d`.
pub fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("expected a duration like 30s, 15m, 24h or 7d, got {text:?}"))?;
    match unit {
        "s" => Ok(chrono::Duration::seconds(number)),
        "m" => Ok(chrono::Duration::minutes(number)),
        "h" => Ok(chrono::Duration::hours(number)),
        "d" => Ok(chrono::Duration::days(number)),
        _ => Err(format!(
            "expected a duration like 30s, 15m, 24h or 7d, got {text:?}"
        )),
    }
}

/// Parses an RFC 3339 time, or a duration meaning that long before `now`.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .or_else(|_| parse_duration(text).map(|ago| now - ago))
        .map_err(|_| format!("expected an RFC 3339 time or a duration like 24h, got {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn an_error_line_names_the_env_file_a_variable_came_from() {
        let env = EnvFile::Loaded {
            path: PathBuf::from("/app/.env"),
            set: vec!["DATABASE_URL".into()],
        };
        assert_eq!(
            env.annotate("DATABASE_URL: could not reach PostgreSQL at postgres:5432: x"),
            "DATABASE_URL (from /app/.env): could not reach PostgreSQL at postgres:5432: x"
        );
        assert_eq!(
            env.annotate("PORT: expected a number"),
            "PORT: expected a number"
        );
        assert_eq!(EnvFile::None.annotate("DATABASE_URL: x"), "DATABASE_URL: x");
    }

    #[test]
    fn an_error_line_joins_the_causes_once_each_on_one_line() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused\nfor now");
        let error = anyhow::Error::new(Repeats(io)).context("DATABASE_URL");
        assert_eq!(error_line(&error), "DATABASE_URL: outer: refused for now");
        let error = anyhow::anyhow!("inner").context("middle").context("top");
        assert_eq!(error_line(&error), "top: middle: inner");
    }

    #[test]
    fn durations_and_since_times_parse() {
        assert_eq!(parse_duration("90s"), Ok(chrono::Duration::seconds(90)));
        assert_eq!(parse_duration("24h"), Ok(chrono::Duration::hours(24)));
        assert!(parse_duration("soon").is_err());
        let now = DateTime::UNIX_EPOCH + chrono::Duration::days(10);
        assert_eq!(parse_since("2d", now), Ok(now - chrono::Duration::days(2)));
        assert_eq!(
            parse_since("1970-01-02T00:00:00Z", now),
            Ok(DateTime::UNIX_EPOCH + chrono::Duration::days(1))
        );
        assert!(parse_since("yesterday", now).is_err());
    }
}
