//! Decrypted access tokens kept in memory, so serving a fresh token needs neither the
//! database nor a decryption. Safe across replicas only while the store's change feed
//! is connected: every change to a credential row (on any replica, or by hand) arrives
//! as a notification and drops the entry. While the feed is down the cache is off and
//! empty; it comes back empty once the feed listens again.

use super::narrowed_tokens::NarrowedTokens;
use crate::domain::ScopeSet;
use crate::store::{CredentialChange, Store};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

/// Most entries kept; on overflow everything is dropped (bounded memory, no LRU books).
const CAPACITY: usize = 10_000;
/// Pause before listening again after the feed failed.
const RELISTEN_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// What the token path needs of an active credential to serve it again.
#[derive(Clone)]
pub(in crate::core) struct CachedToken {
    pub access_token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl CachedToken {
    pub fn covers(&self, required: &ScopeSet) -> bool {
        let granted = ScopeSet::from_trusted(self.scopes.iter().cloned());
        required.missing_from(&granted).is_empty()
    }
}

/// The cache. `epoch` moves on every invalidation, so a token read from the database
/// before a change cannot be cached after it (see [`TokenCache::insert`]).
#[derive(Default)]
pub(in crate::core) struct TokenCache {
    enabled: AtomicBool,
    epoch: AtomicU64,
    entries: RwLock<HashMap<String, CachedToken>>,
    /// Tokens minted narrower than their grant; checked against the row's version, so
    /// they need neither the feed nor the epoch.
    pub narrowed: NarrowedTokens,
}

fn key(provider: &str, user_email: &str) -> String {
    format!("{provider}\n{user_email}")
}

impl TokenCache {
    pub fn get(&self, provider: &str, user_email: &str) -> Option<CachedToken> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries.get(&key(provider, user_email)).cloned()
    }

    /// Read before loading a row; pass to [`Self::insert`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Caches a token loaded when the epoch was `epoch`, unless anything was invalidated
    /// since (the row may have changed after it was read).
    pub fn insert(&self, epoch: u64, provider: &str, user_email: &str, token: CachedToken) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        // Checked under the write lock, which every invalidation also takes.
        if !self.enabled.load(Ordering::Acquire) || self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key(provider, user_email), token);
    }

    pub fn invalidate(&self, provider: &str, user_email: &str) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.remove(&key(provider, user_email));
    }

    /// Turns the cache on or off; either way it starts empty.
    fn set_enabled(&self, enabled: bool) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.clear();
        self.enabled.store(enabled, Ordering::Release);
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl TokenCache {
    /// Follows the store's credential change feed for as long as the gateway runs,
    /// keeping the cache on only while the feed is connected. Returns at once (cache
    /// off) for a store without a feed. Uses the store's change feed only.
    pub async fn follow_changes(&self, store: &dyn Store) {
        use futures::StreamExt as _;
        loop {
            match store.credential_changes().await {
                Ok(None) => return,
                Ok(Some(mut changes)) => {
                    while let Some(change) = changes.next().await {
                        match change {
                            CredentialChange::Listening => self.set_enabled(true),
                            CredentialChange::Changed {
                                provider,
                                user_email,
                            } => self.invalidate(&provider, &user_email),
                            CredentialChange::Lost => break,
                        }
                    }
                    tracing::warn!("credential change feed lost; token cache off until it is back");
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for credential changes; token cache off");
                }
            }
            self.set_enabled(false);
            tokio::time::sleep(RELISTEN_DELAY).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(text: &str) -> CachedToken {
        CachedToken {
            access_token: SecretString::from(text),
            expires_at: DateTime::UNIX_EPOCH,
            scopes: vec!["email".into()],
            last_used_at: None,
        }
    }

    #[test]
    fn nothing_is_cached_while_disabled() {
        let cache = TokenCache::default();
        cache.insert(cache.epoch(), "google", "a@x.io", token("t"));
        assert!(cache.get("google", "a@x.io").is_none());
    }

    #[test]
    fn a_row_read_before_an_invalidation_is_not_cached_after_it() {
        let cache = TokenCache::default();
        cache.set_enabled(true);
        let before = cache.epoch();
        cache.invalidate("google", "a@x.io");
        cache.insert(before, "google", "a@x.io", token("stale"));
        assert!(cache.get("google", "a@x.io").is_none());
        cache.insert(cache.epoch(), "google", "a@x.io", token("fresh"));
        assert!(cache.get("google", "a@x.io").is_some());
    }

    #[test]
    fn invalidation_and_disabling_drop_entries() {
        let cache = TokenCache::default();
        cache.set_enabled(true);
        cache.insert(cache.epoch(), "google", "a@x.io", token("a"));
        cache.insert(cache.epoch(), "google", "b@x.io", token("b"));
        cache.invalidate("google", "a@x.io");
        assert!(cache.get("google", "a@x.io").is_none());
        assert!(cache.get("google", "b@x.io").is_some());
        cache.set_enabled(false);
        cache.set_enabled(true);
        assert_eq!(cache.len(), 0);
    }
}
