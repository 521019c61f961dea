//! Secrets at rest and in logs (docs/threat-model.md D1, D2, D4, H1): what a stolen database, a
//! tampered row, a `Debug` print or the captured logs reveal. Also the raw-SQL helpers
//! the other attack modules use to prove a request "changed nothing".

use crate::flow_attacks::Flow;
use crate::on_both_backends;
use crate::support::app::{API_KEY, ENCRYPTION_KEY, TestApp};
use crate::support::db::Backend;
use crate::support::logs;
use auth_gateway::core::crypto::{Binding, KeyRing, Sealed};
use auth_gateway::core::flows::credentials::IssuedToken;
use auth_gateway::upstream::TokenGrant;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, Column as _, Connection, Row};

on_both_backends!(
    no_token_verifier_code_or_state_is_stored_in_plain_text,
    ciphertexts_swapped_between_users_are_refused_and_never_sent_upstream,
    a_refresh_token_moved_into_the_access_token_column_is_never_served,
    debug_output_of_tokens_and_records_shows_no_secret,
    logs_never_contain_tokens_codes_state_verifiers_or_the_api_key,
);

// ---------------------------------------------------------------------------------------
// Raw database access (the attacker's view), shared with the other attack modules.

/// The tables of the schema, so a table name spliced into SQL is one of these.
const TABLES: [&str; 4] = ["credentials", "auth_sessions", "clients", "audit_events"];

fn known_table(table: &str) -> &'static str {
    TABLES
        .into_iter()
        .find(|known| *known == table)
        .unwrap_or_else(|| panic!("unknown table {table}"))
}

/// A direct connection to the gateway's database, bypassing the gateway.
pub(crate) enum Sql {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Sql {
    pub(crate) async fn connect(app: &TestApp) -> Self {
        match app.db.backend {
            Backend::Sqlite => Self::Sqlite(SqliteConnection::connect(&app.db.url).await.unwrap()),
            Backend::Postgres => Self::Postgres(PgConnection::connect(&app.db.url).await.unwrap()),
        }
    }

    /// Runs a statement without parameters.
    pub(crate) async fn execute(&mut self, statement: &'static str) -> u64 {
        match self {
            Self::Sqlite(conn) => sqlx::query(statement)
                .execute(conn)
                .await
                .unwrap()
                .rows_affected(),
            Self::Postgres(conn) => sqlx::query(statement)
                .execute(conn)
                .await
                .unwrap()
                .rows_affected(),
        }
    }

    pub(crate) async fn row_count(&mut self, table: &str) -> i64 {
        let statement = AssertSqlSafe(format!("SELECT COUNT(*) FROM {}", known_table(table)));
        match self {
            Self::Sqlite(conn) => sqlx::query_scalar(statement).fetch_one(conn).await.unwrap(),
            Self::Postgres(conn) => sqlx::query_scalar(statement).fetch_one(conn).await.unwrap(),
        }
    }

    /// Every table of the database (migration bookkeeping included).
    async fn table_names(&mut self) -> Vec<String> {
        match self {
            Self::Sqlite(conn) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
            )
            .fetch_all(conn)
            .await
            .unwrap(),
            Self::Postgres(conn) => sqlx::query_scalar(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' \
                 ORDER BY tablename",
            )
            .fetch_all(conn)
            .await
            .unwrap(),
        }
    }

    /// Every row of `table` with every column rendered as text, sorted.
    async fn table_rows(&mut self, table: &str) -> Vec<String> {
        // The name comes from the catalog; quoting keeps it an identifier whatever it is.
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let mut rows = match self {
            Self::Sqlite(conn) => {
                let statement = AssertSqlSafe(format!("SELECT * FROM {quoted}"));
                let rows: Vec<SqliteRow> = sqlx::query(statement).fetch_all(conn).await.unwrap();
                rows.iter().map(sqlite_row_text).collect()
            }
            Self::Postgres(conn) => {
                let statement =
                    AssertSqlSafe(format!("SELECT row_to_json(t)::text FROM {quoted} t"));
                let rows: Vec<PgRow> = sqlx::query(statement).fetch_all(conn).await.unwrap();
                rows.iter()
                    .map(|row| row.try_get::<String, _>(0).unwrap())
                    .collect::<Vec<_>>()
            }
        };
        rows.sort();
        rows
    }

