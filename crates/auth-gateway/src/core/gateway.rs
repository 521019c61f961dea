//! `Gateway`: the core's single entry point, a thin facade. The HTTP layer, the
//! background tasks and the tests make one call into it; each method hands the call to
//! the service that does the work (`flows`, `admin`, `runtime`), built once in
//! `wiring` from only the shared pieces each uses. Nothing in the core
//! imports this module.

use super::admin::health::Readiness;
use super::admin::key_rotation::KeyUsage;
use super::audit::AuditLog;
use super::authz::access_tokens::{AccessTokenClaims, AccessTokenError};
use super::authz::account::{AccountAction, AccountError, AccountView};
use super::authz::authorize::AuthorizeStep;
use super::authz::authorize::login::LoginFinished;
use super::authz::authorize::request::AuthorizePageError;
use super::authz::client_directory::ClientDirectory;
use super::authz::introspection::IntrospectionRequest;
use super::authz::jwks::Jwks;
use super::authz::metadata::ServerMetadata;
use super::authz::oauth_error::OAuthError;
use super::authz::registration::RegisteredClient;
use super::authz::revocation::RevocationRequest;
use super::authz::token_endpoint::{TokenRequest, TokenResponse};
use super::client::Client;
use super::clock::Clock;
use super::crypto::KeyRing;
use super::error::{CoreError, FlowError, SignInLink};
use super::flows::credentials::IssuedToken;
use super::flows::grants::GrantSummary;
use super::flows::maintenance::{MaintenanceSettings, TickReport};
use super::flows::revoke::RevokeOutcome;
use super::flows::session_status::SessionView;
use super::flows::sign_in::{CallbackParams, CompletedSignIn, ConnectRedirect};
use super::providers::Providers;
use super::runtime::events::SessionEvents;
use super::runtime::token_cache::TokenCache;
use super::wiring::{GatewaySettings, Pieces, Services};
use crate::domain::{Email, MetricsSink};
use crate::store::Store;
use crate::upstream::{ClientMetadataFetcher, Provider};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

/// The provider people sign in to the gateway with.
const LOGIN_PROVIDER: &str = "google";

/// The core service: one service per flow, wired to the same shared pieces.
pub struct Gateway {
    pieces: Pieces,
    settings: GatewaySettings,
    services: Services,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("providers", &self.pieces.providers)
            .field("keys", &self.pieces.keys)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Builds the core. `api_key` is the shared `AUTH_GATEWAY_API_KEY` (client `default`).
    pub fn new(
        store: Arc<dyn Store>,
        keys: KeyRing,
        providers: Vec<Arc<dyn Provider>>,
        metadata_fetcher: Arc<dyn ClientMetadataFetcher>,
        clock: Arc<dyn Clock>,
        settings: GatewaySettings,
        api_key: &SecretString,
    ) -> Self {
        let pieces = Pieces {
            keys: Arc::new(keys),
            providers: Arc::new(Providers::new(providers)),
            cache: Arc::new(TokenCache::default()),
            events: Arc::new(SessionEvents::new(Arc::<dyn Store>::clone(&store))),
            audit: Arc::new(AuditLog::new(
                Arc::<dyn Store>::clone(&store),
                Arc::clone(&clock),
            )),
            instance_id: uuid::Uuid::new_v4().to_string().into(),
            clients: Arc::new(ClientDirectory {
                clients: Arc::<dyn Store>::clone(&store),
                fetcher: metadata_fetcher,
                clock: Arc::clone(&clock),
            }),
            store,
            clock,
        };
        let services = pieces.services(&settings, api_key);
        Self {
            pieces,
            settings,
            services,
        }
    }

