//! What an operator relies on: metrics, request ids, limits, readiness and the OpenAPI
//! document, against the real server on port 0.

use crate::support::app::{API_KEY, TestApp};
use crate::support::db::Backend;
use crate::support::metrics::sample;
use auth_gateway::config::Config;
use auth_gateway::core::clock::SystemClock;
use auth_gateway::startup::Application;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

async fn metrics_text(app: &TestApp) -> String {
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    response.text().await.unwrap()
}

/// Scrapes until `ready` holds for the text (the store's gauges are refreshed every
/// 10 s in the background); fails after 30 s.
async fn metrics_once(app: &TestApp, ready: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let metrics = metrics_text(app).await;
        if ready(&metrics) {
            return metrics;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_token_outcomes_and_upstream_calls() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = "erin@example.com";
    assert_eq!(app.token(email).await.status(), 404);
    app.sign_in(email).await;
    app.expire_tokens();
    assert_eq!(app.token(email).await.status(), 200);

    let metrics = metrics_text(&app).await;
    let token = |outcome| {
        sample(
            &metrics,
            "token_requests_total",
            &[("provider", "google"), ("outcome", outcome)],
        )
    };
    assert_eq!(token("not_authenticated"), 1, "{metrics}");
    assert_eq!(token("served"), 1, "{metrics}");
    assert_eq!(token("refreshed"), 1, "{metrics}");
    let requests = |route, status| {
        sample(
            &metrics,
            "http_requests_total",
            &[("method", "POST"), ("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("/auth/token", "404"), 1, "{metrics}");
    assert_eq!(requests("/auth/token", "200"), 2, "{metrics}");
    assert_eq!(requests("/auth/init", "200"), 1, "{metrics}");
    assert_eq!(
        sample(
            &metrics,
            "http_request_duration_seconds_count",
            &[("route", "/auth/token")]
        ),
        3
    );
    let upstream = |operation| {
        sample(
            &metrics,
            "upstream_requests_total",
            &[
                ("provider", "google"),
                ("operation", operation),
                ("outcome", "ok"),
            ],
        )
    };
    assert_eq!(upstream("exchange"), 1, "{metrics}");
    assert_eq!(upstream("refresh"), 1, "{metrics}");
    // One refresh took the in-process lock; no peer replica held a lease.
    let lock_waits = |lock| {
        sample(
            &metrics,
            "refresh_lock_wait_seconds_count",
            &[("provider", "google"), ("lock", lock)],
        )
    };
    assert_eq!(lock_waits("process"), 1, "{metrics}");
    assert_eq!(lock_waits("lease"), 0, "{metrics}");
    let credentials = |metrics: &str, status| sample(metrics, "credentials", &[("status", status)]);
    // The store's gauges are read in the background (a scrape costs no query).
    let metrics = metrics_once(&app, |metrics| credentials(metrics, "active") == 1).await;
    assert_eq!(credentials(&metrics, "needs_reauth"), 0, "{metrics}");
    assert!(sample(&metrics, "db_pool_connections", &[("state", "max")]) >= 1);
    assert!(sample(&metrics, "db_pool_connections", &[("state", "open")]) >= 1);
    // Raw paths (emails, session ids) never become labels.
    assert!(!metrics.contains(email));

    // Google forgets the grant: the credential moves to needs_reauth in the gauge.
    app.emulator.force_invalid_grant(true);
    app.expire_tokens();
    assert_eq!(app.token(email).await.status(), 401);
    let metrics = metrics_once(&app, |metrics| credentials(metrics, "needs_reauth") == 1).await;
    assert_eq!(credentials(&metrics, "active"), 0, "{metrics}");
}

#[tokio::test]
async fn a_body_over_16_kib_is_refused_with_413_json() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let padding = "x".repeat(17 * 1024);
    let response = app
        .post_json(
            "/auth/token",
            &json!({"provider": "google", "user_email": "a@example.com", "pad": padding}),
        )
        .await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "payload_too_large");
}

#[tokio::test]
async fn a_burst_over_the_client_limit_gets_429_with_retry_after() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("RATE_LIMIT_PER_MINUTE", "3"),
            ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
        ],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(app.token("frank@example.com").await.status(), 404);
    }
    let response = app.token("frank@example.com").await;
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "rate_limited");
    assert!(body["detail"]["message"].is_string());
    // Another key has its own bucket (and is then refused for being invalid).
    let other = app
        .http
        .post(app.url("/auth/token"))
        .header("X-API-Key", "some-other-key")
        .json(&json!({"provider": "google", "user_email": "frank@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
    // The key's bucket covers every route it is presented on; requests without a key
    // are counted per address instead.
    assert_eq!(app.status("unknown", "").await.status(), 429);
    let health = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let metrics = metrics_text(&app).await;
    assert_eq!(
        sample(
            &metrics,
            "rate_limited_requests_total",
            &[("limit", "client")]
        ),
        2
    );
}

#[tokio::test]
async fn a_burst_of_refused_keys_from_one_address_over_the_ip_limit_gets_429() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("RATE_LIMIT_PER_MINUTE", "0"),
            ("RATE_LIMIT_PER_IP_PER_MINUTE", "2"),
        ],
    )
    .await;
    let init = |key: &'static str| {
        app.http
            .post(app.url("/auth/init"))
            .header("X-API-Key", key)
            .json(&json!({"provider": "google", "user_email": "gina@example.com"}))
            .send()
    };
    // Only requests that do not authenticate spend the address's bucket (and a key's
    // first request, before it has authenticated).
    assert_eq!(init(API_KEY).await.unwrap().status(), 200);
    assert_eq!(init("wrong-key").await.unwrap().status(), 403);
    let response = init("wrong-key").await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(init(API_KEY).await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_request_id_is_echoed_when_given_and_generated_when_not() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let given = app
        .http
        .get(app.url("/health"))
        .header("X-Request-Id", "lb-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "lb-abc-123");
    let generated = app.http.get(app.url("/health")).send().await.unwrap();
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let odd = app
        .http
        .get(app.url("/health"))
        .header("X-Request-Id", "has spaces <and> markup")
        .send()
        .await
        .unwrap();
    let id = odd.headers()["x-request-id"].to_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "odd ids are replaced: {id}"
    );
}