    /// The whole database as text: one `table: row` line per row.
    pub(crate) async fn dump(&mut self) -> String {
        let mut dump = String::new();
        for table in self.table_names().await {
            for row in self.table_rows(&table).await {
                dump.push_str(&table);
                dump.push_str(": ");
                dump.push_str(&row);
                dump.push('\n');
            }
        }
        dump
    }

    /// The gateway's own tables as text, for "this request changed nothing" checks.
    pub(crate) async fn snapshot(&mut self) -> String {
        let mut dump = String::new();
        for table in TABLES {
            for row in self.table_rows(table).await {
                dump.push_str(table);
                dump.push_str(": ");
                dump.push_str(&row);
                dump.push('\n');
            }
        }
        dump
    }

    pub(crate) async fn close(self) {
        match self {
            Self::Sqlite(conn) => conn.close().await.unwrap(),
            Self::Postgres(conn) => conn.close().await.unwrap(),
        }
    }
}

/// One SQLite row as `col=value|...`, each value read as what it is stored as.
fn sqlite_row_text(row: &SqliteRow) -> String {
    (0..row.len())
        .map(|index| {
            let text = if let Ok(value) = row.try_get::<Option<i64>, _>(index) {
                value.map_or_else(|| "NULL".to_owned(), |value| value.to_string())
            } else if let Ok(value) = row.try_get::<Option<String>, _>(index) {
                value.unwrap_or_else(|| "NULL".to_owned())
            } else if let Ok(value) = row.try_get::<Option<Vec<u8>>, _>(index) {
                value.map_or_else(
                    || "NULL".to_owned(),
                    |bytes| String::from_utf8_lossy(&bytes).into_owned(),
                )
            } else if let Ok(value) = row.try_get::<Option<f64>, _>(index) {
                value.map_or_else(|| "NULL".to_owned(), |value| value.to_string())
            } else {
                panic!("column {index} has a type this dump cannot read")
            };
            format!("{}={text}", row.columns()[index].name())
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The bytes of the SQLite database file and its write-ahead log, like a stolen disk.
fn sqlite_files(app: &TestApp) -> Vec<u8> {
    let path = app
        .db
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let mut bytes = std::fs::read(&path).unwrap();
    for suffix in ["-wal", "-journal"] {
        if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(more);
        }
    }
    bytes
}

fn key_ring() -> KeyRing {
    KeyRing::new(&SecretString::from(ENCRYPTION_KEY), None, &[]).unwrap()
}

/// The PKCE verifier the gateway stored (encrypted) for a session, decrypted here.
pub(crate) async fn pkce_verifier(app: &TestApp, session_id: &str) -> String {
    let id = uuid::Uuid::parse_str(session_id).unwrap();
    let session = app.db.store().await.session(id).await.unwrap().unwrap();
    key_ring()
        .open(
            Binding::SessionVerifier { session_id },
            &session.pkce_verifier.key_id,
            &session.pkce_verifier.ciphertext,
        )
        .unwrap()
        .expose_secret()
        .to_owned()
}

fn assert_absent(haystack: &str, secrets: &[(&str, String)], place: &str) {
    for (name, secret) in secrets {
        assert!(secret.len() >= 16, "{name} is too short to search for");
        assert!(
            !haystack.contains(secret.as_str()),
            "the {name} appears in plain text in {place}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// D1

async fn no_token_verifier_code_or_state_is_stored_in_plain_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = "alice@example.com";
    app.emulator.set_rotate_refresh_tokens(true);

    // A completed sign-in, stepped by hand so the code and state are known.
    let flow = Flow::start(&app, alice).await;
    let verifier = pkce_verifier(&app, &flow.session_id).await;
    let (code, state) = (flow.param("code"), flow.param("state"));
    assert_eq!(flow.finish().await.status, 200);
    let first_access = app.emulator.latest_access_token_for(alice).unwrap();
    let first_refresh = app.emulator.refresh_token_for(alice).unwrap();
    // A refresh that rotates both tokens.
    app.expire_tokens();
    assert_eq!(app.token(alice).await.status(), 200);
    let second_access = app.emulator.latest_access_token_for(alice).unwrap();
    let second_refresh = app.emulator.refresh_token_for(alice).unwrap();
    assert_ne!(first_refresh, second_refresh);
    // And a session still pending, its verifier stored.
    let (_browser, pending_id, _) = Flow::connect(&app, "bob@example.com").await;
    let pending_verifier = pkce_verifier(&app, &pending_id).await;

    let secrets = [
        ("first access token", first_access),
        ("refreshed access token", second_access),
        ("first refresh token", first_refresh),
        ("rotated refresh token", second_refresh),
        ("PKCE verifier", verifier),
        ("pending PKCE verifier", pending_verifier),
        ("authorization code", code),
        ("state", state),
    ];
    let mut sql = Sql::connect(&app).await;
    let dump = sql.dump().await;
    sql.close().await;
    // The dump really holds the rows: their ciphertexts and addresses are in it.
    let stored = app
        .db
        .store()
        .await
        .credential(alice, "google")
        .await
        .unwrap()
        .unwrap();
    for present in [
        alice,
        "bob@example.com",
        stored.access_token.ciphertext.as_str(),
    ] {
        assert!(dump.contains(present), "{present} missing from {dump}");
    }
    assert_absent(&dump, &secrets, "the database");
    if backend == Backend::Sqlite {
        let file = String::from_utf8_lossy(&sqlite_files(&app)).into_owned();
        assert!(file.contains(&stored.access_token.ciphertext));
        assert_absent(&file, &secrets, "the SQLite files");
    }
}

// ---------------------------------------------------------------------------------------
// D2

/// Swaps the encrypted tokens (and their key ids) of two users' rows.
async fn swap_ciphertexts(app: &TestApp, a: &str, b: &str) {
    let store = app.db.store().await;
    let row_a = store.credential(a, "google").await.unwrap().unwrap();
    let row_b = store.credential(b, "google").await.unwrap().unwrap();
    let mut sql = Sql::connect(app).await;
    for (email, from) in [(a, &row_b), (b, &row_a)] {
        let refresh = from.refresh_token.clone().unwrap();
        let affected = match &mut sql {
            Sql::Sqlite(conn) => sqlx::query(
                "UPDATE credentials SET access_token_enc = ?1, access_key_id = ?2, \
                 refresh_token_enc = ?3, refresh_key_id = ?4 WHERE user_email = ?5",
            )
            .bind(&from.access_token.ciphertext)
            .bind(&from.access_token.key_id)
            .bind(&refresh.ciphertext)
            .bind(&refresh.key_id)
            .bind(email)
            .execute(&mut *conn)
            .await
            .unwrap()
            .rows_affected(),
            Sql::Postgres(conn) => sqlx::query(
                "UPDATE credentials SET access_token_enc = $1, access_key_id = $2, \
                 refresh_token_enc = $3, refresh_key_id = $4 WHERE user_email = $5",
            )
            .bind(&from.access_token.ciphertext)
            .bind(&from.access_token.key_id)
            .bind(&refresh.ciphertext)
            .bind(&refresh.key_id)
            .bind(email)
            .execute(&mut *conn)
            .await
            .unwrap()
            .rows_affected(),
        };
        assert_eq!(affected, 1);
        app.wait_for_cache_drop(email).await;
    }
    sql.close().await;
}

async fn ciphertexts_swapped_between_users_are_refused_and_never_sent_upstream(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (alice, bob) = ("alice@example.com", "bob@example.com");
    let alice_token = app.sign_in(alice).await;
    let bob_token = app.sign_in(bob).await;
    let bob_refresh = app.emulator.refresh_token_for(bob).unwrap();
    swap_ciphertexts(&app, alice, bob).await;

    // Fresh token: bob's ciphertext in alice's row does not decrypt there.
    let response = app.token(alice).await;
    assert_eq!(response.status(), 500);
    let text = response.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["detail"]["error"], "internal", "{text}");
    for token in [&alice_token, &bob_token, &bob_refresh] {
        assert!(!text.contains(token.as_str()), "a token leaked: {text}");
    }

    // Expired token: the refresh must not send bob's refresh token for alice.
    app.expire_tokens();
    let before = app.emulator.counters();
    let response = app.token(alice).await;
    assert_eq!(response.status(), 500);
    let text = response.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["detail"]["error"],
        "internal",
        "{text}"
    );
    for token in [&alice_token, &bob_token, &bob_refresh] {
        assert!(!text.contains(token.as_str()), "a token leaked: {text}");
    }
    let after = app.emulator.counters();
    assert_eq!(
        after.refreshes, before.refreshes,
        "a refresh reached Google"
    );
    assert_eq!(after.token_requests_failed, before.token_requests_failed);
    // Bob's grant at Google was not touched by alice's request.
    assert_eq!(
        app.emulator.refresh_token_for(bob),
        Some(bob_refresh.clone())
    );
    assert!(app.emulator.revoked_tokens().is_empty());
}

async fn a_refresh_token_moved_into_the_access_token_column_is_never_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let carol = "carol@example.com";
    app.sign_in(carol).await;
    let carol_refresh = app.emulator.refresh_token_for(carol).unwrap();
    let mut sql = Sql::connect(&app).await;
    let moved = sql
        .execute(
            "UPDATE credentials SET access_token_enc = refresh_token_enc, \
             access_key_id = refresh_key_id WHERE user_email = 'carol@example.com'",
        )
        .await;
    sql.close().await;
    assert_eq!(moved, 1);
    app.wait_for_cache_drop(carol).await;
    let response = app.token(carol).await;
    assert_eq!(response.status(), 500);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(&carol_refresh),
        "the refresh token leaked: {text}"
    );
}