    /// Reports refresh lock waits to `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: impl MetricsSink + 'static) -> Self {
        let refresher = self
            .services
            .tokens
            .refresher
            .reporting_to(Arc::new(metrics));
        let refresher = Arc::new(refresher);
        self.services.tokens.refresher = Arc::clone(&refresher);
        self.services.maintenance.refresher = refresher;
        self
    }

    /// Sets the store's gauges on `metrics`; called when `/metrics` is scraped.
    pub async fn update_store_gauges(&self, metrics: &dyn MetricsSink) {
        self.services.health.update_store_gauges(metrics).await;
    }

    /// The current time, from the gateway's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.pieces.clock.now()
    }

    /// Whether the database answers.
    pub async fn database_ok(&self) -> bool {
        self.services.health.database_ok().await
    }

    /// Whether this replica can serve: the database answers and every stored ciphertext's
    /// key is here.
    pub async fn readiness(&self, timeout: Duration) -> Readiness {
        self.services.health.readiness(timeout).await
    }

    /// Key ids in use and the unknown ones, counted now, for the startup report.
    pub async fn key_usage(&self) -> Result<KeyUsage, CoreError> {
        self.services.key_watch.key_usage().await
    }

    /// The public signing keys as a JWKS (`GET /oauth/jwks`); makes the first key if
    /// there is none.
    pub async fn jwks(&self) -> Result<Jwks, CoreError> {
        self.services.signing_keys.jwks().await
    }

    /// The key that signs access tokens now, made on first need.
    pub async fn current_signing_key(&self) -> Result<crate::store::SigningKeyRecord, CoreError> {
        self.services.signing_keys.current().await
    }

    /// Key ids found in the database that no configured key opens (a recent count).
    pub async fn unknown_key_ids(&self) -> Result<Vec<String>, CoreError> {
        self.services.key_watch.unknown_key_ids().await
    }

    /// Relays sessions finished on other replicas to this replica's long-polls, for as
    /// long as the gateway runs.
    pub async fn relay_session_events(self: Arc<Self>) {
        self.pieces.events.relay().await;
    }

    /// Follows the store's credential change feed for as long as the gateway runs,
    /// keeping the token cache on only while the feed is connected.
    pub async fn follow_credential_changes(self: Arc<Self>) {
        self.pieces
            .cache
            .follow_changes(self.pieces.store.as_ref())
            .await;
    }

    /// Whether tokens are being served from memory now (for metrics and tests).
    pub fn token_cache_enabled(&self) -> bool {
        self.pieces.cache.is_enabled()
    }

    /// Entries in the token cache now.
    pub fn token_cache_len(&self) -> usize {
        self.pieces.cache.len()
    }

    /// Whether a token for this user and provider is cached (for tests).
    pub fn token_cached(&self, provider: &str, user_email: &str) -> bool {
        self.pieces.cache.get(provider, user_email).is_some()
    }

    /// One tick of the background refresh.
    pub async fn refresh_due_credentials(
        &self,
        settings: &MaintenanceSettings,
    ) -> Result<TickReport, CoreError> {
        self.services
            .maintenance
            .refresh_due_credentials(settings)
            .await
    }

    /// Deletes sessions that expired more than an hour ago; returns how many.
    pub async fn sweep_sessions(&self) -> Result<u64, CoreError> {
        self.services.maintenance.sweep_sessions().await
    }

    /// Authenticates an `X-API-Key`: the shared key or a client key.
    pub async fn authenticate(&self, presented: Option<&str>) -> Result<Client, CoreError> {
        self.services.api_keys.authenticate(presented).await
    }

    /// `POST /auth/init`: opens a sign-in session and returns its link.
    pub async fn start_sign_in(
        &self,
        client: &Client,
        provider: &str,
        user_email: &str,
        scopes: Option<&[String]>,
    ) -> Result<SignInLink, CoreError> {
        self.services
            .sign_in
            .start(client, provider, user_email, scopes)
            .await
    }

    /// `GET /connect/{token}`: binds the session to this browser, sends it to the provider.
    pub async fn connect(&self, link_token: &str) -> Result<ConnectRedirect, FlowError> {
        self.services.connect.connect(link_token).await
    }

    /// `GET /auth/callback/{provider}`: completes the session named by `state`, once.
    /// `cookie` looks up a cookie of the request by name.
    pub async fn callback(
        &self,
        provider_name: &str,
        params: CallbackParams,
        cookie: impl Fn(&str) -> Option<String>,
    ) -> Result<CompletedSignIn, FlowError> {
        self.services
            .callback
            .callback(provider_name, params, cookie)
            .await
    }

    /// The origin of the public URL (`https://gateway.example.com`): what a browser's
    /// `Origin` header must say on the gateway's own forms.
    pub fn public_origin(&self) -> String {
        self.settings.public_url.origin().ascii_serialization()
    }

    /// `GET /oauth/authorize`: the next step of an authorization request.
    pub async fn authorize(
        &self,
        query: &str,
        session_cookie: Option<&str>,
    ) -> Result<AuthorizeStep, AuthorizePageError> {
        self.services
            .authorize
            .authorize(query, session_cookie)
            .await
    }

    /// `POST /oauth/authorize`: the consent form's answer.
    pub async fn decide_consent(
        &self,
        query: &str,
        session_cookie: Option<&str>,
        csrf: &str,
        allow: bool,
    ) -> Result<AuthorizeStep, AuthorizePageError> {
        self.services
            .authorize
            .decide(query, session_cookie, csrf, allow)
            .await
    }

    /// The provider's callback for a sign-in at the gateway; `None` when its `state`
    /// belongs to a sign-in session of `POST /auth/init` instead.
    pub async fn finish_login(
        &self,
        provider_name: &str,
        params: &CallbackParams,
        cookie: &(dyn Fn(&str) -> Option<String> + Sync),
    ) -> Result<Option<LoginFinished>, FlowError> {
        self.services
            .authorize
            .finish_login(provider_name, params, cookie)
            .await
    }

    /// `GET /account`: the signed-in user's page; `None` when not signed in.
    pub async fn account(&self, cookie: Option<&str>) -> Result<Option<AccountView>, CoreError> {
        self.services.account.view(cookie).await
    }

    /// A form of the user's page (revoke a client or a connection, sign out).
    pub async fn account_action(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        action: &AccountAction,
    ) -> Result<(), AccountError> {
        self.services.account.act(cookie, csrf, action).await
    }

    /// `GET /account/sign-in`: to the login provider, to come back to `/account`.
    pub async fn account_sign_in(&self) -> Result<AuthorizeStep, CoreError> {
        self.services
            .authorize
            .login(LOGIN_PROVIDER, &[], "/account".to_owned(), None)
            .await
    }

    /// `GET /auth/status/{id}`: the session's status, waiting up to `wait` (capped).
    pub async fn session_status(
        &self,
        client: &Client,
        session_id: &str,
        wait: Duration,
    ) -> Result<SessionView, CoreError> {
        self.services
            .statuses
            .status(client, session_id, wait)
            .await
    }

    /// `POST /auth/token`: a valid access token, or the sign-in link to show.
    pub async fn token(
        &self,
        client: &Client,
        provider_name: &str,
        user_email: &str,
        required_scopes: Option<&[String]>,
        force_refresh: bool,
    ) -> Result<IssuedToken, CoreError> {
        self.services
            .tokens
            .token(
                client,
                provider_name,
                user_email,
                required_scopes,
                force_refresh,
            )
            .await
    }

    /// `GET /auth/providers/{user_email}`: the user's active grants the client may see.
    pub async fn grants(
        &self,
        client: &Client,
        user_email: &str,
    ) -> Result<(Email, Vec<GrantSummary>), CoreError> {
        self.services.grants.grants(client, user_email).await
    }

    /// `DELETE /auth/revoke`: deletes the grant here, then revokes it at the provider.
    pub async fn revoke(
        &self,
        client: &Client,
        provider_name: &str,
        user_email: &str,
    ) -> Result<RevokeOutcome, CoreError> {
        self.services
            .revoker
            .revoke(client, provider_name, user_email)
            .await
    }
}

