//! Concurrent long-polls (`GET /auth/status/{id}?wait=`) per client (docs/threat-model.md
//! G2): each holds a connection and a waiter for up to a minute, so one client's burst
//! of them could take every connection slot. Over the cap a wait is refused with 429
//! and `Retry-After` (answering at once instead would make a polling client spin);
//! a plain look without `wait` is always answered.

use crate::http::error::ApiError;
use axum::http::StatusCode;
use gateway_proto::{ErrorCode, ErrorDetail};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Seconds a refused waiter is told to wait before trying again.
const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug)]
pub struct LongPolls {
    per_client: usize,
    waiting: Mutex<HashMap<String, usize>>,
}

/// One admitted wait; counted until dropped.
#[derive(Debug)]
pub struct Waiting {
    owner: Arc<LongPolls>,
    client: String,
}

impl LongPolls {
    pub fn new(per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            per_client,
            waiting: Mutex::new(HashMap::new()),
        })
    }

    /// Admits a wait of `wait` for `client`: `None` for no wait, 429 over the cap.
    pub fn enter(
        self: &Arc<Self>,
        client: &str,
        wait: Duration,
    ) -> Result<Option<Waiting>, ApiError> {
        if wait.is_zero() {
            return Ok(None);
        }
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let count = waiting.entry(client.to_owned()).or_insert(0);
        if *count >= self.per_client {
            let mut detail = ErrorDetail::new(
                ErrorCode::RateLimited,
                format!(
                    "This client already has {} status requests waiting; retry in {RETRY_AFTER_SECS} s.",
                    self.per_client
                ),
            );
            detail.retry_after = Some(RETRY_AFTER_SECS);
            return Err(ApiError::Detail(
                StatusCode::TOO_MANY_REQUESTS,
                Box::new(detail),
            ));
        }
        *count += 1;
        Ok(Some(Waiting {
            owner: Arc::clone(self),
            client: client.to_owned(),
        }))
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let mut waiting = self
            .owner
            .waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = waiting.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                waiting.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_counted_per_client_and_plain_looks_are_free() {
        let polls = LongPolls::new(1);
        let second = Duration::from_secs(1);
        let first = polls.enter("a", second).unwrap();
        assert!(polls.enter("a", second).is_err());
        assert!(polls.enter("a", Duration::ZERO).unwrap().is_none());
        assert!(polls.enter("b", second).unwrap().is_some());
        drop(first);
        assert!(polls.enter("a", second).unwrap().is_some());
    }
}
