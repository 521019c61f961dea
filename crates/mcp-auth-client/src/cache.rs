//! The in-memory token cache that lets a burst of tool calls cost one gateway
//! round-trip.

use crate::token::{Clock, Token};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

type Key = (String, String);

/// Tokens by (provider, user), served until `margin` before they expire. One async lock
/// per key makes concurrent misses for the same user wait for a single gateway request.
///
/// Users are keyed by the gateway's own normalisation (`gateway_proto::normalize_email`):
/// spellings the gateway takes for one user share an entry, and an address the gateway
/// refuses is never cached, so it cannot be served a token another address fetched.
pub(crate) struct TokenCache {
    clock: Arc<dyn Clock>,
    margin: chrono::Duration,
    entries: Mutex<HashMap<Key, Token>>,
    flights: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl TokenCache {
    pub(crate) fn new(clock: Arc<dyn Clock>, margin: chrono::Duration) -> Self {
        Self {
            clock,
            margin,
            entries: Mutex::new(HashMap::new()),
            flights: Mutex::new(HashMap::new()),
        }
    }

    fn key(provider: &str, user: &str) -> Option<Key> {
        let user = gateway_proto::normalize_email(user).ok()?;
        Some((provider.to_owned(), user))
    }

    /// A cached token with `required` scopes that is good for longer than the margin.
    pub(crate) fn get(&self, provider: &str, user: &str, required: &[String]) -> Option<Token> {
        let key = Self::key(provider, user)?;
        let now = self.clock.now();
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&key)
            .filter(|token| token.expires_at() - self.margin > now && token.has_scopes(required))
            .cloned()
    }

    pub(crate) fn put(&self, provider: &str, user: &str, token: &Token) {
        let Some(key) = Self::key(provider, user) else {
            return;
        };
        if token.expires_at() - self.margin <= self.clock.now() {
            return; // too short-lived to be worth keeping
        }
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, token.clone());
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
    use chrono::{DateTime, Utc};

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

    fn cache_at(now: DateTime<Utc>) -> TokenCache {
        TokenCache::new(Arc::new(FixedClock(now)), chrono::Duration::seconds(60))
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
