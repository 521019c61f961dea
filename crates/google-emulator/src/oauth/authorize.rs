//! `GET /o/oauth2/v2/auth`: validates the request like Google, picks the
//! account, records consent and redirects straight back with a code.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use url::Url;

use super::{AUTH_PATH, parse_form};
use crate::ids;
use crate::state::{AuthCode, EmulatorState, Inner, PkceMethod};

/// Google's authorization codes live ten minutes.
const CODE_LIFETIME: Duration = Duration::from_mins(10);

/// The validated parts of an authorization request.
struct AuthRequest {
    client_id: String,
    redirect_uri: Url,
    /// As sent: `/token` must match it exactly, not Url's normalised form.
    raw_redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    challenge: Option<(String, PkceMethod)>,
    nonce: Option<String>,
    offline: bool,
    include_granted_scopes: bool,
    prompt: Vec<String>,
    login_hint: Option<String>,
}

pub(super) async fn authorize(
    State(state): State<EmulatorState>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let params = parse_form(query.as_bytes());

    let mut inner = state.lock();
    let request = match validate(&inner, &params) {
        Ok(request) => request,
        Err(page) => return *page,
    };
    let prompt_none = request.prompt.iter().any(|p| p == "none");

    // Whose session is this? A forced account beats the hint, like a user who
    // picks a different account in Google's chooser.
    let email = match inner.settings.sign_in_as.take() {
        Some(email) => email,
        None => match &request.login_hint {
            Some(hint) => ids::normalize_email(hint),
            None if prompt_none => return error_redirect(&request, "login_required"),
            None => return account_chooser(&inner, &pairs),
        },
    };
    if std::mem::take(&mut inner.settings.deny_next) {
        return error_redirect(&request, "access_denied");
    }
    let account = inner.account_or_create(&email);

    let mut granted = request.scopes.clone();
    if let Some(only) = &inner.settings.grant_only_scopes {
        granted.retain(|s| only.contains(s));
    }
    let consent_key = (account.email.clone(), request.client_id.clone());
    let previous = inner.consents.get(&consent_key).cloned();
    if request.include_granted_scopes {
        for scope in previous.iter().flatten() {
            if !granted.contains(scope) {
                granted.push(scope.clone());
            }
        }
    }
    let prompt_consent = request.prompt.iter().any(|p| p == "consent");
    let first_consent = previous.is_none();
    let new_scopes = previous
        .as_ref()
        .is_none_or(|prev| granted.iter().any(|s| !prev.contains(s)));
    let consent_shown = prompt_consent || new_scopes;
    if prompt_none && consent_shown {
        return error_redirect(&request, "consent_required");
    }
    // Google hands out a refresh token only on the account's first consent
    // for this client, or when the app forces the consent screen again.
    let issue_refresh_token = request.offline && (first_consent || prompt_consent);

    let mut consented = previous.unwrap_or_default();
    for scope in &granted {
        if !consented.contains(scope) {
            consented.push(scope.clone());
        }
    }
    inner.consents.insert(consent_key, consented);

    let now = Instant::now();
    inner.codes.retain(|_, c| c.expires_at > now);
    let code = ids::authorization_code();
    inner.codes.insert(
        code.clone(),
        AuthCode {
            client_id: request.client_id.clone(),
            redirect_uri: request.raw_redirect_uri.clone(),
            challenge: request.challenge.clone(),
            scopes: granted.clone(),
            email: account.email.clone(),
            nonce: request.nonce.clone(),
            issue_refresh_token,
            expires_at: now + CODE_LIFETIME,
        },
    );
    inner.counters.authorizations += 1;
    drop(inner);
    tracing::info!(email = %account.email, refresh = issue_refresh_token, "authorization code issued");

    let mut location = request.redirect_uri.clone();
    {
        let mut q = location.query_pairs_mut();
        q.append_pair("code", &code)
            .append_pair("scope", &granted.join(" "))
            .append_pair("authuser", "0")
            .append_pair("prompt", if consent_shown { "consent" } else { "none" });
        if let Some(s) = &request.state {
            q.append_pair("state", s);
        }
    }
    found(&location)
}

