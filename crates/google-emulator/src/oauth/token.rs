//! `POST /token`: the `authorization_code` and `refresh_token` grants, with
//! Google's client authentication, error bodies and forced failures.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{google_json, has_openid, has_profile, oauth_error, parse_form};
use crate::jwt::{self, IdTokenInput};
use crate::state::{EmulatorState, Inner, PkceMethod};

pub(super) async fn token(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = state.lock().settings.latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let params = parse_form(&body);
    let mut inner = state.lock();

    if let Some(status) = inner.take_forced_failure() {
        return forced_failure(status);
    }
    if let Err(response) = authenticate_client(&inner, &headers, &params) {
        return *response;
    }
    match params.get("grant_type").map(String::as_str) {
        None | Some("") => missing("grant_type"),
        Some("authorization_code") => exchange_code(&mut inner, &params),
        Some("refresh_token") => refresh(&mut inner, &params),
        Some(other) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {other}"),
        ),
    }
}

fn forced_failure(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::TOO_MANY_REQUESTS {
        oauth_error(status, "rate_limit_exceeded", "Rate Limit Exceeded")
    } else {
        oauth_error(status, "internal_failure", "Backend Error")
    }
}

fn missing(param: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        &format!("Missing required parameter: {param}"),
    )
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// `client_secret_post` or `client_secret_basic` (RFC 6749 §2.3.1: Basic
/// credentials are form-encoded before base64).
fn authenticate_client(
    inner: &Inner,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
) -> Result<(), Box<Response>> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b64| STANDARD.decode(b64).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            let (id, secret) = s.split_once(':')?;
            Some((form_decode(id), form_decode(secret)))
        });
    let (id, secret) = match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            params.get("client_id").cloned(),
            params.get("client_secret").cloned(),
        ),
    };
    let Some(id) = id.filter(|i| !i.is_empty()) else {
        return Err(Box::new(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Could not determine client ID from request.",
        )));
    };
    if id != inner.client_id {
        return Err(Box::new(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
        )));
    }
    if secret.as_deref() != Some(inner.client_secret.as_str()) {
        return Err(Box::new(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unauthorized",
        )));
    }
    Ok(())
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn exchange_code(inner: &mut Inner, params: &HashMap<String, String>) -> Response {
    let Some(code) = params.get("code").filter(|c| !c.is_empty()) else {
        return missing("code");
    };
    let Some(redirect_uri) = params.get("redirect_uri").filter(|r| !r.is_empty()) else {
        return missing("redirect_uri");
    };
    let Some(record) = inner.codes.get(code) else {
        return invalid_grant("Bad Request");
    };
    if std::time::Instant::now() >= record.expires_at || record.client_id != inner.client_id {
        return invalid_grant("Bad Request");
    }
    if &record.redirect_uri != redirect_uri {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "Bad Request",
        );
    }
    if let Some((challenge, method)) = &record.challenge {
        let Some(verifier) = params.get("code_verifier") else {
            return invalid_grant("Missing code verifier.");
        };
        let computed = match method {
            PkceMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            PkceMethod::Plain => verifier.clone(),
        };
        if &computed != challenge {
            return invalid_grant("Bad Request");
        }
    }
    // Only a successful exchange burns the code, so a client can retry after
    // fixing a bad verifier, but never redeem the same code twice.
    let Some(record) = inner.codes.remove(code) else {
        return invalid_grant("Bad Request");
    };
    let grant_id = inner.new_grant(&record);
    inner.counters.code_exchanges += 1;
    let refresh_token = inner
        .grants
        .get(&grant_id)
        .and_then(|g| g.refresh_token.clone());
    success(
        inner,
        grant_id,
        None,
        refresh_token,
        record.nonce.as_deref(),
    )
}

