//! In-process single flight: concurrent refreshes of one credential queue on one lock,
//! and each re-reads the row after acquiring it, so one upstream call serves them all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

type Key = (String, String);

/// One async lock per credential, kept only while someone holds or waits for it.
#[derive(Debug, Default)]
pub struct Flights {
    locks: Mutex<HashMap<Key, Weak<AsyncMutex<()>>>>,
}

impl Flights {
    /// Waits for the credential's lock.
    pub async fn lock(&self, user_email: &str, provider: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            locks.retain(|_, weak| weak.strong_count() > 0);
            let key = (user_email.to_owned(), provider.to_owned());
            if let Some(lock) = locks.get(&key).and_then(Weak::upgrade) {
                lock
            } else {
                let lock = Arc::new(AsyncMutex::new(()));
                locks.insert(key, Arc::downgrade(&lock));
                lock
            }
        };
        lock.lock_owned().await
    }
}
