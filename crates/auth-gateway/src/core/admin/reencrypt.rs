//! The re-encryption sweep of online key rotation (G2, docs/threat-model.md D3, R12,
//! R13): moves every stored ciphertext (credentials, session verifiers, signing keys) to
//! the primary key while gateways keep serving.

use crate::core::audit::{self, AuditAction, AuditOutcome, Event};
use crate::core::crypto::{Binding, KeyRing, Sealed};
use crate::store::{CredentialRecord, SessionVerifier, SigningKeyRecord, Store, StoreError};
use chrono::{DateTime, Utc};
use futures::StreamExt as _;

/// Rows re-encrypted at once within a batch (each is one fenced UPDATE).
const CONCURRENCY: usize = 4;
/// Times a row is re-read and retried after a concurrent writer beat the fenced write.
const MAX_ATTEMPTS: usize = 5;

/// How a re-encryption sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReencryptOptions {
    /// Rows read per batch.
    pub batch: u32,
    /// Decrypt and count only; write nothing.
    pub dry_run: bool,
    /// Stop after this many rows (a partial run, as if interrupted).
    pub limit: Option<u64>,
}

/// A row no configured key could open: reported and left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowFailure {
    /// `credential <user> <provider>`, `session <id>` or `signing key <kid>`.
    pub row: String,
    pub reason: String,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReencryptSummary {
    /// Rows examined.
    pub checked: u64,
    /// Rows written under the primary key (or that would be, in a dry run).
    pub reencrypted: u64,
    /// Rows a concurrent writer had already moved to the primary key.
    pub rewritten_concurrently: u64,
    pub failed: Vec<RowFailure>,
    /// True when `limit` stopped the sweep before the end.
    pub stopped_early: bool,
}

enum Outcome {
    Resealed,
    Concurrent,
    Failed(RowFailure),
}