// ---------------------------------------------------------------------------------------
// D4

async fn debug_output_of_tokens_and_records_shows_no_secret(backend: Backend) {
    let canary_access = "ya29.CANARY-access-token-0123456789";
    let canary_refresh = "1//CANARY-refresh-token-0123456789";
    let canary_id_token = "eyJCANARY.id-token.0123456789";
    let response = gateway_proto::TokenResponse {
        access_token: canary_access.to_owned(),
        token_type: "Bearer".to_owned(),
        expires_at: chrono::DateTime::UNIX_EPOCH,
        scopes: vec!["openid".to_owned()],
    };
    let issued = IssuedToken {
        access_token: SecretString::from(canary_access),
        expires_at: chrono::DateTime::UNIX_EPOCH,
        scopes: vec!["openid".to_owned()],
        refreshed: false,
    };
    let grant = TokenGrant {
        access_token: SecretString::from(canary_access),
        refresh_token: Some(SecretString::from(canary_refresh)),
        expires_in: Some(3600),
        scope: Some("openid".to_owned()),
        id_token: Some(SecretString::from(canary_id_token)),
    };
    let canaries = [
        ("access token", canary_access.to_owned()),
        ("refresh token", canary_refresh.to_owned()),
        ("id_token", canary_id_token.to_owned()),
    ];
    for debug in [
        format!("{response:?}"),
        format!("{response:#?}"),
        format!("{issued:?}"),
        format!("{grant:?}"),
    ] {
        assert_absent(&debug, &canaries, &debug);
    }

    // The records the store hands the core, after a real sign-in.
    let app = TestApp::spawn(backend).await;
    let email = "alice@example.com";
    let flow = Flow::start(&app, email).await;
    let verifier = pkce_verifier(&app, &flow.session_id).await;
    assert_eq!(flow.finish().await.status, 200);
    let store = app.db.store().await;
    let credential = store.credential(email, "google").await.unwrap().unwrap();
    let session_id = uuid::Uuid::parse_str(&flow.session_id).unwrap();
    let session = store.session(session_id).await.unwrap().unwrap();
    let secrets = [
        (
            "access token",
            app.emulator.latest_access_token_for(email).unwrap(),
        ),
        (
            "refresh token",
            app.emulator.refresh_token_for(email).unwrap(),
        ),
        ("PKCE verifier", verifier),
        ("encryption key", ENCRYPTION_KEY.to_owned()),
        ("API key", API_KEY.to_owned()),
    ];
    let sealed: &Sealed = &credential.access_token;
    for debug in [
        format!("{credential:?}"),
        format!("{session:?}"),
        format!("{sealed:?}"),
        format!("{:?}", app.gateway),
        format!("{:?}", key_ring()),
    ] {
        assert_absent(&debug, &secrets, &debug);
    }
}

