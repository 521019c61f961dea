//! The in-memory token cache that lets a burst of tool calls cost one gateway
//! round-trip, bounded to the users who are active: an entry unused for the idle
//! timeout is dropped, and past the capacity the least recently used goes first, so a
//! long-running server holds neither memory nor tokens for everyone it ever served.

use crate::token::{Clock, Token};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Key = (String, String);

/// How long tokens are served and how many are kept.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Served until this long before they expire.
    pub(crate) margin: chrono::Duration,
    /// Dropped after this long without a `get` or `put`.
    pub(crate) idle: chrono::Duration,
    /// At most this many entries; 0 caches nothing.
    pub(crate) capacity: usize,
}

struct Entry {
    token: Token,
    last_used: DateTime<Utc>,
}

/// Tokens by (provider, user), served until `margin` before they expire. One async lock
/// per key makes concurrent misses for the same user wait for a single gateway request.
///
/// Users are keyed by the gateway's own normalisation (`gateway_proto::normalize_email`):
/// spellings the gateway takes for one user share an entry, and an address the gateway
/// refuses is never cached, so it cannot be served a token another address fetched.
pub(crate) struct TokenCache {
    clock: Arc<dyn Clock>,
    limits: Limits,
    entries: Mutex<HashMap<Key, Entry>>,
    flights: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl TokenCache {
    pub(crate) fn new(clock: Arc<dyn Clock>, limits: Limits) -> Self {
        Self {
            clock,
            limits,
            entries: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
        }
    }

    fn key(provider: &str, user: &str) -> Option<Key> {
        let user = gateway_proto::normalize_email(user).ok()?;
        Some((provider.to_owned(), user))
    }

    /// A cached token with `required` scopes that is good for longer than the margin;
    /// a hit restarts the entry's idle timeout.
    pub(crate) fn get(&self, provider: &str, user: &str, required: &[String]) -> Option<Token> {
        let key = Self::key(provider, user)?;
        let now = self.clock.now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get_mut(&key)?;
        if self.is_stale(entry, now) {
            entries.remove(&key);
            return None;
        }
        if !entry.token.has_scopes(required) {
            return None;
        }
        entry.last_used = now;
        Some(entry.token.clone())
    }

    /// Stores `token`, first dropping stale entries and, at capacity, the least
    /// recently used one.
    pub(crate) fn put(&self, provider: &str, user: &str, token: &Token) {
        let Some(key) = Self::key(provider, user) else {
            return;
        };
        let now = self.clock.now();
        if token.expires_at() - self.limits.margin <= now || self.limits.capacity == 0 {
            return; // too short-lived to be worth keeping, or caching is off
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, entry| !self.is_stale(entry, now));
        entries.remove(&key);
        while entries.len() >= self.limits.capacity {
            let oldest = entries
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(key, _)| key.clone());
            let Some(oldest) = oldest else { break };
            entries.remove(&oldest);
        }
        let token = token.clone();
        entries.insert(
            key,
            Entry {
                token,
                last_used: now,
            },
        );
    }

    /// Too close to expiry to serve, or unused for the idle timeout.
    fn is_stale(&self, entry: &Entry, now: DateTime<Utc>) -> bool {
        entry.token.expires_at() - self.limits.margin <= now
            || now - entry.last_used >= self.limits.idle
    }

    pub(crate) fn remove(&self, provider: &str, user: &str) {
        let Some(key) = Self::key(provider, user) else {
            return;
        };
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
    }

