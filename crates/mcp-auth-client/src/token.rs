//! The access token handed to a tool, and the in-memory cache that lets a burst of tool
//! calls cost one gateway round-trip.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// A source of the current time (the cache compares it with `expires_at`).
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place in this crate that reads the real clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A currently valid provider access token. `Debug` never shows the token itself.
#[derive(Clone)]
pub struct Token {
    secret: SecretString,
    kind: String,
    expires_at: DateTime<Utc>,
    scopes: Vec<String>,
}

impl Token {
    /// Wraps a token answer of `POST /auth/token`.
    pub fn from_response(response: gateway_proto::TokenResponse) -> Self {
        Self {
            secret: SecretString::from(response.access_token),
            kind: response.token_type,
            expires_at: response.expires_at,
            scopes: response.scopes,
        }
    }

    /// The access token; expose it only where it is sent upstream.
    pub fn access_token(&self) -> &SecretString {
        &self.secret
    }

    /// The `Authorization` header value: `Bearer <token>`.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.secret.expose_secret())
    }

    /// The token type the provider gave (`Bearer`).
    pub fn token_type(&self) -> &str {
        &self.kind
    }

    /// When the provider stops accepting the token.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The scopes granted to the token.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether `other` carries the same access token.
    pub fn same_secret(&self, other: &Token) -> bool {
        use secrecy::ExposeSecret as _;
        self.secret.expose_secret() == other.secret.expose_secret()
    }

    /// True when every scope in `required` was granted.
    pub fn has_scopes(&self, required: &[String]) -> bool {
        required.iter().all(|scope| self.scopes.contains(scope))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.secret) // secrecy prints [REDACTED]
            .field("token_type", &self.kind)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

type Key = (String, String);

/// Tokens by (provider, user), served until `margin` before they expire. One async lock
/// per key makes concurrent misses for the same user wait for a single gateway request.
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

    fn key(provider: &str, user: &str) -> Key {
        (provider.to_owned(), user.to_lowercase())
    }

    /// A cached token with `required` scopes that is good for longer than the margin.
    pub(crate) fn get(&self, provider: &str, user: &str, required: &[String]) -> Option<Token> {
        let now = self.clock.now();
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&Self::key(provider, user))
            .filter(|token| token.expires_at - self.margin > now && token.has_scopes(required))
            .cloned()
    }

    pub(crate) fn put(&self, provider: &str, user: &str, token: &Token) {
        if token.expires_at - self.margin <= self.clock.now() {
            return; // too short-lived to be worth keeping
        }
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(Self::key(provider, user), token.clone());
    }

    pub(crate) fn remove(&self, provider: &str, user: &str) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&Self::key(provider, user));
    }

    /// The lock that serialises gateway requests for one (provider, user).
    pub(crate) fn flight(&self, provider: &str, user: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        // Drop locks nobody holds, so the map stays as small as the set of active users.
        flights.retain(|_, lock| Arc::strong_count(lock) > 1);
        Arc::clone(flights.entry(Self::key(provider, user)).or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn debug_output_never_shows_the_access_token() {
        let shown = format!("{:?}", token(SystemClock.now(), &["openid"]));
        assert!(!shown.contains("ya29"), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
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
