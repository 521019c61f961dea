//! Google's OAuth 2.0 / `OpenID` Connect endpoints: discovery, authorization,
//! token, revocation and userinfo, with Google's wire formats.

mod authorize;
mod revoke;
mod token;
mod userinfo;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::state::EmulatorState;

/// Path of the authorization endpoint.
pub const AUTH_PATH: &str = "/o/oauth2/v2/auth";
/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/token";
/// Path of the revocation endpoint.
pub const REVOKE_PATH: &str = "/revoke";
/// Path of the userinfo endpoint advertised in discovery.
pub const USERINFO_PATH: &str = "/v1/userinfo";
/// Path of the (empty) key set advertised in discovery.
pub const JWKS_PATH: &str = "/oauth2/v3/certs";

/// Routes of every OAuth endpoint.
pub(crate) fn router() -> Router<EmulatorState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route(JWKS_PATH, get(jwks))
        .route(AUTH_PATH, get(authorize::authorize))
        .route(TOKEN_PATH, axum::routing::post(token::token))
        .route(REVOKE_PATH, get(revoke::revoke).post(revoke::revoke))
        .route(USERINFO_PATH, get(userinfo::userinfo))
        .route("/oauth2/v3/userinfo", get(userinfo::userinfo))
}

/// A JSON body with the headers Google's token endpoints send, including the
/// no-cache pair RFC 6749 §5.1 requires.
pub(crate) fn google_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, max-age=0, must-revalidate"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `{"error": .., "error_description": ..}` in Google's format.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    google_json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// Parses an `application/x-www-form-urlencoded` string; the first value of a
/// repeated key wins.
pub(crate) fn parse_form(input: &[u8]) -> std::collections::HashMap<String, String> {
    let mut map = std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(input) {
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

/// Whether a granted scope list includes `OpenID` Connect.
pub(crate) fn has_openid(scopes: &[String]) -> bool {
    scopes.iter().any(|s| s == "openid")
}

/// Whether a granted scope list includes profile claims.
pub(crate) fn has_profile(scopes: &[String]) -> bool {
    scopes
        .iter()
        .any(|s| s == "profile" || s == "https://www.googleapis.com/auth/userinfo.profile")
}

async fn discovery(State(state): State<EmulatorState>) -> Response {
    let (issuer, base) = {
        let inner = state.lock();
        (inner.issuer.clone(), inner.base_url.clone())
    };
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}{AUTH_PATH}"),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{base}{USERINFO_PATH}"),
        "revocation_endpoint": format!("{base}{REVOKE_PATH}"),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": [
            "aud", "email", "email_verified", "exp", "family_name", "given_name",
            "iat", "iss", "name", "picture", "sub"
        ],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
    }))
    .into_response()
}

/// The emulator signs nothing for real (see `jwt`), so its key set is empty.
async fn jwks() -> Response {
    Json(json!({"keys": []})).into_response()
}
