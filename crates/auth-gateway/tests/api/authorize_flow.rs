//! The authorization endpoint end to end, as a browser and an MCP client meet it: the
//! real gateway on port 0, the emulator playing Google, a cookie-keeping browser that
//! follows each redirect by hand so every hop can be checked. On both backends.

use crate::support::app::TestApp;
use crate::support::browser::{
    CHALLENGE, CLIENT, REDIRECT, VERIFIER, allow, authorize_query, browser, claims_of, field,
    follow, location, query_of, redeem, register_public_client, through_google,
};
use crate::support::db::Backend;
use auth_gateway::store::{ResourceRecord, Store};
use std::sync::Arc;

const ADS: &str = "https://ads.example.com/mcp";
const ADS_SCOPE: &str = "https://www.googleapis.com/auth/adwords";
const ANALYTICS: &str = "https://analytics.example.com/mcp";
const ANALYTICS_SCOPE: &str = "https://www.googleapis.com/auth/analytics.readonly";
const ALICE: &str = "alice@example.com";

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
    one_sign_in_fills_the_vault_and_a_remembered_consent_skips_every_page,
    a_second_server_needing_more_scopes_asks_google_again_for_the_same_account,
    requests_that_cannot_be_answered_on_the_redirect_get_a_page,
    bad_requests_go_back_to_the_client_with_iss_and_state,
    a_forged_consent_is_refused_and_deny_tells_the_client,
    the_users_page_lists_and_revokes_clients_and_connections,
    signing_out_ends_the_browser_session,
    every_step_works_on_any_replica_and_single_use_holds_across_them,
);

/// A gateway with two resources and one public client.
async fn setup(backend: Backend) -> (TestApp, Arc<dyn Store>) {
    let app = TestApp::spawn(backend).await;
    let store = app.db.store().await;
    let now = app.clock_now();
    for (uri, scope, name) in [
        (ADS, ADS_SCOPE, "Google Ads"),
        (ANALYTICS, ANALYTICS_SCOPE, "Google Analytics"),
    ] {
        let resource = ResourceRecord {
            uri: uri.into(),
            client_name: "default".into(),
            provider: "google".into(),
            scopes: vec![scope.into()],
            display_name: name.into(),
            created_at: now,
        };
        assert!(store.insert_resource(&resource).await.unwrap());
    }
    register_public_client(&app, store.as_ref()).await;
    (app, store)
}

async fn one_sign_in_fills_the_vault_and_a_remembered_consent_skips_every_page(backend: Backend) {
    let (app, _store) = setup(backend).await;
    let browser = browser();
    let redirect = "http://127.0.0.1:43123/callback";
    let (consent, google) = through_google(
        &app,
        &browser,
        &authorize_query(ADS, redirect, "st-1"),
        ALICE,
    )
    .await;
    // One Google consent: identity, the server's scope, offline access.
    let scopes: Vec<&str> = google["scope"].split(' ').collect();
    for scope in ["openid", "email", ADS_SCOPE] {
        assert!(scopes.contains(&scope), "{scopes:?}");
    }
    assert_eq!(google["access_type"], "offline");
    assert_eq!(google["prompt"], "consent");
    assert!(!google.contains_key("login_hint"));

    assert_eq!(consent.status(), 200);
    let headers = consent.headers().clone();
    let page = consent.text().await.unwrap();
    assert!(page.contains("Test &lt;MCP&gt; Client"), "{page}");
    assert!(page.contains("Google Ads") && page.contains(ALICE) && page.contains("127.0.0.1"));
    assert!(
        page.contains("cannot verify"),
        "a dynamic client is marked unverified"
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );

    let answer = allow(&app, &browser, &page, "allow").await;
    let back = location(&answer);
    assert!(back.as_str().starts_with(redirect), "{back}");
    let params = query_of(&back);
    assert_eq!(params["state"], "st-1");
    assert_eq!(params["iss"], app.address);
    assert_eq!(params["code"].len(), 43);

    // The vault holds Alice's grant: the MCP server's API key gets her Google token.
    assert_eq!(app.token(ALICE).await.status(), 200);

    // The client redeems the code: a JWT for Alice at the Ads server.
    let tokens = redeem(&app, &params["code"], redirect, ADS).await;
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], ADS);
    assert_eq!(claims["email"], ALICE);
    assert_eq!(claims["client_id"], CLIENT);
    assert_eq!(claims["scope"], "mcp:ads.example.com/mcp");
    assert_eq!(claims["iss"], app.address);
    assert!(tokens["refresh_token"].is_string());
    // A code is single use.
    let replay = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", redirect),
            ("code_verifier", VERIFIER),
            ("client_id", CLIENT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);

    // Again, any loopback port: signed in, consent remembered → straight back with a code.
    let other_port = "http://127.0.0.1:50999/callback";
    let direct = browser
        .get(app.url(&format!(
            "/oauth/authorize?{}",
            authorize_query(ADS, other_port, "st-2")
        )))
        .send()
        .await
        .unwrap();
    let back = location(&direct);
    assert!(back.as_str().starts_with(other_port));
    let params = query_of(&back);
    assert_eq!(params["state"], "st-2");
    assert_ne!(params["code"], query_of(&location(&answer))["code"]);
}

