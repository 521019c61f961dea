//! Attacks on the browser side of sign-in (docs/threat-model.md B1, B3, C1, C2, C3, C5, C7, E1,
//! E2): a browser is stepped through the redirects by hand, so a test can stop before the
//! callback, replay it, tamper with it or send it from somewhere else.

use crate::on_both_backends;
use crate::secrets_at_rest::{Sql, pkce_verifier};
use crate::support::app::TestApp;
use crate::support::db::Backend;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use google_emulator::AccountOptions;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

on_both_backends!(
    signing_in_as_another_account_is_refused_revoked_and_stores_nothing,
    the_mismatch_page_escapes_the_expected_address,
    a_mismatch_by_an_account_with_a_stored_grant_leaves_that_grant_alive,
    another_google_account_with_the_same_address_cannot_take_over_the_grant,
    an_unverified_email_is_refused_and_stores_nothing,
    a_callback_replayed_from_a_browser_without_the_cookie_is_not_exchanged,
    every_flow_uses_pkce_s256_with_its_own_challenge,
    the_same_callback_sent_twice_at_once_completes_exactly_once,
    a_callback_after_the_session_expired_is_refused_without_an_exchange,
    an_oversized_or_malformed_code_is_refused_without_touching_the_session,
    the_authorization_url_has_exactly_the_expected_parameters,
    the_callback_page_sends_no_referrer_no_store_and_loads_nothing_external,
    provider_errors_with_markup_are_never_reflected,
    every_html_page_carries_the_framing_and_sniffing_headers,
    a_refused_consent_fails_the_session_with_access_denied,
);

/// The exact Content-Security-Policy of every page (docs/threat-model.md E1).
const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
const XSS_QUERY: &str = "error=%3Cscript%3Ealert(1)%3C/script%3E\
                         &error_description=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E";

