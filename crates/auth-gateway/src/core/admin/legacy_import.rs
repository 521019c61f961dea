//! Import from the original Python gateway: decrypt each `oauth_credentials` row with the
//! original's key, seal it under our primary key bound to its row, and insert it unless
//! the user already has a grant here (so the import can be rerun).

use super::reencrypt::RowFailure;
use crate::core::audit::{self, AuditAction, AuditOutcome, Event};
use crate::core::crypto::{Binding, KeyRing, LegacyKey};
use crate::domain::{Email, ScopeSet};
use crate::store::{ImportedCredential, LegacyReader, LegacyRow, Store, StoreError};
use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// How an import runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    /// Legacy rows read per batch.
    pub batch: u32,
    /// Decrypt and count only; write nothing.
    pub dry_run: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Legacy rows read.
    pub read: u64,
    /// Rows written here (or that would be, in a dry run).
    pub imported: u64,
    /// Rows skipped because the user already has a grant for the provider here.
    pub already_present: u64,
    /// Rows that could not be read or decrypted: reported, not imported.
    pub failed: Vec<RowFailure>,
}

/// Imports every legacy row; `progress` is told about each finished row.
pub async fn import(
    legacy: &dyn LegacyReader,
    legacy_key: &LegacyKey,
    store: &dyn Store,
    keys: &KeyRing,
    now: DateTime<Utc>,
    options: ImportOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<ImportSummary, StoreError> {
    let mut summary = ImportSummary::default();
    let mut after: Option<(String, String)> = None;
    loop {
        let rows = legacy
            .rows_after(
                after.as_ref().map(|(u, p)| (u.as_str(), p.as_str())),
                options.batch.max(1),
            )
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some((last.profile_id.clone(), last.provider_id.clone()));
        for row in &rows {
            summary.read += 1;
            match convert(row, legacy_key, keys, now) {
                Err(reason) => summary.failed.push(RowFailure {
                    row: format!("oauth_credentials {} {}", row.profile_id, row.provider_id),
                    reason,
                }),
                Ok(credential) if options.dry_run => {
                    let present = store
                        .credential(&credential.user_email, &credential.provider)
                        .await?
                        .is_some();
                    count(&mut summary, !present);
                }
                Ok(credential) => count(&mut summary, store.import_credential(&credential).await?),
            }
            progress();
        }
    }
    if !options.dry_run {
        let outcome = if summary.failed.is_empty() {
            AuditOutcome::Ok
        } else {
            AuditOutcome::Partial
        };
        let detail = format!(
            "read {}, imported {}, already present {}, failed {}",
            summary.read,
            summary.imported,
            summary.already_present,
            summary.failed.len()
        );
        let event = Event::batch(now, AuditAction::LegacyImport, outcome, detail);
        audit::record(store, event).await;
    }
    Ok(summary)
}

fn count(summary: &mut ImportSummary, imported: bool) {
    if imported {
        summary.imported += 1;
    } else {
        summary.already_present += 1;
    }
}

/// One legacy row as our sealed credential; the error says why not (never a secret).
fn convert(
    row: &LegacyRow,
    legacy_key: &LegacyKey,
    keys: &KeyRing,
    now: DateTime<Utc>,
) -> Result<ImportedCredential, String> {
    let email = Email::parse(&row.profile_id)
        .map_err(|_| "profile_id is not a valid email address".to_owned())?;
    let provider = row.provider_id.trim().to_ascii_lowercase();
    let decrypt = |field: &str, token: &str| -> Result<SecretString, String> {
        legacy_key
            .decrypt(token)
            .map_err(|_| format!("{field} does not decrypt with the legacy key"))
    };
    let access = decrypt("access_token", &row.access_token)?;
    let refresh = row
        .refresh_token
        .as_deref()
        .filter(|token| !token.is_empty())
        .map(|token| decrypt("refresh_token", token))
        .transpose()?;
    let binding = |field| Binding::Credential {
        user_email: email.as_str(),
        provider: &provider,
        field,
    };
    Ok(ImportedCredential {
        user_email: email.as_str().to_owned(),
        access_token: keys.seal(binding("access_token"), &access),
        refresh_token: refresh.map(|token| keys.seal(binding("refresh_token"), &token)),
        provider: provider.clone(),
        // Unknown expiry: treat the token as expired so the first request refreshes it.
        expires_at: row.token_expiry.unwrap_or(now),
        scopes: legacy_scopes(row.scopes.as_ref()),
        imported_at: now,
    })
}

/// The original stored a JSON array of scopes; a space-separated string is accepted too.
fn legacy_scopes(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::Array(items)) => ScopeSet::from_trusted(
            items
                .iter()
                .filter_map(serde_json::Value::as_str)
                .map(str::to_owned),
        )
        .to_vec(),
        Some(serde_json::Value::String(text)) => ScopeSet::from_space_separated(text).to_vec(),
        _ => Vec::new(),
    }
}
