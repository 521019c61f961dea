//! Assembly: the shared pieces (store, key ring, clock, providers, token cache, session
//! events, audit log) and how each service is built from the ones it uses. Only the
//! facade ([`super::gateway`]) calls this.
//!
//! Each service holds the store as the narrow role(s) it uses (`SessionStore`,
//! `CredentialStore`, `LeaseStore`, …): the field types say what a flow may touch.
//! `Health` holds the whole store, since it reports on all of it.

use super::admin::clients::ApiKeys;
use super::admin::health::Health;
use super::admin::key_rotation::KeyWatch;
use super::audit::AuditLog;
use super::authz::access_tokens::AccessTokens;
use super::authz::account::Account;
use super::authz::authorize::Authorize;
use super::authz::client_directory::ClientDirectory;
use super::authz::introspection::Introspection;
use super::authz::metadata::Metadata;
use super::authz::registration::Registration;
use super::authz::revocation::Revocation;
use super::authz::signing_keys::SigningKeys;
use super::authz::token_endpoint::TokenEndpoint;
use super::authz::token_exchange::TokenExchange;
use super::clock::Clock;
use super::crypto::KeyRing;
use super::flows::credentials::Credentials;
use super::flows::grants::GrantList;
use super::flows::maintenance::Maintenance;
use super::flows::refresh::Refresher;
use super::flows::revoke::Revoker;
use super::flows::session_status::SessionStatuses;
use super::flows::sessions::SessionOpener;
use super::flows::sign_in::callback::Callback;
use super::flows::sign_in::connect::Connect;
use super::flows::sign_in::start::SignInStart;
use super::flows::tokens::Tokens;
use super::providers::Providers;
use super::runtime::events::SessionEvents;
use super::runtime::flights::Flights;
use super::runtime::token_cache::TokenCache;
use crate::domain::AuthorizationSettings;
use crate::domain::IdentityPolicy;
use crate::store::Store;
use secrecy::SecretString;
use std::sync::Arc;

/// The pieces the services share, each built once.
pub struct Pieces {
    pub store: Arc<dyn Store>,
    pub keys: Arc<KeyRing>,
    pub clock: Arc<dyn Clock>,
    pub providers: Arc<Providers>,
    pub cache: Arc<TokenCache>,
    pub events: Arc<SessionEvents>,
    pub audit: Arc<AuditLog>,
    /// Names this process as the owner of refresh and job leases.
    pub instance_id: Arc<str>,
    /// MCP clients by `client_id`, fetching metadata documents (CIMD) as needed.
    pub clients: Arc<ClientDirectory>,
}

/// Settings the core needs, taken from the configuration once.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Public base URL of this gateway; connect links are built on it.
    pub public_url: url::Url,
    pub session_ttl: chrono::Duration,
    /// Tokens expiring within this window are refreshed before being handed out.
    pub refresh_buffer: chrono::Duration,
    pub identity_policy: IdentityPolicy,
    /// The authorization server's lifetimes and switches.
    pub authorization: AuthorizationSettings,
    /// Audit events older than this are swept; `None` keeps them forever.
    pub audit_retention: Option<chrono::Duration>,
}

impl GatewaySettings {
    /// The authorization server's issuer: the public URL without a trailing slash
    /// (RFC 8414 §2), the `iss` of its tokens and authorization responses.
    pub fn issuer(&self) -> String {
        issuer(&self.public_url)
    }
}

/// Every service, built.
pub struct Services {
    pub api_keys: ApiKeys,
    pub sign_in: SignInStart,
    pub connect: Connect,
    pub callback: Callback,
    pub statuses: SessionStatuses,
    pub tokens: Tokens,
    pub grants: GrantList,
    pub revoker: Revoker,
    pub maintenance: Maintenance,
    pub key_watch: Arc<KeyWatch>,
    pub health: Health,
    pub signing_keys: SigningKeys,
    /// The authorization server's token, registration, revocation and metadata endpoints.
    pub oauth: OAuthServices,
    pub authorize: Authorize,
    pub account: Account,
}

