//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, MCP
//! 2025-11-25) end to end: a real gateway on both backends fetches documents from an
//! https server on 127.0.0.1 (test CA, `OAUTH_CIMD_ALLOW_LOOPBACK` and
//! `OAUTH_CIMD_EXTRA_CA_FILE`), through `/oauth/authorize` and `/oauth/token`.

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::documents::{
    DocumentServer, PATH, REDIRECT, Reply, VERIFIER, assert_page, authorize_url, browser, ca_file,
    consent_page, document, field, location,
};
use crate::support::oauth::{RESOURCE, add_resource};
use serde_json::{Value, json};
use std::collections::HashMap;

on_both_backends!(
    a_document_client_signs_in_is_shown_as_its_host_and_redeems_its_code,
    a_document_is_kept_for_its_max_age_then_fetched_again,
    documents_that_cannot_be_used_stop_at_a_page_and_never_redirect,
    a_failed_fetch_is_invalid_client_at_the_token_endpoint_even_with_a_stale_copy,
    loopback_is_refused_unless_allowed,
);

/// A gateway that may fetch from loopback and trusts the test CA, with the Ads resource.
async fn setup(backend: Backend, known_hosts: &str) -> (TestApp, DocumentServer) {
    let documents = DocumentServer::start().await;
    let ca = ca_file();
    let app = TestApp::spawn_with(
        backend,
        &[
            ("OAUTH_CIMD_ALLOW_LOOPBACK", "true"),
            ("OAUTH_CIMD_EXTRA_CA_FILE", &ca),
            ("OAUTH_KNOWN_CLIENT_HOSTS", known_hosts),
        ],
    )
    .await;
    add_resource(&app, RESOURCE).await;
    (app, documents)
}

async fn a_document_client_signs_in_is_shown_as_its_host_and_redeems_its_code(backend: Backend) {
    let (app, documents) = setup(backend, "127.0.0.1").await;
    let client_id = documents.url(PATH);
    documents.set(PATH, Reply::json(&document(&client_id), 600));
    let browser = browser();
    let page = consent_page(&app, &browser, &client_id).await;
    assert!(page.contains("Allow <strong>127.0.0.1</strong>"), "{page}");
    assert!(
        !page.contains("cannot verify"),
        "a known host is vouched for"
    );
    let answer = browser
        .post(app.url("/oauth/authorize"))
        .form(&[
            ("request", field(&page, "request")),
            ("csrf", field(&page, "csrf")),
            ("decision", "allow".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let back = url::Url::parse(&location(&app, &answer)).unwrap();
    let params: HashMap<String, String> = back.query_pairs().into_owned().collect();
    let response = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["refresh_token"].is_string());
    // Fetched once: the token endpoint used the cached document.
    assert_eq!(documents.hits(), 1);

    // A host not in OAUTH_KNOWN_CLIENT_HOSTS: the name it gives, marked unverified.
    let (other, others) = setup(backend, "claude.ai").await;
    let other_id = others.url(PATH);
    others.set(PATH, Reply::json(&document(&other_id), 600));
    let page = consent_page(&other, &self::browser(), &other_id).await;
    assert!(
        page.contains("Document Client") && page.contains("cannot verify"),
        "{page}"
    );
}

async fn a_document_is_kept_for_its_max_age_then_fetched_again(backend: Backend) {
    let (app, documents) = setup(backend, "127.0.0.1").await;
    let client_id = documents.url(PATH);
    documents.set(PATH, Reply::json(&document(&client_id), 600));
    let login = |app: &TestApp| {
        app.http
            .get(authorize_url(app, &client_id, REDIRECT))
            .send()
    };
    assert_eq!(login(&app).await.unwrap().status(), 302);
    assert_eq!(login(&app).await.unwrap().status(), 302);
    assert_eq!(documents.hits(), 1, "cached within max-age");
    // The client drops the redirect URI; seen once the cached copy is stale.
    let mut changed = document(&client_id);
    changed["redirect_uris"] = json!(["https://client.example/cb"]);
    documents.set(PATH, Reply::json(&changed, 600));
    app.clock.advance(chrono::Duration::seconds(599));
    assert_eq!(login(&app).await.unwrap().status(), 302);
    assert_eq!(documents.hits(), 1);
    app.clock.advance(chrono::Duration::seconds(2));
    assert_page(login(&app).await.unwrap(), "did not register").await;
    assert_eq!(documents.hits(), 2, "fetched again past max-age");

    // max-age below the minimum is raised to 5 minutes.
    let short = "/short.json";
    let short_id = documents.url(short);
    documents.set(short, Reply::json(&document(&short_id), 1));
    let get = |id: String| app.http.get(authorize_url(&app, &id, REDIRECT)).send();
    assert_eq!(get(short_id.clone()).await.unwrap().status(), 302);
    app.clock.advance(chrono::Duration::seconds(290));
    assert_eq!(get(short_id.clone()).await.unwrap().status(), 302);
    assert_eq!(documents.hits(), 3);

    // A host name: resolved, every address checked, the connection pinned to them.
    let by_name = documents.url(PATH).replace("127.0.0.1", "localhost");
    documents.set(PATH, Reply::json(&document(&by_name), 600));
    assert_eq!(get(by_name).await.unwrap().status(), 302);
}

async fn documents_that_cannot_be_used_stop_at_a_page_and_never_redirect(backend: Backend) {
    let (app, documents) = setup(backend, "127.0.0.1").await;
    let get = |id: &str, redirect: &str| app.http.get(authorize_url(&app, id, redirect)).send();

    let foreign = documents.url("/foreign.json");
    documents.set(
        "/foreign.json",
        Reply::json(&document("https://claude.ai/meta.json"), 60),
    );
    assert_page(
        get(&foreign, REDIRECT).await.unwrap(),
        "is not the URL it was fetched from",
    )
    .await;

    let moved = documents.url("/moved.json");
    let target = documents.url(PATH);
    documents.set(PATH, Reply::json(&document(&target), 60));
    documents.set(
        "/moved.json",
        Reply {
            status: 302,
            headers: vec![("Location".into(), target)],
            body: vec![],
        },
    );
    let hits = documents.hits();
    assert_page(
        get(&moved, REDIRECT).await.unwrap(),
        "redirects are not followed",
    )
    .await;
    assert_eq!(documents.hits(), hits + 1, "the redirect was not followed");

    let big = documents.url("/big.json");
    let mut padded = document(&big);
    padded["client_uri"] = json!(format!("https://client.example/{}", "a".repeat(6000)));
    documents.set("/big.json", Reply::json(&padded, 60));
    assert_page(get(&big, REDIRECT).await.unwrap(), "larger than 5120 bytes").await;
    // Without Content-Length (chunked): reading stops past the limit.
    let chunked = documents.url("/chunked.json");
    let chunk = format!("400\r\n{}\r\n", " ".repeat(0x400));
    documents.set(
        "/chunked.json",
        Reply {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Transfer-Encoding".into(), "chunked".into()),
            ],
            body: format!("{}0\r\n\r\n", chunk.repeat(8)).into_bytes(),
        },
    );
    assert_page(
        get(&chunked, REDIRECT).await.unwrap(),
        "larger than 5120 bytes",
    )
    .await;

    let html = documents.url("/page.json");
    documents.set(
        "/page.json",
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html>".to_vec(),
        },
    );
    assert_page(get(&html, REDIRECT).await.unwrap(), "not JSON").await;

    let secret = documents.url("/secret.json");
    let mut with_secret = document(&secret);
    with_secret["client_secret"] = json!("s3cret");
    documents.set("/secret.json", Reply::json(&with_secret, 60));
    assert_page(get(&secret, REDIRECT).await.unwrap(), "client secret").await;

    assert_page(
        get(&documents.url("/missing.json"), REDIRECT)
            .await
            .unwrap(),
        "status 404",
    )
    .await;
    assert_page(
        get(&format!("{}/a/../b.json", documents.origin), REDIRECT)
            .await
            .unwrap(),
        "segments",
    )
    .await;

    // A valid document, a redirect URI it does not list.
    let elsewhere = "https://evil.example/callback";
    assert_page(
        get(&documents.url(PATH), elsewhere).await.unwrap(),
        "did not register",
    )
    .await;
}