fn refresh(inner: &mut Inner, params: &HashMap<String, String>) -> Response {
    let Some(token) = params.get("refresh_token").filter(|t| !t.is_empty()) else {
        return missing("refresh_token");
    };
    let expired = "Token has been expired or revoked.";
    if inner.settings.force_invalid_grant {
        return invalid_grant(expired);
    }
    let Some(grant_id) = inner.refresh_tokens.get(token).copied() else {
        return invalid_grant(expired);
    };
    let narrowed = match narrowed_scopes(inner, grant_id, params.get("scope")) {
        Ok(narrowed) => narrowed,
        Err(response) => return *response,
    };
    let rotated = if inner.settings.rotate_refresh_tokens {
        let fresh = crate::ids::refresh_token();
        inner.refresh_tokens.remove(token);
        inner.refresh_tokens.insert(fresh.clone(), grant_id);
        if let Some(grant) = inner.grants.get_mut(&grant_id) {
            grant.refresh_token = Some(fresh.clone());
        }
        Some(fresh)
    } else {
        None
    };
    inner.counters.refreshes += 1;
    success(inner, grant_id, narrowed, rotated, None)
}

/// The `scope` of a refresh request (RFC 6749 §6): absent or empty means the whole
/// grant; a subset of the granted scopes gets a token with only those; anything not
/// granted is refused as `invalid_scope`, and nothing is minted. This is how Google's
/// token endpoint treats a refresh's `scope`, which its client libraries send (and
/// whose answer's `scope` they read); its refresh guide does not list the parameter.
fn narrowed_scopes(
    inner: &Inner,
    grant_id: u64,
    requested: Option<&String>,
) -> Result<Option<Vec<String>>, Box<Response>> {
    let Some(requested) = requested.filter(|scope| !scope.trim().is_empty()) else {
        return Ok(None);
    };
    let granted = inner
        .grants
        .get(&grant_id)
        .map(|grant| grant.scopes.as_slice())
        .unwrap_or_default();
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested.split_whitespace() {
        if !granted.iter().any(|g| g == scope) {
            return Err(Box::new(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                &format!("Some requested scopes were invalid. {{invalid=[{scope}]}}"),
            )));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    Ok(Some(scopes))
}

/// The audience of an `id_token` issued under [`crate::EmulatorState::issue_foreign_next_id_token`].
const FOREIGN_CLIENT_ID: &str = "another-client.apps.googleusercontent.com";

/// The 200 body: a fresh access token carrying `narrowed` scopes (else the grant's),
/// plus the refresh token and `id_token` when they apply.
fn success(
    inner: &mut Inner,
    grant_id: u64,
    narrowed: Option<Vec<String>>,
    refresh_token: Option<String>,
    nonce: Option<&str>,
) -> Response {
    let Some(mut grant) = inner.grants.get(&grant_id).cloned() else {
        return invalid_grant("Token has been expired or revoked.");
    };
    if let Some(narrowed) = narrowed {
        grant.scopes = narrowed;
    }
    let (access_token, expires_in) = inner.mint_access_token(grant_id, grant.scopes.clone());
    let mut body = Map::new();
    body.insert("access_token".into(), access_token.clone().into());
    body.insert("expires_in".into(), expires_in.into());
    body.insert("token_type".into(), "Bearer".into());
    body.insert("scope".into(), grant.scopes.join(" ").into());
    if let Some(rt) = refresh_token {
        body.insert("refresh_token".into(), rt.into());
    }
    if has_openid(&grant.scopes) {
        let account = inner.account_or_create(&grant.email);
        let issued_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // A test control: the token is meant for another client (wrong `aud`/`azp`).
        let foreign = inner.settings.foreign_id_tokens > 0;
        inner.settings.foreign_id_tokens = inner.settings.foreign_id_tokens.saturating_sub(1);
        let client_id = if foreign {
            FOREIGN_CLIENT_ID
        } else {
            grant.client_id.as_str()
        };
        let id_token = jwt::id_token(
            &account,
            &IdTokenInput {
                issuer: &inner.issuer,
                client_id,
                access_token: &access_token,
                nonce,
                include_profile: has_profile(&grant.scopes),
                issued_at,
            },
        );
        body.insert("id_token".into(), id_token.into());
    }
    google_json(StatusCode::OK, &Value::Object(body))
}
