//! The first slice of the OAuth authorization server (docs/authorization-server.md):
//! resources registered from the command line, the signing keys, and `GET /oauth/jwks`,
//! on both backends.

use crate::support::app::{API_KEY, ENCRYPTION_KEY, TestApp};
use crate::support::db::{Backend, TestDatabase};
use auth_gateway::cli::reencrypt::{self, Args};
use auth_gateway::cli::signing_keys::{self as signing_keys_cli, SigningKeysCommand};
use auth_gateway::core::admin::key_rotation::key_usage;
use auth_gateway::core::authz::signing_keys::{current_or_create, private_key_der, rotate};
use auth_gateway::core::crypto::KeyRing;
use auth_gateway::store::{AuditQuery, Store};
use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::process::Command;
use std::sync::Arc;

const OLD_KEY: &str = "the-old-encryption-key-K1-0123456789abcdef";

fn ring(primary: &str, rotation: &[&str]) -> KeyRing {
    let rotation: Vec<SecretString> = rotation.iter().map(|k| SecretString::from(*k)).collect();
    KeyRing::new(&SecretString::from(primary), None, &rotation).unwrap()
}

macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test(super::Backend::Sqlite).await;
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                super::$test(super::Backend::Postgres).await;
            })+
        }
    };
}

on_both_backends!(
    resources_are_added_listed_and_removed_from_the_command_line,
    the_jwks_keeps_the_previous_key_for_the_overlap_after_a_rotation,
    replicas_making_the_first_signing_key_at_once_end_with_one,
    reencrypt_reseals_the_signing_keys_and_key_usage_counts_them,
);

/// Runs the real binary against `database`; returns (success, stdout, stderr).
fn cli(database: &TestDatabase, dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_auth-gateway"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &database.url)
        .env("AUTH_GATEWAY_DATA_DIR", dir)
        .env("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY)
        .env("AUTH_GATEWAY_API_KEY", API_KEY)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

async fn resources_are_added_listed_and_removed_from_the_command_line(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| cli(&database, dir.path(), args);
    let add = |uri: &'static str, client: &'static str, provider: &'static str| {
        let args = [
            "resources",
            "add",
            uri,
            "--client",
            client,
            "--provider",
            provider,
            "--scopes",
            "https://www.googleapis.com/auth/adwords",
            "--name",
            "Google Ads",
        ];
        run(&args)
    };
    let (ok, _, stderr) = run(&["clients", "create", "ads-mcp", "--providers", "google"]);
    assert!(ok, "{stderr}");

    let (ok, _, stderr) = add("https://ads.example.com/mcp", "nobody", "google");
    assert!(!ok);
    assert!(
        stderr.contains("no active client named \"nobody\"; active clients: ads-mcp"),
        "{stderr}"
    );
    let (ok, _, stderr) = add("https://ads.example.com/mcp", "ads-mcp", "gogle");
    assert!(!ok);
    assert!(stderr.contains("unknown provider \"gogle\""), "{stderr}");
    let (ok, _, stderr) = add("http://ads.example.com/mcp", "ads-mcp", "google");
    assert!(!ok);
    assert!(stderr.contains("loopback"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");

    let (ok, stdout, stderr) = add("HTTPS://Ads.Example.com:443/mcp/", "ads-mcp", "google");
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("Registered resource https://ads.example.com/mcp (Google Ads)"),
        "{stdout}"
    );
    assert!(stderr.contains("not configured here"), "{stderr}");
    let (ok, _, stderr) = add("https://ads.example.com/mcp", "ads-mcp", "google");
    assert!(!ok);
    assert!(stderr.contains("already registered"), "{stderr}");

    let (ok, listed, _) = run(&["resources", "list"]);
    assert!(ok);
    let row = listed
        .lines()
        .find(|line| line.starts_with("https://ads.example.com/mcp "))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(
        row.contains("ads-mcp") && row.contains("Google Ads"),
        "{row}"
    );

    let (ok, stdout, stderr) = run(&["resources", "remove", "https://ads.example.com/mcp/"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Removed resource https://ads.example.com/mcp"));
    let (_, listed, _) = run(&["resources", "list"]);
    assert!(!listed.contains("ads.example.com"), "{listed}");
    let (ok, _, stderr) = run(&["resources", "remove", "https://ads.example.com/mcp"]);
    assert!(!ok);
    assert!(
        stderr.contains("no resource https://ads.example.com/mcp"),
        "{stderr}"
    );

    let store = database.store().await;
    let query = AuditQuery {
        user_email: None,
        since: None,
        limit: 100,
    };
    let events: Vec<String> = store
        .audit_events(&query)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.event.starts_with("resource_"))
        .map(|event| format!("{} {}", event.event, event.detail.unwrap_or_default()))
        .collect();
    assert_eq!(
        events,
        [
            "resource_added https://ads.example.com/mcp",
            "resource_removed https://ads.example.com/mcp"
        ]
    );
}

async fn jwks(app: &TestApp) -> (String, Vec<Value>) {
    let response = app.http.get(app.url("/oauth/jwks")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cache = response.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    (cache, body["keys"].as_array().unwrap().clone())
}

fn kid(jwk: &Value) -> &str {
    jwk["kid"].as_str().unwrap()
}

async fn the_jwks_keeps_the_previous_key_for_the_overlap_after_a_rotation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cache, keys) = jwks(&app).await;
    assert_eq!(cache, "public, max-age=300");
    assert_eq!(keys.len(), 1, "the first key is made on first need");
    let first = keys[0].clone();
    for (member, value) in [
        ("kty", "EC"),
        ("crv", "P-256"),
        ("use", "sig"),
        ("alg", "ES256"),
    ] {
        assert_eq!(first[member], value, "{first}");
    }

    // A token signed with the stored private key verifies with the served JWK.
    let store = app.db.store().await;
    let keys_ring = ring(ENCRYPTION_KEY, &[]);
    let current = app.gateway.current_signing_key().await.unwrap();
    assert_eq!(current.kid, kid(&first));
    let der = private_key_der(&keys_ring, &current).unwrap();
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(current.kid.clone());
    let claims = json!({ "sub": "alice", "exp": 4_000_000_000_u64 });
    let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&der)).unwrap();
    let x = first["x"].as_str().unwrap();
    let y = first["y"].as_str().unwrap();
    let public = DecodingKey::from_ec_components(x, y).unwrap();
    jsonwebtoken::decode::<Value>(&token, &public, &Validation::new(Algorithm::ES256)).unwrap();

    let mut out = Vec::new();
    let command = SigningKeysCommand::Rotate {
        overlap: Some(Duration::hours(2)),
    };
    signing_keys_cli::run(
        store.as_ref(),
        &keys_ring,
        app.clock_now(),
        command,
        &mut out,
    )
    .await
    .unwrap();
    let printed = String::from_utf8(out).unwrap();
    assert!(
        printed.contains(&format!("{} stays published until", kid(&first))),
        "{printed}"
    );

    let (_, keys) = jwks(&app).await;
    let kids: Vec<&str> = keys.iter().map(kid).collect();
    assert_eq!(kids.len(), 2, "{kids:?}");
    assert_ne!(kids[0], kid(&first), "the new key comes first");
    assert_eq!(kids[1], kid(&first));
    let new_kid = kids[0].to_owned();

    app.clock.advance(Duration::hours(2) - Duration::seconds(1));
    assert_eq!(jwks(&app).await.1.len(), 2, "still in the overlap");
    app.clock.advance(Duration::seconds(1));
    let (_, keys) = jwks(&app).await;
    assert_eq!(keys.iter().map(kid).collect::<Vec<_>>(), [new_kid.as_str()]);

    let short = rotate(
        store.as_ref(),
        &keys_ring,
        app.clock_now(),
        Duration::minutes(5),
    )
    .await;
    assert!(
        short
            .unwrap_err()
            .to_string()
            .contains("at least 10 minutes")
    );
}