fn validate(inner: &Inner, params: &HashMap<String, String>) -> Result<AuthRequest, Box<Response>> {
    let get = |k: &str| params.get(k).filter(|v| !v.is_empty()).cloned();
    let missing = |k: &str| {
        Box::new(error_page(
            "invalid_request",
            &format!("Missing required parameter: {k}"),
        ))
    };
    let client_id = get("client_id").ok_or_else(|| missing("client_id"))?;
    if client_id != inner.client_id {
        return Err(Box::new(error_page(
            "Error 401: invalid_client",
            "The OAuth client was not found.",
        )));
    }
    let raw_redirect = get("redirect_uri").ok_or_else(|| missing("redirect_uri"))?;
    let redirect_uri = Url::parse(&raw_redirect)
        .ok()
        .filter(|u| {
            matches!(u.scheme(), "http" | "https") && u.has_host() && u.fragment().is_none()
        })
        .ok_or_else(|| {
            Box::new(error_page(
                "redirect_uri_mismatch",
                &format!("Invalid parameter value for redirect_uri: {raw_redirect}"),
            ))
        })?;
    let response_type = get("response_type").ok_or_else(|| missing("response_type"))?;
    if response_type != "code" {
        return Err(Box::new(error_page(
            "unsupported_response_type",
            &format!("Invalid response_type: {response_type}"),
        )));
    }
    let mut scopes: Vec<String> = Vec::new();
    for scope in get("scope").unwrap_or_default().split_whitespace() {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        return Err(missing("scope"));
    }
    let method = get("code_challenge_method");
    let challenge = match (get("code_challenge"), method.as_deref()) {
        (None, None) => None,
        // RFC 7636 §4.3: an absent method means "plain".
        (Some(c), None | Some("plain")) => Some((c, PkceMethod::Plain)),
        (Some(c), Some("S256")) => Some((c, PkceMethod::S256)),
        (None, Some(_)) => return Err(missing("code_challenge")),
        (Some(_), Some(other)) => {
            return Err(Box::new(error_page(
                "invalid_request",
                &format!("Invalid code_challenge_method: {other}"),
            )));
        }
    };
    Ok(AuthRequest {
        client_id,
        redirect_uri,
        raw_redirect_uri: raw_redirect,
        scopes,
        state: params.get("state").cloned(),
        challenge,
        nonce: get("nonce"),
        offline: get("access_type").as_deref() == Some("offline"),
        include_granted_scopes: get("include_granted_scopes").as_deref() == Some("true"),
        prompt: get("prompt")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        login_hint: get("login_hint"),
    })
}

fn found(location: &Url) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location.as_str()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn error_redirect(request: &AuthRequest, error: &str) -> Response {
    let mut location = request.redirect_uri.clone();
    {
        let mut q = location.query_pairs_mut();
        q.append_pair("error", error);
        if let Some(s) = &request.state {
            q.append_pair("state", s);
        }
    }
    found(&location)
}

/// Google shows these errors on its own page instead of redirecting, because
/// the redirect target cannot be trusted yet.
fn error_page(title: &str, detail: &str) -> Response {
    let title = if title.starts_with("Error ") {
        title.to_owned()
    } else {
        format!("Error 400: {title}")
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><h1>Access blocked: authorization error</h1><p>{t}</p><p>{d}</p></body></html>",
        t = escape(&title),
        d = escape(detail)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// Lists known accounts as links that repeat the request with `login_hint`,
/// plus a form for any other address.
fn account_chooser(inner: &Inner, pairs: &[(String, String)]) -> Response {
    let without_hint: Vec<&(String, String)> =
        pairs.iter().filter(|(k, _)| k != "login_hint").collect();
    let mut items = String::new();
    for email in inner.accounts.keys() {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &without_hint {
            ser.append_pair(k, v);
        }
        ser.append_pair("login_hint", email);
        let href = format!("{AUTH_PATH}?{}", ser.finish());
        let _ = write!(
            items,
            "<li><a href=\"{}\">{}</a></li>",
            escape(&href),
            escape(email)
        );
    }
    let mut hidden = String::new();
    for (k, v) in &without_hint {
        let _ = write!(
            hidden,
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            escape(k),
            escape(v)
        );
    }
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in - Google Accounts</title>\
         </head><body><h1>Choose an account</h1><ul id=\"accounts\">{items}</ul>\
         <form method=\"get\" action=\"{AUTH_PATH}\">{hidden}\
         <input type=\"email\" name=\"login_hint\" placeholder=\"Use another account\">\
         <button type=\"submit\">Next</button></form></body></html>"
    );
    Html(body).into_response()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
