//! What a new user meets in their first hour with the README, over HTTP: errors that say
//! what to do, sign-in links that say what became of them, and a readable `/docs`.

use crate::flow_attacks::{Flow, Page};
use crate::on_both_backends;
use crate::secrets_at_rest::Sql;
use crate::support::app::{API_KEY, TestApp};
use crate::support::db::Backend;
use crate::support::logs;
use serde_json::{Value, json};

on_both_backends!(
    an_address_with_surrounding_spaces_is_trimmed_on_init_and_token,
    a_reopened_completed_link_says_it_was_used_and_who_is_signed_in,
    a_reopened_link_whose_grant_was_revoked_says_so,
    a_reopened_link_whose_sign_in_failed_says_it_was_used,
    an_expired_link_says_it_expired_and_how_long_links_last,
    an_unknown_or_forged_link_is_called_unknown,
    google_unavailable_at_the_code_exchange_says_so_with_503,
    google_refusing_the_code_is_a_502_rejection,
    a_row_under_an_unknown_key_id_logs_one_error_per_request,
);

async fn token_for(app: &TestApp, provider: &str) -> (u16, Value) {
    let response = app
        .post_json(
            "/auth/token",
            &json!({"provider": provider, "user_email": "alice@example.com"}),
        )
        .await;
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn an_unconfigured_google_says_it_is_not_configured_and_how_to_configure_it() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("GOOGLE_CLIENT_ID", "")]).await;
    for path in ["/auth/token", "/auth/init"] {
        let response = app
            .post_json(
                path,
                &json!({"provider": "google", "user_email": "alice@example.com"}),
            )
            .await;
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.unwrap();
        let detail = &body["detail"];
        assert_eq!(detail["error"], "unknown_provider", "{body}");
        assert_eq!(detail["configured_providers"], json!([]), "{body}");
        let message = detail["message"].as_str().unwrap();
        for needle in [
            "Provider google is not configured",
            "GOOGLE_CLIENT_ID",
            "GOOGLE_CLIENT_SECRET",
            "google-emulator",
            "No provider is configured.",
        ] {
            assert!(message.contains(needle), "{needle:?} missing: {message}");
        }
    }
    let (_, body) = token_for(&app, "github").await;
    let message = body["detail"]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "Unknown provider: github. No provider is configured."
    );
}

#[tokio::test]
async fn an_unknown_provider_is_called_unknown_and_the_configured_ones_are_listed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, body) = token_for(&app, "github").await;
    assert_eq!(status, 400);
    assert_eq!(body["detail"]["error"], "unknown_provider", "{body}");
    assert_eq!(
        body["detail"]["message"],
        "Unknown provider: github. Configured providers: google."
    );
    assert_eq!(body["detail"]["configured_providers"], json!(["google"]));
}

