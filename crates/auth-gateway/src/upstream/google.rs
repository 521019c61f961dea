//! Google as an OAuth 2.0 / OpenID Connect provider. Written on reqwest directly rather
//! than the `oauth2` crate: we need the raw `id_token`, `scope` and error codes to
//! classify failures (G6), and the whole protocol surface is four small requests.

mod id_token;

use super::{AuthorizeRequest, Identity, Provider, TokenGrant, UpstreamError};
use crate::domain::{MetricsSink, ScopeSet};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Upstream calls give up after this long (a refresh must not hang a token request).
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest access-token lifetime believed (Google's are an hour): a larger
/// `expires_in` is taken as this, so no provider answer can push an expiry out of
/// range (an overflow would panic, or keep a dead token served for years).
const MAX_TOKEN_LIFETIME_SECS: u64 = 24 * 60 * 60;
/// Clock skew tolerated when checking `exp`.
const ALLOWED_SKEW_SECS: i64 = 60;
/// Google's issuer, and the bare-host form older flows still use.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// Endpoints and client credentials for Google (or the emulator standing in for it).
#[derive(Debug, Clone)]
pub struct GoogleSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: url::Url,
    pub auth_url: url::Url,
    pub token_url: url::Url,
    pub revoke_url: url::Url,
    pub userinfo_url: url::Url,
    pub default_scopes: ScopeSet,
    /// `GOOGLE_HOSTED_DOMAIN`: only accounts of this Workspace domain may sign in.
    pub hosted_domain: Option<String>,
    /// `AUTH_GATEWAY_OUTBOUND_PROXY`: the only proxy calls to Google go through (a URL
    /// may carry credentials, hence secret).
    pub outbound_proxy: Option<SecretString>,
}

/// The Google provider.
#[derive(Debug)]
pub struct Google {
    settings: GoogleSettings,
    http: reqwest::Client,
    metrics: Option<Arc<dyn MetricsSink>>,
}

impl Google {
    pub fn new(settings: GoogleSettings) -> Result<Self, reqwest::Error> {
        let builder = reqwest::Client::builder()
            .timeout(UPSTREAM_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none());
        // reqwest would otherwise obey HTTP_PROXY/HTTPS_PROXY/ALL_PROXY inherited from
        // the environment: a stray variable would route client secrets and refresh
        // tokens through a proxy nobody chose. Only the explicit setting turns one on.
        let builder = match &settings.outbound_proxy {
            Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.expose_secret())?),
            None => builder.no_proxy(),
        };
        let http = builder.build()?;
        Ok(Self {
            settings,
            http,
            metrics: None,
        })
    }

    /// Reports every call's latency and outcome to `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: impl MetricsSink + 'static) -> Self {
        self.metrics = Some(Arc::new(metrics));
        self
    }

    /// Runs one call to Google, timing it and counting its outcome; `invalid_client`
    /// (an operator error) is logged loudly.
    async fn observed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, UpstreamError>>,
    ) -> Result<T, UpstreamError> {
        let started = Instant::now();
        let result = call.await;
        if let Err(UpstreamError::InvalidClient) = &result {
            tracing::error!(
                operation,
                "Google rejected the client credentials (invalid_client): check GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET"
            );
        }
        if let Some(metrics) = &self.metrics {
            let outcome = match &result {
                Ok(_) => "ok",
                Err(UpstreamError::InvalidGrant) => "invalid_grant",
                Err(UpstreamError::InvalidClient) => "invalid_client",
                Err(UpstreamError::Unavailable(_)) => "unavailable",
                Err(UpstreamError::Rejected(_)) => "rejected",
                Err(UpstreamError::Protocol(_)) => "protocol_error",
                Err(UpstreamError::Identity(_)) => "identity_error",
            };
            metrics.upstream_call("google", operation, outcome, started.elapsed());
        }
        result
    }

    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenGrant, UpstreamError> {
        let mut body = form.to_vec();
        body.push(("client_id", &self.settings.client_id));
        body.push(("client_secret", self.settings.client_secret.expose_secret()));
        let response = self
            .http
            .post(self.settings.token_url.clone())
            .form(&body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            let raw: RawTokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
                UpstreamError::Protocol("token response is not the expected JSON".into())
            })?;
            return Ok(TokenGrant {
                access_token: SecretString::from(raw.access_token),
                refresh_token: raw.refresh_token.map(SecretString::from),
                expires_in: raw.expires_in.map(|secs| secs.min(MAX_TOKEN_LIFETIME_SECS)),
                scope: raw.scope,
                id_token: raw.id_token.map(SecretString::from),
            });
        }
        Err(classify_error(status, &bytes))
    }

    async fn userinfo(&self, access_token: &SecretString) -> Result<Identity, UpstreamError> {
        self.observed("userinfo", self.fetch_userinfo(access_token))
            .await
    }

    async fn fetch_userinfo(&self, access_token: &SecretString) -> Result<Identity, UpstreamError> {
        let response = self
            .http
            .get(self.settings.userinfo_url.clone())
            .bearer_auth(access_token.expose_secret())
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if !status.is_success() {
            return Err(if status.is_server_error() {
                UpstreamError::Unavailable(format!("userinfo answered {status}"))
            } else {
                UpstreamError::Rejected(format!("userinfo_{}", status.as_u16()))
            });
        }
        let info: UserInfo = response
            .json()
            .await
            .map_err(|_| UpstreamError::Protocol("userinfo is not the expected JSON".into()))?;
        Ok(Identity {
            subject: info.sub,
            email: info
                .email
                .ok_or(UpstreamError::Identity("userinfo carries no email"))?,
            email_verified: info.email_verified.is_some_and(|v| v.is_true()),
            hosted_domain: info.hd,
        })
    }
}

