//! Online key rotation (G2, docs/threat-model.md R12, R13): rows under an old key are moved to the
//! primary while the gateway serves and refreshes; interrupted runs resume; unknown key
//! ids are named and make the gateway not ready; undecryptable rows are left untouched.

use crate::support::app::{ENCRYPTION_KEY, TestApp};
use crate::support::db::Backend;
use auth_gateway::cli::reencrypt::{self, Args};
use auth_gateway::core::admin::key_rotation::key_usage;
use auth_gateway::core::admin::reencrypt::ReencryptSummary;
use auth_gateway::core::crypto::{Binding, KeyRing, Sealed};
use auth_gateway::store::{ImportedCredential, Store};
use futures::StreamExt as _;
use secrecy::{ExposeSecret as _, SecretString};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use tokio::task::JoinHandle;

/// The old key (K1); the test app's `ENCRYPTION_KEY` is the new primary (K2).
const OLD_KEY: &str = "the-old-encryption-key-K1-0123456789abcdef";
/// A key the gateway was never given.
const LOST_KEY: &str = "a-lost-encryption-key-K0-0123456789abcdef";
/// The scale: 10 000 credentials under the old key.
const ROWS: usize = 10_000;
const READERS: usize = 16;
const RITA: &str = "rita@example.com";

/// A key ring with the test primary and these rotation keys.
pub fn ring(rotation: &[&str]) -> KeyRing {
    let rotation: Vec<SecretString> = rotation.iter().map(|k| SecretString::from(*k)).collect();
    KeyRing::new(&SecretString::from(ENCRYPTION_KEY), None, &rotation).unwrap()
}

fn only(key: &str) -> KeyRing {
    KeyRing::new(&SecretString::from(key), None, &[]).unwrap()
}

fn user(i: usize) -> String {
    format!("user{i:05}@example.com")
}

/// Stores a fresh grant for `email` sealed with `keys`' primary.
async fn seed(store: &dyn Store, keys: &KeyRing, email: &str, now: chrono::DateTime<chrono::Utc>) {
    let binding = |field| Binding::Credential {
        user_email: email,
        provider: "google",
        field,
    };
    let secret = |text: String| SecretString::from(text);
    let credential = ImportedCredential {
        user_email: email.to_owned(),
        provider: "google".into(),
        access_token: keys.seal(binding("access_token"), &secret(format!("ya29.{email}"))),
        refresh_token: Some(keys.seal(binding("refresh_token"), &secret(format!("1//{email}")))),
        expires_at: now + chrono::Duration::days(365),
        scopes: vec!["openid".into(), "email".into()],
        imported_at: now,
    };
    assert!(store.import_credential(&credential).await.unwrap());
}

async fn run_reencrypt(
    store: &dyn Store,
    keys: &KeyRing,
    args: &Args,
) -> (String, anyhow::Result<ReencryptSummary>) {
    let mut out = Vec::new();
    let now = chrono::DateTime::UNIX_EPOCH;
    let result = reencrypt::run(store, keys, now, args, &mut out).await;
    (String::from_utf8(out).unwrap(), result)
}

fn args(batch: u32, limit: Option<u64>, dry_run: bool) -> Args {
    Args {
        dry_run,
        batch,
        limit,
        quiet: true,
    }
}

/// Seeds `ROWS` grants under `old`, and signs in a real grant the emulator refreshes
/// (rotating its refresh token every time), its row moved back under `old` too.
async fn seed_old_rows(app: &TestApp, store: &dyn Store, old: &KeyRing, keys: &KeyRing) {
    let now = app.clock_now();
    futures::stream::iter(0..ROWS)
        .for_each_concurrent(8, |i| async move { seed(store, old, &user(i), now).await })
        .await;
    app.emulator.state().set_rotate_refresh_tokens(true);
    app.sign_in(RITA).await;
    let rita = store.credential(RITA, "google").await.unwrap().unwrap();
    let reseal = |field, sealed: &Sealed| {
        let binding = Binding::Credential {
            user_email: RITA,
            provider: "google",
            field,
        };
        old.seal(
            binding,
            &keys
                .open(binding, &sealed.key_id, &sealed.ciphertext)
                .unwrap(),
        )
    };
    let access = reseal("access_token", &rita.access_token);
    let refresh = reseal("refresh_token", rita.refresh_token.as_ref().unwrap());
    let moved = store
        .reseal_credential(RITA, "google", rita.version, &access, Some(&refresh))
        .await
        .unwrap();
    assert!(moved);
}

