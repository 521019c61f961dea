//! The SQLite store: the embedded default for one gateway process. What is only
//! SQLite's: opening the file (created private, WAL, busy timeout), times stored as
//! INTEGER Unix epoch microseconds so comparisons in SQL are numeric and exact, JSON lists
//! as TEXT, and no change feed. The statements are in `sql`; every time comes from the
//! caller's clock, never from SQLite's own.

use super::roles::ChangeFeed;
use super::rows::{self, RecordRow};
use super::{CredentialChange, SqlStore, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sqlx::Sqlite;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The store on SQLite.
pub type SqliteStore = SqlStore<Sqlite>;

/// How long a writer waits for another connection's write lock before failing; writes
/// here are single short statements, so this is only ever hit when something is stuck.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections let reads overlap a write (WAL).
const MAX_CONNECTIONS: u32 = 4;

impl SqliteStore {
    /// Opens (creating if missing) the database file and applies the migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?;
        if let Some(file) = database_file(url)
            && !url.contains("mode=ro")
        {
            create_private_file(&file)?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // No liveness ping per acquire: a file does not drop connections, and the ping
        // is a round trip to sqlx's worker thread (measured: a large share of a token's
        // CPU on SQLite).
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(BUSY_TIMEOUT)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|error| match database_file(url) {
                Some(file) => open_error(&file, &super::connect_cause(&error)),
                None => StoreError::from(error),
            })?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

/// The database file a `sqlite:` URL names, made absolute; `None` for an in-memory
/// database or a URL sqlx cannot parse (sqlx then reports that).
pub(super) fn database_file(url: &str) -> Option<PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    let in_memory = url.contains("mode=memory")
        || file.as_os_str() == ":memory:"
        || file.starts_with("file:sqlx-in-memory");
    if in_memory {
        return None;
    }
    Some(std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf()))
}

/// Creates the database file readable by its owner only before SQLite opens it (SQLite
/// gives its -wal and -shm files the database file's mode); an existing file is left
/// as it is. Fails naming the path, e.g. when its directory does not exist.
fn create_private_file(file: &Path) -> StoreResult<()> {
    if file.exists() {
        return Ok(());
    }
    if let Some(dir) = file.parent().filter(|dir| !dir.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(open_error(
            file,
            &format!("directory {} does not exist", dir.display()),
        ));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(file)
        .map(drop)
        .map_err(|error| open_error(file, &error.to_string()))
}

fn open_error(file: &Path, cause: &str) -> StoreError {
    StoreError::Open {
        database: format!("cannot open the SQLite database {}", file.display()),
        cause: cause.to_owned(),
    }
}

pub(super) fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

pub(super) fn from_micros(value: i64, column: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(value)
        .ok_or_else(|| StoreError::Corrupt(format!("column {column}: time {value} out of range")))
}
impl RecordRow for SqliteRow {
    fn time(&self, column: &str) -> StoreResult<DateTime<Utc>> {
        from_micros(rows::column(self, column)?, column)
    }

    fn optional_time(&self, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
        rows::column::<_, Option<i64>>(self, column)?
            .map(|value| from_micros(value, column))
            .transpose()
    }

    fn list(&self, column: &str) -> StoreResult<Vec<String>> {
        rows::list_from_json(&rows::column::<_, String>(self, column)?, column)
    }

    fn optional_list(&self, column: &str) -> StoreResult<Option<Vec<String>>> {
        rows::column::<_, Option<String>>(self, column)?
            .map(|text| rows::list_from_json(&text, column))
            .transpose()
    }
}

#[async_trait]
impl ChangeFeed for SqliteStore {
    async fn announce_session_finished(&self, _id: Uuid) -> StoreResult<()> {
        // One process: the core's in-process broadcast already woke every waiter.
        Ok(())
    }

    async fn session_finished_events(&self) -> StoreResult<Option<BoxStream<'static, Uuid>>> {
        Ok(None)
    }

    /// Another process (the admin CLI) may write the file unannounced, so no feed.
    async fn credential_changes(
        &self,
    ) -> StoreResult<Option<BoxStream<'static, CredentialChange>>> {
        Ok(None)
    }
}