async fn a_second_server_needing_more_scopes_asks_google_again_for_the_same_account(
    backend: Backend,
) {
    let (app, _store) = setup(backend).await;
    let browser = browser();
    let (consent, _) =
        through_google(&app, &browser, &authorize_query(ADS, REDIRECT, "a"), ALICE).await;
    let page = consent.text().await.unwrap();
    location(&allow(&app, &browser, &page, "allow").await);

    // Analytics needs a scope Alice's grant lacks: back to Google, as Alice, no forced
    // consent screen (a refresh token is stored).
    let first = browser
        .get(app.url(&format!(
            "/oauth/authorize?{}",
            authorize_query(ANALYTICS, REDIRECT, "b")
        )))
        .send()
        .await
        .unwrap();
    let google = query_of(&location(&first));
    assert_eq!(google["login_hint"], ALICE);
    assert!(!google.contains_key("prompt"));
    assert!(google["scope"].contains(ANALYTICS_SCOPE));

    // Someone else's account coming back is refused: the session is Alice's. Mallory's
    // fresh grant is revoked at Google, not left live with nobody holding it.
    app.emulator
        .state()
        .sign_in_as(Some("mallory@example.com".into()));
    let revocations = app.emulator.state().counters().revocations;
    let back = follow(&app, &browser, &location(&first)).await;
    let refused = follow(&app, &browser, &location(&back)).await;
    assert_eq!(refused.status(), 403, "{}", refused.text().await.unwrap());
    assert_eq!(app.emulator.state().counters().revocations, revocations + 1);

    // Alice herself: the grant now covers both; the consent page follows.
    let (consent, _) = through_google(
        &app,
        &browser,
        &authorize_query(ANALYTICS, REDIRECT, "c"),
        ALICE,
    )
    .await;
    assert_eq!(consent.status(), 200);
    let response = app
        .token_with_scopes(ALICE, &[ADS_SCOPE, ANALYTICS_SCOPE])
        .await;
    assert_eq!(response.status(), 200);
}