/// 16 readers asking for seeded users' tokens until `done`; each answer must be right.
fn spawn_readers(
    app: &Arc<TestApp>,
    done: &Arc<AtomicBool>,
    served: &Arc<AtomicU64>,
) -> Vec<JoinHandle<()>> {
    (0..READERS)
        .map(|reader| {
            let (app, done, served) = (app.clone(), done.clone(), served.clone());
            tokio::spawn(async move {
                let mut i = reader;
                while !done.load(Ordering::Relaxed) {
                    let response = app.token(&user(i % ROWS)).await;
                    assert_eq!(response.status(), 200, "reader {reader}, user {i}");
                    let body: serde_json::Value = response.json().await.unwrap();
                    assert_eq!(body["access_token"], format!("ya29.{}", user(i % ROWS)));
                    served.fetch_add(1, Ordering::Relaxed);
                    i += 97;
                }
            })
        })
        .collect()
}

/// Refreshes Rita's token over and over (moving the clock past its expiry) until `done`.
fn spawn_refresher(app: &Arc<TestApp>, done: &Arc<AtomicBool>) -> JoinHandle<u32> {
    let (app, done) = (app.clone(), done.clone());
    tokio::spawn(async move {
        let mut count = 0_u32;
        while !done.load(Ordering::Relaxed) || count == 0 {
            app.clock.advance(chrono::Duration::hours(2));
            let response = app.token(RITA).await;
            assert_eq!(response.status(), 200, "refresh {count}");
            count += 1;
        }
        count
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotation_moves_every_row_to_the_new_key_while_tokens_are_served_and_refreshed() {
    // Rate limits off: 16 readers on cached tokens go well past the default 100/s.
    let overrides = [
        ("AUTH_GATEWAY_ROTATION_KEYS", OLD_KEY),
        ("RATE_LIMIT_PER_MINUTE", "0"),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
    ];
    let app = Arc::new(TestApp::spawn_with(Backend::Postgres, &overrides).await);
    let store = app.db.store().await;
    let (old, keys) = (only(OLD_KEY), ring(&[OLD_KEY]));
    seed_old_rows(&app, store.as_ref(), &old, &keys).await;
    let usage = key_usage(store.as_ref(), &keys).await.unwrap();
    assert_eq!(usage.not_under_primary(), 2 * ROWS as u64 + 2);

    let (done, served) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let readers = spawn_readers(&app, &done, &served);
    let refreshing = spawn_refresher(&app, &done);

    // Interrupted after a quarter of the rows, then resumed.
    let (printed, first) = run_reencrypt(
        store.as_ref(),
        &keys,
        &args(100, Some(ROWS as u64 / 4), false),
    )
    .await;
    assert!(first.unwrap().stopped_early, "{printed}");
    assert!(printed.contains("rerun to continue"), "{printed}");
    let left = key_usage(store.as_ref(), &keys)
        .await
        .unwrap()
        .not_under_primary();
    assert!(left > 0 && left < 2 * ROWS as u64, "{left}");
    let (started, served_before) = (Instant::now(), served.load(Ordering::Relaxed));
    let (printed, rest) = run_reencrypt(store.as_ref(), &keys, &args(200, None, false)).await;
    let elapsed = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    let refreshes = refreshing.await.unwrap();
    let rest = rest.unwrap();
    eprintln!(
        "re-encrypted {} rows in {elapsed:.2}s ({:.0} rows/s) while serving {} tokens; {refreshes} refreshes",
        rest.checked,
        f64::from(u32::try_from(rest.checked).unwrap()) / elapsed,
        served.load(Ordering::Relaxed) - served_before,
    );
    assert!(
        printed.contains("0 ciphertexts remain under other keys"),
        "{printed}"
    );
    assert!(rest.failed.is_empty(), "{printed}");

    // Every row is under K2 now, and K2 alone opens them: K1 can be removed.
    let new_only = ring(&[]);
    let usage = key_usage(store.as_ref(), &new_only).await.unwrap();
    assert!(usage.is_ready(), "{usage:?}");
    assert_eq!(usage.not_under_primary(), 0, "{usage:?}");
    for i in (0..ROWS).step_by(7) {
        let row = store.credential(&user(i), "google").await.unwrap().unwrap();
        let binding = Binding::Credential {
            user_email: &row.user_email,
            provider: "google",
            field: "access_token",
        };
        let sealed = &row.access_token;
        let token = new_only
            .open(binding, &sealed.key_id, &sealed.ciphertext)
            .unwrap();
        assert_eq!(token.expose_secret(), format!("ya29.{}", user(i)));
    }
    // Rita's grant survived every refresh: no rotated refresh token was lost.
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(app.token(RITA).await.status(), 200);
}

async fn an_unknown_key_id_is_named_and_its_row_left_untouched(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("AUTH_GATEWAY_ROTATION_KEYS", OLD_KEY)]).await;
    let store = app.db.store().await;
    let lost = only(LOST_KEY);
    seed(store.as_ref(), &lost, "lost@example.com", app.clock_now()).await;
    seed(
        store.as_ref(),
        &only(OLD_KEY),
        "old@example.com",
        app.clock_now(),
    )
    .await;
    let before = store
        .credential("lost@example.com", "google")
        .await
        .unwrap()
        .unwrap();

    let usage = app.gateway.key_usage().await.unwrap();
    assert!(!usage.is_ready());
    assert_eq!(
        usage.unknown,
        vec![lost.primary_key_id().to_owned()],
        "{usage:?}"
    );
    // Readiness names the key: this replica (its count was just refreshed) and a new
    // replica started now (which counts at startup) both refuse traffic.
    let response = reqwest::get(app.url("/ready")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["encryption"], "unknown_key_ids", "{body}");
    assert_eq!(
        body["unknown_key_ids"],
        serde_json::json!([lost.primary_key_id()])
    );
    let replica = app.replica().await;
    let body: serde_json::Value = reqwest::get(format!("{replica}/ready"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let named = body["unknown_key_ids"].as_array().unwrap();
    assert!(
        named.contains(&serde_json::json!(lost.primary_key_id())),
        "{body}"
    );

    let keys = ring(&[OLD_KEY]);
    let (printed, result) = run_reencrypt(store.as_ref(), &keys, &args(10, None, true)).await;
    assert!(
        printed.contains("checked 2, would re-encrypt 1, failed 1"),
        "{printed}"
    );
    assert!(result.is_err());
    assert_eq!(
        key_usage(store.as_ref(), &keys)
            .await
            .unwrap()
            .not_under_primary(),
        4,
        "a dry run writes nothing"
    );

    let (printed, result) = run_reencrypt(store.as_ref(), &keys, &args(10, None, false)).await;
    assert!(result.is_err(), "{printed}");
    assert!(
        printed.contains("failed: credential lost@example.com google"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("key id {}", lost.primary_key_id())),
        "{printed}"
    );
    assert!(
        printed.contains("checked 2, re-encrypted 1, failed 1"),
        "{printed}"
    );
    let after = store
        .credential("lost@example.com", "google")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.access_token, before.access_token);
    assert_eq!(after.refresh_token, before.refresh_token);
    assert_eq!(after.version, before.version);
    let body: serde_json::Value = app.token("old@example.com").await.json().await.unwrap();
    assert_eq!(body["access_token"], "ya29.old@example.com");
}

crate::on_both_backends!(an_unknown_key_id_is_named_and_its_row_left_untouched);
