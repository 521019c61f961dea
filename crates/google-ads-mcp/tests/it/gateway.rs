//! Gateway mode (`MCP_AUTH=gateway`): the server behind the resource guard, a real
//! gateway as authorization server and the emulator as Google. The user of every call
//! is the one the access token names; Google tokens come by token exchange.

use crate::support::{call_ok, text_of};
use google_ads_mcp::{AdsConfig, AdsServer};
use google_emulator::sample_ads_customers;
use google_mcp_common::transport::serve_http_guarded;
use google_mcp_common::{Access, AuthMode};
use rmcp::ClientHandler;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationCapability, ErrorData, Implementation, ProtocolVersion,
    UrlElicitationCapability,
};
use rmcp::service::{RequestContext, RoleClient};
use secrecy::ExposeSecret;
use serde_json::json;
use test_kit::mcp;
use test_kit::oauth::AuthServer;

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";

/// A gateway-mode server on a free port; returns its resource URL (`…/mcp`).
async fn serve_guarded(auth: &AuthServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bind = listener.local_addr().unwrap();
    let resource = format!("http://{bind}/mcp");
    auth.add_resource(&resource, "Google Ads").await;
    let key = auth.server_key.expose_secret().to_owned();
    let vars = [
        ("AUTH_GATEWAY_URL", auth.url.clone()),
        ("AUTH_GATEWAY_API_KEY", key.clone()),
        ("MCP_RESOURCE_URL", resource.clone()),
        ("GOOGLE_ADS_API_URL", auth.emulator.base_url()),
    ];
    let var = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    let access = Access::resolve(Some(AuthMode::Gateway), true, bind, var).unwrap();
    let config = AdsConfig::from_vars(var).unwrap();
    let client = test_kit::auth_client_for(&auth.url, &key);
    let server = AdsServer::with_access(&config, client, &access).unwrap();
    tokio::spawn(serve_http_guarded(
        move || server.clone(),
        listener,
        Vec::new(),
        access.guard,
        std::future::pending(),
    ));
    resource
}

#[tokio::test]
async fn each_caller_sees_only_their_own_accounts_through_one_shared_server() {
    let auth = AuthServer::start().await;
    let resource = serve_guarded(&auth).await;
    // Bob reaches one account of his own; Ana the sample accounts.
    let bobs = sample_ads_customers()
        .into_iter()
        .find(|customer| !customer.manager && customer.descriptive_name != "Acme Agency MCC")
        .unwrap();
    auth.emulator
        .state()
        .set_ads_customers(BOB, vec![bobs.clone()]);

    let ana = mcp::connect_http_with_token(&resource, &auth.access_token(&resource, ANA).await)
        .await
        .unwrap();
    let bob = mcp::connect_http_with_token(&resource, &auth.access_token(&resource, BOB).await)
        .await
        .unwrap();

    let tools = ana.list_all_tools().await.unwrap();
    for tool in &tools {
        let properties = &tool.input_schema["properties"];
        assert!(
            properties.get("user_email").is_none(),
            "{}: {properties}",
            tool.name
        );
    }

    let anas = text_of(&call_ok(&ana, "list_accounts", json!({})).await);
    assert!(anas.contains("Acme Agency MCC"), "{anas}");
    let bobs_text = text_of(&call_ok(&bob, "list_accounts", json!({})).await);
    assert!(bobs_text.contains(&bobs.descriptive_name), "{bobs_text}");
    assert!(!bobs_text.contains("Acme Agency MCC"), "{bobs_text}");

    // Naming someone else is refused: the token says who calls.
    let refused = mcp::call(&bob, "list_accounts", json!({"user_email": ANA}))
        .await
        .unwrap();
    assert!(mcp::is_error(&refused), "{}", text_of(&refused));
    assert!(
        text_of(&refused).contains("signed in as bob@example.com"),
        "{}",
        text_of(&refused)
    );
    ana.cancel().await.unwrap();
    bob.cancel().await.unwrap();
}

#[tokio::test]
async fn no_token_or_a_token_for_another_server_gets_401_with_the_challenge() {
    let auth = AuthServer::start().await;
    let resource = serve_guarded(&auth).await;
    let other = "http://127.0.0.1:9/mcp";
    auth.add_resource(other, "Another server").await;
    let http = reqwest::Client::new();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}});
    let post = |token: Option<String>| {
        let mut request = http
            .post(&resource)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let bare = post(None).await.unwrap();
    assert_eq!(bare.status(), 401);
    let challenge = bare.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("resource_metadata="), "{challenge}");

    let foreign = auth.access_token(other, ANA).await;
    let refused = post(Some(foreign)).await.unwrap();
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("invalid_token"), "{challenge}");

    // The metadata clients start discovery at is served outside the guard.
    let metadata: serde_json::Value = http
        .get(resource.replace("/mcp", "/.well-known/oauth-protected-resource/mcp"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["resource"], resource);
    assert_eq!(metadata["authorization_servers"][0], auth.url);
}

#[tokio::test]
async fn a_caller_who_has_not_connected_google_gets_the_sign_in_link() {
    let auth = AuthServer::start().await;
    let resource = serve_guarded(&auth).await;
    let ana = mcp::connect_http_with_token(&resource, &auth.access_token(&resource, ANA).await)
        .await
        .unwrap();
    let owner = test_kit::auth_client_for(&auth.url, auth.server_key.expose_secret());
    owner.revoke("google", ANA).await.unwrap();
    let answer = mcp::call(&ana, "list_accounts", json!({})).await.unwrap();
    assert!(mcp::is_error(&answer), "{}", text_of(&answer));
    assert!(text_of(&answer).contains(&auth.url), "{}", text_of(&answer));
    ana.cancel().await.unwrap();
}

/// An MCP client whose person opens the sign-in link (in a browser) when asked.
#[derive(Clone)]
struct OpensTheLink;

impl ClientHandler for OpensTheLink {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::UrlElicitationParams { url, .. } = request else {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        // The person signs in while the tool call waits.
        tokio::spawn(async move { test_kit::follow(&url).await });
        Ok(ElicitResult::new(ElicitationAction::Accept))
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation =
            Some(ElicitationCapability::new().with_url(UrlElicitationCapability::new()));
        ClientConfig::new(capabilities, Implementation::new("opens-the-link", "1"))
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }
}

#[tokio::test]
async fn a_client_with_url_elicitation_gets_the_connect_link_and_the_call_completes() {
    let auth = AuthServer::start().await;
    let resource = serve_guarded(&auth).await;
    let token = auth.access_token(&resource, ANA).await;
    let owner = test_kit::auth_client_for(&auth.url, auth.server_key.expose_secret());
    owner.revoke("google", ANA).await.unwrap();
    auth.emulator.state().sign_in_as(Some(ANA.to_owned()));
    let ana = mcp::connect_http_with_token_as(OpensTheLink, &resource, &token)
        .await
        .unwrap();
    let call = ana.call_tool(CallToolRequestParams::new("list_accounts"));
    // A bound, not a synchronisation.
    let result = tokio::time::timeout(std::time::Duration::from_mins(1), call)
        .await
        .expect("the call ends")
        .unwrap();
    assert!(!mcp::is_error(&result), "{}", text_of(&result));
    assert!(
        text_of(&result).contains("Acme Agency MCC"),
        "{}",
        text_of(&result)
    );
    ana.cancel().await.unwrap();
}