// ---------------------------------------------------------------------------------------
// H1

async fn logs_never_contain_tokens_codes_state_verifiers_or_the_api_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut secrets: Vec<(&str, String)> = vec![("API key", API_KEY.to_owned())];
    let mut remember_flow = |flow: &Flow, verifier: String| {
        secrets.push(("authorization code", flow.param("code")));
        secrets.push(("state", flow.param("state")));
        secrets.push(("PKCE verifier", verifier));
    };

    // The happy path, for two users (one for invalid_grant, one for the outage).
    let (dave, erin) = ("dave@example.com", "erin@example.com");
    let mut served = Vec::new();
    for email in [dave, erin] {
        let flow = Flow::start(&app, email).await;
        remember_flow(&flow, pkce_verifier(&app, &flow.session_id).await);
        let page = flow.finish().await;
        assert_eq!(page.status, 200, "{}", page.body);
        let body: Value = app.token(email).await.json().await.unwrap();
        served.push(body["access_token"].as_str().unwrap().to_owned());
    }

    let mut session_ids = Vec::new();

    // An identity mismatch: mallory's fresh tokens are revoked, never stored.
    app.emulator
        .sign_in_as(Some("mallory@example.com".to_owned()));
    let flow = Flow::start(&app, "carol@example.com").await;
    remember_flow(&flow, pkce_verifier(&app, &flow.session_id).await);
    assert_eq!(flow.finish().await.status, 403);
    session_ids.push(flow.session_id.clone());

    // A provider 5xx during the code exchange.
    let flow = Flow::start(&app, "frank@example.com").await;
    remember_flow(&flow, pkce_verifier(&app, &flow.session_id).await);
    app.emulator.fail_next_token_requests(1, 500);
    assert_eq!(flow.finish().await.status, 503);
    session_ids.push(flow.session_id.clone());

    let mut tokens: Vec<(&str, String)> = Vec::new();
    for email in [dave, erin] {
        tokens.push((
            "refresh token",
            app.emulator.refresh_token_for(email).unwrap(),
        ));
    }

    // invalid_grant on refresh: 401 needs_reauth with a fresh link.
    app.expire_tokens();
    app.emulator.force_invalid_grant(true);
    let response = app.token(dave).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "needs_reauth");
    assert!(body["detail"]["auth_url"].as_str().is_some(), "{body}");
    app.emulator.force_invalid_grant(false);

    // A provider 5xx on refresh while the token is expired: 503.
    app.emulator.fail_next_token_requests(10, 500);
    assert_eq!(app.token(erin).await.status(), 503);

    for token in served {
        tokens.push(("access token", token));
    }
    for token in app.emulator.revoked_tokens() {
        tokens.push(("revoked token", token));
    }
    assert!(
        app.emulator.counters().revocations >= 1,
        "mallory's tokens were revoked"
    );
    secrets.extend(tokens);
    let logged = logs::captured();
    // The logs do cover these requests: the failed sessions are named by id.
    for session_id in &session_ids {
        assert!(
            logged.contains(session_id.as_str()),
            "{session_id} not logged"
        );
    }
    assert_absent(&logged, &secrets, "the logs");
}