#[tokio::test]
async fn ready_answers_503_while_the_database_is_stopped() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let ready = app.http.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["migrations"], "current");

    let database = app.db.url.rsplit('/').next().unwrap().to_owned();
    set_accepting_connections(&database, false).await;
    let ready = app.http.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["database"], "unavailable");

    set_accepting_connections(&database, true).await;
    let ready = app.http.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

/// Stands in for stopping the database without stopping the shared server: refuses new
/// connections to it and ends the open ones (or lets them in again).
async fn set_accepting_connections(database: &str, accepting: bool) {
    use sqlx::{AssertSqlSafe, Connection, Executor};
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    assert!(
        database
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    );
    conn.execute(AssertSqlSafe(format!(
        "ALTER DATABASE {database} ALLOW_CONNECTIONS {accepting}"
    )))
    .await
    .unwrap();
    if !accepting {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(database)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}

/// Every route of the README's HTTP API table plus the operator pages.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/auth/init"),
    ("POST", "/auth/token"),
    ("GET", "/auth/status/{session_id}"),
    ("GET", "/auth/providers/{user_email}"),
    ("DELETE", "/auth/revoke"),
    ("GET", "/auth/callback/{provider}"),
    ("GET", "/connect/{token}"),
    ("GET", "/health"),
    ("GET", "/oauth/jwks"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/openid-configuration"),
    ("POST", "/oauth/register"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("POST", "/oauth/introspect"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/authorize"),
    ("GET", "/account"),
    ("POST", "/account"),
    ("GET", "/account/sign-in"),
];

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_the_router_serves() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let document: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no responses"
            );
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let expected: BTreeSet<_> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(documented, expected);
    for schema in [
        "TokenResponse",
        "ErrorBody",
        "ErrorDetail",
        "ReadyResponse",
        "ForbiddenBody",
    ] {
        assert!(
            document["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
    // Routes that check a key's allow-list document both 403 shapes.
    for (method, path) in [
        ("post", "/auth/init"),
        ("post", "/auth/token"),
        ("delete", "/auth/revoke"),
    ] {
        let forbidden = &document["paths"][path][method]["responses"]["403"];
        let schema = &forbidden["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(
            schema, "#/components/schemas/ForbiddenBody",
            "{method} {path}"
        );
    }
    let variants = document["components"]["schemas"]["ForbiddenBody"]["oneOf"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(variants, 2);

    // Each documented operation is served: never the router's fallback or a 405.
    for (method, path) in &documented {
        let path = path
            .split('/')
            .map(|part| if part.starts_with('{') { "probe" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        let response = app
            .http
            .request(method.parse().unwrap(), app.url(&path))
            .header("X-API-Key", API_KEY)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert_ne!(status, 405, "{method} {path}");
        let body = response.text().await.unwrap();
        assert!(
            !(status == 404 && body == r#"{"detail":"Not Found"}"#),
            "{method} {path} fell through to the fallback"
        );
    }
}

#[tokio::test]
async fn the_docs_page_lists_operations_in_development_and_can_be_turned_off() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let page = app.http.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("content-security-policy"));
    assert!(page.text().await.unwrap().contains("/auth/token"));

    let app = TestApp::spawn_with(Backend::Sqlite, &[("API_DOCS", "false")]).await;
    let page = app.http.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(page.status(), 404);
}

#[tokio::test]
async fn metrics_move_to_their_own_listener_when_metrics_port_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let env: HashMap<&str, String> = [
        ("AUTH_GATEWAY_DATA_DIR", dir.path().display().to_string()),
        ("METRICS_PORT", "0".to_owned()),
    ]
    .into_iter()
    .collect();
    let config = Config::load(&|name| env.get(name).cloned()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = Application::with_listener(&config, listener, Arc::new(SystemClock))
        .await
        .unwrap();
    let main = format!("http://127.0.0.1:{}", app.port());
    let metrics = format!("http://127.0.0.1:{}", app.metrics_port().unwrap());
    tokio::spawn(app.run_until(std::future::pending()));

    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{main}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.get(format!("{main}/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let text = http
        .get(format!("{metrics}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        sample(&text, "http_requests_total", &[("route", "/health")]) >= 1,
        "{text}"
    );
}
