//! The in-memory token cache across two gateway processes on one PostgreSQL database:
//! a revoke or a new sign-in on one takes effect on the other at once, and while the
//! change feed is down the cache is bypassed.

use crate::support::app::{API_KEY, TestApp};
use crate::support::db::Backend;
use crate::support::metrics::sample;
use crate::support::process::GatewayProcess;
use serde_json::{Value, json};
use sqlx::Connection as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Longest wait for a process to notice its feed went away or came back.
const FEED_TIMEOUT: Duration = Duration::from_secs(15);

/// Two real gateway binaries on `app`'s database and emulator.
async fn two_processes(app: &TestApp) -> (GatewayProcess, GatewayProcess) {
    let callback = app.url("/auth/callback/google");
    let mut settings = app.emulator.gateway_env();
    settings.push(("GOOGLE_REDIRECT_URI", callback));
    settings.push(("BACKGROUND_REFRESH_INTERVAL_SECONDS", "0".to_owned()));
    let env: Vec<(&str, &str)> = settings
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let a = GatewayProcess::start_on(&app.db.url, &env).await;
    let b = GatewayProcess::start_on(&app.db.url, &env).await;
    (a, b)
}

async fn token_at(http: &reqwest::Client, base: &str, email: &str) -> (u16, Value) {
    let response = http
        .post(format!("{base}/auth/token"))
        .header("X-API-Key", API_KEY)
        .json(&json!({"provider": "google", "user_email": email}))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn cache_gauges(http: &reqwest::Client, base: &str) -> (u64, u64) {
    let text = http.get(format!("{base}/metrics")).send().await.unwrap();
    let text = text.text().await.unwrap();
    (
        sample(&text, "token_cache_enabled", &[]),
        sample(&text, "token_cache_entries", &[]),
    )
}

/// Polls until the process reports its cache on (`true`) or off.
async fn wait_for_cache(http: &reqwest::Client, base: &str, enabled: bool) {
    let deadline = tokio::time::Instant::now() + FEED_TIMEOUT;
    while cache_gauges(http, base).await.0 != u64::from(enabled) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{base}: cache never turned {enabled}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoke_or_new_sign_in_on_one_process_takes_effect_on_the_other_at_once() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (a, b) = two_processes(&app).await;
    let http = &app.http;
    wait_for_cache(http, &a.address, true).await;
    wait_for_cache(http, &b.address, true).await;

    // Both processes serve (and cache) the same token.
    let (alice, bob) = ("alice@example.com", "bob@example.com");
    let first = app.sign_in(alice).await;
    app.sign_in(bob).await;
    for process in [&a, &b] {
        for _ in 0..3 {
            let (status, body) = token_at(http, &process.address, alice).await;
            assert_eq!(
                (status, body["access_token"].as_str()),
                (200, Some(&*first))
            );
        }
        token_at(http, &process.address, bob).await;
        assert_eq!(cache_gauges(http, &process.address).await, (1, 2));
    }

    // A new sign-in (here through a third gateway) replaces the token everywhere.
    let second = app.sign_in(alice).await;
    assert_ne!(second, first);
    for process in [&a, &b] {
        let (status, body) = token_at(http, &process.address, alice).await;
        assert_eq!(
            (status, body["access_token"].as_str()),
            (200, Some(&*second))
        );
    }

    // A revoke on A: B answers "not signed in" on the very next request.
    let revoked = http
        .delete(a.url("/auth/revoke"))
        .header("X-API-Key", API_KEY)
        .json(&json!({"provider": "google", "user_email": alice}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let (status, body) = token_at(http, &b.address, alice).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["detail"]["error"], "not_authenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_change_feed_is_down_the_cache_is_bypassed() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (_a, b) = two_processes(&app).await;
    let http = &app.http;
    let carol = "carol@example.com";
    app.sign_in(carol).await;
    wait_for_cache(http, &b.address, true).await;
    assert_eq!(token_at(http, &b.address, carol).await.0, 200);
    assert_eq!(cache_gauges(http, &b.address).await, (1, 1));

    // Keep cutting every LISTEN connection: the feeds keep failing (each comes back
    // for a moment, empty, before it is cut again).
    let stop = AtomicBool::new(false);
    let cutting = async {
        while !stop.load(Ordering::Relaxed) {
            app.db
                .admin(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{db}' AND query LIKE 'LISTEN%'",
                )
                .await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let meanwhile = async {
        wait_for_cache(http, &b.address, false).await;
        // A change B may not hear about: it must read the database, not its memory.
        let mut own = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        let deleted = sqlx::query("DELETE FROM credentials WHERE user_email = $1")
            .bind(carol)
            .execute(&mut own)
            .await
            .unwrap();
        assert_eq!(deleted.rows_affected(), 1);
        own.close().await.unwrap();
        let (status, body) = token_at(http, &b.address, carol).await;
        stop.store(true, Ordering::Relaxed);
        (status, body)
    };
    let ((), (status, body)) = tokio::join!(cutting, meanwhile);
    assert_eq!(status, 404, "{body}");

    // Left alone, the feed comes back and the cache with it.
    wait_for_cache(http, &b.address, true).await;
}