impl Pieces {
    /// The store, for a service to hold as the role(s) it uses (the field's type).
    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    /// Builds every service. `api_key` is the shared `AUTH_GATEWAY_API_KEY`.
    pub fn services(&self, settings: &GatewaySettings, api_key: &SecretString) -> Services {
        let sessions = Arc::new(SessionOpener {
            store: self.store(),
            keys: Arc::clone(&self.keys),
            clock: Arc::clone(&self.clock),
            audit: Arc::clone(&self.audit),
            public_url: settings.public_url.clone(),
            session_ttl: settings.session_ttl,
        });
        let credentials = Arc::new(Credentials {
            store: self.store(),
            keys: Arc::clone(&self.keys),
            sessions: Arc::clone(&sessions),
        });
        let refresher = Arc::new(self.refresher(&credentials));
        let key_watch = Arc::new(KeyWatch {
            store: self.store(),
            signing_keys: self.store(),
            keys: Arc::clone(&self.keys),
            clock: Arc::clone(&self.clock),
            last: std::sync::Mutex::default(),
        });
        Services {
            api_keys: ApiKeys::new(self.store(), Arc::clone(&self.clock), api_key),
            sign_in: SignInStart {
                providers: Arc::clone(&self.providers),
                audit: Arc::clone(&self.audit),
                sessions,
            },
            connect: self.connect(settings),
            callback: self.callback(settings),
            statuses: SessionStatuses {
                store: self.store(),
                clock: Arc::clone(&self.clock),
                events: Arc::clone(&self.events),
            },
            tokens: self.tokens(settings, credentials, Arc::clone(&refresher)),
            grants: GrantList {
                store: self.store(),
            },
            revoker: self.revoker(),
            maintenance: self.maintenance(settings, refresher),
            health: Health {
                store: self.store(),
                key_watch: Arc::clone(&key_watch),
                cache: Arc::clone(&self.cache),
            },
            key_watch,
            signing_keys: SigningKeys {
                store: self.store(),
                audit: self.store(),
                keys: Arc::clone(&self.keys),
                clock: Arc::clone(&self.clock),
            },
            oauth: self.oauth(settings, api_key),
            authorize: self.authorize(settings),
            account: Account {
                logins: self.store(),
                authorizations: self.store(),
                credentials: self.store(),
                clients: self.store(),
                revoker: self.revoker(),
                clock: Arc::clone(&self.clock),
                audit: Arc::clone(&self.audit),
                settings: settings.authorization.clone(),
            },
        }
    }

    fn authorize(&self, settings: &GatewaySettings) -> Authorize {
        Authorize {
            directory: Arc::clone(&self.clients),
            resources: self.store(),
            logins: self.store(),
            authorizations: self.store(),
            credentials: self.store(),
            keys: Arc::clone(&self.keys),
            clock: Arc::clone(&self.clock),
            providers: Arc::clone(&self.providers),
            audit: Arc::clone(&self.audit),
            cache: Arc::clone(&self.cache),
            issuer: settings.issuer(),
            settings: settings.authorization.clone(),
        }
    }

    fn refresher(&self, credentials: &Arc<Credentials>) -> Refresher {
        Refresher {
            store: self.store(),
            leases: self.store(),
            keys: Arc::clone(&self.keys),
            clock: Arc::clone(&self.clock),
            credentials: Arc::clone(credentials),
            cache: Arc::clone(&self.cache),
            audit: Arc::clone(&self.audit),
            flights: Flights::default(),
            instance_id: Arc::clone(&self.instance_id),
            metrics: None,
        }
    }

    fn connect(&self, settings: &GatewaySettings) -> Connect {
        Connect {
            store: self.store(),
            credentials: self.store(),
            keys: Arc::clone(&self.keys),
            clock: Arc::clone(&self.clock),
            providers: Arc::clone(&self.providers),
            session_ttl: settings.session_ttl,
        }
    }

    fn callback(&self, settings: &GatewaySettings) -> Callback {
        Callback {
            store: self.store(),
            credentials: self.store(),
            keys: Arc::clone(&self.keys),
            clock: Arc::clone(&self.clock),
            providers: Arc::clone(&self.providers),
            audit: Arc::clone(&self.audit),
            events: Arc::clone(&self.events),
            cache: Arc::clone(&self.cache),
            identity_policy: settings.identity_policy,
            session_ttl: settings.session_ttl,
        }
    }

