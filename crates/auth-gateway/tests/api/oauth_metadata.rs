//! The authorization server metadata (RFC 8414) through real HTTP: the exact issuer,
//! the endpoints that exist, one scope per registered resource, both well-known names,
//! and the path-inserted form for a public URL with a path.

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::oauth::add_resource;
use serde_json::{Value, json};

on_both_backends!(
    the_metadata_names_the_issuer_endpoints_and_one_scope_per_resource,
    a_public_url_with_a_path_gets_the_path_inserted_metadata,
);

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).send().await.unwrap()
}

async fn the_metadata_names_the_issuer_endpoints_and_one_scope_per_resource(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    add_resource(&app, "https://ads.example.com/mcp").await;
    add_resource(&app, "https://analytics.example.com").await;
    let response = get(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "public, max-age=60");
    let metadata: Value = response.json().await.unwrap();
    let issuer = app.address.clone();
    assert!(!issuer.ends_with('/'));
    assert_eq!(
        metadata,
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/oauth/authorize"),
            "token_endpoint": format!("{issuer}/oauth/token"),
            "jwks_uri": format!("{issuer}/oauth/jwks"),
            "registration_endpoint": format!("{issuer}/oauth/register"),
            "revocation_endpoint": format!("{issuer}/oauth/revoke"),
            "introspection_endpoint": format!("{issuer}/oauth/introspect"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:token-exchange"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["mcp:ads.example.com/mcp", "mcp:analytics.example.com"],
            "authorization_response_iss_parameter_supported": true,
            "client_id_metadata_document_supported": true,
        })
    );
    let openid: Value = get(&app, "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(openid, metadata);
    // No path in the public URL: no path-inserted form.
    assert_eq!(
        get(&app, "/.well-known/oauth-authorization-server/x")
            .await
            .status(),
        404
    );
}

async fn a_public_url_with_a_path_gets_the_path_inserted_metadata(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        &[("AUTH_GATEWAY_PUBLIC_URL", "https://gw.example.com/gw/")],
    )
    .await;
    for path in [
        "/.well-known/oauth-authorization-server/gw",
        "/.well-known/openid-configuration/gw",
        "/.well-known/oauth-authorization-server",
    ] {
        let response = get(&app, path).await;
        assert_eq!(response.status(), 200, "{path}");
        let metadata: Value = response.json().await.unwrap();
        assert_eq!(metadata["issuer"], "https://gw.example.com/gw");
        assert_eq!(
            metadata["token_endpoint"],
            "https://gw.example.com/gw/oauth/token"
        );
    }
    assert_eq!(
        get(&app, "/.well-known/oauth-authorization-server/other")
            .await
            .status(),
        404
    );
}
