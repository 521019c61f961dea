//! The gateway's signing keys, fetched from its JWKS (RFC 7517 §5) and cached: for the
//! response's `max-age` within bounds, and refetched early only when a token names a key
//! we do not have (a rotation), at most once a minute so forged `kid`s cannot make us
//! hammer the gateway, and by one request however many verifications are waiting.

use chrono::{DateTime, Utc};
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

/// Without `Cache-Control`, the gateway's own value (docs/authorization-server.md).
const DEFAULT_MAX_AGE: i64 = 300;
/// Bounds on `max-age`: below a minute we would ask on every burst; above an hour a
/// rotation's new key would be learnt only through the unknown-kid path.
const MIN_MAX_AGE: i64 = 60;
const MAX_MAX_AGE: i64 = 3600;
/// An unknown `kid` triggers a refetch at most this often (seconds).
const UNKNOWN_KID_INTERVAL: i64 = 60;
/// With no keys at all, a failed fetch is retried no sooner than this (seconds): every
/// request meanwhile is answered 503 at once instead of waiting on a gateway that is down.
const FAILED_FETCH_BACKOFF: i64 = 5;

/// Why no key was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyError {
    /// The set (fresh, or just refetched) has no such key.
    Unknown,
    /// The JWKS could not be fetched and nothing is cached.
    Unavailable,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, DecodingKey>,
    fresh_until: Option<DateTime<Utc>>,
    /// Whether a fetch ever succeeded (then `keys` is the gateway's set).
    fetched: bool,
    /// The last fetch, successful or not: unknown `kid`s refetch only after a minute.
    last_attempt: Option<DateTime<Utc>>,
    /// Before any success, when the next fetch may be tried.
    failed_until: Option<DateTime<Utc>>,
    generation: u64,
}

pub(super) struct JwksCache {
    http: reqwest::Client,
    uri: String,
    state: RwLock<State>,
    /// Single flight: whoever holds it fetches; the others wait and reuse the result.
    fetching: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl JwksCache {
    pub(super) fn new(http: reqwest::Client, uri: String) -> Self {
        Self {
            http,
            uri,
            state: RwLock::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    pub(super) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    /// The key named `kid` at `now`, fetching the set when it is stale or the key is
    /// unknown (within the limits above).
    pub(super) async fn key(&self, kid: &str, now: DateTime<Utc>) -> Result<DecodingKey, KeyError> {
        let seen = {
            let state = self.read();
            let fresh = state.fresh_until.is_some_and(|until| now < until);
            if !state.fetched && state.failed_until.is_some_and(|until| now < until) {
                return Err(KeyError::Unavailable);
            }
            match state.keys.get(kid) {
                Some(key) if fresh => return Ok(key.clone()),
                None if fresh && recently(state.last_attempt, now) => {
                    return Err(KeyError::Unknown);
                }
                _ => state.generation,
            }
        };
        let _turn = self.fetching.lock().await;
        if self.read().generation == seen {
            self.refresh(now).await;
        }
        // Whether we fetched or a concurrent caller did, the set is as new as it gets.
        let state = self.read();
        match state.keys.get(kid) {
            Some(key) => Ok(key.clone()),
            None if !state.fetched => Err(KeyError::Unavailable),
            None => Err(KeyError::Unknown),
        }
    }

    /// One fetch. A failure keeps the keys we have (a gateway outage must not stop
    /// tokens we can still check) and retries no sooner than the unknown-kid interval;
    /// with no keys yet, no sooner than the back-off.
    async fn refresh(&self, now: DateTime<Utc>) {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let fetched = self.fetch().await;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        state.generation += 1;
        state.last_attempt = Some(now);
        match fetched {
            Ok((keys, max_age)) => {
                state.keys = keys;
                state.fresh_until = Some(now + chrono::Duration::seconds(max_age));
                state.fetched = true;
                state.failed_until = None;
            }
            Err(problem) => {
                tracing::warn!(uri = %self.uri, %problem, "cannot fetch the gateway's JWKS");
                if state.fetched {
                    state.fresh_until = Some(now + chrono::Duration::seconds(UNKNOWN_KID_INTERVAL));
                } else {
                    state.failed_until =
                        Some(now + chrono::Duration::seconds(FAILED_FETCH_BACKOFF));
                }
            }
        }
    }

    async fn fetch(&self) -> Result<(HashMap<String, DecodingKey>, i64), String> {
        let response = self
            .http
            .get(&self.uri)
            .send()
            .await
            .map_err(|error| error.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .and_then(max_age)
            .unwrap_or(DEFAULT_MAX_AGE)
            .clamp(MIN_MAX_AGE, MAX_MAX_AGE);
        let set: JwkSet = response.json().await.map_err(|error| error.to_string())?;
        let keys = set
            .keys
            .iter()
            .filter(|jwk| {
                // ES256 only (RFC 7518 §3.4): a P-256 key; any other key is ignored, so a
                // token cannot pick its algorithm by naming another key.
                matches!(&jwk.algorithm, AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256)
            })
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
            })
            .collect();
        Ok((keys, max_age))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

fn recently(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last.is_some_and(|last| now - last < chrono::Duration::seconds(UNKNOWN_KID_INTERVAL))
}

/// `max-age` of a `Cache-Control` value (RFC 9111 §5.2.2.1); `no-store`/`no-cache` as 0.
fn max_age(value: &str) -> Option<i64> {
    value.split(',').map(str::trim).find_map(|directive| {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(0);
        }
        lower
            .strip_prefix("max-age=")?
            .trim_matches('"')
            .parse()
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::max_age;

    #[test]
    fn reads_max_age() {
        assert_eq!(max_age("public, max-age=300"), Some(300));
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("public"), None);
    }
}