    /// The lock that serialises gateway requests for one (provider, user).
    pub(crate) fn flight(&self, provider: &str, user: &str) -> Arc<tokio::sync::Mutex<()>> {
        let Some(key) = Self::key(provider, user) else {
            // Nothing is cached for it, so there is no fetch to share.
            return Arc::default();
        };
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        // Drop locks nobody holds, so the map stays as small as the set of active users.
        flights.retain(|_, lock| Arc::strong_count(lock) > 1);
        Arc::clone(flights.entry(key).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::SystemClock;

    struct FixedClock(DateTime<Utc>);

    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    fn token(expires_at: DateTime<Utc>, scopes: &[&str]) -> Token {
        Token::from_response(gateway_proto::TokenResponse {
            access_token: "ya29.secret-value".into(),
            token_type: "Bearer".into(),
            expires_at,
            scopes: scopes.iter().map(ToString::to_string).collect(),
        })
    }

    const LIMITS: Limits = Limits {
        margin: chrono::Duration::seconds(60),
        idle: chrono::Duration::minutes(15),
        capacity: 100,
    };

    fn cache_at(now: DateTime<Utc>) -> TokenCache {
        TokenCache::new(Arc::new(FixedClock(now)), LIMITS)
    }

    /// A clock the test moves.
    struct ManualClock(Mutex<DateTime<Utc>>);

    impl ManualClock {
        fn advance(&self, by: chrono::Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    fn cache_with(limits: Limits) -> (TokenCache, Arc<ManualClock>, DateTime<Utc>) {
        let now = SystemClock.now();
        let clock = Arc::new(ManualClock(Mutex::new(now)));
        (TokenCache::new(clock.clone(), limits), clock, now)
    }

    fn stored(cache: &TokenCache) -> usize {
        cache.entries.lock().unwrap().len()
    }

    #[test]
    fn idle_users_are_dropped_from_memory_when_another_is_stored() {
        let (cache, clock, now) = cache_with(LIMITS);
        let valid = token(now + chrono::Duration::hours(1), &[]);
        for n in 0..50 {
            cache.put("google", &format!("user{n}@example.com"), &valid);
        }
        cache.put("google", "active@example.com", &valid);
        clock.advance(chrono::Duration::minutes(10));
        assert!(cache.get("google", "active@example.com", &[]).is_some());
        clock.advance(chrono::Duration::minutes(10));
        cache.put("google", "new@example.com", &valid);
        // The 50 idle for 20 min are gone; the one used 10 min ago and the new one stay.
        assert_eq!(stored(&cache), 2);
        assert!(cache.get("google", "active@example.com", &[]).is_some());
        assert!(cache.get("google", "user0@example.com", &[]).is_none());
    }

    #[test]
    fn past_the_capacity_the_least_recently_used_user_goes() {
        let (cache, clock, now) = cache_with(Limits {
            capacity: 2,
            ..LIMITS
        });
        let valid = token(now + chrono::Duration::hours(1), &[]);
        cache.put("google", "a@example.com", &valid);
        clock.advance(chrono::Duration::seconds(1));
        cache.put("google", "b@example.com", &valid);
        clock.advance(chrono::Duration::seconds(1));
        assert!(cache.get("google", "a@example.com", &[]).is_some());
        clock.advance(chrono::Duration::seconds(1));
        cache.put("google", "c@example.com", &valid);
        assert_eq!(stored(&cache), 2);
        assert!(cache.get("google", "b@example.com", &[]).is_none());
        assert!(cache.get("google", "a@example.com", &[]).is_some());
        assert!(cache.get("google", "c@example.com", &[]).is_some());
    }

    #[test]
    fn a_capacity_of_zero_caches_nothing() {
        let (cache, _, now) = cache_with(Limits {
            capacity: 0,
            ..LIMITS
        });
        cache.put(
            "google",
            "a@example.com",
            &token(now + chrono::Duration::hours(1), &[]),
        );
        assert_eq!(stored(&cache), 0);
    }

    #[test]
    fn a_token_is_served_until_the_margin_before_it_expires() {
        let now = SystemClock.now();
        let cache = cache_at(now);
        cache.put(
            "google",
            "A@example.com",
            &token(now + chrono::Duration::seconds(61), &[]),
        );
        assert!(cache.get("google", "a@example.com", &[]).is_some());

        let later = cache_at(now);
        later.put(
            "google",
            "a@example.com",
            &token(now + chrono::Duration::seconds(60), &[]),
        );
        assert!(later.get("google", "a@example.com", &[]).is_none());
    }

    #[test]
    fn a_cached_token_without_the_required_scopes_is_a_miss() {
        let now = SystemClock.now();
        let cache = cache_at(now);
        cache.put(
            "google",
            "a@example.com",
            &token(now + chrono::Duration::hours(1), &["openid"]),
        );
        assert!(
            cache
                .get("google", "a@example.com", &["openid".into()])
                .is_some()
        );
        assert!(
            cache
                .get("google", "a@example.com", &["drive".into()])
                .is_none()
        );
        assert!(cache.get("other", "a@example.com", &[]).is_none());
    }
}
