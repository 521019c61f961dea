//! Online key rotation (G2, docs/threat-model.md D3, R12, R13): which key ids the stored
//! ciphertexts use, and which of those no configured key can open. The sweep that moves
//! every ciphertext to the primary key is in `reencrypt`.

use crate::core::clock::Clock;
use crate::core::crypto::KeyRing;
use crate::core::error::CoreError;
use crate::domain::KeyIdCount;
use crate::store::{KeyStore, SigningKeyStore, Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};

/// How the stored ciphertexts are spread over key ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsage {
    pub primary_key_id: String,
    /// Ciphertexts per key id found in the database (credentials, sessions, logins at
    /// the authorization server and signing keys).
    pub counts: Vec<KeyIdCount>,
    /// Key ids found in the database that no configured key has: those rows cannot be
    /// decrypted, so the gateway must not report ready.
    pub unknown: Vec<String>,
}

impl KeyUsage {
    /// Ready unless some ciphertext's key is missing.
    pub fn is_ready(&self) -> bool {
        self.unknown.is_empty()
    }

    /// Ciphertexts not under the primary key (what `reencrypt` still has to do).
    pub fn not_under_primary(&self) -> u64 {
        self.counts
            .iter()
            .filter(|count| count.key_id != self.primary_key_id)
            .map(|count| count.ciphertexts)
            .sum()
    }
}

/// Counts ciphertexts per key id and names the ids `keys` cannot open.
pub async fn key_usage(store: &dyn Store, keys: &KeyRing) -> Result<KeyUsage, StoreError> {
    count_key_usage(store, store, keys).await
}

/// [`key_usage`] over the two roles that hold ciphertexts' key ids.
async fn count_key_usage(
    store: &dyn KeyStore,
    signing_keys: &dyn SigningKeyStore,
    keys: &KeyRing,
) -> Result<KeyUsage, StoreError> {
    let mut counts = store.key_id_counts().await?;
    for signing in signing_keys.signing_key_id_counts().await? {
        match counts
            .iter_mut()
            .find(|count| count.key_id == signing.key_id)
        {
            Some(count) => count.ciphertexts += signing.ciphertexts,
            None => counts.push(signing),
        }
    }
    counts.sort_by(|a, b| a.key_id.cmp(&b.key_id));
    let unknown = counts
        .iter()
        .filter(|count| !keys.key_ids().any(|id| id == count.key_id))
        .map(|count| count.key_id.clone())
        .collect();
    Ok(KeyUsage {
        primary_key_id: keys.primary_key_id().to_owned(),
        counts,
        unknown,
    })
}

/// How long readiness trusts the last count: counting is a scan, and probes are frequent.
const KEY_CHECK_MAX_AGE: chrono::Duration = chrono::Duration::seconds(30);

/// Counts the key ids in use for the startup report and readiness, remembering the
/// last count. Uses: `KeyStore`, `SigningKeyStore`.
pub struct KeyWatch {
    pub(in crate::core) store: Arc<dyn KeyStore>,
    pub(in crate::core) signing_keys: Arc<dyn SigningKeyStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    /// The last count and when it was made.
    pub(in crate::core) last: Mutex<Option<(DateTime<Utc>, KeyUsage)>>,
}

impl KeyWatch {
    /// Key ids in use and the unknown ones, counted now, for the startup report.
    pub async fn key_usage(&self) -> Result<KeyUsage, CoreError> {
        let usage =
            count_key_usage(self.store.as_ref(), self.signing_keys.as_ref(), &self.keys).await?;
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        *last = Some((self.clock.now(), usage.clone()));
        Ok(usage)
    }

    /// Key ids found in the database that no configured key opens, from a count at
    /// most 30 s old: a replica that cannot decrypt some rows must not take traffic.
    pub async fn unknown_key_ids(&self) -> Result<Vec<String>, CoreError> {
        match self.fresh(self.clock.now()) {
            Some(usage) => Ok(usage.unknown),
            None => Ok(self.key_usage().await?.unknown),
        }
    }

    fn fresh(&self, now: DateTime<Utc>) -> Option<KeyUsage> {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        last.as_ref()
            .filter(|(counted_at, _)| now - *counted_at < KEY_CHECK_MAX_AGE)
            .map(|(_, usage)| usage.clone())
    }
}
