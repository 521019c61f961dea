//! The resource guard against a real gateway (authorization server) and the emulator:
//! RFC 9728 metadata, the RFC 6750 challenges, local token checks (tampering, expiry,
//! audience, unknown keys and the JWKS refetch limit) and the verified user in a tool.

use crate::support::oauth::AuthServer;
use crate::support::protected;
use crate::support::proxy::CountingProxy;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_auth_client::resource::{ResourceGuard, TokenRejection};
use rmcp::ServiceExt as _;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

const ALICE: &str = "alice@example.com";

/// The gateway, a counting proxy in front of its JWKS, and the guarded MCP server
/// (registered at the gateway under its loopback URI).
struct Setup {
    auth: AuthServer,
    jwks: CountingProxy,
    guard: ResourceGuard,
    origin: String,
    resource: String,
}

async fn setup() -> Setup {
    let auth = AuthServer::start().await;
    let jwks = CountingProxy::start(&auth.url).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let resource = format!("{origin}/mcp");
    auth.add_resource(&resource, "Guarded test server").await;
    let guard = ResourceGuard::builder(&auth.url, &resource)
        .resource_name("Guarded test server")
        .jwks_uri(format!("{}/oauth/jwks", jwks.url))
        .clock(auth.clock())
        .build()
        .unwrap();
    protected::serve(listener, &guard);
    Setup {
        auth,
        jwks,
        guard,
        origin,
        resource,
    }
}

