//! Fresh test databases, one per test: a SQLite file in its own temporary directory, or a
//! new database on the local PostgreSQL server that is dropped again afterwards.

// These helpers are not #[test] fns, so clippy.toml's
// allow-expect-in-tests does not reach them; a failed expectation is a failed test.
#![allow(clippy::expect_used)]

use auth_gateway::store::{self, DatabaseUrl, Store};
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection, Executor};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;
use uuid::Uuid;

/// Overrides where the PostgreSQL server is; the URL must name a database the test user
/// can connect to and be allowed to create databases.
const ADMIN_URL_VAR: &str = "TEST_POSTGRES_URL";
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const START_POSTGRES: &str =
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    /// Keeps the SQLite file's directory alive as long as the database is used.
    _dir: Option<TempDir>,
    /// The admin URL and the name of the PostgreSQL database to drop when done.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new().expect("create a temporary directory");
                let path = dir.path().join("gateway.db");
                Self {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    backend,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin =
                    std::env::var(ADMIN_URL_VAR).unwrap_or_else(|_| DEFAULT_ADMIN_URL.into());
                // The name is generated here from hex digits only, so it is safe to splice
                // into the statement (CREATE DATABASE takes no bind parameters).
                let name = format!("gw_test_{}", Uuid::new_v4().simple());
                let mut conn = connect_admin(&admin).await;
                conn.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .unwrap_or_else(|error| panic!("creating test database {name}: {error}"));
                let _ = conn.close().await;
                let mut url = url::Url::parse(&admin)
                    .unwrap_or_else(|error| panic!("{ADMIN_URL_VAR} is not a URL: {error}"));
                url.set_path(&format!("/{name}"));
                Self {
                    url: url.into(),
                    backend,
                    _dir: None,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    /// Runs one administrative statement about this PostgreSQL database; `{db}` in
    /// `template` is replaced by its (generated, hex-only) name.
    pub async fn admin(&self, template: &str) {
        let (admin, name) = self.postgres.as_ref().expect("a PostgreSQL test database");
        let mut conn = connect_admin(admin).await;
        conn.execute(AssertSqlSafe(template.replace("{db}", name)))
            .await
            .unwrap_or_else(|error| panic!("{template}: {error}"));
        let _ = conn.close().await;
    }

    /// The store the gateway would open for this URL (migrations applied).
    pub async fn store(&self) -> Arc<dyn Store> {
        let url = DatabaseUrl::parse(&self.url).expect("test database URL parses");
        store::connect(&url)
            .await
            .unwrap_or_else(|error| panic!("opening the store at {}: {error}", self.url))
    }
}

/// Connects to the admin database, or stops the test run with how to fix it: a missing
/// server must fail loudly, never make the PostgreSQL half of the suite silently vanish.
async fn connect_admin(admin: &str) -> PgConnection {
    match tokio::time::timeout(Duration::from_secs(10), PgConnection::connect(admin)).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(error)) => panic!(
            "PostgreSQL is not reachable at {admin} ({error}). Start it with `{START_POSTGRES}` \
             or point {ADMIN_URL_VAR} at a server that is running."
        ),
        Err(elapsed) => panic!(
            "PostgreSQL at {admin} did not answer ({elapsed}, waited 10 s). Start it with \
             `{START_POSTGRES}` or point {ADMIN_URL_VAR} at a server that is running."
        ),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on from within; a
        // thread with its own runtime can. FORCE ends connections the store still holds.
        let outcome = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .map_err(|error| error.to_string())?;
                conn.execute(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await
                .map_err(|error| format!("dropping test database {name}: {error}"))?;
                let _ = conn.close().await;
                Ok(())
            })
        })
        .join();
        // Leaking a database is untidy but must not fail (or double-panic) a test.
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("warning: {error}"),
            Err(_) => eprintln!("warning: the thread dropping a test database panicked"),
        }
    }
}