/// A browser that keeps cookies but stops at every redirect.
pub(crate) fn stepping_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> Url {
    assert_eq!(response.status(), StatusCode::FOUND);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// A received page.
pub(crate) struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// A new browser (its own cookies, redirects not followed) opens `url`.
    pub(crate) async fn open(url: impl reqwest::IntoUrl) -> Self {
        Self::read(stepping_browser().get(url).send().await.unwrap()).await
    }

    pub(crate) async fn read(response: reqwest::Response) -> Self {
        Self {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    /// An HTML page with every security header of G4 (docs/threat-model.md C7, E1, E2).
    fn assert_secure_html(&self) {
        assert!(
            self.header("content-type").starts_with("text/html"),
            "{}",
            self.body
        );
        assert_eq!(self.header("content-security-policy"), PAGE_CSP);
        assert_eq!(self.header("x-frame-options"), "DENY");
        assert_eq!(self.header("x-content-type-options"), "nosniff");
        assert_eq!(self.header("referrer-policy"), "no-referrer");
        assert_eq!(self.header("cache-control"), "no-store");
        assert!(self.body.starts_with("<!doctype html>"), "{}", self.body);
    }
}

/// A sign-in stepped by hand up to (not including) the callback.
pub(crate) struct Flow {
    pub browser: reqwest::Client,
    pub session_id: String,
    /// The provider's authorization URL the connect link redirected to.
    pub authorize_url: Url,
    /// Where the provider sent the browser back: the callback with code and state.
    pub callback_url: Url,
}

impl Flow {
    /// `POST /auth/init`, then opens the connect link in a new browser and stops at the
    /// redirect to the provider: (browser, session id, authorization URL).
    pub(crate) async fn connect(app: &TestApp, email: &str) -> (reqwest::Client, String, Url) {
        let link = app.init(email).await;
        let browser = stepping_browser();
        let response = browser
            .get(link["auth_url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        let session_id = link["session_id"].as_str().unwrap().to_owned();
        let simple = uuid::Uuid::parse_str(&session_id).unwrap().simple();
        assert!(
            cookie.starts_with(&format!("gw_flow_{simple}=")),
            "{cookie}"
        );
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        (browser, session_id, location(&response))
    }

    /// Goes through the provider and stops before following its redirect back.
    pub(crate) async fn start(app: &TestApp, email: &str) -> Self {
        let (browser, session_id, authorize_url) = Self::connect(app, email).await;
        let response = browser.get(authorize_url.clone()).send().await.unwrap();
        let callback_url = location(&response);
        assert_eq!(
            callback_url.as_str().split('?').next().unwrap(),
            app.url("/auth/callback/google")
        );
        Self {
            browser,
            session_id,
            authorize_url,
            callback_url,
        }
    }

    /// A query parameter of the callback URL (`code`, `state`, `error`).
    pub(crate) fn param(&self, name: &str) -> String {
        query_param(&self.callback_url, name).unwrap_or_else(|| panic!("no {name} in callback"))
    }

    /// Follows the provider's redirect in the browser that started the flow.
    pub(crate) async fn finish(&self) -> Page {
        Page::read(
            self.browser
                .get(self.callback_url.clone())
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

async fn status_of(app: &TestApp, session_id: &str) -> Value {
    let response = app.status(session_id, "").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn credential_count(app: &TestApp) -> i64 {
    let mut sql = Sql::connect(app).await;
    let count = sql.row_count("credentials").await;
    sql.close().await;
    count
}

// ---------------------------------------------------------------------------------------
// B1, B3: who signed in

async fn signing_in_as_another_account_is_refused_revoked_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = "alice@example.com";
    app.emulator
        .sign_in_as(Some("mallory@example.com".to_owned()));
    let flow = Flow::start(&app, alice).await;
    let page = flow.finish().await;
    assert_eq!(page.status, 403, "{}", page.body);
    page.assert_secure_html();
    assert!(page.body.contains(alice), "{}", page.body);
    assert!(page.body.contains("account_mismatch"), "{}", page.body);
    assert!(!page.body.contains("mallory"), "{}", page.body);
    assert_eq!(credential_count(&app).await, 0);
    let status = status_of(&app, &flow.session_id).await;
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["error"], "account_mismatch", "{status}");
    let counters = app.emulator.counters();
    assert_eq!(counters.code_exchanges, 1);
    assert_eq!(counters.revocations, 1, "mallory's fresh grant is revoked");
    assert_eq!(
        app.emulator.latest_access_token_for("mallory@example.com"),
        None
    );
    assert_eq!(app.token(alice).await.status(), 404);
    assert_eq!(app.token("mallory@example.com").await.status(), 404);
}

async fn the_mismatch_page_escapes_the_expected_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Printable ASCII without spaces: a valid local part that is also markup.
    let marked_up = "<b>o'neil&\"x\"</b>@example.com";
    app.emulator
        .sign_in_as(Some("mallory@example.com".to_owned()));
    let page = Flow::start(&app, marked_up).await.finish().await;
    assert_eq!(page.status, 403, "{}", page.body);
    page.assert_secure_html();
    assert!(
        page.body
            .contains("&lt;b&gt;o&#x27;neil&amp;&quot;x&quot;&lt;/b&gt;@example.com"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<b>"), "{}", page.body);
    assert_eq!(credential_count(&app).await, 0);
}

async fn a_mismatch_by_an_account_with_a_stored_grant_leaves_that_grant_alive(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mallory = "mallory@example.com";
    let mallory_token = app.sign_in(mallory).await;
    app.emulator.sign_in_as(Some(mallory.to_owned()));
    let flow = Flow::start(&app, "alice@example.com").await;
    let page = flow.finish().await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("account_mismatch"), "{}", page.body);
    // Alice got nothing; mallory's own grant is neither replaced nor revoked.
    assert_eq!(credential_count(&app).await, 1);
    assert_eq!(app.token("alice@example.com").await.status(), 404);
    let body: Value = app.token(mallory).await.json().await.unwrap();
    assert_eq!(body["access_token"], mallory_token.as_str());
    assert!(app.emulator.access_token_is_valid(&mallory_token));
}

async fn another_google_account_with_the_same_address_cannot_take_over_the_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = "alice@example.com";
    let first = app.sign_in(alice).await;
    // The address is recycled: a new Google account (another `sub`) now owns it.
    app.emulator.add_account(
        alice,
        AccountOptions {
            sub: Some("999999999999999999999".to_owned()),
            ..AccountOptions::default()
        },
    );
    let flow = Flow::start(&app, alice).await;
    let page = flow.finish().await;
    assert_eq!(page.status, 403, "{}", page.body);
    let status = status_of(&app, &flow.session_id).await;
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["error"], "account_mismatch", "{status}");
    let body: Value = app.token(alice).await.json().await.unwrap();
    assert_eq!(
        body["access_token"],
        first.as_str(),
        "the stored grant is unchanged"
    );
}

async fn an_unverified_email_is_refused_and_stores_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = "alice@example.com";
    app.emulator.add_account(
        alice,
        AccountOptions {
            email_verified: false,
            ..AccountOptions::default()
        },
    );
    let flow = Flow::start(&app, alice).await;
    let page = flow.finish().await;
    assert_eq!(page.status, 403, "{}", page.body);
    page.assert_secure_html();
    assert_eq!(credential_count(&app).await, 0);
    let status = status_of(&app, &flow.session_id).await;
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["error"], "email_not_verified", "{status}");
    assert_eq!(app.emulator.counters().revocations, 1);
    assert_eq!(app.token(alice).await.status(), 404);
}

// ---------------------------------------------------------------------------------------
// C1, C2, C3: flow integrity

async fn a_callback_replayed_from_a_browser_without_the_cookie_is_not_exchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flow = Flow::start(&app, "alice@example.com").await;
    // Browser B: no cookie at all, and another one holding a cookie of its own flow.
    let other = Flow::start(&app, "bob@example.com").await;
    for browser in [reqwest::Client::new(), other.browser.clone()] {
        let page = Page::read(browser.get(flow.callback_url.clone()).send().await.unwrap()).await;
        assert_eq!(page.status, 400, "{}", page.body);
        page.assert_secure_html();
        assert!(page.body.contains("flow_not_bound"), "{}", page.body);
    }
    assert_eq!(app.emulator.counters().code_exchanges, 0);
    assert_eq!(credential_count(&app).await, 0);
    assert_eq!(status_of(&app, &flow.session_id).await["status"], "pending");
    // The browser that opened the link still finishes the sign-in.
    let page = flow.finish().await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(app.emulator.counters().code_exchanges, 1);
    assert_eq!(
        status_of(&app, &flow.session_id).await["status"],
        "completed"
    );
}

async fn every_flow_uses_pkce_s256_with_its_own_challenge(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut challenges = Vec::new();
    for email in ["alice@example.com", "alice@example.com", "bob@example.com"] {
        let (_browser, session_id, authorize) = Flow::connect(&app, email).await;
        assert_eq!(
            query_param(&authorize, "code_challenge_method").as_deref(),
            Some("S256")
        );
        let challenge = query_param(&authorize, "code_challenge").unwrap();
        assert_eq!(challenge.len(), 43, "{challenge}");
        assert!(
            challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{challenge}"
        );
        // RFC 7636 §4.2: BASE64URL(SHA256(verifier)) of the verifier stored for the flow.
        let verifier = pkce_verifier(&app, &session_id).await;
        assert!((43..=128).contains(&verifier.len()));
        assert_eq!(
            challenge,
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        );
        challenges.push(challenge);
    }
    challenges.sort();
    challenges.dedup();
    assert_eq!(challenges.len(), 3, "every flow has its own challenge");
}

async fn the_same_callback_sent_twice_at_once_completes_exactly_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flow = Flow::start(&app, "alice@example.com").await;
    // A slow token endpoint keeps the first exchange in flight while the second arrives.
    app.emulator
        .set_latency(std::time::Duration::from_millis(300));
    let (first, second) = futures::future::join(flow.finish(), flow.finish()).await;
    let mut pages = [first, second];
    pages.sort_by_key(|page| page.status);
    assert_eq!(pages[0].status, 200, "{}", pages[0].body);
    assert_eq!(pages[1].status, 400, "{}", pages[1].body);
    assert!(
        pages[1].body.contains("flow_already_used"),
        "{}",
        pages[1].body
    );
    assert_eq!(app.emulator.counters().code_exchanges, 1);
    assert_eq!(credential_count(&app).await, 1);
    assert_eq!(
        status_of(&app, &flow.session_id).await["status"],
        "completed"
    );
    // A later replay (back button) is refused too.
    let again = flow.finish().await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("flow_already_used"), "{}", again.body);
    assert_eq!(app.emulator.counters().code_exchanges, 1);
}