#[tokio::test]
async fn a_missing_or_unrecognised_api_key_gets_a_hint_and_the_key_is_never_echoed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = json!({"provider": "google", "user_email": "alice@example.com"});
    let missing = app
        .http
        .post(app.url("/auth/token"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 403);
    let missing: Value = missing.json().await.unwrap();
    assert_eq!(
        missing,
        json!({"detail": "Invalid API key", "hint": "Send the API key in the X-API-Key header."})
    );
    let wrong_key = "not-the-key-0123456789-secret-looking";
    let wrong = app
        .http
        .post(app.url("/auth/token"))
        .header("X-API-Key", wrong_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let text = wrong.text().await.unwrap();
    assert!(!text.contains(wrong_key), "{text}");
    let wrong: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(wrong["detail"], "Invalid API key");
    assert!(
        wrong["hint"]
            .as_str()
            .unwrap()
            .contains("X-API-Key header is not recognised"),
        "{wrong}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_the_limit_in_the_message() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = format!("{}@example.com", "a".repeat(17 * 1024));
    let response = app
        .post_json(
            "/auth/token",
            &json!({"provider": "google", "user_email": email}),
        )
        .await;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "payload_too_large");
    assert_eq!(
        body["detail"]["message"],
        "Request body is too large: the limit is 16 KiB"
    );
}

#[tokio::test]
async fn health_and_ready_use_the_same_word_for_loaded_encryption_keys() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let health: Value = reqwest::get(app.url("/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ready: Value = reqwest::get(app.url("/ready"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["encryption"], "configured", "{health}");
    assert_eq!(ready["encryption"], "configured", "{ready}");
}

#[tokio::test]
async fn the_docs_page_is_readable_html_with_each_operation_once_its_key_and_body_shapes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app.http.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(!page.contains('`'), "raw Markdown backticks: {page}");
    assert!(page.contains("<code>"), "{page}");
    let document: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let heading = format!(
                "<span class=\"method\">{}</span><code>{}</code>",
                method.to_uppercase(),
                path
            );
            assert_eq!(page.matches(&heading).count(), 1, "{heading}");
            // The summary no longer repeats the heading's method and path.
            let repeated = format!("<code>{} {}</code>", method.to_uppercase(), path);
            assert!(!page.contains(&repeated), "{repeated}");
        }
    }
    assert!(page.contains("X-API-Key"), "{page}");
    // The five /auth JSON operations are marked as needing the key; the pages are not.
    assert_eq!(
        page.matches("</code> <span class=\"key\">X-API-Key</span></h3>")
            .count(),
        5
    );
    // Error bodies are spelled out once and linked, not repeated per operation.
    for name in ["ErrorBody", "ApiKeyErrorBody", "ValidationErrorBody"] {
        assert_eq!(page.matches(&format!("id=\"{name}\"")).count(), 1, "{name}");
        assert!(page.contains(&format!("href=\"#{name}\"")), "{name}");
    }
    assert!(page.contains("<p>Start a sign-in; show <code>auth_url</code> to the user.</p>"));
    // Request and response body shapes, from the schemas.
    for needle in [
        "&quot;user_email&quot;: string",
        "&quot;scopes&quot;?:",
        "&quot;access_token&quot;: string",
        "&quot;auth_url&quot;: string",
    ] {
        assert!(page.contains(needle), "{needle} missing");
    }
}

async fn an_address_with_surrounding_spaces_is_trimmed_on_init_and_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.init(" alice@example.com ").await;
    let (status, page) = app.follow(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("You are signed in to Google as alice@example.com."),
        "{page}"
    );
    let response = app.token("\talice@example.com ").await;
    assert_eq!(response.status(), 200);
    let status = app.status(link["session_id"].as_str().unwrap(), "").await;
    let status: Value = status.json().await.unwrap();
    assert_eq!(status["user_email"], "alice@example.com");
}

async fn a_reopened_completed_link_says_it_was_used_and_who_is_signed_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.init("alice@example.com").await;
    let auth_url = link["auth_url"].as_str().unwrap();
    let (status, _) = app.follow(auth_url).await;
    assert_eq!(status, 200);
    let page = Page::open(auth_url).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("<title>Already signed in</title>"));
    assert!(
        page.body.contains(
            "This sign-in link was already used, and you are signed in to Google as alice@example.com."
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("flow_already_used"));
    assert!(!page.body.contains("replaced"), "{}", page.body);
    assert!(page.headers.get("set-cookie").is_none());
    assert_eq!(app.emulator.counters().authorizations, 1);
}

async fn a_reopened_link_whose_grant_was_revoked_says_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.init("alice@example.com").await;
    let auth_url = link["auth_url"].as_str().unwrap();
    assert_eq!(app.follow(auth_url).await.0, 200);
    let revoked = app
        .http
        .delete(app.url("/auth/revoke"))
        .header("X-API-Key", API_KEY)
        .json(&json!({"provider": "google", "user_email": "alice@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let page = Page::open(auth_url).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body.contains("This sign-in link was already used. That sign-in to Google has since been revoked or has expired."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Ask your assistant for a new sign-in link.")
    );
}

async fn a_reopened_link_whose_sign_in_failed_says_it_was_used(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.emulator.deny_next_authorization();
    let link = app.init("alice@example.com").await;
    let auth_url = link["auth_url"].as_str().unwrap();
    let (status, _) = app.follow(auth_url).await;
    assert_eq!(status, 400);
    let page = Page::open(auth_url).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(
        page.body
            .contains("This sign-in link was already used, and that sign-in did not complete."),
        "{}",
        page.body
    );
    assert!(page.body.contains("<title>Sign-in not completed</title>"));
}