#[async_trait]
impl Provider for Google {
    fn name(&self) -> &'static str {
        "google"
    }

    fn default_scopes(&self) -> &ScopeSet {
        &self.settings.default_scopes
    }

    fn hosted_domain(&self) -> Option<&str> {
        self.settings.hosted_domain.as_deref()
    }

    fn allows_scope(&self, scope: &str) -> bool {
        matches!(scope, "openid" | "email" | "profile")
            || scope.starts_with("https://www.googleapis.com/auth/")
    }

    fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> url::Url {
        let mut url = self.settings.auth_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("redirect_uri", self.settings.redirect_uri.as_str())
                .append_pair("scope", &request.scopes.to_space_separated())
                .append_pair("state", request.state)
                .append_pair("code_challenge", request.code_challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("access_type", "offline")
                .append_pair("include_granted_scopes", "true");
            if let Some(hint) = request.login_hint {
                query.append_pair("login_hint", hint.as_str());
            }
            if let Some(domain) = &self.settings.hosted_domain {
                // Only a hint (Google preselects accounts of that domain): the `hd`
                // claim is what is checked, since a user can edit this URL.
                query.append_pair("hd", domain);
            }
            if request.force_consent {
                // Google issues a refresh token only on the consent screen.
                query.append_pair("prompt", "consent");
            }
        }
        url
    }

    async fn exchange_code(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<TokenGrant, UpstreamError> {
        self.observed(
            "exchange",
            self.token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.settings.redirect_uri.as_str()),
                ("code_verifier", verifier.expose_secret()),
            ]),
        )
        .await
    }

    async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, UpstreamError> {
        self.observed(
            "refresh",
            self.token_request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ]),
        )
        .await
    }

    /// A refresh naming a subset of the grant (RFC 6749 §6: the scope may not exceed
    /// the grant, and a narrower one is allowed). Google's guide to refreshing lists no
    /// `scope` parameter, but its token endpoint takes one, and its client libraries
    /// send the credentials' scopes on refresh and read the answer's `scope`: a subset
    /// gets a token with only those scopes, a scope beyond the grant `invalid_scope`.
    /// `google-emulator` answers the same way. The caller never trusts this blindly: an
    /// answer whose `scope` is wider than asked is withheld.
    async fn refresh_narrowed(
        &self,
        refresh_token: &SecretString,
        scopes: &ScopeSet,
    ) -> Result<TokenGrant, UpstreamError> {
        let scope = scopes.to_space_separated();
        self.observed(
            "refresh",
            self.token_request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
                ("scope", &scope),
            ]),
        )
        .await
    }

    async fn revoke(&self, token: &SecretString) -> Result<(), UpstreamError> {
        self.observed("revoke", self.post_revoke(token)).await
    }

    async fn identity(
        &self,
        grant: &TokenGrant,
        now: DateTime<Utc>,
    ) -> Result<Identity, UpstreamError> {
        match &grant.id_token {
            Some(id_token) => {
                id_token::check_id_token(id_token.expose_secret(), &self.settings.client_id, now)
            }
            None => self.userinfo(&grant.access_token).await,
        }
    }
}

impl Google {
    async fn post_revoke(&self, token: &SecretString) -> Result<(), UpstreamError> {
        let response = self
            .http
            .post(self.settings.revoke_url.clone())
            .form(&[("token", token.expose_secret())])
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response.bytes().await.map_err(transport_error)?;
        Err(classify_error(status, &bytes))
    }
}

/// Network failures and timeouts are transient. The error text names no URL query,
/// since reqwest errors may carry the request URL.
#[allow(clippy::needless_pass_by_value)] // shaped for `map_err`
fn transport_error(error: reqwest::Error) -> UpstreamError {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    UpstreamError::Unavailable(kind.to_owned())
}

/// Maps an error answer to its class, reading only the `error` code: Google's bodies
/// are never logged or passed on (they may echo what we sent).
fn classify_error(status: reqwest::StatusCode, body: &[u8]) -> UpstreamError {
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return UpstreamError::Unavailable(format!("provider answered {}", status.as_u16()));
    }
    let code = serde_json::from_slice::<OAuthErrorBody>(body)
        .map(|body| body.error)
        .unwrap_or_default();
    match code.as_str() {
        "invalid_grant" => UpstreamError::InvalidGrant,
        "invalid_client" | "unauthorized_client" => UpstreamError::InvalidClient,
        "" => UpstreamError::Rejected(format!("http_{}", status.as_u16())),
        other => UpstreamError::Rejected(other.chars().take(64).collect()),
    }
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    scope: Option<String>,
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    #[serde(default)]
    error: String,
}

/// `email_verified` is a JSON bool in `id_token`s, a string in some Google answers.
#[derive(Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Text(String),
}

impl Flag {
    fn is_true(&self) -> bool {
        match self {
            Self::Bool(value) => *value,
            Self::Text(text) => text == "true",
        }
    }
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    hd: Option<String>,
    email: Option<String>,
    email_verified: Option<Flag>,
}
