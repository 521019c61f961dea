//! The upstream token for a verified user, by RFC 8693 token exchange at the gateway's
//! `POST /oauth/token`: the MCP server authenticates with its API key and presents the
//! user's gateway token as `subject_token`; the gateway answers with the user's
//! provider token. Cached per (user, target, scopes) until shortly before it expires.

use super::user::VerifiedUser;
use super::wire::{Issued, Refused, classify};
use crate::error::{AuthError, ConfigError};
use crate::token::{Clock, SystemClock, Token};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// A cached token is handed out only while it has this much life left, so a tool call
/// never starts with a token about to expire.
const MARGIN_SECONDS: i64 = 60;
/// Beyond this many cached tokens, expired ones are dropped on insert.
const PRUNE_AT: usize = 10_000;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What the exchanged token is for (RFC 8693 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExchangeTarget {
    /// `audience`: a provider by name, e.g. `google`.
    Provider(String),
    /// `resource`: an upstream API's base URL.
    Resource(String),
}

/// A client of the gateway's token exchange. Cheap to clone (shared cache).
#[derive(Clone)]
pub struct TokenExchange {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    token_endpoint: String,
    api_key: SecretString,
    clock: Arc<dyn Clock>,
    /// Each token with the number of the exchange that got it.
    cache: Mutex<HashMap<Key, (Token, u64)>>,
    exchanges: AtomicU64,
    flights: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

type Key = (String, ExchangeTarget, Vec<String>);

impl std::fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenExchange")
            .field("token_endpoint", &self.inner.token_endpoint)
            .finish_non_exhaustive()
    }
}

impl TokenExchange {
    /// A client of the gateway at `gateway_url` (its issuer), authenticating with this
    /// MCP server's API key.
    pub fn new(gateway_url: &str, api_key: SecretString) -> Result<Self, ConfigError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // The API key goes to the gateway and nowhere else (see AuthClient).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ConfigError::Http)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                token_endpoint: format!("{}/oauth/token", gateway_url.trim_end_matches('/')),
                api_key,
                clock: Arc::new(SystemClock),
                cache: Mutex::new(HashMap::new()),
                exchanges: AtomicU64::new(0),
                flights: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The same with another clock (tests).
    #[must_use]
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        let inner = &self.inner;
        Self {
            inner: Arc::new(Inner {
                http: inner.http.clone(),
                token_endpoint: inner.token_endpoint.clone(),
                api_key: inner.api_key.clone(),
                clock,
                cache: Mutex::new(HashMap::new()),
                exchanges: AtomicU64::new(0),
                flights: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The upstream token of `user` for `target` with `scopes`. With `force` (after the
    /// upstream API answered 401 to the cached token) the cached token is not reused;
    /// callers forcing at once share one re-exchange. A user who has not connected the
    /// provider gets [`AuthError::SignInRequired`] with the gateway's
    /// `authorization_uri`, so `RequireAuth`'s replies (elicitation or tool error) apply.
    pub async fn token(
        &self,
        user: &VerifiedUser,
        target: &ExchangeTarget,
        scopes: &[&str],
        force: bool,
    ) -> Result<Token, AuthError> {
        let mut wanted: Vec<String> = scopes.iter().map(ToString::to_string).collect();
        wanted.sort();
        wanted.dedup();
        let key = (user.subject.clone(), target.clone(), wanted);
        let before = self.cached(&key, self.inner.clock.now());
        if !force && let Some((token, _)) = before {
            return Ok(token);
        }
        let seen = before.map(|(_, number)| number);
        let flight = self.flight(&key);
        let _turn = flight.lock().await;
        let now = self.inner.clock.now();
        if let Some((token, number)) = self.cached(&key, now) {
            // Reuse what another caller exchanged while we waited; a forced caller only
            // a token from an exchange after the one it was refused with (the gateway
            // may answer the same upstream token again, so compare exchanges, not tokens).
            if !force || seen != Some(number) {
                return Ok(token);
            }
        }
        let number = self.inner.exchanges.fetch_add(1, Ordering::SeqCst);
        let token = self.exchange(user, target, &key.2, now).await;
        let mut cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &token {
            Ok(token) => {
                if cache.len() >= PRUNE_AT {
                    cache.retain(|_, (kept, _)| fresh(kept, now));
                }
                cache.insert(key.clone(), (token.clone(), number));
            }
            Err(_) => {
                cache.remove(&key);
            }
        }
        drop(cache);
        self.land(&key, &flight);
        token
    }

    fn cached(&self, key: &Key, now: DateTime<Utc>) -> Option<(Token, u64)> {
        let cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache
            .get(key)
            .filter(|(token, _)| fresh(token, now))
            .cloned()
    }

    /// The lock one exchange per key holds (single flight).
    fn flight(&self, key: &Key) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self
            .inner
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        flights.entry(key.clone()).or_default().clone()
    }

    /// Forgets the flight once nobody else waits on it, so the map stays small.
    fn land(&self, key: &Key, flight: &Arc<tokio::sync::Mutex<()>>) {
        let mut flights = self
            .inner
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Ours, the map's and nobody else's.
        if Arc::strong_count(flight) <= 2 {
            flights.remove(key);
        }
    }

    async fn exchange(
        &self,
        user: &VerifiedUser,
        target: &ExchangeTarget,
        scopes: &[String],
        now: DateTime<Utc>,
    ) -> Result<Token, AuthError> {
        let scope = scopes.join(" ");
        let mut form = vec![
            ("grant_type", GRANT_TYPE),
            ("subject_token", user.token.expose_secret()),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
        ];
        match target {
            ExchangeTarget::Provider(name) => form.push(("audience", name)),
            ExchangeTarget::Resource(url) => form.push(("resource", url)),
        }
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        let response = self
            .inner
            .http
            .post(&self.inner.token_endpoint)
            .header(
                gateway_proto::API_KEY_HEADER,
                self.inner.api_key.expose_secret(),
            )
            .form(&form)
            .send()
            .await
            .map_err(AuthError::GatewayUnreachable)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let unexpected = |source| AuthError::UnexpectedResponse {
            status: status.as_u16(),
            source: Some(source),
        };
        if status.is_success() {
            let issued: Issued = response.json().await.map_err(unexpected)?;
            return Ok(Token::from_response(gateway_proto::TokenResponse {
                access_token: issued.access_token,
                token_type: issued.token_type,
                expires_at: now + chrono::Duration::seconds(issued.expires_in),
                scopes: issued.scope.map_or_else(
                    || scopes.to_vec(),
                    |scope| scope.split_whitespace().map(str::to_owned).collect(),
                ),
            }));
        }
        let refused: Refused = response.json().await.map_err(unexpected)?;
        Err(classify(status.as_u16(), refused, retry_after))
    }
}

fn fresh(token: &Token, now: DateTime<Utc>) -> bool {
    token.expires_at() - chrono::Duration::seconds(MARGIN_SECONDS) > now
}