/// The authorization server's endpoints (docs/authorization-server.md).
impl Gateway {
    /// `POST /oauth/token`: tokens for a code or a refresh token (MCP clients), or a
    /// user's upstream token for their access token (token exchange, API clients).
    pub async fn oauth_token(&self, request: TokenRequest) -> Result<TokenResponse, OAuthError> {
        if request.is_token_exchange() {
            let tokens = &self.services.tokens;
            return self.services.oauth.exchange.exchange(tokens, request).await;
        }
        self.services.oauth.token.token(request).await
    }

    /// `POST /oauth/introspect` (RFC 7662): the claims of an active token of the caller's
    /// resources, `None` for any other token.
    pub async fn oauth_introspect(
        &self,
        request: IntrospectionRequest,
    ) -> Result<Option<AccessTokenClaims>, OAuthError> {
        self.services.oauth.introspection.introspect(request).await
    }

    /// `POST /oauth/register` (RFC 7591); `None` while dynamic registration is off.
    pub async fn oauth_register(
        &self,
        body: &[u8],
    ) -> Option<Result<RegisteredClient, OAuthError>> {
        self.services.oauth.registration.register(body).await
    }

    /// `POST /oauth/revoke` (RFC 7009).
    pub async fn oauth_revoke(&self, request: RevocationRequest) -> Result<(), OAuthError> {
        self.services.oauth.revocation.revoke(request).await
    }

    /// The RFC 8414 metadata document.
    pub async fn oauth_metadata(&self) -> Result<ServerMetadata, CoreError> {
        self.services.oauth.metadata.document().await
    }

    /// The metadata at its RFC 8414 §3.1 path-inserted location; `None` for another path.
    pub async fn oauth_metadata_at(&self, path: &str) -> Result<Option<ServerMetadata>, CoreError> {
        self.services.oauth.metadata.document_at(path).await
    }

    /// Verifies one of the gateway's access tokens (signature, typ, iss, exp/nbf); the
    /// caller checks `aud`.
    pub async fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<AccessTokenClaims, AccessTokenError> {
        self.services.oauth.access_tokens.verify(token).await
    }
}