async fn a_callback_after_the_session_expired_is_refused_without_an_exchange(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.init("bob@example.com").await;
    let flow = Flow::start(&app, "alice@example.com").await;
    // SESSION_EXPIRY_MINUTES is 10.
    app.clock.advance(chrono::Duration::minutes(11));
    let page = flow.finish().await;
    assert!(
        page.status == 410 || page.status == 404,
        "{} {}",
        page.status,
        page.body
    );
    page.assert_secure_html();
    if page.status == 410 {
        assert!(page.body.contains("flow_expired"), "{}", page.body);
    }
    assert_eq!(app.emulator.counters().code_exchanges, 0);
    assert_eq!(credential_count(&app).await, 0);
    assert_eq!(status_of(&app, &flow.session_id).await["status"], "expired");
    // An expired connect link no longer leads to the provider, and says it expired.
    let page = Page::open(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(page.status, 410, "{}", page.body);
    page.assert_secure_html();
    assert!(page.headers.get("set-cookie").is_none());
    assert_eq!(app.emulator.counters().authorizations, 1);
}

async fn an_oversized_or_malformed_code_is_refused_without_touching_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flow = Flow::start(&app, "alice@example.com").await;
    let state = flow.param("state");
    for code in [
        "a".repeat(10 * 1024),
        "a".repeat(3 * 1024),
        "4/0Ab%20cd".to_owned(),
        "4/0Ab%0D%0Acd".to_owned(),
        String::new(),
    ] {
        let mut url = flow.callback_url.clone();
        url.set_query(Some(&format!("code={code}&state={state}")));
        let page = Page::read(flow.browser.get(url).send().await.unwrap()).await;
        assert_eq!(page.status, 400, "{}", page.body);
        page.assert_secure_html();
        assert!(page.body.contains("invalid_callback"), "{}", page.body);
    }
    assert_eq!(app.emulator.counters().code_exchanges, 0);
    assert_eq!(status_of(&app, &flow.session_id).await["status"], "pending");
    // The real callback still completes the untouched session.
    let page = flow.finish().await;
    assert_eq!(page.status, 200, "{}", page.body);
}