impl Setup {
    /// POSTs an MCP `initialize` with `token` as bearer (or none).
    async fn post(&self, token: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .post(&self.resource)
            .header("accept", "application/json, text/event-stream")
            .json(&serde_json::json!({
                "jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "t", "version": "0"}}
            }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    fn challenge(&self, error: &str) -> String {
        format!(
            "Bearer resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\", scope=\"{}\"{error}",
            self.origin,
            self.guard.scope()
        )
    }
}

fn www_authenticate(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

/// `token` with its header's `kid` replaced (the signature no longer matters: the key
/// is looked up first).
fn with_kid(token: &str, kid: &str) -> String {
    let (header, rest) = token.split_once('.').unwrap();
    let mut header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"] = kid.into();
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_served_at_the_root_and_path_inserted_well_known_urls() {
    let setup = setup().await;
    let expected = serde_json::json!({
        "resource": setup.resource,
        "authorization_servers": [setup.auth.url],
        "scopes_supported": [format!("mcp:{}", setup.resource.trim_start_matches("http://"))],
        "bearer_methods_supported": ["header"],
        "resource_name": "Guarded test server",
    });
    for path in [
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ] {
        let response = reqwest::get(format!("{}{path}", setup.origin))
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body, expected, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_challenge_points_to_the_metadata() {
    let setup = setup().await;
    let response = setup.post(None).await;
    assert_eq!(response.status(), 401);
    assert_eq!(www_authenticate(&response), setup.challenge(""));
    let basic = reqwest::Client::new()
        .post(&setup.resource)
        .basic_auth("user", Some("password"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401, "only Bearer counts");
    let get = reqwest::get(&setup.resource).await.unwrap();
    assert_eq!(
        get.status(),
        401,
        "every method but a CORS preflight needs the token"
    );
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, &setup.resource)
        .send()
        .await
        .unwrap();
    assert_ne!(
        preflight.status(),
        401,
        "a preflight carries no credentials"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_token_reaches_the_tool_as_the_verified_user() {
    let setup = setup().await;
    let token = setup.auth.access_token(&setup.resource, ALICE).await;
    let config = StreamableHttpClientTransportConfig::with_uri(setup.resource.clone())
        .auth_header(token.clone());
    let client = ().serve(StreamableHttpClientTransport::from_config(config)).await.unwrap();
    let result = test_kit::mcp::call(&client, "whoami", serde_json::json!({}))
        .await
        .unwrap();
    let text = test_kit::mcp::text_of(&result);
    assert!(text.contains(&format!("email={ALICE}")), "{text}");
    assert!(
        text.contains(&format!("scopes={}", setup.guard.scope())),
        "{text}"
    );
    let user = setup.guard.verify(&token).await.unwrap();
    assert!(
        !user.subject.is_empty() && !user.client_id.is_empty(),
        "{user:?}"
    );
    assert!(
        text.contains(&format!("subject={} ", user.subject)),
        "{text}"
    );
    assert!(
        text.contains(&format!("client={} ", user.client_id)),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_token_is_an_invalid_token() {
    let setup = setup().await;
    let token = setup.auth.access_token(&setup.resource, ALICE).await;
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["email"] = "mallory@example.com".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    let response = setup.post(Some(&forged)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        www_authenticate(&response),
        setup.challenge(
            ", error=\"invalid_token\", error_description=\"access token refused: invalid signature or claims\""
        )
    );
    assert_eq!(setup.post(Some("not-a-jwt")).await.status(), 401);
    assert_eq!(
        setup.post(Some(&token)).await.status(),
        200,
        "the genuine one passes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refused_once_the_skew_has_passed() {
    let setup = setup().await;
    let token = setup.auth.access_token(&setup.resource, ALICE).await;
    // The gateway's default lifetime is an hour; 59 s of skew past it still passes.
    setup
        .auth
        .clock
        .advance(chrono::Duration::seconds(3600 + 59));
    assert_eq!(setup.post(Some(&token)).await.status(), 200);
    setup.auth.clock.advance(chrono::Duration::seconds(2));
    let response = setup.post(Some(&token)).await;
    assert_eq!(response.status(), 401);
    assert!(
        www_authenticate(&response).contains(
            "error=\"invalid_token\", error_description=\"access token refused: expired\""
        ),
        "{}",
        www_authenticate(&response)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_resource_is_refused() {
    let setup = setup().await;
    let other = "http://127.0.0.1:9/other/mcp";
    setup.auth.add_resource(other, "Another server").await;
    let token = setup.auth.access_token(other, ALICE).await;
    let response = setup.post(Some(&token)).await;
    assert_eq!(response.status(), 401);
    assert!(
        www_authenticate(&response).contains("issued for another resource"),
        "{}",
        www_authenticate(&response)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_kid_refetches_the_jwks_at_most_once_a_minute_and_once_for_all_waiting() {
    let setup = setup().await;
    let token = setup.auth.access_token(&setup.resource, ALICE).await;
    assert_eq!(setup.post(Some(&token)).await.status(), 200);
    assert_eq!(setup.jwks.requests(), 1, "first use fetches the set");
    assert_eq!(setup.post(Some(&token)).await.status(), 200);
    assert_eq!(setup.jwks.requests(), 1, "then it is cached (max-age 300)");

    setup.auth.clock.advance(chrono::Duration::seconds(61));
    let response = setup.post(Some(&with_kid(&token, "rotated-1"))).await;
    assert_eq!(response.status(), 401);
    assert!(www_authenticate(&response).contains("signed by an unknown key"));
    assert_eq!(setup.jwks.requests(), 2, "an unknown kid refetches once");
    let response = setup.post(Some(&with_kid(&token, "rotated-2"))).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        setup.jwks.requests(),
        2,
        "a second unknown kid within the minute does not"
    );

    // A minute later, many unknown kids at once share one fetch.
    setup.auth.clock.advance(chrono::Duration::seconds(61));
    let checks = (0..8).map(|n| {
        let guard = setup.guard.clone();
        let forged = with_kid(&token, &format!("burst-{n}"));
        tokio::spawn(async move { guard.verify(&forged).await })
    });
    for outcome in futures::future::join_all(checks).await {
        assert_eq!(outcome.unwrap().err(), Some(TokenRejection::UnknownKey));
    }
    assert_eq!(setup.jwks.requests(), 3, "one fetch for the burst");
    assert_eq!(
        setup.post(Some(&token)).await.status(),
        200,
        "known keys still work"
    );
}

/// rmcp's own OAuth client (feature `auth`) adds the guarded server by its URL alone:
/// RFC 9728 → RFC 8414 discovery, dynamic registration, PKCE, consent, the RFC 9207 `iss`
/// check, a tool call as the verified user, a refresh; the replaced refresh token, used
/// again, is refused and ends the family (rmcp's next refresh fails too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rmcps_oauth_client_signs_in_calls_refreshes_and_a_replay_ends_the_family() {
    use oauth2::TokenResponse as _;
    use rmcp::transport::auth::{AuthorizationRequest, OAuthState};

    let setup = setup().await;
    let redirect = "http://127.0.0.1:48123/callback";
    let mut oauth = OAuthState::new(setup.resource.as_str(), None)
        .await
        .unwrap();
    oauth
        .start_authorization(
            AuthorizationRequest::new(redirect).with_client_name("rmcp OAuth client"),
        )
        .await
        .unwrap();
    let start = oauth.get_authorization_url().await.unwrap();
    assert!(
        start.contains("resource="),
        "rmcp sends the RFC 8707 resource: {start}"
    );
    let back = setup.auth.walk(&start, redirect, ALICE).await;
    oauth.handle_callback_url(&back).await.unwrap();
    let manager = oauth.into_authorization_manager().unwrap();

    let token = manager.get_access_token().await.unwrap();
    let config = StreamableHttpClientTransportConfig::with_uri(setup.resource.clone())
        .auth_header(token.clone());
    let client = ().serve(StreamableHttpClientTransport::from_config(config)).await.unwrap();
    let result = test_kit::mcp::call(&client, "whoami", serde_json::json!({}))
        .await
        .unwrap();
    assert!(test_kit::mcp::text_of(&result).contains(&format!("email={ALICE}")));

    let (client_id, first) = manager.get_credentials().await.unwrap();
    let first = first.unwrap().refresh_token().unwrap().secret().clone();
    manager.refresh_token().await.unwrap();
    let (_, second) = manager.get_credentials().await.unwrap();
    let second = second.unwrap();
    assert_ne!(second.refresh_token().unwrap().secret(), &first, "rotated");
    assert_ne!(second.access_token().secret(), &token);

    // Past the grace for a lost response, the first refresh token comes back: a theft.
    setup.auth.clock.advance(chrono::Duration::minutes(2));
    let replay = reqwest::Client::new()
        .post(format!("{}/oauth/token", setup.auth.url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", first.as_str()),
            ("client_id", client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 400);
    let body: serde_json::Value = replay.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(manager.refresh_token().await.is_err(), "the family ended");
}
