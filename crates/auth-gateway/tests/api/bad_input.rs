//! Malformed requests (G9 in docs/design.md; docs/threat-model.md A4, F1, F2, F3, C5): each gets a
//! clear 4xx JSON error and changes nothing, neither in the database nor at the provider.

use crate::on_both_backends;
use crate::secrets_at_rest::Sql;
use crate::support::app::{API_KEY, TestApp};
use crate::support::db::Backend;
use reqwest::Method;
use serde_json::{Value, json};

on_both_backends!(
    malformed_json_bodies_get_422_and_change_nothing,
    unknown_or_miscased_providers_get_400_and_change_nothing,
    malformed_emails_get_400_invalid_email_and_change_nothing,
    an_address_in_another_case_resolves_to_the_same_grant,
    malformed_or_unknown_scopes_get_400_invalid_scope_and_change_nothing,
    a_missing_or_wrong_api_key_gets_the_original_403_on_every_api_route,
    an_oversized_body_gets_413_json_and_changes_nothing,
    unknown_or_malformed_session_ids_get_404,
    unknown_routes_get_404_json_and_revoking_nothing_gets_404,
    a_wrong_method_gets_405_with_a_json_error,
    an_oversized_header_gets_431_and_changes_nothing,
);

/// The original gateway's answer to a missing or wrong key, plus the additive hint.
fn assert_invalid_key_body(text: &str, key_sent: bool) {
    let body: Value = serde_json::from_str(text).unwrap();
    let hint = if key_sent {
        "The key in the X-API-Key header is not recognised: check it against AUTH_GATEWAY_API_KEY or the client key you were given."
    } else {
        "Send the API key in the X-API-Key header."
    };
    assert_eq!(body, json!({"detail": "Invalid API key", "hint": hint}));
}
const SIGNED_IN: &str = "alice@example.com";

/// Emails docs/threat-model.md F1 and C5 say must be refused.
fn malformed_emails() -> Vec<String> {
    vec![
        "a@b@example.com".to_owned(),
        "alice@example.com\r\nX-Injected: 1".to_owned(),
        format!("{}@example.com", "a".repeat(243)),
        format!("a@{}.com", "b".repeat(250)),
        "alice @example.com".to_owned(),
        "alice@example.com&prompt=none&redirect_uri=https://evil.example".to_owned(),
        "alice".to_owned(),
        String::new(),
        "alice@".to_owned(),
        "@example.com".to_owned(),
        "al\u{0}ice@example.com".to_owned(),
        "alice@exa mple.com".to_owned(),
    ]
}

/// A gateway holding some state: one completed sign-in and one pending session.
async fn seeded(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    app.sign_in(SIGNED_IN).await;
    app.init("pending@example.com").await;
    app
}

/// Everything a bad request must leave alone: every row, and the provider's counters.
async fn state_of(app: &TestApp) -> (String, google_emulator::Counters) {
    let mut sql = Sql::connect(app).await;
    let snapshot = sql.snapshot().await;
    sql.close().await;
    assert!(snapshot.contains("credentials: "), "seeded: {snapshot}");
    (snapshot, app.emulator.counters())
}

async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = app
        .http
        .request(method, app.url(path))
        .header("X-API-Key", API_KEY)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{path}: {status} is not JSON"
    );
    (status, response.json().await.unwrap())
}

