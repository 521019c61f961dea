//! API keys that authenticated recently, by digest. A request presenting one skips the
//! per-IP bucket, so failed guesses from an address (or a crowd behind one proxy)
//! cannot lock out the MCP servers that share it. Bounded, and forgotten after a few
//! minutes unused; a key that is refused is forgotten at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

/// Keys remembered at most; beyond this, new keys simply spend the IP bucket.
const MAX_PROVEN_KEYS: usize = 10_000;
/// Upkeep rounds (10 s each) a key stays proven without use.
const PROVEN_FOR_ROUNDS: u64 = 30;

#[derive(Debug, Default)]
pub struct ProvenKeys {
    round: AtomicU64,
    /// Digest → the upkeep round it was last used in.
    keys: RwLock<HashMap<[u8; 32], u64>>,
}

impl ProvenKeys {
    /// Whether `digest` authenticated recently; marks it used.
    pub fn contains(&self, digest: &[u8; 32]) -> bool {
        let round = self.round.load(Ordering::Relaxed);
        let last_used = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(digest)
            .copied();
        match last_used {
            None => false,
            Some(used) if used == round => true,
            Some(_) => {
                // Once per round per key: the hot path takes only the read lock.
                self.keys
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(*digest, round);
                true
            }
        }
    }

    pub fn prove(&self, digest: [u8; 32]) {
        let round = self.round.load(Ordering::Relaxed);
        // Every accepted request lands here: a key already marked this round (nearly
        // all of them) costs the shared read lock only, not the exclusive one.
        let known = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest)
            .is_some_and(|used| *used == round);
        if known {
            return;
        }
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        if keys.len() < MAX_PROVEN_KEYS || keys.contains_key(&digest) {
            keys.insert(digest, round);
        }
    }

    pub fn disprove(&self, digest: &[u8; 32]) {
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(digest);
    }

    /// Starts a new round and forgets keys unused for [`PROVEN_FOR_ROUNDS`].
    pub fn forget_idle(&self) {
        let round = self.round.fetch_add(1, Ordering::Relaxed) + 1;
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, used| round - *used <= PROVEN_FOR_ROUNDS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_proven_until_refused_or_idle() {
        let proven = ProvenKeys::default();
        let (a, b) = ([1; 32], [2; 32]);
        proven.prove(a);
        proven.prove(b);
        assert!(proven.contains(&a));
        proven.disprove(&a);
        assert!(!proven.contains(&a));
        for _ in 0..=PROVEN_FOR_ROUNDS {
            proven.forget_idle();
        }
        assert!(!proven.contains(&b));
    }
}
