//! The audit trail: who (client) did what (event) for whom (user, provider), how it went
//! and when. Never a token. A failed audit write is logged and does not fail the request.

use super::gateway::{Client, Gateway};
use crate::store::{AuditEvent, Store};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

/// "Token issued" is written at most this often per (client, user, provider) and replica,
/// so serving a hot token costs no write per request.
pub const TOKEN_ISSUED_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);
/// Above this many remembered triples, the stale ones are forgotten.
const THROTTLE_PRUNE_AT: usize = 10_000;

/// An event about to be recorded.
pub type Event = AuditEvent;

impl AuditEvent {
    /// An administrative event about a client (created, revoked, rotated).
    pub fn admin(now: DateTime<Utc>, client: &str, event: &str) -> Self {
        Self {
            occurred_at: now,
            client_name: Some(client.to_owned()),
            user_email: None,
            provider: None,
            event: event.to_owned(),
            outcome: "ok".to_owned(),
            detail: None,
        }
    }
}

/// Writes `event`; a failure is logged (the action it describes already happened).
pub async fn record(store: &dyn Store, event: Event) {
    if let Err(error) = store.insert_audit_event(&event).await {
        tracing::warn!(%error, event = %event.event, "could not write an audit event");
    }
}

/// Remembers when "token issued" was last written per (client, user, provider).
#[derive(Debug, Default)]
pub(super) struct IssueThrottle {
    last: Mutex<HashMap<(String, String, String), DateTime<Utc>>>,
}

impl IssueThrottle {
    /// True when a "token issued" event should be written now (and notes it).
    fn due(&self, client: &str, user: &str, provider: &str, now: DateTime<Utc>) -> bool {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.len() >= THROTTLE_PRUNE_AT {
            last.retain(|_, at| now - *at < TOKEN_ISSUED_INTERVAL);
        }
        let key = (client.to_owned(), user.to_owned(), provider.to_owned());
        match last.get(&key) {
            Some(at) if now - *at < TOKEN_ISSUED_INTERVAL => false,
            _ => {
                last.insert(key, now);
                true
            }
        }
    }
}

impl Gateway {
    /// Records an event about a user's grant at a provider.
    pub(super) async fn audit(
        &self,
        client: &str,
        user_email: &str,
        provider: &str,
        event: &str,
        outcome: &str,
    ) {
        record(
            self.store.as_ref(),
            Event {
                occurred_at: self.clock.now(),
                client_name: Some(client.to_owned()),
                user_email: Some(user_email.to_owned()),
                provider: Some(provider.to_owned()),
                event: event.to_owned(),
                outcome: outcome.to_owned(),
                detail: None,
            },
        )
        .await;
    }

    /// Records "token issued", at most once a minute per client, user and provider.
    pub(super) async fn audit_issued(&self, client: &Client, user_email: &str, provider: &str) {
        if self
            .issue_throttle
            .due(&client.name, user_email, provider, self.clock.now())
        {
            self.audit(&client.name, user_email, provider, "token_issued", "ok")
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_issued_is_due_once_a_minute_per_client_user_and_provider() {
        let throttle = IssueThrottle::default();
        let t0 = DateTime::UNIX_EPOCH;
        assert!(throttle.due("ads", "a@x.io", "google", t0));
        assert!(!throttle.due(
            "ads",
            "a@x.io",
            "google",
            t0 + chrono::Duration::seconds(59)
        ));
        assert!(throttle.due("analytics", "a@x.io", "google", t0));
        assert!(throttle.due("ads", "b@x.io", "google", t0));
        assert!(throttle.due(
            "ads",
            "a@x.io",
            "google",
            t0 + chrono::Duration::seconds(61)
        ));
    }
}