// ---------------------------------------------------------------------------------------
// C5: the authorization request

fn assert_authorization_parameters(app: &TestApp, url: &Url, email: &str, consent: bool) {
    assert_eq!(
        url.as_str().split('?').next().unwrap(),
        app.emulator.auth_url()
    );
    let mut names: Vec<String> = url
        .query_pairs()
        .map(|(name, _)| name.into_owned())
        .collect();
    names.sort();
    let mut expected = vec![
        "access_type",
        "client_id",
        "code_challenge",
        "code_challenge_method",
        "include_granted_scopes",
        "login_hint",
        "redirect_uri",
        "response_type",
        "scope",
        "state",
    ];
    if consent {
        expected.push("prompt");
    }
    expected.sort_unstable();
    assert_eq!(names, expected, "each parameter exactly once: {url}");
    let param = |name: &str| query_param(url, name).unwrap();
    assert_eq!(param("response_type"), "code");
    assert_eq!(param("client_id"), app.emulator.client_id());
    assert_eq!(param("redirect_uri"), app.url("/auth/callback/google"));
    assert_eq!(param("access_type"), "offline");
    assert_eq!(param("include_granted_scopes"), "true");
    assert_eq!(param("login_hint"), email);
    assert_eq!(param("code_challenge_method"), "S256");
    assert_eq!(param("state").len(), 43);
    let scopes: Vec<String> = param("scope").split(' ').map(str::to_owned).collect();
    assert!(scopes.contains(&"openid".to_owned()), "{scopes:?}");
    assert!(scopes.contains(&"email".to_owned()), "{scopes:?}");
    assert!(scopes.iter().all(|scope| !scope.is_empty()), "{scopes:?}");
    if consent {
        assert_eq!(param("prompt"), "consent");
    }
}

async fn the_authorization_url_has_exactly_the_expected_parameters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "alice+ads@example.com";
    // First sign-in: no refresh token stored, so the consent screen is forced.
    let flow = Flow::start(&app, email).await;
    assert_authorization_parameters(&app, &flow.authorize_url, email, true);
    assert_eq!(flow.finish().await.status, 200);
    // Second sign-in: a refresh token is stored, so no prompt.
    let (_browser, _, authorize) = Flow::connect(&app, email).await;
    assert_authorization_parameters(&app, &authorize, email, false);
    // The login hint is the normalised address whatever case the caller used.
    let (_browser, _, authorize) = Flow::connect(&app, "ALICE+ads@Example.COM").await;
    assert_authorization_parameters(&app, &authorize, email, false);
}

// ---------------------------------------------------------------------------------------
// C7, E1, E2: pages

fn assert_nothing_external(body: &str) {
    let lower = body.to_ascii_lowercase();
    for needle in [
        "src=", "href=", "http://", "https://", "//", "<script", "<link",
    ] {
        assert!(!lower.contains(needle), "page contains {needle}: {body}");
    }
}