async fn a_failed_fetch_is_invalid_client_at_the_token_endpoint_even_with_a_stale_copy(
    backend: Backend,
) {
    let (app, documents) = setup(backend, "127.0.0.1").await;
    let token = |client_id: String| {
        app.http
            .post(app.url("/oauth/token"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x".repeat(43).as_str()),
                ("client_id", client_id.as_str()),
            ])
            .send()
    };
    let missing = token(documents.url("/missing.json")).await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");

    // Cached, then stale and the site fails: refused, not served from the stale copy.
    let client_id = documents.url(PATH);
    documents.set(PATH, Reply::json(&document(&client_id), 300));
    let fresh = token(client_id.clone()).await.unwrap();
    let body: Value = fresh.json().await.unwrap();
    assert_eq!(
        body["error"], "invalid_grant",
        "the client was accepted: {body}"
    );
    documents.set(
        PATH,
        Reply {
            status: 503,
            headers: vec![],
            body: vec![],
        },
    );
    app.clock.advance(chrono::Duration::seconds(301));
    let stale = token(client_id.clone()).await.unwrap();
    assert_eq!(stale.status(), 401);
    assert_page(
        app.http
            .get(authorize_url(&app, &client_id, REDIRECT))
            .send()
            .await
            .unwrap(),
        "status 503",
    )
    .await;
}

async fn loopback_is_refused_unless_allowed(backend: Backend) {
    let documents = DocumentServer::start().await;
    let ca = ca_file();
    let app = TestApp::spawn_with(backend, &[("OAUTH_CIMD_EXTRA_CA_FILE", &ca)]).await;
    add_resource(&app, RESOURCE).await;
    let client_id = documents.url(PATH);
    documents.set(PATH, Reply::json(&document(&client_id), 600));
    let response = app
        .http
        .get(authorize_url(&app, &client_id, REDIRECT))
        .send()
        .await
        .unwrap();
    assert_page(response, "not public (127.0.0.1)").await;
    let by_name = client_id.replace("127.0.0.1", "localhost");
    let response = app
        .http
        .get(authorize_url(&app, &by_name, REDIRECT))
        .send()
        .await
        .unwrap();
    assert_page(response, "not public").await;
    assert_eq!(documents.hits(), 0, "nothing was sent to a private address");
}
