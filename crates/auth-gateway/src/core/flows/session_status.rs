//! `GET /auth/status/{id}`: a sign-in session's status, with a long-poll that returns
//! as soon as the callback lands on any replica.

use crate::core::client::Client;
use crate::core::clock::Clock;
use crate::core::error::CoreError;
use crate::core::runtime::events::SessionEvents;
use crate::domain::SessionState;
use crate::store::SessionStore;
use chrono::{DateTime, Utc};
use gateway_proto::SessionStatus;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// Longest `?wait=` honoured.
pub const MAX_STATUS_WAIT: Duration = Duration::from_mins(1);
/// How often a waiter re-reads the database anyway: a fallback for a lost cross-replica
/// notification (the store normally relays them at once).
const STATUS_RECHECK: Duration = Duration::from_secs(10);

/// What `GET /auth/status/{id}` reports.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub session_id: Uuid,
    pub status: SessionStatus,
    pub user_email: String,
    pub provider: String,
    pub error: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Reports sessions' statuses. Uses: `SessionStore` (and the `ChangeFeed` through events).
pub struct SessionStatuses {
    pub(in crate::core) store: Arc<dyn SessionStore>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) events: Arc<SessionEvents>,
}

impl SessionStatuses {
    /// `GET /auth/status/{id}`: the session's status; with `wait`, returns as soon as it
    /// leaves `pending` or when `wait` (capped at 60 s) runs out.
    pub async fn status(
        &self,
        client: &Client,
        session_id: &str,
        wait: Duration,
    ) -> Result<SessionView, CoreError> {
        let id = Uuid::parse_str(session_id).map_err(|_| CoreError::SessionNotFound)?;
        let deadline = tokio::time::Instant::now() + wait.min(MAX_STATUS_WAIT);
        let mut finished = self.events.subscribe();
        loop {
            let view = self.read_session(client, id).await?;
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            if view.status != SessionStatus::Pending || remaining.is_zero() {
                return Ok(view);
            }
            let recheck = tokio::time::sleep(remaining.min(STATUS_RECHECK));
            tokio::pin!(recheck);
            loop {
                tokio::select! {
                    () = &mut recheck => break,
                    event = finished.recv() => match event {
                        Ok(finished_id) if finished_id != id => {}
                        // Ours, or we lagged and may have missed ours: re-read.
                        _ => break,
                    },
                }
            }
        }
    }

    async fn read_session(&self, client: &Client, id: Uuid) -> Result<SessionView, CoreError> {
        let session = self
            .store
            .session(id)
            .await?
            // Another client's session is reported as absent (docs/threat-model.md A4).
            .filter(|session| {
                session.client_name == client.name
                    && client.check_provider(&session.provider).is_ok()
            })
            .ok_or(CoreError::SessionNotFound)?;
        let now = self.clock.now();
        let status = match session.state {
            SessionState::Completed => SessionStatus::Completed,
            SessionState::Failed => SessionStatus::Failed,
            SessionState::Pending | SessionState::Exchanging if session.expires_at <= now => {
                SessionStatus::Expired
            }
            SessionState::Pending | SessionState::Exchanging => SessionStatus::Pending,
        };
        Ok(SessionView {
            session_id: session.id,
            status,
            user_email: session.user_email,
            provider: session.provider,
            error: session.error,
            expires_at: session.expires_at,
        })
    }
}
