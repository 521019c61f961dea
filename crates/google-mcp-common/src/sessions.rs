//! rmcp's in-memory sessions with a cap: each session holds a worker task and its
//! buffers until it idles out, so unbounded `initialize` requests would exhaust memory.

use futures::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::common::server_side_http::{ServerSseMessage, SessionId};
use rmcp::transport::streamable_http_server::SessionManager;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};

/// At most this many MCP sessions at once; more `initialize` requests are refused
/// until some end (or idle out after rmcp's keep-alive, 5 minutes).
pub const MAX_SESSIONS: usize = 1000;

/// [`LocalSessionManager`] refusing new sessions beyond a cap.
#[derive(Debug, Default)]
pub struct CappedSessions {
    inner: LocalSessionManager,
    max: usize,
}

/// A session could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum CappedSessionsError {
    /// The cap is reached.
    #[error("too many MCP sessions are open; try again later")]
    Full,
    /// rmcp's own failure.
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

impl CappedSessions {
    /// At most `max` sessions.
    pub fn new(max: usize) -> Self {
        Self {
            inner: LocalSessionManager::default(),
            max,
        }
    }
}

type Local = LocalSessionManager;

impl SessionManager for CappedSessions {
    type Error = CappedSessionsError;
    type Transport = <Local as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        if self.inner.sessions.read().await.len() >= self.max {
            tracing::warn!(
                max = self.max,
                "MCP session cap reached; refusing a new session"
            );
            return Err(CappedSessionsError::Full);
        }
        Ok(self.inner.create_session().await?)
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.create_stream(id, message).await?)
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_beyond_the_cap_are_refused_until_one_closes() {
        let sessions = CappedSessions::new(1);
        let (first, _transport) = sessions.create_session().await.unwrap();
        assert!(matches!(
            sessions.create_session().await,
            Err(CappedSessionsError::Full)
        ));
        sessions.close_session(&first).await.unwrap();
        assert!(sessions.create_session().await.is_ok());
    }
}
