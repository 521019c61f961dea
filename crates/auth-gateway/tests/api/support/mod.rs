//! Shared test harness: fresh databases, a running gateway, the Google emulator.
#![allow(dead_code)] // each test module uses a different part of the harness

pub mod app;
pub mod browser;
pub mod db;
pub mod documents;
pub mod exchange;
pub mod logs;
pub mod metrics;
pub mod oauth;
pub mod process;

/// Runs the async test body `$body` (a fn taking a `Backend`) on SQLite and PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::db::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::db::Backend::Postgres).await;
                }
            )*
        }
    };
}
