//! `auth-gateway reencrypt`: moves every stored secret to the primary key while the
//! gateways serve, with a progress bar on stderr and a summary on stdout. Both count
//! rows (a credential row holds one or two ciphertexts, a sign-in session one), the unit
//! of `--limit`; the key usage before and after is in ciphertexts, and says so.

use crate::core::admin::key_rotation;
use crate::core::admin::reencrypt::{self, ReencryptOptions, ReencryptSummary};
use crate::core::crypto::KeyRing;
use crate::store::Store;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::Write;

/// Options of `reencrypt`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Decrypt and count only; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rows per batch.
    #[arg(long, default_value_t = 500)]
    pub batch: u32,
    /// Stop after this many rows (rerun to continue).
    #[arg(long)]
    pub limit: Option<u64>,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the sweep and prints the key usage before and after, and the summary. Fails
/// (exit 1) when a row could not be re-encrypted, after naming every such row.
pub async fn run(
    store: &dyn Store,
    keys: &KeyRing,
    now: DateTime<Utc>,
    args: &Args,
    out: &mut dyn Write,
) -> anyhow::Result<ReencryptSummary> {
    let before = key_rotation::key_usage(store, keys).await?;
    writeln!(out, "primary key id {}", keys.primary_key_id())?;
    for count in &before.counts {
        let note = if before.unknown.contains(&count.key_id) {
            " (no configured key: cannot be decrypted)"
        } else {
            ""
        };
        writeln!(
            out,
            "  key id {}: {} ciphertexts{note}",
            count.key_id, count.ciphertexts
        )?;
    }
    // The number of rows to do is not known up front (only ciphertexts are counted per
    // key), so the bar counts rows done, with their rate.
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} rows checked ({rows_per_sec}, {elapsed})")
            .map_or_else(
                |_| ProgressStyle::default_spinner(),
                |style| {
                    style.with_key(
                        "rows_per_sec",
                        |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                            let _ = out.write_str(&rate_text(state.per_sec(), "rows"));
                        },
                    )
                },
            ),
    );
    let started = std::time::Instant::now();
    let options = ReencryptOptions {
        batch: args.batch,
        dry_run: args.dry_run,
        limit: args.limit,
    };
    let summary = reencrypt::reencrypt(store, keys, now, options, &|_| bar.inc(1)).await?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64().max(f64::EPSILON);
    for failure in &summary.failed {
        writeln!(out, "failed: {}: {}", failure.row, failure.reason)?;
    }
    let verb = if args.dry_run {
        "would re-encrypt"
    } else {
        "re-encrypted"
    };
    #[allow(clippy::cast_precision_loss)] // a rate for people to read
    let rate = rate_text(summary.checked as f64 / elapsed, "rows");
    writeln!(
        out,
        "rows: checked {}, {verb} {}, failed {} ({} rewritten concurrently; {rate})",
        summary.checked,
        summary.reencrypted,
        summary.failed.len(),
        summary.rewritten_concurrently,
    )?;
    if summary.stopped_early {
        writeln!(
            out,
            "stopped after --limit {}; rerun to continue",
            summary.checked
        )?;
    } else if !args.dry_run {
        let after = key_rotation::key_usage(store, keys).await?;
        writeln!(
            out,
            "{} ciphertexts remain under other keys",
            after.not_under_primary()
        )?;
    }
    if !summary.failed.is_empty() {
        anyhow::bail!(
            "{} rows could not be re-encrypted; they were left untouched",
            summary.failed.len()
        );
    }
    Ok(summary)
}

/// A rate for people: whole numbers (`696 rows/s`), one decimal below 10 (`2.5 rows/s`).
fn rate_text(per_sec: f64, unit: &str) -> String {
    if per_sec.is_finite() && per_sec < 10.0 {
        format!("{per_sec:.1} {unit}/s")
    } else if per_sec.is_finite() {
        format!("{per_sec:.0} {unit}/s")
    } else {
        format!("- {unit}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::rate_text;

    #[test]
    fn rates_are_rounded_for_reading_and_name_their_unit() {
        assert_eq!(rate_text(695.8486, "rows"), "696 rows/s");
        assert_eq!(rate_text(2.4567, "rows"), "2.5 rows/s");
        assert_eq!(rate_text(f64::INFINITY, "rows"), "- rows/s");
    }
}