    fn tokens(
        &self,
        settings: &GatewaySettings,
        credentials: Arc<Credentials>,
        refresher: Arc<Refresher>,
    ) -> Tokens {
        Tokens {
            store: self.store(),
            clock: Arc::clone(&self.clock),
            providers: Arc::clone(&self.providers),
            credentials,
            refresher,
            cache: Arc::clone(&self.cache),
            audit: Arc::clone(&self.audit),
            refresh_buffer: settings.refresh_buffer,
        }
    }

    fn revoker(&self) -> Revoker {
        Revoker {
            store: self.store(),
            keys: Arc::clone(&self.keys),
            providers: Arc::clone(&self.providers),
            cache: Arc::clone(&self.cache),
            audit: Arc::clone(&self.audit),
        }
    }

    fn maintenance(&self, settings: &GatewaySettings, refresher: Arc<Refresher>) -> Maintenance {
        Maintenance {
            store: self.store(),
            leases: self.store(),
            sessions: self.store(),
            logins: self.store(),
            authorizations: self.store(),
            oauth_clients: self.store(),
            audit: self.store(),
            audit_retention: settings.audit_retention,
            unused_registration_ttl: settings.authorization.unused_registration_ttl,
            clock: Arc::clone(&self.clock),
            providers: Arc::clone(&self.providers),
            refresher,
            instance_id: Arc::clone(&self.instance_id),
            refresh_buffer: settings.refresh_buffer,
        }
    }
}

// ---- The authorization server's endpoints (token, registration, revocation, metadata) ----

/// The authorization server's services; the access-token signer is shared by the token,
/// revocation, exchange and introspection endpoints.
pub struct OAuthServices {
    pub access_tokens: Arc<AccessTokens>,
    pub token: TokenEndpoint,
    /// Token exchange (RFC 8693) for API clients; serves through `Services::tokens`.
    pub exchange: TokenExchange,
    pub introspection: Introspection,
    pub registration: Registration,
    pub revocation: Revocation,
    pub metadata: Metadata,
}

/// The issuer: the public URL exactly, without trailing slash (RFC 8414 §2 and the
/// tokens' `iss` compare as strings).
pub fn issuer(public_url: &url::Url) -> String {
    public_url.as_str().trim_end_matches('/').to_owned()
}

impl Pieces {
    fn oauth(&self, settings: &GatewaySettings, api_key: &SecretString) -> OAuthServices {
        let issuer = issuer(&settings.public_url);
        let access_tokens = Arc::new(AccessTokens::new(
            self.store(),
            self.store(),
            Arc::clone(&self.keys),
            Arc::clone(&self.clock),
            issuer.clone(),
        ));
        let authorization = &settings.authorization;
        OAuthServices {
            token: TokenEndpoint {
                // A metadata-document client authenticates like any public client.
                clients: self.clients.clone(),
                grants: self.store(),
                audit: self.store(),
                clock: Arc::clone(&self.clock),
                access_tokens: Arc::clone(&access_tokens),
                settings: authorization.clone(),
            },
            registration: Registration {
                clients: self.store(),
                audit: self.store(),
                clock: Arc::clone(&self.clock),
                enabled: authorization.dynamic_registration,
            },
            revocation: Revocation {
                clients: self.clients.clone(),
                grants: self.store(),
                audit: self.store(),
                clock: Arc::clone(&self.clock),
                access_tokens: Arc::clone(&access_tokens),
            },
            exchange: TokenExchange {
                api_keys: ApiKeys::new(self.store(), Arc::clone(&self.clock), api_key),
                access_tokens: Arc::clone(&access_tokens),
                grants: self.store(),
                resources: self.store(),
                audit: self.store(),
                clock: Arc::clone(&self.clock),
            },
            introspection: Introspection {
                api_keys: ApiKeys::new(self.store(), Arc::clone(&self.clock), api_key),
                access_tokens: Arc::clone(&access_tokens),
                grants: self.store(),
                resources: self.store(),
            },
            metadata: Metadata {
                resources: self.store(),
                issuer,
                dynamic_registration: authorization.dynamic_registration,
            },
            access_tokens,
        }
    }
}