/// Re-encrypts every credential, session verifier and signing key not under the primary key, in
/// batches. Each credential write is fenced on the row version read (without bumping
/// it, since the secrets are unchanged): a row a refresher rewrote meanwhile is re-read,
/// never overwritten with older tokens. `progress` is told how many ciphertexts each
/// finished row held.
pub async fn reencrypt(
    store: &dyn Store,
    keys: &KeyRing,
    now: DateTime<Utc>,
    options: ReencryptOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ReencryptSummary, StoreError> {
    let primary = keys.primary_key_id();
    let batch = options.batch.max(1);
    let mut summary = ReencryptSummary::default();
    let mut after: Option<(String, String)> = None;
    loop {
        let rows = store
            .credentials_not_under(
                primary,
                after.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
                batch,
            )
            .await?;
        let Some(last) = rows.last() else { break };
        if limit_reached(&summary, options.limit) {
            summary.stopped_early = true;
            break;
        }
        after = Some((last.user_email.clone(), last.provider.clone()));
        let outcomes = futures::stream::iter(take_within_limit(rows, &summary, options.limit))
            .map(|row| reseal_credential(store, keys, row, options.dry_run, progress))
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        for outcome in outcomes {
            tally(&mut summary, outcome?);
        }
    }
    let mut after_session = None;
    while !summary.stopped_early {
        let rows = store
            .sessions_not_under(primary, after_session, batch)
            .await?;
        let Some(last) = rows.last() else { break };
        if limit_reached(&summary, options.limit) {
            summary.stopped_early = true;
            break;
        }
        after_session = Some(last.id);
        for row in take_within_limit(rows, &summary, options.limit) {
            tally(
                &mut summary,
                reseal_session(store, keys, &row, options.dry_run).await?,
            );
            progress(1);
        }
    }
    if !summary.stopped_early {
        reseal_signing_keys(store, keys, &mut summary, options, progress).await?;
    }
    if !options.dry_run {
        let outcome = if summary.failed.is_empty() {
            AuditOutcome::Ok
        } else {
            AuditOutcome::Partial
        };
        let detail = format!(
            "primary {primary}: checked {}, re-encrypted {}, failed {}",
            summary.checked,
            summary.reencrypted,
            summary.failed.len()
        );
        let event = Event::batch(now, AuditAction::KeyRotation, outcome, detail);
        audit::record(store, event).await;
    }
    Ok(summary)
}

fn limit_reached(summary: &ReencryptSummary, limit: Option<u64>) -> bool {
    limit.is_some_and(|limit| summary.checked >= limit)
}

/// The rows of a batch that still fit under `limit`.
fn take_within_limit<T>(
    mut rows: Vec<T>,
    summary: &ReencryptSummary,
    limit: Option<u64>,
) -> Vec<T> {
    if let Some(limit) = limit {
        let room = usize::try_from(limit.saturating_sub(summary.checked)).unwrap_or(usize::MAX);
        rows.truncate(room);
    }
    rows
}

fn tally(summary: &mut ReencryptSummary, outcome: Outcome) {
    summary.checked += 1;
    match outcome {
        Outcome::Resealed => summary.reencrypted += 1,
        Outcome::Concurrent => summary.rewritten_concurrently += 1,
        Outcome::Failed(failure) => summary.failed.push(failure),
    }
}

/// Opens `sealed` and seals it again under the primary key; unchanged if it already is.
fn reseal(keys: &KeyRing, binding: Binding<'_>, sealed: &Sealed) -> Result<Sealed, String> {
    if sealed.key_id == keys.primary_key_id() {
        return Ok(sealed.clone());
    }
    let secret = keys
        .open(binding, &sealed.key_id, &sealed.ciphertext)
        .map_err(|error| error.to_string())?;
    Ok(keys.seal(binding, &secret))
}

fn under_primary(keys: &KeyRing, row: &CredentialRecord) -> bool {
    let primary = keys.primary_key_id();
    row.access_token.key_id == primary
        && row
            .refresh_token
            .as_ref()
            .is_none_or(|sealed| sealed.key_id == primary)
}

async fn reseal_credential(
    store: &dyn Store,
    keys: &KeyRing,
    mut row: CredentialRecord,
    dry_run: bool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Outcome, StoreError> {
    let ciphertexts = 1 + u64::from(row.refresh_token.is_some());
    let name = format!("credential {} {}", row.user_email, row.provider);
    let outcome = 'attempts: {
        for _ in 0..MAX_ATTEMPTS {
            let binding = |field| Binding::Credential {
                user_email: &row.user_email,
                provider: &row.provider,
                field,
            };
            let access = reseal(keys, binding("access_token"), &row.access_token);
            let refresh = row
                .refresh_token
                .as_ref()
                .map(|sealed| reseal(keys, binding("refresh_token"), sealed))
                .transpose();
            let (access, refresh) = match (access, refresh) {
                (Ok(access), Ok(refresh)) => (access, refresh),
                (Err(reason), _) | (_, Err(reason)) => {
                    break 'attempts Outcome::Failed(RowFailure { row: name, reason });
                }
            };
            if dry_run {
                break 'attempts Outcome::Resealed;
            }
            if store
                .reseal_credential(
                    &row.user_email,
                    &row.provider,
                    row.version,
                    &access,
                    refresh.as_ref(),
                )
                .await?
            {
                break 'attempts Outcome::Resealed;
            }
            // A concurrent writer won: take its row as it is now.
            match store.credential(&row.user_email, &row.provider).await? {
                Some(current) if !under_primary(keys, &current) => row = current,
                _ => break 'attempts Outcome::Concurrent,
            }
        }
        Outcome::Failed(RowFailure {
            row: name,
            reason: "kept changing under concurrent writes; rerun".into(),
        })
    };
    progress(ciphertexts);
    Ok(outcome)
}

async fn reseal_session(
    store: &dyn Store,
    keys: &KeyRing,
    row: &SessionVerifier,
    dry_run: bool,
) -> Result<Outcome, StoreError> {
    let session_id = row.id.to_string();
    let binding = Binding::SessionVerifier {
        session_id: &session_id,
    };
    match reseal(keys, binding, &row.pkce_verifier) {
        Err(reason) => Ok(Outcome::Failed(RowFailure {
            row: format!("session {session_id}"),
            reason,
        })),
        Ok(_) if dry_run => Ok(Outcome::Resealed),
        Ok(new) => Ok(
            if store
                .reseal_session_verifier(row.id, &row.pkce_verifier, &new)
                .await?
            {
                Outcome::Resealed
            } else {
                Outcome::Concurrent
            },
        ),
    }
}

/// The signing keys' sealed private keys, after the credentials and sessions: a handful
/// of rows, read at once. Each write is a compare-and-swap on the old ciphertext.
async fn reseal_signing_keys(
    store: &dyn Store,
    keys: &KeyRing,
    summary: &mut ReencryptSummary,
    options: ReencryptOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(), StoreError> {
    let all = store.signing_keys_not_under(keys.primary_key_id()).await?;
    let found = all.len();
    let rows = take_within_limit(all, summary, options.limit);
    summary.stopped_early = rows.len() < found;
    for row in &rows {
        let outcome = reseal_signing_key(store, keys, row, options.dry_run).await?;
        tally(summary, outcome);
        progress(1);
    }
    Ok(())
}

async fn reseal_signing_key(
    store: &dyn Store,
    keys: &KeyRing,
    row: &SigningKeyRecord,
    dry_run: bool,
) -> Result<Outcome, StoreError> {
    let binding = Binding::SigningKey { kid: &row.kid };
    match reseal(keys, binding, &row.private_key) {
        Err(reason) => Ok(Outcome::Failed(RowFailure {
            row: format!("signing key {}", row.kid),
            reason,
        })),
        Ok(_) if dry_run => Ok(Outcome::Resealed),
        Ok(new) => Ok(
            if store
                .reseal_signing_key(&row.kid, &row.private_key, &new)
                .await?
            {
                Outcome::Resealed
            } else {
                Outcome::Concurrent
            },
        ),
    }
}
