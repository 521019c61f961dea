//! `auth-gateway audit [--user EMAIL] [--since TIME|DURATION]`: prints the audit trail.

use crate::store::{AuditQuery, Store};
use chrono::{DateTime, SecondsFormat, Utc};
use std::io::Write;

/// Options of `audit`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Only events about this user.
    #[arg(long)]
    pub user: Option<String>,
    /// Only events since this RFC 3339 time, or this long ago (e.g. 24h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many (the newest).
    #[arg(long, default_value_t = 1000)]
    pub limit: u32,
}

/// Prints the matching events, oldest first.
pub async fn run(
    store: &dyn Store,
    now: DateTime<Utc>,
    args: &Args,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|text| super::parse_since(text, now))
        .transpose()
        .map_err(|error| anyhow::anyhow!("--since: {error}"))?;
    let events = store
        .audit_events(&AuditQuery {
            user_email: args
                .user
                .as_ref()
                .map(|user| user.trim().to_ascii_lowercase()),
            since,
            limit: args.limit,
        })
        .await?;
    if events.is_empty() {
        let user = args.user.as_deref().unwrap_or("any");
        let since = since.map_or_else(
            || "the start".to_owned(),
            |since| since.to_rfc3339_opts(SecondsFormat::Secs, true),
        );
        writeln!(out, "no audit events match (user={user}, since={since})")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<20} {:<20} {:<28} {:<10} {:<18} {:<18} DETAIL",
        "TIME", "CLIENT", "USER", "PROVIDER", "EVENT", "OUTCOME"
    )?;
    let dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
    for event in &events {
        writeln!(
            out,
            "{:<20} {:<20} {:<28} {:<10} {:<18} {:<18} {}",
            event.occurred_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            dash(&event.client_name),
            dash(&event.user_email),
            dash(&event.provider),
            event.event,
            event.outcome,
            dash(&event.detail)
        )?;
    }
    Ok(())
}
