//! A user's browser at the authorization endpoint, walked by hand: `/oauth/authorize`,
//! the emulator playing Google, back to the gateway, the consent page; then the MCP
//! client redeeming the code at `/oauth/token`. Every redirect is followed explicitly so
//! each hop can be checked. Shared by the authorization and token-exchange tests.

use super::app::TestApp;
use auth_gateway::store::{OAuthClientKind, OAuthClientRecord, Store};
use std::collections::HashMap;

/// The public MCP client the walk authorizes.
pub const CLIENT: &str = "test-mcp-client";
pub const REDIRECT: &str = "http://127.0.0.1/callback";
/// A PKCE pair: the challenge is base64url(SHA-256(verifier)).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9RRDu4TZXakQOa3xUkoxp6wnY";
pub const CHALLENGE: &str = "ke6_fpqfpvhWah6magFL7O8IEFZXmszNj1ST_2lRqAI";

/// Registers [`CLIENT`] (public, [`REDIRECT`]) through the store.
pub async fn register_public_client(app: &TestApp, store: &dyn Store) {
    let client = OAuthClientRecord {
        client_id: CLIENT.into(),
        kind: OAuthClientKind::Dynamic,
        client_name: Some("Test <MCP> Client".into()),
        redirect_uris: vec![REDIRECT.into()],
        token_endpoint_auth_method: "none".into(),
        secret_digest: None,
        created_at: app.clock_now(),
        last_used_at: None,
        refresh_after: None,
    };
    assert!(store.insert_oauth_client(&client).await.unwrap());
}

/// A browser that keeps cookies and does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn authorize_query(resource: &str, redirect: &str, state: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT)
        .append_pair("redirect_uri", redirect)
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", resource)
        .append_pair("state", state)
        .finish()
}

/// A redirect's target; a gateway-relative one on the placeholder host `gateway.invalid`.
pub fn location(response: &reqwest::Response) -> url::Url {
    assert_eq!(response.status(), 302, "expected a redirect");
    let location = response.headers()["location"].to_str().unwrap();
    url::Url::parse(location)
        .or_else(|_| url::Url::parse(&format!("http://gateway.invalid{location}")))
        .unwrap()
}

pub fn query_of(url: &url::Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// The value of a hidden form field on a page, unescaped.
pub fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).unwrap() + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end]
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Follows a gateway-relative or absolute redirect with the browser.
pub async fn follow(app: &TestApp, browser: &reqwest::Client, to: &url::Url) -> reqwest::Response {
    let target = if to.host_str() == Some("gateway.invalid") {
        app.url(&format!("{}?{}", to.path(), to.query().unwrap_or_default()))
    } else {
        to.to_string()
    };
    browser.get(target).send().await.unwrap()
}

/// From `GET /oauth/authorize` through Google (as `email`) back to the gateway: returns
/// the gateway's answer after the login (the consent page, or the client redirect).
pub async fn through_google(
    app: &TestApp,
    browser: &reqwest::Client,
    query: &str,
    email: &str,
) -> (reqwest::Response, HashMap<String, String>) {
    let first = browser
        .get(app.url(&format!("/oauth/authorize?{query}")))
        .send()
        .await
        .unwrap();
    let to_google = location(&first);
    assert!(
        to_google.as_str().starts_with(&app.emulator.auth_url()),
        "{to_google}"
    );
    let google_params = query_of(&to_google);
    app.emulator.state().sign_in_as(Some(email.into()));
    let back = follow(app, browser, &to_google).await;
    let callback = location(&back);
    let resumed = follow(app, browser, &callback).await;
    let again = location(&resumed);
    assert_eq!(again.path(), "/oauth/authorize");
    (follow(app, browser, &again).await, google_params)
}

/// Answers the consent page `page` with `decision` (`allow` or `deny`).
pub async fn allow(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    decision: &str,
) -> reqwest::Response {
    browser
        .post(app.url("/oauth/authorize"))
        .form(&[
            ("request", field(page, "request")),
            ("csrf", field(page, "csrf")),
            ("decision", decision.to_owned()),
        ])
        .send()
        .await
        .unwrap()
}

/// Redeems a code at the token endpoint as the public test client.
pub async fn redeem(
    app: &TestApp,
    code: &str,
    redirect: &str,
    resource: &str,
) -> serde_json::Value {
    let response = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
            ("client_id", CLIENT),
            ("resource", resource),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// The whole walk from a browser not signed in: `email` signs in through Google, allows
/// [`CLIENT`] at `resource` (unless that consent is remembered), and the client redeems
/// the code. Returns the token answer
/// (a JWT for `resource` and a refresh token); `browser` stays signed in.
pub async fn user_tokens(
    app: &TestApp,
    browser: &reqwest::Client,
    resource: &str,
    email: &str,
) -> serde_json::Value {
    let query = authorize_query(resource, REDIRECT, "walk");
    let (answer, _) = through_google(app, browser, &query, email).await;
    // A consent already given (remembered) goes straight back with the code.
    let back = if answer.status() == 200 {
        let page = answer.text().await.unwrap();
        location(&allow(app, browser, &page, "allow").await)
    } else {
        location(&answer)
    };
    let code = query_of(&back)["code"].clone();
    redeem(app, &code, REDIRECT, resource).await
}

/// [`user_tokens`]' access token.
pub async fn user_access_token(
    app: &TestApp,
    browser: &reqwest::Client,
    resource: &str,
    email: &str,
) -> String {
    let tokens = user_tokens(app, browser, resource, email).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

/// A JWT's claims, read without verifying (the token endpoint's tests verify them).
pub fn claims_of(jwt: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Posts one of the user's page's forms (`revoke_client`, `revoke_connection`) with the
/// page's CSRF token, as the signed-in `browser`.
pub async fn account_action(
    app: &TestApp,
    browser: &reqwest::Client,
    action: &str,
    target: &str,
) -> reqwest::Response {
    let page = browser.get(app.url("/account")).send().await.unwrap();
    let page = page.text().await.unwrap();
    browser
        .post(app.url("/account"))
        .form(&[
            ("csrf", field(&page, "csrf").as_str()),
            ("action", action),
            ("target", target),
        ])
        .send()
        .await
        .unwrap()
}
