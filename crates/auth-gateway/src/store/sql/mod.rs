//! Every statement of the store, written once for both backends, with its binds and its
//! row mapping. The SQL is the common subset of PostgreSQL and SQLite: `$N` placeholders
//! (sqlx binds SQLite's `$N` by number too), `ON CONFLICT … DO UPDATE` with `EXCLUDED`,
//! `RETURNING`, row-value comparisons, standard `CAST`. No `::type` casts: sqlx sends
//! PostgreSQL each parameter's type, so a parameter that is only tested `IS NULL` is
//! typed anyway.
//!
//! What truly differs is the [`Dialect`]: how a time and a JSON list are bound (the row
//! side is `rows::RecordRow`) and which statement opens a write transaction. Connecting
//! and the change feed are in `postgres` and `sqlite`.
//!
//! Each role trait is implemented in its own file (`sessions.rs`, `credentials.rs`, …) by
//! a macro instantiated for `SqlStore<Postgres>` and `SqlStore<Sqlite>`: the same source
//! compiled for each backend's concrete sqlx types. A generic `impl<DB: Dialect>` would need the whole bound
//! bundle (an executor for `&mut DB::Connection`, `Encode`/`Decode` for every bound and
//! read type, and each `Option` of them separately, since sqlx implements those per
//! database) restated on every impl, because Rust does not imply such bounds
//! from a trait. The macro keeps each backend's code exactly what it was (concrete
//! types, prepared and cached statements, no extra allocation) with the text once.
//! rustfmt formats the macro body as long as every line fits in about 90 columns (a
//! longer SQL line makes it leave that whole impl alone, silently), so the SQL is
//! wrapped a little shorter than elsewhere.

mod audit;
mod authorizations;
mod clients;
mod credentials;
mod keys;
mod leases;
mod logins;
mod oauth_clients;
mod redemptions;
mod resources;
mod sessions;
mod signing_keys;

use super::roles::Health;
use super::rows;
use super::{StoreResult, sqlite};
use crate::domain::PoolStats;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{Database, Pool, Postgres, Sqlite};

/// A store on one sqlx database: [`PgStore`](super::PgStore) or
/// [`SqliteStore`](super::SqliteStore).
pub struct SqlStore<DB: Database> {
    pub(super) pool: Pool<DB>,
}

impl<DB: Database> SqlStore<DB> {
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// The connection pool's occupancy now.
    fn occupancy(&self) -> PoolStats {
        PoolStats {
            open: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }
}

/// What the two backends bind differently. The schema's columns have the same names on
/// both; only the types of times and JSON lists do not.
pub(super) trait Dialect: Database {
    /// A bound time: `TIMESTAMPTZ` on PostgreSQL; INTEGER Unix epoch microseconds on
    /// SQLite, which compare correctly as numbers.
    type Time;
    /// A bound JSON array of strings: `JSONB` on PostgreSQL, `TEXT` on SQLite.
    type List<'a>;
    /// Opens a transaction that will write.
    const BEGIN_WRITE: &'static str;

    fn time(time: DateTime<Utc>) -> Self::Time;
    fn list(items: &[String]) -> Self::List<'_>;
}

impl Dialect for Postgres {
    type Time = DateTime<Utc>;
    type List<'a> = Json<&'a [String]>;
    /// What `Pool::begin` sends: the row locks of the statements do the rest.
    const BEGIN_WRITE: &'static str = "BEGIN";

    fn time(time: DateTime<Utc>) -> Self::Time {
        time
    }

    fn list(items: &[String]) -> Self::List<'_> {
        Json(items)
    }
}

impl Dialect for Sqlite {
    type Time = i64;
    type List<'a> = String;
    /// IMMEDIATE takes the write lock up front, so the transaction never has to upgrade a
    /// read lock later (which SQLite can refuse without waiting).
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

    fn time(time: DateTime<Utc>) -> Self::Time {
        sqlite::micros(time)
    }

    fn list(items: &[String]) -> Self::List<'_> {
        rows::list_to_json(items)
    }
}

/// The helpers every role file uses, and `Health`, for `SqlStore<$db>`.
macro_rules! sql_base {
    ($db:ty) => {
        impl SqlStore<$db> {
            fn time(time: DateTime<Utc>) -> <$db as Dialect>::Time {
                <$db as Dialect>::time(time)
            }

            fn list(items: &[String]) -> <$db as Dialect>::List<'_> {
                <$db as Dialect>::list(items)
            }
        }

        #[async_trait]
        impl Health for SqlStore<$db> {
            async fn ping(&self) -> StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            fn pool_stats(&self) -> PoolStats {
                self.occupancy()
            }
        }
    };
}

sql_base!(Postgres);
sql_base!(Sqlite);
