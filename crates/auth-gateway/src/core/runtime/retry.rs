//! Bounded retries with jittered exponential backoff for transient upstream failures
//! (5xx, 429, timeouts). Other failures return at once: retrying `invalid_grant` or
//! `invalid_client` cannot help.

use crate::upstream::UpstreamError;
use std::time::Duration;
use tokio::time::Instant;

/// How many times one refresh is tried in all.
pub const MAX_ATTEMPTS: u32 = 3;
/// Backoff before the second attempt; doubled after each failure.
const BASE_BACKOFF: Duration = Duration::from_millis(100);
/// No new attempt starts after this much time: the caller holds a lease meanwhile.
const TIME_BUDGET: Duration = Duration::from_secs(3);

/// Runs `attempt` until it succeeds, fails permanently, or the attempts or time run out.
pub async fn with_backoff<T, F, Fut>(mut attempt: F) -> Result<T, UpstreamError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, UpstreamError>>,
{
    let started = Instant::now();
    let mut backoff = BASE_BACKOFF;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(UpstreamError::Unavailable(reason)) if tries < MAX_ATTEMPTS => {
                let pause = backoff + jitter(backoff);
                if started.elapsed() + pause > TIME_BUDGET {
                    return Err(UpstreamError::Unavailable(reason));
                }
                tracing::debug!(%reason, tries, ?pause, "transient upstream failure; retrying");
                tokio::time::sleep(pause).await;
                backoff *= 2;
                tries += 1;
            }
            result => return result,
        }
    }
}

/// A random extra pause in `[0, up_to)`, so replicas that failed together do not retry
/// together.
fn jitter(up_to: Duration) -> Duration {
    let mut bytes = [0_u8; 2];
    if getrandom::fill(&mut bytes).is_err() {
        return Duration::ZERO;
    }
    up_to.mul_f64(f64::from(u16::from_le_bytes(bytes)) / f64::from(u16::MAX) * 0.999)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = with_backoff(|| async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(UpstreamError::Unavailable("503".into()))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_backoff(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(UpstreamError::Unavailable("503".into()))
        })
        .await;
        assert!(matches!(result, Err(UpstreamError::Unavailable(_))));
        assert_eq!(calls.load(Ordering::SeqCst), MAX_ATTEMPTS);
    }

    #[tokio::test(start_paused = true)]
    async fn a_rejected_grant_is_not_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_backoff(|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(UpstreamError::InvalidGrant)
        })
        .await;
        assert!(matches!(result, Err(UpstreamError::InvalidGrant)));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
