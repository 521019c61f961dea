//! The PostgreSQL store: production, shared by any number of gateway replicas. What is
//! only PostgreSQL's: connecting (with a probe that names the server and the cause), how
//! a row's times and JSON lists decode, and the change feed on `LISTEN`/`NOTIFY` (the
//! `credentials_changed` trigger of migration 0004). The statements are in `sql`; each
//! method there is one statement or one transaction, so replicas need no coordination of
//! their own, and every time comes from the caller's clock, never from `now()`.

use super::roles::ChangeFeed;
use super::rows::{self, RecordRow};
use super::{CredentialChange, SqlStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, StreamExt as _};
use sqlx::Connection as _;
use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPoolOptions, PgRow};
use sqlx::types::Json;
use std::str::FromStr as _;
use std::time::Duration;
use uuid::Uuid;

/// The store on PostgreSQL.
pub type PgStore = SqlStore<Postgres>;

/// How long a request waits for a pooled connection before reporting the database down.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_CONNECTIONS: u32 = 10;
/// How long the first connection at startup may take (a server that drops packets).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl PgStore {
    /// Connects and applies the migrations (sqlx takes an advisory lock, so replicas
    /// starting together do not race).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?;
        // One direct connection first: the pool retries a failing connect until its
        // acquire timeout and then reports only "pool timed out", hiding the cause.
        probe(&options).await?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// Connects once, so an unreachable server, a wrong password or a missing database is
/// reported at once with the server's address and the cause.
async fn probe(options: &PgConnectOptions) -> StoreResult<()> {
    let server = format!("{}:{}", options.get_host(), options.get_port());
    let connecting = PgConnection::connect_with(options);
    let (database, cause) = match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            return Ok(());
        }
        Ok(Err(error @ sqlx::Error::Database(_))) => (
            format!("PostgreSQL at {server} refused the connection"),
            super::connect_cause(&error),
        ),
        Ok(Err(error)) => (
            format!("could not reach PostgreSQL at {server}"),
            super::connect_cause(&error),
        ),
        Err(_) => (
            format!("could not reach PostgreSQL at {server}"),
            format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
        ),
    };
    Err(StoreError::Open { database, cause })
}

impl RecordRow for PgRow {
    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        rows::column(self, column)
    }

    fn optional_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        rows::column(self, column)
    }

    fn list(&self, column: &str) -> StoreResult<Vec<String>> {
        rows::column::<_, Json<Vec<String>>>(self, column).map(|json| json.0)
    }

    fn optional_list(&self, column: &str) -> StoreResult<Option<Vec<String>>> {
        rows::column::<_, Option<Json<Vec<String>>>>(self, column)
            .map(|json| json.map(|json| json.0))
    }
}

#[async_trait]
impl ChangeFeed for PgStore {
    async fn announce_session_finished(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(super::SESSION_FINISHED_CHANNEL)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn session_finished_events(&self) -> StoreResult<Option<BoxStream<'static, Uuid>>> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(super::SESSION_FINISHED_CHANNEL).await?;
        // PgListener reconnects by itself; a lost notification only delays a waiter
        // until its periodic re-read.
        let ids = listener
            .into_stream()
            .filter_map(|notification| async move {
                notification
                    .ok()
                    .and_then(|notification| Uuid::parse_str(notification.payload()).ok())
            });
        Ok(Some(ids.boxed()))
    }

    async fn credential_changes(
        &self,
    ) -> StoreResult<Option<BoxStream<'static, CredentialChange>>> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen(super::CREDENTIAL_CHANGED_CHANNEL).await?;
        // `try_recv` reports a lost connection (where `recv` would silently reconnect
        // and drop what was sent meanwhile); the stream ends there so the caller can
        // forget everything it cached and listen again.
        let changes = futures::stream::unfold(Some(listener), |listener| async move {
            let mut listener = listener?;
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => {
                        let Some((provider, user_email)) = notification.payload().split_once('\n')
                        else {
                            continue;
                        };
                        let change = CredentialChange::Changed {
                            provider: provider.to_owned(),
                            user_email: user_email.to_owned(),
                        };
                        return Some((change, Some(listener)));
                    }
                    Ok(None) | Err(_) => return Some((CredentialChange::Lost, None)),
                }
            }
        });
        Ok(Some(
            futures::stream::once(async { CredentialChange::Listening })
                .chain(changes)
                .boxed(),
        ))
    }
}
