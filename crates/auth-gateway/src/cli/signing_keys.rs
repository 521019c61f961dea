//! `auth-gateway signing-keys list|rotate`: the keys that sign the gateway's access
//! tokens. Rotation makes a new current key; the previous one stays in the JWKS for the
//! overlap, so tokens it signed keep verifying until they expire.

use crate::core::authz::signing_keys::{self, DEFAULT_OVERLAP};
use crate::core::crypto::KeyRing;
use crate::store::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use std::io::Write;

/// The `signing-keys` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum SigningKeysCommand {
    /// List the published keys (never their private halves).
    List,
    /// Make a new current key; the previous one stays published for the overlap.
    Rotate {
        /// How long the previous key stays published, e.g. 24h: longer than an access
        /// token lives. At least 10m; default 24h.
        #[arg(long, value_parser = super::parse_duration)]
        overlap: Option<chrono::Duration>,
    },
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Runs one `signing-keys` subcommand.
pub async fn run(
    store: &dyn Store,
    keys: &KeyRing,
    now: DateTime<Utc>,
    command: SigningKeysCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        SigningKeysCommand::List => {
            writeln!(out, "{:<45} {:<6} {:<20} STATUS", "KID", "ALG", "CREATED")?;
            for key in store.published_signing_keys(now).await? {
                let status = key.retires_at.map_or_else(
                    || "current".to_owned(),
                    |at| format!("previous, published until {}", time(at)),
                );
                writeln!(
                    out,
                    "{:<45} {:<6} {:<20} {status}",
                    key.kid,
                    key.algorithm,
                    time(key.created_at)
                )?;
            }
        }
        SigningKeysCommand::Rotate { overlap } => {
            let overlap = overlap.unwrap_or(DEFAULT_OVERLAP);
            let rotation = signing_keys::rotate(store, keys, now, overlap).await?;
            writeln!(
                out,
                "Rotated the signing key: {} is current; {} stays published until {}.",
                rotation.current_kid,
                rotation.previous_kid,
                time(rotation.previous_retires_at)
            )?;
        }
    }
    Ok(())
}