async fn an_expired_link_says_it_expired_and_how_long_links_last(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.init("alice@example.com").await;
    // SESSION_EXPIRY_MINUTES is 10.
    app.clock.advance(chrono::Duration::minutes(11));
    let page = Page::open(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(
        page.body.contains(
            "This sign-in link has expired: links last 10 minutes (SESSION_EXPIRY_MINUTES)."
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("flow_expired"));
    assert!(page.headers.get("set-cookie").is_none());
    assert_eq!(app.emulator.counters().authorizations, 0);
}

async fn an_unknown_or_forged_link_is_called_unknown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.init("alice@example.com").await;
    let auth_url = link["auth_url"].as_str().unwrap();
    assert_eq!(app.follow(auth_url).await.0, 200);
    // The real session id with another secret must not reveal the session's fate.
    let (_, id) = auth_url.rsplit_once('.').unwrap();
    let forged = app.url(&format!("/connect/{}.{id}", "A".repeat(43)));
    for url in [
        forged,
        app.url(&format!("/connect/{}", "A".repeat(43))),
        app.url("/connect/nope"),
    ] {
        let page = Page::open(&url).await;
        assert_eq!(page.status, 404, "{url}: {}", page.body);
        assert!(
            page.body.contains("This sign-in link is unknown."),
            "{}",
            page.body
        );
        assert!(!page.body.contains("alice"), "{}", page.body);
        assert!(!page.body.contains("replaced"), "{}", page.body);
    }
}

async fn google_unavailable_at_the_code_exchange_says_so_with_503(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flow = Flow::start(&app, "alice@example.com").await;
    app.emulator.fail_next_token_requests(1, 503);
    let page = flow.finish().await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        page.body
            .contains("Google is temporarily unavailable, so the sign-in could not be finished."),
        "{}",
        page.body
    );
    assert!(page.body.contains("provider_unavailable"), "{}", page.body);
    assert!(page.body.contains("start again"), "{}", page.body);
    assert!(!page.body.contains("did not accept"), "{}", page.body);
    let status: Value = app.status(&flow.session_id, "").await.json().await.unwrap();
    assert_eq!(status["error"], "provider_unavailable", "{status}");
    // A new link then works.
    app.sign_in("alice@example.com").await;
}

async fn google_refusing_the_code_is_a_502_rejection(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flow = Flow::start(&app, "alice@example.com").await;
    let mut url = flow.callback_url.clone();
    url.set_query(Some(&format!(
        "state={}&code=bogus-code",
        flow.param("state")
    )));
    let page = Page::read(flow.browser.get(url).send().await.unwrap()).await;
    assert_eq!(page.status, 502, "{}", page.body);
    assert!(
        page.body.contains("Google did not accept the sign-in."),
        "{}",
        page.body
    );
    assert!(page.body.contains("exchange_failed"), "{}", page.body);
    assert!(!page.body.contains("unavailable"), "{}", page.body);
}

async fn a_row_under_an_unknown_key_id_logs_one_error_per_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = format!("lost-key-{backend:?}@example.com").to_lowercase();
    app.sign_in(&email).await;
    let key_id = format!("lost-key-{}", uuid::Uuid::new_v4().simple());
    let statement =
        format!("UPDATE credentials SET access_key_id = '{key_id}' WHERE user_email = '{email}'");
    let mut sql = Sql::connect(&app).await;
    assert_eq!(sql.execute(Box::leak(statement.into_boxed_str())).await, 1);
    sql.close().await;
    app.wait_for_cache_drop(&email).await;
    let response = app.token(&email).await;
    assert_eq!(response.status(), 500);
    let errors: Vec<String> = logs::captured()
        .lines()
        .filter(|line| line.contains("ERROR") && line.contains(&email))
        .map(str::to_owned)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains(&key_id), "{}", errors[0]);
    assert!(errors[0].contains("provider=\"google\""), "{}", errors[0]);
}
