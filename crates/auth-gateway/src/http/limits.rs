//! Rate limits on `/auth/token` and `/auth/init` (docs/threat-model.md G1): a token bucket per
//! API key and one per client IP address, answered with 429 and `Retry-After`. The
//! buckets live in this process: with N replicas a client gets up to N times the rate,
//! so set the per-minute numbers per replica.

use crate::config::RateLimits;
use crate::http::AppState;
use crate::http::error::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gateway_proto::{API_KEY_HEADER, ErrorCode, ErrorDetail};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

/// The limiters of one gateway process.
#[derive(Debug)]
pub struct RateLimiters {
    /// Keyed by the SHA-256 of the presented key: the key itself is not kept.
    per_client: Option<DefaultKeyedRateLimiter<[u8; 32]>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trust_forwarded_for: bool,
    clock: DefaultClock,
}

impl RateLimiters {
    pub fn new(settings: RateLimits) -> Self {
        Self {
            per_client: limiter(settings.per_client_per_minute),
            per_ip: limiter(settings.per_ip_per_minute),
            trust_forwarded_for: settings.trust_forwarded_for,
            clock: DefaultClock::default(),
        }
    }

    /// Forgets buckets that are full again, so idle keys do not hold memory.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_client {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    /// `Err((limit, seconds))` when the request must wait.
    fn check(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<(), (&'static str, u64)> {
        let now = self.clock.now();
        let wait = |not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(now);
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        };
        if let (Some(limiter), Some(ip)) = (&self.per_ip, self.client_ip(headers, peer)) {
            limiter.check_key(&ip).map_err(|n| ("ip", wait(n)))?;
        }
        if let (Some(limiter), Some(key)) = (&self.per_client, headers.get(API_KEY_HEADER)) {
            let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
            limiter
                .check_key(&digest)
                .map_err(|n| ("client", wait(n)))?;
        }
        Ok(())
    }

    /// The peer address, or the last `X-Forwarded-For` entry (the one our load
    /// balancer appended) when configured to trust it.
    fn client_ip(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        if self.trust_forwarded_for {
            let forwarded = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .filter_map(|entry| entry.trim().parse().ok())
                .next_back();
            if forwarded.is_some() {
                return forwarded;
            }
        }
        peer
    }
}

/// A keyed limiter of `per_minute` (with a burst of the same size); none for 0.
fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|rate| RateLimiter::keyed(Quota::per_minute(rate)))
}

/// Middleware on the limited routes.
pub async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    match state.limits.check(request.headers(), peer) {
        Ok(()) => next.run(request).await,
        Err((limit, retry_after)) => {
            state.metrics.rate_limited(limit);
            tracing::info!(limit, retry_after, "rate limited");
            let mut detail = ErrorDetail::new(
                ErrorCode::RateLimited,
                format!("Too many requests. Retry in {retry_after} s."),
            );
            detail.retry_after = Some(retry_after);
            ApiError::Detail(StatusCode::TOO_MANY_REQUESTS, Box::new(detail)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn limits(per_client: u32, per_ip: u32, trust: bool) -> RateLimiters {
        RateLimiters::new(RateLimits {
            per_client_per_minute: per_client,
            per_ip_per_minute: per_ip,
            trust_forwarded_for: trust,
        })
    }

    #[test]
    fn a_burst_over_the_client_limit_is_refused_per_key() {
        let limiters = limits(2, 0, false);
        let mut a = HeaderMap::new();
        a.insert(API_KEY_HEADER, HeaderValue::from_static("key-a"));
        let mut b = HeaderMap::new();
        b.insert(API_KEY_HEADER, HeaderValue::from_static("key-b"));
        assert!(limiters.check(&a, None).is_ok());
        assert!(limiters.check(&a, None).is_ok());
        let (limit, retry_after) = limiters.check(&a, None).unwrap_err();
        assert_eq!(limit, "client");
        assert!((1..=60).contains(&retry_after));
        assert!(limiters.check(&b, None).is_ok());
    }

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("10.0.0.9, 192.0.2.7"),
        );
        let peer = Some(IpAddr::from([127, 0, 0, 1]));
        assert_eq!(
            limits(1, 1, true).client_ip(&headers, peer),
            Some(IpAddr::from([192, 0, 2, 7]))
        );
        assert_eq!(limits(1, 1, false).client_ip(&headers, peer), peer);
    }

    #[test]
    fn a_zero_limit_turns_the_limit_off() {
        let limiters = limits(0, 0, false);
        let peer = Some(IpAddr::from([127, 0, 0, 1]));
        for _ in 0..100 {
            assert!(limiters.check(&HeaderMap::new(), peer).is_ok());
        }
    }
}
