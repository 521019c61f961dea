//! The benchmark's own PostgreSQL databases: created fresh before a run and dropped
//! after, next to whatever else lives on the server.

use anyhow::{Context, Result};
use sqlx::{AssertSqlSafe, Connection};

/// `prefix` made unique to this process, so two benchmarks on one server (two
/// developers, or CI next to a local run) never drop each other's database.
pub fn own_name(prefix: &str) -> String {
    format!("{prefix}_{}", std::process::id())
}

/// Drops `name` if it exists and creates it empty; returns its URL.
pub async fn recreate(admin_url: &str, name: &str) -> Result<String> {
    let mut admin = connect(admin_url).await?;
    // Database names cannot be bound parameters; `name` is one of our own constants.
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .with_context(|| format!("dropping database {name}"))?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .with_context(|| format!("creating database {name}"))?;
    admin.close().await.ok();
    database_url(admin_url, name)
}

/// Drops `name`; a failure is only reported, since the results are already in.
pub async fn drop(admin_url: &str, name: &str) {
    let result = async {
        let mut admin = connect(admin_url).await?;
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut admin)
        .await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = result {
        eprintln!("warning: could not drop database {name}: {error:#}");
    }
}

async fn connect(admin_url: &str) -> Result<sqlx::PgConnection> {
    sqlx::PgConnection::connect(admin_url)
        .await
        .with_context(|| {
            format!("connecting to PostgreSQL at {admin_url} (is it running? set --postgres-url)")
        })
}

/// `admin_url` with its database replaced by `name`.
fn database_url(admin_url: &str, name: &str) -> Result<String> {
    let mut url = url::Url::parse(admin_url).context("--postgres-url is not a URL")?;
    url.set_path(name);
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_the_admin_url_is_swapped() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "bench").unwrap(),
            "postgres://postgres@127.0.0.1:5432/bench"
        );
        assert_eq!(
            database_url("postgres://u:p@db/postgres?sslmode=disable", "bench").unwrap(),
            "postgres://u:p@db/bench?sslmode=disable"
        );
    }
}
