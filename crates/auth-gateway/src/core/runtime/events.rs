//! Wake-ups for `GET /auth/status/{id}?wait=`: the callback announces a finished session
//! here, so waiters in this process return at once instead of polling the database.
//! Waiters still re-read the database every few seconds, which covers a callback that
//! landed on another replica.

use tokio::sync::broadcast;
use uuid::Uuid;

/// Broadcasts the ids of sessions that left `pending`.
#[derive(Debug)]
pub struct SessionEvents {
    sender: broadcast::Sender<Uuid>,
}

impl Default for SessionEvents {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(256).0,
        }
    }
}

impl SessionEvents {
    /// Announces that `id` finished (completed or failed).
    pub fn finished(&self, id: Uuid) {
        // No receivers is the common case and not an error.
        let _ = self.sender.send(id);
    }

    /// Subscribes before reading the database, so no announcement falls in between.
    pub fn subscribe(&self) -> broadcast::Receiver<Uuid> {
        self.sender.subscribe()
    }
}
