//! Behind an https public URL the browser-binding cookie is `__Host-` prefixed and
//! `Secure`, only the prefixed cookie binds a flow, and pages carry HSTS (issue 16,
//! finding 7; docs/threat-model.md C1).

use crate::support::app::TestApp;
use crate::support::db::Backend;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE, STRICT_TRANSPORT_SECURITY};
use url::Url;

/// Redirects are stepped by hand, and cookies sent by hand, so the test sees both names.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND);
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_https_public_url_gives_a_host_prefixed_secure_cookie_and_hsts() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("AUTH_GATEWAY_PUBLIC_URL", "https://gateway.example.test")],
    )
    .await;
    let link = app.init("hsts@example.com").await;
    let auth_url = Url::parse(link["auth_url"].as_str().unwrap()).unwrap();
    assert_eq!(auth_url.scheme(), "https");
    let http = bare_client();
    // The TLS terminator in front would hand this request on as it is.
    let connect = http.get(app.url(auth_url.path())).send().await.unwrap();
    let cookie = connect.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        connect.headers()[STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    let simple = uuid::Uuid::parse_str(link["session_id"].as_str().unwrap())
        .unwrap()
        .simple();
    let prefixed = format!("__Host-gw_flow_{simple}");
    assert!(cookie.starts_with(&format!("{prefixed}=")), "{cookie}");
    for attribute in ["; Secure", "; Path=/", "; HttpOnly", "; SameSite=Lax"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();

    let authorize = location(&connect);
    let callback = location(&http.get(authorize).send().await.unwrap());
    // The same value under the unprefixed name (settable by a sibling host) binds nothing.
    let unprefixed = http
        .get(&callback)
        .header(COOKIE, format!("gw_flow_{simple}={value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(unprefixed.status(), 400);
    let page = http
        .get(&callback)
        .header(COOKIE, format!("{prefixed}={value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key(STRICT_TRANSPORT_SECURITY));
    assert!(page.text().await.unwrap().contains("Signed in"));
}

#[tokio::test]
async fn an_http_public_url_keeps_the_plain_cookie_and_sends_no_hsts() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let link = app.init("plain@example.com").await;
    let connect = bare_client()
        .get(link["auth_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let cookie = connect.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("gw_flow_"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(!connect.headers().contains_key(STRICT_TRANSPORT_SECURITY));
}