async fn requests_that_cannot_be_answered_on_the_redirect_get_a_page(backend: Backend) {
    let (app, _store) = setup(backend).await;
    let browser = browser();
    let cases = [
        (
            "no client",
            authorize_query(ADS, REDIRECT, "s").replace("client_id=test-mcp-client&", ""),
        ),
        (
            "unknown client",
            authorize_query(ADS, REDIRECT, "s").replace(CLIENT, "nobody"),
        ),
        (
            "other redirect",
            authorize_query(ADS, "https://evil.example/cb", "s"),
        ),
        (
            "loopback other path",
            authorize_query(ADS, "http://127.0.0.1:5000/elsewhere", "s"),
        ),
        (
            "no redirect",
            authorize_query(ADS, REDIRECT, "s")
                .replace("redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback&", ""),
        ),
        (
            "duplicate",
            format!("{}&client_id=other", authorize_query(ADS, REDIRECT, "s")),
        ),
    ];
    for (case, query) in cases {
        let response = browser
            .get(app.url(&format!("/oauth/authorize?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{case}");
        assert!(response.headers().get("location").is_none(), "{case}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("Authorization not completed"),
            "{case}: {page}"
        );
    }
}

async fn bad_requests_go_back_to_the_client_with_iss_and_state(backend: Backend) {
    let (app, _store) = setup(backend).await;
    let browser = browser();
    let base = authorize_query(ADS, REDIRECT, "keep-me");
    let cases = [
        (
            "no resource",
            base.replace("resource=https%3A%2F%2Fads.example.com%2Fmcp&", ""),
            "invalid_request",
        ),
        (
            "unknown resource",
            authorize_query("https://other.example.com/mcp", REDIRECT, "keep-me"),
            "invalid_target",
        ),
        (
            "no pkce",
            base.replace(&format!("code_challenge={CHALLENGE}&"), ""),
            "invalid_request",
        ),
        (
            "plain pkce",
            base.replace("code_challenge_method=S256", "code_challenge_method=plain"),
            "invalid_request",
        ),
        (
            "token response",
            base.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            "foreign scope",
            format!("{base}&scope=mcp%3Aanalytics.example.com%2Fmcp"),
            "invalid_scope",
        ),
    ];
    for (case, query, error) in cases {
        let response = browser
            .get(app.url(&format!("/oauth/authorize?{query}")))
            .send()
            .await
            .unwrap();
        let back = location(&response);
        assert!(back.as_str().starts_with(REDIRECT), "{case}: {back}");
        let params = query_of(&back);
        assert_eq!(params["error"], error, "{case}");
        assert_eq!(params["state"], "keep-me", "{case}");
        assert_eq!(params["iss"], app.address, "{case}");
        assert!(!params.contains_key("code"));
    }
    // The resource's own scope, and the habitual offline_access, are fine.
    let query = format!("{base}&scope=mcp%3Aads.example.com%2Fmcp%20offline_access");
    let response = browser
        .get(app.url(&format!("/oauth/authorize?{query}")))
        .send()
        .await
        .unwrap();
    assert!(
        location(&response)
            .as_str()
            .starts_with(&app.emulator.auth_url())
    );
}

async fn a_forged_consent_is_refused_and_deny_tells_the_client(backend: Backend) {
    let (app, store) = setup(backend).await;
    let browser = browser();
    let (consent, _) =
        through_google(&app, &browser, &authorize_query(ADS, REDIRECT, "d"), ALICE).await;
    let page = consent.text().await.unwrap();

    // A page elsewhere cannot know the CSRF token; another browser has no session.
    let forged = browser
        .post(app.url("/oauth/authorize"))
        .form(&[
            ("request", field(&page, "request")),
            ("csrf", "x".repeat(43)),
            ("decision", "allow".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let stranger = crate::support::browser::browser()
        .post(app.url("/oauth/authorize"))
        .form(&[
            ("request", field(&page, "request")),
            ("csrf", field(&page, "csrf")),
            ("decision", "allow".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 400);
    // A page on another site that somehow had the token still cannot post it: browsers
    // name the page's origin.
    let cross_site = browser
        .post(app.url("/oauth/authorize"))
        .header("origin", "https://evil.example")
        .form(&[
            ("request", field(&page, "request")),
            ("csrf", field(&page, "csrf")),
            ("decision", "allow".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 400);
    let account = browser
        .post(app.url("/account"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf", field(&page, "csrf")),
            ("action", "sign_out".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 400, "the session stays");
    let subject = store
        .credential(ALICE, "google")
        .await
        .unwrap()
        .unwrap()
        .account_subject
        .unwrap();
    assert!(
        store
            .consent(&subject, CLIENT, ADS)
            .await
            .unwrap()
            .is_none()
    );

    let denied = allow(&app, &browser, &page, "deny").await;
    let params = query_of(&location(&denied));
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "d");
    assert!(
        store
            .consent(&subject, CLIENT, ADS)
            .await
            .unwrap()
            .is_none()
    );
}

async fn the_users_page_lists_and_revokes_clients_and_connections(backend: Backend) {
    let (app, store) = setup(backend).await;
    let browser = browser();
    let (consent, _) =
        through_google(&app, &browser, &authorize_query(ADS, REDIRECT, "p"), ALICE).await;
    let page = consent.text().await.unwrap();
    location(&allow(&app, &browser, &page, "allow").await);

    let account = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(account.status(), 200);
    let page = account.text().await.unwrap();
    assert!(page.contains(ALICE) && page.contains("Google") && page.contains(ADS_SCOPE));
    assert!(
        page.contains("Test &lt;MCP&gt; Client") && page.contains(ADS),
        "{page}"
    );
    let csrf = field(&page, "csrf");

    let post = |form: Vec<(&'static str, String)>| account_form(&app, &browser, form);
    // A forged form changes nothing.
    let forged = post(vec![
        ("csrf", "x".repeat(43)),
        ("action", "revoke_client".into()),
        ("target", CLIENT.into()),
    ])
    .await;
    assert_eq!(forged.status(), 400);
    let subject = store
        .credential(ALICE, "google")
        .await
        .unwrap()
        .unwrap()
        .account_subject
        .unwrap();
    assert!(
        store
            .consent(&subject, CLIENT, ADS)
            .await
            .unwrap()
            .is_some()
    );

    // Revoking the client forgets the consent: the next request asks again.
    let revoked = post(vec![
        ("csrf", csrf.clone()),
        ("action", "revoke_client".into()),
        ("target", CLIENT.into()),
    ])
    .await;
    assert_eq!(revoked.status(), 303);
    assert!(
        store
            .consent(&subject, CLIENT, ADS)
            .await
            .unwrap()
            .is_none()
    );
    let again = browser
        .get(app.url(&format!(
            "/oauth/authorize?{}",
            authorize_query(ADS, REDIRECT, "q")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "the consent page again");

    // Disconnecting Google deletes the grant: the MCP server's key gets a sign-in link.
    let disconnected = post(vec![
        ("csrf", csrf.clone()),
        ("action", "revoke_connection".into()),
        ("target", "google".into()),
    ])
    .await;
    assert_eq!(disconnected.status(), 303);
    assert!(store.credential(ALICE, "google").await.unwrap().is_none());
    assert_ne!(app.token(ALICE).await.status(), 200);
}

async fn signing_out_ends_the_browser_session(backend: Backend) {
    let (app, _store) = setup(backend).await;
    let browser = browser();
    let (consent, _) =
        through_google(&app, &browser, &authorize_query(ADS, REDIRECT, "p"), ALICE).await;
    assert_eq!(consent.status(), 200);
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field(&page, "csrf");
    let post = |form: Vec<(&'static str, String)>| account_form(&app, &browser, form);

    // Signing out ends the session: the page offers a sign-in, authorize goes to Google.
    let out = post(vec![("csrf", csrf.clone()), ("action", "sign_out".into())]).await;
    assert_eq!(out.status(), 303);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/account/sign-in"), "{page}");
    let fresh = browser
        .get(app.url(&format!(
            "/oauth/authorize?{}",
            authorize_query(ADS, REDIRECT, "r")
        )))
        .send()
        .await
        .unwrap();
    assert!(
        location(&fresh)
            .as_str()
            .starts_with(&app.emulator.auth_url())
    );
}

async fn account_form(
    app: &TestApp,
    browser: &reqwest::Client,
    form: Vec<(&'static str, String)>,
) -> reqwest::Response {
    browser
        .post(app.url("/account"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Two replicas on one database: the browser session, consent, codes and refresh tokens
/// live in the store, so any replica serves any step and single use holds across them.
async fn every_step_works_on_any_replica_and_single_use_holds_across_them(backend: Backend) {
    let (app, _store) = setup(backend).await;
    let other = app.replica().await;
    let browser = browser();
    // Sign in through the first replica; the resumed request lands on the second.
    let first = browser
        .get(app.url(&format!(
            "/oauth/authorize?{}",
            authorize_query(ADS, REDIRECT, "x")
        )))
        .send()
        .await
        .unwrap();
    app.emulator.state().sign_in_as(Some(ALICE.into()));
    let back = follow(&app, &browser, &location(&first)).await;
    let resumed = follow(&app, &browser, &location(&back)).await;
    let again = location(&resumed);
    let consent = browser
        .get(format!(
            "{other}{}?{}",
            again.path(),
            again.query().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        consent.status(),
        200,
        "the session is known to the other replica"
    );
    let page = consent.text().await.unwrap();
    let code = query_of(&location(&allow(&app, &browser, &page, "allow").await))["code"].clone();

    // Redeemed on one replica, replayed on the other: refused.
    let form = code_form;
    let post = |base: String, form: Vec<(&'static str, String)>| {
        let http = app.http.clone();
        async move {
            http.post(format!("{base}/oauth/token"))
                .form(&form)
                .send()
                .await
                .unwrap()
        }
    };
    let tokens: serde_json::Value = post(other.clone(), form(&code)).await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(post(app.address.clone(), form(&code)).await.status(), 400);

    // The replay revoked the grant: its refresh token is dead on both replicas.
    assert_eq!(
        post(app.address.clone(), refresh_form(&refresh))
            .await
            .status(),
        400
    );
    assert_eq!(
        post(other.clone(), refresh_form(&refresh)).await.status(),
        400
    );

    // A new authorization (consent remembered: straight back with a code). Its refresh
    // token rotated on one replica is a reuse on the other, which ends the family.
    let direct = browser
        .get(format!(
            "{other}/oauth/authorize?{}",
            authorize_query(ADS, REDIRECT, "y")
        ))
        .send()
        .await
        .unwrap();
    let code = query_of(&location(&direct))["code"].clone();
    let tokens: serde_json::Value = post(app.address.clone(), form(&code))
        .await
        .json()
        .await
        .unwrap();
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let rotated = post(app.address.clone(), refresh_form(&first)).await;
    assert_eq!(rotated.status(), 200);
    let rotated: serde_json::Value = rotated.json().await.unwrap();
    let second = rotated["refresh_token"].as_str().unwrap().to_owned();
    // Past the grace for a lost response, the old token comes back on the other replica.
    app.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(
        post(other.clone(), refresh_form(&first)).await.status(),
        400
    );
    assert_eq!(
        post(app.address.clone(), refresh_form(&second))
            .await
            .status(),
        400
    );
}

fn code_form(code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("code_verifier", VERIFIER.to_owned()),
        ("client_id", CLIENT.to_owned()),
    ]
}

fn refresh_form(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", token.to_owned()),
        ("client_id", CLIENT.to_owned()),
    ]
}