async fn the_callback_page_sends_no_referrer_no_store_and_loads_nothing_external(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let flow = Flow::start(&app, "alice@example.com").await;
    let page = flow.finish().await;
    assert_eq!(page.status, 200, "{}", page.body);
    page.assert_secure_html();
    assert_nothing_external(&page.body);
    assert!(!page.body.contains(&flow.param("code")), "{}", page.body);
    assert!(!page.body.contains(&flow.param("state")), "{}", page.body);
    // The error pages too.
    let page = Page::read(
        app.http
            .get(app.url("/auth/callback/google?code=abc&state=short"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_secure_html();
    assert_nothing_external(&page.body);
}

fn assert_not_reflected(page: &Page) {
    assert!(
        page.status.is_client_error(),
        "{} {}",
        page.status,
        page.body
    );
    page.assert_secure_html();
    let lower = page.body.to_ascii_lowercase();
    for needle in ["<script", "onerror=", "<img", "alert(1)"] {
        assert!(!lower.contains(needle), "reflected {needle}: {}", page.body);
    }
}

async fn provider_errors_with_markup_are_never_reflected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // An unknown state: rejected before any lookup.
    for query in [
        format!("state=x&{XSS_QUERY}"),
        XSS_QUERY.to_owned(),
        format!("state=%3Cscript%3E&code=%3Cscript%3Ealert(1)%3C/script%3E&{XSS_QUERY}"),
    ] {
        let url = app.url(&format!("/auth/callback/google?{query}"));
        assert_not_reflected(&Page::read(app.http.get(url).send().await.unwrap()).await);
    }
    // A real, bound flow whose provider answer carries markup: the session fails with a
    // fixed code, and the page still echoes nothing.
    let flow = Flow::start(&app, "alice@example.com").await;
    let mut url = flow.callback_url.clone();
    url.set_query(Some(&format!("state={}&{XSS_QUERY}", flow.param("state"))));
    let page = Page::read(flow.browser.get(url).send().await.unwrap()).await;
    assert_not_reflected(&page);
    let status = status_of(&app, &flow.session_id).await;
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["error"], "provider_error", "{status}");
    assert_eq!(app.emulator.counters().code_exchanges, 0);
}

async fn every_html_page_carries_the_framing_and_sniffing_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let get = |path: &str| {
        let request = app.http.get(app.url(path));
        async move { Page::read(request.send().await.unwrap()).await }
    };
    let mut pages = vec![
        // Unknown connect link, malformed callback, unknown provider, unknown state.
        get("/connect/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await,
        get("/connect/nope").await,
        get("/auth/callback/google").await,
        get("/auth/callback/nope?code=x&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await,
        get("/auth/callback/google?code=x&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await,
    ];
    // Not bound (400), success (200), mismatch (403), provider unavailable at the
    // exchange (503).
    let flow = Flow::start(&app, "alice@example.com").await;
    pages.push(Page::read(reqwest::get(flow.callback_url.clone()).await.unwrap()).await);
    pages.push(flow.finish().await);
    app.emulator
        .sign_in_as(Some("mallory@example.com".to_owned()));
    pages.push(Flow::start(&app, "bob@example.com").await.finish().await);
    let flow = Flow::start(&app, "carol@example.com").await;
    app.emulator.fail_next_token_requests(1, 500);
    pages.push(flow.finish().await);
    // An internal error (500): a verifier sealed with a key we no longer have.
    let link = app.init("dave@example.com").await;
    let mut sql = Sql::connect(&app).await;
    sql.execute("UPDATE auth_sessions SET pkce_key_id = 'retired-key' WHERE status = 'pending'")
        .await;
    sql.close().await;
    pages.push(
        get(link["auth_url"]
            .as_str()
            .unwrap()
            .trim_start_matches(&app.address))
        .await,
    );

    let statuses: Vec<u16> = pages.iter().map(|page| page.status.as_u16()).collect();
    assert_eq!(
        statuses,
        [404, 404, 400, 404, 404, 400, 200, 403, 503, 500],
        "the pages this test meant to reach"
    );
    for page in &pages {
        page.assert_secure_html();
        assert_nothing_external(&page.body);
    }
    // A 500 page names no internals.
    let internal = pages.last().unwrap();
    assert!(!internal.body.contains("retired-key"), "{}", internal.body);
    // The connect redirect carries the headers too, and token JSON is never cached.
    let link = app.init("erin@example.com").await;
    let response = stepping_browser()
        .get(link["auth_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let response = app.token("alice@example.com").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
}

async fn a_refused_consent_fails_the_session_with_access_denied(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.emulator.deny_next_authorization();
    let flow = Flow::start(&app, "alice@example.com").await;
    assert_eq!(flow.param("error"), "access_denied");
    let page = flow.finish().await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_secure_html();
    assert!(page.body.contains("access_denied"), "{}", page.body);
    let status = status_of(&app, &flow.session_id).await;
    assert_eq!(status["status"], "failed", "{status}");
    assert_eq!(status["error"], "access_denied", "{status}");
    assert_eq!(app.emulator.counters().code_exchanges, 0);
    assert_eq!(credential_count(&app).await, 0);
}
