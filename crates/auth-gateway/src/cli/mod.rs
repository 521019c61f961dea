//! The admin command line: `generate-keys`, `reencrypt`, `clients`, `audit` and
//! `import-legacy`, next to the default `serve`. Each command is a function taking
//! explicit inputs and an output, so tests call them directly.

pub mod audit;
pub mod clients;
pub mod generate_keys;
pub mod import_legacy;
pub mod reencrypt;

use crate::config::Config;
use crate::core::clock::{Clock as _, SystemClock};
use crate::core::crypto::KeyRing;
use crate::store::{self, Store};
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
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
            Ok((store, keys)) => reencrypt::run(store.as_ref(), &keys, now, &args, &mut out)
                .await
                .map(drop),
            Err(error) => Err(error),
        },
        Command::Clients(command) => match open().await {
            Ok((store, _)) => clients::run(store.as_ref(), now, command, &mut out).await,
            Err(error) => Err(error),
        },
        Command::Audit(args) => match open().await {
            Ok((store, _)) => audit::run(store.as_ref(), now, &args, &mut out).await,
            Err(error) => Err(error),
        },
        Command::ImportLegacy(args) => match open().await {
            Ok((store, keys)) => import_legacy::run(store.as_ref(), &keys, now, &args, &mut out)
                .await
                .map(drop),
            Err(error) => Err(error),
        },
    })
}

/// Opens the store and key ring the gateway would use, from the same environment. Never
/// creates a key: a development key is read from the data directory if one was made.
async fn open() -> anyhow::Result<(Arc<dyn Store>, KeyRing)> {
    let config = Config::load(&|name| std::env::var(name).ok())
        .map_err(|error| anyhow::anyhow!("configuration error: {error}"))?;
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
        .context("DATABASE_URL: cannot open the database")?;
    Ok((store, keys))
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