/// The three JSON-body routes, as (method, path).
fn body_routes() -> [(Method, &'static str); 3] {
    [
        (Method::POST, "/auth/init"),
        (Method::POST, "/auth/token"),
        (Method::DELETE, "/auth/revoke"),
    ]
}

async fn send_json(app: &TestApp, method: Method, path: &str, body: &Value) -> (u16, Value) {
    send_raw(
        app,
        method,
        path,
        Some("application/json"),
        body.to_string(),
    )
    .await
}

async fn malformed_json_bodies_get_422_and_change_nothing(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    let good = json!({"provider": "google", "user_email": SIGNED_IN}).to_string();
    let cases: [(Option<&str>, String); 8] = [
        (
            Some("application/json"),
            r#"{"provider": "google","#.to_owned(),
        ),
        (Some("application/json"), "not json".to_owned()),
        (Some("application/json"), String::new()),
        (
            Some("application/json"),
            r#"{"provider": 1, "user_email": true}"#.to_owned(),
        ),
        (
            Some("application/json"),
            r#"{"provider": "google", "user_email": ["a@example.com"]}"#.to_owned(),
        ),
        (
            Some("application/json"),
            r#"{"provider": "google"}"#.to_owned(),
        ),
        (None, good.clone()),
        (Some("text/plain"), good),
    ];
    for (method, path) in body_routes() {
        for (content_type, body) in &cases {
            let (status, answer) =
                send_raw(&app, method.clone(), path, *content_type, body.clone()).await;
            assert_eq!(
                status, 422,
                "{method} {path} {content_type:?} {body}: {answer}"
            );
            let detail = answer["detail"].as_array().unwrap();
            assert!(!detail.is_empty(), "{answer}");
            assert!(detail[0]["msg"].is_string(), "{answer}");
        }
    }
    assert_eq!(state_of(&app).await, before);
}

async fn unknown_or_miscased_providers_get_400_and_change_nothing(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    for provider in [
        "GOOGLE", "Google", "github", "google ", "", "../admin", "google\n",
    ] {
        for (method, path) in body_routes() {
            let body = json!({"provider": provider, "user_email": SIGNED_IN});
            let (status, answer) = send_json(&app, method.clone(), path, &body).await;
            assert_eq!(status, 400, "{method} {path} {provider:?}: {answer}");
            assert_eq!(answer["detail"]["error"], "unknown_provider", "{answer}");
            assert_eq!(answer["detail"]["auth_required"], false, "{answer}");
        }
    }
    assert_eq!(state_of(&app).await, before);
}

async fn malformed_emails_get_400_invalid_email_and_change_nothing(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    for email in malformed_emails() {
        for (method, path) in body_routes() {
            let body = json!({"provider": "google", "user_email": email});
            let (status, answer) = send_json(&app, method.clone(), path, &body).await;
            assert_eq!(status, 400, "{method} {path} {email:?}: {answer}");
            assert_eq!(answer["detail"]["error"], "invalid_email", "{answer}");
        }
        if !email.is_empty() {
            let path = format!(
                "/auth/providers/{}",
                url::form_urlencoded::byte_serialize(email.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20")
            );
            let (status, answer) = send_raw(&app, Method::GET, &path, None, "").await;
            assert_eq!(status, 400, "{path}: {answer}");
            assert_eq!(answer["detail"]["error"], "invalid_email", "{answer}");
        }
    }
    assert_eq!(state_of(&app).await, before);
}

async fn an_address_in_another_case_resolves_to_the_same_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.sign_in(SIGNED_IN).await;
    for variant in ["ALICE@Example.COM", "Alice@EXAMPLE.com"] {
        let response = app.token(variant).await;
        assert_eq!(response.status(), 200, "{variant}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["access_token"], token.as_str(), "{variant}");
        let (status, listed) = send_raw(
            &app,
            Method::GET,
            &format!("/auth/providers/{variant}"),
            None,
            "",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(listed["user_email"], SIGNED_IN, "{listed}");
        assert_eq!(listed["providers"][0]["provider"], "google", "{listed}");
    }
    // A sign-in started with another case is for the same user.
    let link = app.init("ALICE@Example.COM").await;
    let status: Value = app
        .status(link["session_id"].as_str().unwrap(), "")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["user_email"], SIGNED_IN, "{status}");
    let mut sql = Sql::connect(&app).await;
    assert_eq!(sql.row_count("credentials").await, 1);
    sql.close().await;
    // And revoking with another case removes that one grant.
    let body = json!({"provider": "google", "user_email": "ALICE@EXAMPLE.COM"});
    let (status, answer) = send_json(&app, Method::DELETE, "/auth/revoke", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(app.token(SIGNED_IN).await.status(), 404);
}

async fn malformed_or_unknown_scopes_get_400_invalid_scope_and_change_nothing(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    let thousand: Vec<String> = (0..1000).map(|i| format!("scope{i}")).collect();
    let twenty_one = vec!["openid"; 21];
    for scopes in [
        json!(["openid email"]),
        json!(thousand),
        json!(["admin"]),
        json!(["https://evil.example/auth/adwords"]),
        json!([""]),
        json!(["openid\temail"]),
        json!([format!(
            "https://www.googleapis.com/auth/{}",
            "x".repeat(300)
        )]),
        json!(twenty_one),
    ] {
        for path in ["/auth/init", "/auth/token"] {
            let body = json!({"provider": "google", "user_email": SIGNED_IN, "scopes": scopes});
            let (status, answer) = send_json(&app, Method::POST, path, &body).await;
            assert_eq!(status, 400, "{path} {scopes}: {answer}");
            assert_eq!(answer["detail"]["error"], "invalid_scope", "{answer}");
        }
    }
    assert_eq!(state_of(&app).await, before);
}

async fn a_missing_or_wrong_api_key_gets_the_original_403_on_every_api_route(backend: Backend) {
    let app = seeded(backend).await;
    let session_id = app.init("x@example.com").await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = state_of(&app).await;
    let body = json!({"provider": "google", "user_email": SIGNED_IN});
    let routes = [
        (Method::POST, "/auth/init".to_owned(), Some(body.clone())),
        (Method::POST, "/auth/token".to_owned(), Some(body.clone())),
        (Method::DELETE, "/auth/revoke".to_owned(), Some(body)),
        (Method::GET, format!("/auth/status/{session_id}"), None),
        (
            Method::GET,
            format!("/auth/status/{session_id}?wait=5"),
            None,
        ),
        (Method::GET, format!("/auth/providers/{SIGNED_IN}"), None),
    ];
    let almost = &API_KEY[..API_KEY.len() - 1];
    let wrong_keys = [
        None,
        Some(String::new()),
        Some("wrong".to_owned()),
        Some(almost.to_owned()),
        Some(format!("{API_KEY}x")),
        Some(API_KEY.to_ascii_uppercase()),
    ];
    for (method, path, json_body) in &routes {
        // The key only counts in its header, not as a bearer token or query parameter.
        for (name, value) in [
            ("authorization", format!("Bearer {API_KEY}")),
            ("x-api-key-2", API_KEY.to_owned()),
        ] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let url = app.url(&format!("{path}{separator}api_key={API_KEY}"));
            let mut request = app.http.request(method.clone(), url).header(name, value);
            if let Some(json_body) = json_body {
                request = request.json(json_body);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{method} {path} via {name}");
            assert_invalid_key_body(&response.text().await.unwrap(), false);
        }
        for key in &wrong_keys {
            for malformed_body in [false, true] {
                let mut request = app.http.request(method.clone(), app.url(path));
                if let Some(key) = key {
                    request = request.header("X-API-Key", key);
                }
                if malformed_body {
                    request = request
                        .header("content-type", "application/json")
                        .body("{not json");
                } else if let Some(json_body) = json_body {
                    request = request.json(json_body);
                }
                let response = request.send().await.unwrap();
                let status = response.status();
                let text = response.text().await.unwrap();
                assert_eq!(status, 403, "{method} {path} key {key:?}: {text}");
                assert_invalid_key_body(&text, key.is_some());
            }
        }
    }
    // Authorization is checked before the session is looked up: no oracle for ids.
    let response = app
        .http
        .get(app.url(&format!("/auth/status/{}", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(state_of(&app).await, before);
}

async fn an_oversized_body_gets_413_json_and_changes_nothing(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    let padding = "a".repeat(1024 * 1024);
    let body = json!({"provider": "google", "user_email": SIGNED_IN, "padding": padding});
    for (method, path) in body_routes() {
        let (status, answer) = send_json(&app, method.clone(), path, &body).await;
        assert_eq!(status, 413, "{method} {path}: {answer}");
        assert_eq!(answer["detail"]["error"], "payload_too_large", "{answer}");
    }
    // A body just under the 16 KiB limit is still read (and refused for its content).
    let body = json!({"provider": "google", "user_email": "a".repeat(15 * 1024)});
    let (status, answer) = send_json(&app, Method::POST, "/auth/init", &body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(state_of(&app).await, before);
}

async fn unknown_or_malformed_session_ids_get_404(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    for id in [
        uuid::Uuid::new_v4().to_string(),
        uuid::Uuid::nil().to_string(),
        "not-a-uuid".to_owned(),
        "1".to_owned(),
        "%27%20OR%201%3D1--".to_owned(),
        "x".repeat(2000),
    ] {
        for query in ["", "?wait=0"] {
            let (status, answer) = send_raw(
                &app,
                Method::GET,
                &format!("/auth/status/{id}{query}"),
                None,
                "",
            )
            .await;
            assert_eq!(status, 404, "{id}: {answer}");
            assert_eq!(answer["detail"]["error"], "not_found", "{answer}");
        }
    }
    // A malformed wait is refused, not taken as "no wait".
    let session_id = uuid::Uuid::new_v4();
    for wait in ["abc", "-1", "NaN", "inf", "1e999"] {
        let path = format!("/auth/status/{session_id}?wait={wait}");
        let (status, answer) = send_raw(&app, Method::GET, &path, None, "").await;
        assert_eq!(status, 422, "{path}: {answer}");
    }
    assert_eq!(state_of(&app).await, before);
}

async fn unknown_routes_get_404_json_and_revoking_nothing_gets_404(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/nope"),
        (Method::POST, "/auth/nothing"),
        (Method::GET, "/auth/status"),
        (Method::GET, "/auth/providers/"),
        (Method::GET, "/v1/flows/x"),
        (Method::GET, "/auth/..%2Fadmin"),
    ] {
        let (status, answer) = send_raw(&app, method.clone(), path, None, "").await;
        assert_eq!(status, 404, "{method} {path}: {answer}");
        assert_eq!(answer, json!({"detail": "Not Found"}), "{method} {path}");
    }
    let body = json!({"provider": "google", "user_email": "nobody@example.com"});
    let (status, answer) = send_json(&app, Method::DELETE, "/auth/revoke", &body).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["detail"]["error"], "not_found", "{answer}");
    assert_eq!(state_of(&app).await, before);
}

async fn a_wrong_method_gets_405_with_a_json_error(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    for (method, path) in [
        (Method::GET, "/auth/init"),
        (Method::GET, "/auth/token"),
        (Method::POST, "/auth/revoke"),
        (Method::DELETE, "/auth/status/x"),
        (Method::PUT, "/auth/providers/alice@example.com"),
    ] {
        let response = app
            .http
            .request(method.clone(), app.url(path))
            .header("X-API-Key", API_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        let content_type = response
            .headers()
            .get("content-type")
            .map(|value| value.to_str().unwrap().to_owned());
        let text = response.text().await.unwrap();
        // G9: every malformed request gets a clear JSON error, not an empty body.
        assert!(
            content_type
                .as_deref()
                .is_some_and(|value| value.starts_with("application/json")),
            "{method} {path}: content-type {content_type:?}, body {text:?}"
        );
        let body: Value = serde_json::from_str(&text).unwrap();
        assert!(
            body["detail"].is_string() || body["detail"].is_object(),
            "{body}"
        );
    }
    assert_eq!(state_of(&app).await, before);
}

async fn an_oversized_header_gets_431_and_changes_nothing(backend: Backend) {
    let app = seeded(backend).await;
    let before = state_of(&app).await;
    // docs/threat-model.md F3: headers are bounded (8 KiB); a 64 KiB header is refused.
    let response = app
        .http
        .post(app.url("/auth/init"))
        .header("X-API-Key", API_KEY)
        .header("X-Padding", "a".repeat(64 * 1024))
        .json(&json!({"provider": "google", "user_email": "new@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 431);
    assert_eq!(state_of(&app).await, before);
}
