//! `auth-gateway import-legacy --from postgresql://…`: copies the original Python
//! gateway's grants into this gateway, re-encrypted under the current primary key.

use crate::core::admin::legacy_import::{self, ImportOptions, ImportSummary};
use crate::core::crypto::{KeyRing, LegacyKey};
use crate::store::Store;
use crate::store::legacy::LegacyDatabase;
use anyhow::Context as _;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget};
use secrecy::SecretString;
use std::io::Write;

/// Options of `import-legacy`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The original gateway's database (`postgresql+asyncpg://` accepted).
    #[arg(long, env = "LEGACY_DATABASE_URL")]
    pub from: String,
    /// The original's `AUTH_GATEWAY_ENCRYPTION_KEY` (default: this gateway's).
    #[arg(long, env = "LEGACY_ENCRYPTION_KEY", hide_env_values = true)]
    pub legacy_key: Option<SecretString>,
    /// The original's `AUTH_GATEWAY_ENCRYPTION_KEY_SALT` (default: this gateway's).
    #[arg(long, env = "LEGACY_ENCRYPTION_KEY_SALT", hide_env_values = true)]
    pub legacy_salt: Option<SecretString>,
    /// Decrypt and count only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Legacy rows per batch.
    #[arg(long, default_value_t = 500)]
    pub batch: u32,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Imports and prints a summary; fails (exit 1) if a row could not be imported, after
/// naming every such row.
pub async fn run(
    store: &dyn Store,
    keys: &KeyRing,
    now: DateTime<Utc>,
    args: &Args,
    out: &mut dyn Write,
) -> anyhow::Result<ImportSummary> {
    let legacy = LegacyDatabase::connect(&args.from)
        .await
        .context("--from: cannot open the legacy database")?;
    let fallback_key = || {
        std::env::var("AUTH_GATEWAY_ENCRYPTION_KEY")
            .ok()
            .map(SecretString::from)
    };
    let key = args
        .legacy_key
        .clone()
        .or_else(fallback_key)
        .context("--legacy-key (or AUTH_GATEWAY_ENCRYPTION_KEY) is required")?;
    let salt = args.legacy_salt.clone().or_else(|| {
        std::env::var("AUTH_GATEWAY_ENCRYPTION_KEY_SALT")
            .ok()
            .map(SecretString::from)
    });
    let legacy_key = LegacyKey::derive(&key, salt.as_ref());
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(legacy.count().await?), ProgressDrawTarget::stderr())
    };
    let options = ImportOptions {
        batch: args.batch,
        dry_run: args.dry_run,
    };
    let tick = || bar.inc(1);
    let summary =
        legacy_import::import(&legacy, &legacy_key, store, keys, now, options, &tick).await?;
    bar.finish_and_clear();
    for failure in &summary.failed {
        writeln!(out, "failed: {}: {}", failure.row, failure.reason)?;
    }
    let verb = if args.dry_run {
        "would import"
    } else {
        "imported"
    };
    writeln!(
        out,
        "read {}, {verb} {}, already present {}, failed {}",
        summary.read,
        summary.imported,
        summary.already_present,
        summary.failed.len()
    )?;
    if !summary.failed.is_empty() {
        anyhow::bail!("{} legacy rows were not imported", summary.failed.len());
    }
    Ok(summary)
}
