//! Import from the original Python gateway: a PostgreSQL database with the original's
//! `oauth_credentials` table (column names guessed from its documentation), encrypted by
//! Python `cryptography` Fernet with the original key derivation.

use crate::support::app::TestApp;
use crate::support::db::{Backend, TestDatabase};
use auth_gateway::cli::import_legacy::{self, Args};
use secrecy::SecretString;
use serde_json::json;
use sqlx::Connection as _;

const LEGACY_KEY: &str = "legacy-gateway-encryption-key-0123456789";
const LEGACY_SALT: &str = "legacy-salt";
// Made with Python `cryptography`: Fernet(urlsafe_b64encode(sha256((LEGACY_KEY +
// LEGACY_SALT).encode()).digest())).encrypt_at_time(b"ya29.legacy-alice", 1764201600), etc.
const ALICE_ACCESS: &str = "gAAAAABpJ5SA33MeuRugOe47cNlYs38B96sSL7EWkz3y8bO4E1G6KzAbYT8kGWRMSL4NZwDMKIpo7cqAuBSxIxS30hwYAqy2SnrjGVgQKyEEuGGBYTfGPCU=";
const ALICE_REFRESH: &str = "gAAAAABpJ5SAZ9S1Gq2llPRNE2chmdqqIvIhHXf5zYE_BItolGnkFyrI9atkiXMziDUFu8P_UR7t-Nd3Zo8E4g3isz9u_UE7aYReoLblbDXkDx5o9yYwtPw=";
const BOB_ACCESS: &str = "gAAAAABpJ5SATc9rcomew2wqOdzVYas4ZgIV894aHDEqpMCj5C_JwbwA6qsCBwL2wva_M2bfrnh9mRh5-xfV0vQpy8ZYfyyRxA==";
/// Encrypted under another key: must be reported and skipped.
const CAROL_ACCESS: &str = "gAAAAABpJ5SAotNEBrN1WhnYhw6qAzoOq5twl_Q3q-CnxqdpjpUNMTTgdHpxF62WeN1ENBxBQST_HsHtZ11PjWWf4yzj3gHtGbTACEeEHQOtTRzDwAfHu6U=";

/// The original's table as its `SQLAlchemy` model would create it.
async fn legacy_database() -> TestDatabase {
    let legacy = TestDatabase::create(Backend::Postgres).await;
    let mut conn = sqlx::PgConnection::connect(&legacy.url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE oauth_credentials (
            id SERIAL PRIMARY KEY,
            profile_id VARCHAR(255) NOT NULL,
            provider_id VARCHAR(50) NOT NULL,
            access_token TEXT NOT NULL,
            refresh_token TEXT NULL,
            token_expiry TIMESTAMP WITHOUT TIME ZONE NULL,
            scopes JSONB NULL,
            created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT now(),
            updated_at TIMESTAMP WITHOUT TIME ZONE NOT NULL DEFAULT now(),
            UNIQUE (profile_id, provider_id)
        )",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let rows = [
        (
            "alice@example.com",
            ALICE_ACCESS,
            Some(ALICE_REFRESH),
            json!(["openid", "email", "https://www.googleapis.com/auth/adwords"]),
        ),
        ("bob@example.com", BOB_ACCESS, None, json!(["openid"])),
        ("carol@example.com", CAROL_ACCESS, None, json!(["openid"])),
    ];
    for (profile, access, refresh, scopes) in rows {
        sqlx::query(
            "INSERT INTO oauth_credentials (profile_id, provider_id, access_token, \
             refresh_token, token_expiry, scopes) \
             VALUES ($1, 'google', $2, $3, (now() AT TIME ZONE 'UTC') + interval '1 hour', $4)",
        )
        .bind(profile)
        .bind(access)
        .bind(refresh)
        .bind(scopes)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    legacy
}

fn args(legacy: &TestDatabase, dry_run: bool) -> Args {
    Args {
        from: legacy.url.clone(),
        legacy_key: Some(SecretString::from(LEGACY_KEY)),
        legacy_salt: Some(SecretString::from(LEGACY_SALT)),
        dry_run,
        batch: 2,
        quiet: true,
    }
}

async fn run(
    app: &TestApp,
    args: &Args,
) -> (
    String,
    Option<auth_gateway::core::admin::legacy_import::ImportSummary>,
) {
    let store = app.db.store().await;
    let mut out = Vec::new();
    let result = import_legacy::run(
        store.as_ref(),
        &crate::key_rotation::ring(&[]),
        app.clock_now(),
        args,
        &mut out,
    )
    .await;
    (String::from_utf8(out).unwrap(), result.ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_legacy_database_imports_once_and_reports_the_row_that_does_not_decrypt() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let legacy = legacy_database().await;

    let (printed, _) = run(&app, &args(&legacy, true)).await;
    assert!(
        printed.contains("read 3, would import 2, already present 0, failed 1"),
        "{printed}"
    );
    assert_eq!(
        app.token("alice@example.com").await.status(),
        404,
        "a dry run writes nothing"
    );

    let (printed, summary) = run(&app, &args(&legacy, false)).await;
    assert!(summary.is_none(), "a failed row makes the command fail");
    assert!(
        printed.contains("failed: oauth_credentials carol@example.com google"),
        "{printed}"
    );
    assert!(
        printed.contains("read 3, imported 2, already present 0, failed 1"),
        "{printed}"
    );
    assert!(!printed.contains("ya29."), "{printed}");

    let body: serde_json::Value = app.token("alice@example.com").await.json().await.unwrap();
    assert_eq!(body["access_token"], "ya29.legacy-alice");
    assert!(
        body["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("https://www.googleapis.com/auth/adwords"))
    );
    let body: serde_json::Value = app.token("bob@example.com").await.json().await.unwrap();
    assert_eq!(body["access_token"], "ya29.legacy-bob");
    assert_eq!(app.token("carol@example.com").await.status(), 404);

    let (printed, _) = run(&app, &args(&legacy, false)).await;
    assert!(
        printed.contains("read 3, imported 0, already present 2, failed 1"),
        "{printed}"
    );
}