async fn replicas_making_the_first_signing_key_at_once_end_with_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, replica) = app.replica_with_gateway().await;
    let tasks = (0..8).map(|i| {
        let gateway = Arc::clone(if i % 2 == 0 { &app.gateway } else { &replica });
        tokio::spawn(async move { gateway.current_signing_key().await.unwrap().kid })
    });
    let kids: Vec<String> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(kids.iter().all(|kid| *kid == kids[0]), "{kids:?}");
    let store = app.db.store().await;
    let published = store.published_signing_keys(app.clock_now()).await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].kid, kids[0]);
}

async fn reencrypt_reseals_the_signing_keys_and_key_usage_counts_them(backend: Backend) {
    let database = TestDatabase::create(backend).await;
    let store: Arc<dyn Store> = database.store().await;
    let now = chrono::DateTime::UNIX_EPOCH;
    let old = ring(OLD_KEY, &[]);
    let first = current_or_create(store.as_ref(), store.as_ref(), &old, now)
        .await
        .unwrap();
    rotate(store.as_ref(), &old, now, Duration::hours(24))
        .await
        .unwrap();

    // Without K1 the sealed private keys are unreadable: named, so /ready refuses.
    let without_old = ring(ENCRYPTION_KEY, &[]);
    let usage = key_usage(store.as_ref(), &without_old).await.unwrap();
    assert_eq!(usage.unknown, [old.primary_key_id()], "{usage:?}");

    let rotating = ring(ENCRYPTION_KEY, &[OLD_KEY]);
    let usage = key_usage(store.as_ref(), &rotating).await.unwrap();
    assert!(usage.is_ready());
    assert_eq!(usage.not_under_primary(), 2, "{usage:?}");
    let args = Args {
        dry_run: false,
        batch: 100,
        limit: None,
        quiet: true,
    };
    let mut out = Vec::new();
    let summary = reencrypt::run(store.as_ref(), &rotating, now, &args, &mut out)
        .await
        .unwrap();
    assert_eq!(summary.reencrypted, 2, "{}", String::from_utf8_lossy(&out));
    assert!(summary.failed.is_empty());

    let usage = key_usage(store.as_ref(), &without_old).await.unwrap();
    assert!(usage.is_ready(), "{usage:?}");
    assert_eq!(usage.not_under_primary(), 0);
    for key in store.published_signing_keys(now).await.unwrap() {
        assert_eq!(key.private_key.key_id, without_old.primary_key_id());
        private_key_der(&without_old, &key).unwrap();
    }
    let still_there = store.published_signing_keys(now).await.unwrap();
    assert!(still_there.iter().any(|key| key.kid == first.kid));
}
