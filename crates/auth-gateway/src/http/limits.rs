//! Rate limits (docs/threat-model.md G1), on every route of the public listener. Two
//! token buckets, answered with 429 and `Retry-After`:
//! - per API key (by its SHA-256, the key itself is not kept), on every request that
//!   presents one; its default is above what a replica serves, so only a runaway
//!   client meets it;
//! - per client address, spent only by requests that did not authenticate: public
//!   routes (`/health`, `/ready`, `/connect`, the callback, ...), and missing or
//!   refused keys. A key that authenticated recently skips it ([`proven_keys`]).
//!
//! Behind proxies, the address is the rightmost untrusted `X-Forwarded-For` hop
//! ([`client_address`]). The buckets live in this process: with N replicas a client
//! gets up to N times the rate, so set the per-minute numbers per replica.

mod client_address;
mod proven_keys;

use crate::config::RateLimits;
use crate::http::AppState;
use crate::http::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use client_address::ClientAddress;
use gateway_proto::{API_KEY_HEADER, ErrorCode, ErrorDetail};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use proven_keys::ProvenKeys;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// The limiters of one gateway process.
#[derive(Debug)]
pub struct RateLimiters {
    per_client: Option<DefaultKeyedRateLimiter<[u8; 32]>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    client_address: ClientAddress,
    proven: ProvenKeys,
    clock: DefaultClock,
}

/// What became of the API key of one request; the `ApiClient` extractor fills it in.
#[derive(Debug, Clone, Default)]
pub struct KeyCheck(Arc<AtomicU8>);

// 0, the default: no route checked the key (public routes ignore it).
const KEY_ACCEPTED: u8 = 1;
const KEY_REFUSED: u8 = 2;

impl KeyCheck {
    pub fn accepted(&self) {
        self.0.store(KEY_ACCEPTED, Ordering::Relaxed);
    }

    pub fn refused(&self) {
        self.0.store(KEY_REFUSED, Ordering::Relaxed);
    }
}

impl RateLimiters {
    pub fn new(settings: &RateLimits) -> Self {
        Self {
            per_client: limiter(settings.per_client_per_minute),
            per_ip: limiter(settings.per_ip_per_minute),
            client_address: ClientAddress::new(settings),
            proven: ProvenKeys::default(),
            clock: DefaultClock::default(),
        }
    }

    /// Forgets buckets that are full again and keys unused for a while, so idle
    /// clients do not hold memory.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_client {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        self.proven.forget_idle();
    }

    /// `Err((limit, seconds))` when the request must wait.
    fn check(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        key: Option<&[u8; 32]>,
    ) -> Result<(), (&'static str, u64)> {
        let now = self.clock.now();
        let wait = |not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(now);
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        };
        let proven = key.is_some_and(|digest| self.proven.contains(digest));
        if !proven
            && let (Some(limiter), Some(ip)) = (&self.per_ip, self.client_address.of(headers, peer))
        {
            limiter.check_key(&ip).map_err(|n| ("ip", wait(n)))?;
        }
        if let (Some(limiter), Some(digest)) = (&self.per_client, key) {
            limiter.check_key(digest).map_err(|n| ("client", wait(n)))?;
        }
        Ok(())
    }

    /// Remembers what authentication said about the request's key.
    fn learn(&self, key: [u8; 32], check: &KeyCheck) {
        match check.0.load(Ordering::Relaxed) {
            KEY_ACCEPTED => self.proven.prove(key),
            KEY_REFUSED => self.proven.disprove(&key),
            _unchecked => {}
        }
    }
}

/// A keyed limiter of `per_minute` (with a burst of the same size); none for 0.
fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|rate| RateLimiter::keyed(Quota::per_minute(rate)))
}

/// Middleware on every route of the public listener.
pub async fn rate_limit(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    let key: Option<[u8; 32]> = request
        .headers()
        .get(API_KEY_HEADER)
        .map(|key| Sha256::digest(key.as_bytes()).into());
    if let Err((limit, retry_after)) = state.limits.check(request.headers(), peer, key.as_ref()) {
        return too_many_requests(&state, limit, retry_after);
    }
    let Some(key) = key else {
        return next.run(request).await;
    };
    let check = KeyCheck::default();
    request.extensions_mut().insert(check.clone());
    let response = next.run(request).await;
    state.limits.learn(key, &check);
    response
}

fn too_many_requests(state: &AppState, limit: &'static str, retry_after: u64) -> Response {
    state.metrics.rate_limited(limit);
    tracing::info!(limit, retry_after, "rate limited");
    let mut detail = ErrorDetail::new(
        ErrorCode::RateLimited,
        format!("Too many requests. Retry in {retry_after} s."),
    );
    detail.retry_after = Some(retry_after);
    ApiError::Detail(StatusCode::TOO_MANY_REQUESTS, Box::new(detail)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_client: u32, per_ip: u32) -> RateLimiters {
        RateLimiters::new(&RateLimits {
            per_client_per_minute: per_client,
            per_ip_per_minute: per_ip,
            trust_forwarded_for: false,
            trusted_proxies: Vec::new(),
        })
    }

    #[test]
    fn a_burst_over_the_client_limit_is_refused_per_key() {
        let limiters = limits(2, 0);
        let (a, b) = ([1; 32], [2; 32]);
        assert!(limiters.check(&HeaderMap::new(), None, Some(&a)).is_ok());
        assert!(limiters.check(&HeaderMap::new(), None, Some(&a)).is_ok());
        let (limit, retry_after) = limiters
            .check(&HeaderMap::new(), None, Some(&a))
            .unwrap_err();
        assert_eq!(limit, "client");
        assert!((1..=60).contains(&retry_after));
        assert!(limiters.check(&HeaderMap::new(), None, Some(&b)).is_ok());
    }

    #[test]
    fn a_proven_key_skips_the_ip_bucket_and_a_refused_one_spends_it_again() {
        let limiters = limits(0, 1);
        let peer = Some(IpAddr::from([192, 0, 2, 1]));
        let key = [7; 32];
        let accepted = KeyCheck::default();
        accepted.accepted();
        assert!(limiters.check(&HeaderMap::new(), peer, Some(&key)).is_ok());
        limiters.learn(key, &accepted);
        for _ in 0..10 {
            assert!(limiters.check(&HeaderMap::new(), peer, Some(&key)).is_ok());
        }
        let refused = KeyCheck::default();
        refused.refused();
        limiters.learn(key, &refused);
        assert!(limiters.check(&HeaderMap::new(), peer, Some(&key)).is_err());
    }

    #[test]
    fn a_zero_limit_turns_the_limit_off() {
        let limiters = limits(0, 0);
        let peer = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..100 {
            assert!(
                limiters
                    .check(&HeaderMap::new(), peer, Some(&[3; 32]))
                    .is_ok()
            );
        }
    }
}
