//! Wake-ups for `GET /auth/status/{id}?wait=`: the callback announces a finished session
//! here, so waiters in this process return at once instead of polling the database, and
//! the store relays the announcement to the other replicas. Waiters still re-read the
//! database every few seconds, which covers a lost relay.

use crate::store::ChangeFeed;
use std::sync::Arc;
use tokio::sync::broadcast;
use uuid::Uuid;

/// Broadcasts the ids of sessions that left `pending`, here and (through the store) on
/// the other replicas. Uses: `ChangeFeed`.
pub struct SessionEvents {
    sender: broadcast::Sender<Uuid>,
    store: Arc<dyn ChangeFeed>,
}

impl SessionEvents {
    pub fn new(store: Arc<dyn ChangeFeed>) -> Self {
        Self {
            sender: broadcast::channel(256).0,
            store,
        }
    }

    /// Wakes this replica's long-polls for a finished (completed or failed) session, and
    /// asks the store to tell the other replicas.
    pub async fn announce_finished(&self, id: Uuid) {
        self.finished(id);
        if let Err(error) = self.store.announce_session_finished(id).await {
            // Peers fall back to their periodic re-read.
            tracing::warn!(%error, "could not announce a finished session to other replicas");
        }
    }

    /// Relays sessions finished on other replicas to this replica's long-polls, for as
    /// long as the gateway runs (reconnecting after failures). Returns at once for a
    /// single-process store.
    pub async fn relay(&self) {
        use futures::StreamExt as _;
        loop {
            match self.store.session_finished_events().await {
                Ok(None) => return,
                Ok(Some(mut ids)) => {
                    while let Some(id) = ids.next().await {
                        self.finished(id);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for finished sessions; retrying");
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    /// Subscribes before reading the database, so no announcement falls in between.
    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        self.sender.subscribe()
    }

    fn finished(&self, id: Uuid) {
        // No receivers is the common case and not an error.
        let _ = self.sender.send(id);
    }
}
