//! The plain data of the authorization server's roles (`authz_roles`): MCP clients,
//! browser sign-ins and sessions at the gateway, consents, authorization grants with
//! their codes and refresh tokens. Secrets appear only as SHA-256 digests or sealed.

use crate::domain::Sealed;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// How an MCP client came to be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthClientKind {
    /// Registered through `POST /oauth/register` (RFC 7591).
    Dynamic,
    /// Its `client_id` is the URL of its metadata document (CIMD); the row is a cache.
    MetadataDocument,
    /// Added by an operator.
    Preregistered,
}

impl OAuthClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dynamic => "dynamic",
            Self::MetadataDocument => "metadata_document",
            Self::Preregistered => "preregistered",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "dynamic" => Some(Self::Dynamic),
            "metadata_document" => Some(Self::MetadataDocument),
            "preregistered" => Some(Self::Preregistered),
            _ => None,
        }
    }
}

/// An MCP client (Claude, VS Code, …) of the authorization server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClientRecord {
    /// The `client_id`: a random id for dynamic registrations, the document URL for CIMD.
    pub client_id: String,
    pub kind: OAuthClientKind,
    /// `client_name` from the registration, shown on the consent page.
    pub client_name: Option<String>,
    /// Exact redirect URIs (loopback ones match on any port, RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
    /// `none`, `client_secret_basic` or `client_secret_post`.
    pub token_endpoint_auth_method: String,
    /// SHA-256 of the client secret of a confidential client; `None` for public clients.
    pub secret_digest: Option<Vec<u8>>,
    pub created_at: DateTime<Utc>,
    /// Last time the client got a code or a token; unused dynamic registrations expire.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Until when a cached metadata document may be used without fetching it again.
    pub refresh_after: Option<DateTime<Utc>>,
}

/// A sign-in at the gateway in progress: the browser was sent to the login provider and
/// comes back to the provider's callback with `state`. No user is known yet.
#[derive(Debug, Clone)]
pub struct NewLogin {
    pub id: Uuid,
    /// SHA-256 of the `state` sent to the provider.
    pub state_hash: Vec<u8>,
    /// SHA-256 of the cookie that binds the login to the browser that started it.
    pub browser_hash: Vec<u8>,
    /// The PKCE verifier for the provider, sealed and bound to the login id.
    pub pkce_verifier: Sealed,
    pub provider: String,
    /// The upstream scopes asked for (identity scopes plus the resource's).
    pub scopes: Vec<String>,
    /// Where to resume afterwards: the authorization request, as a relative URL
    /// (`/oauth/authorize?…`) the gateway itself built.
    pub return_to: String,
    /// Set when an already signed-in user is sent back for more scopes: the login must
    /// then come back as this same account (provider `sub`).
    pub expected_subject: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A stored login. `used_at` is set once, by the one callback that claims it.
#[derive(Debug, Clone)]
pub struct LoginRecord {
    pub id: Uuid,
    pub browser_hash: Vec<u8>,
    pub pkce_verifier: Sealed,
    pub provider: String,
    pub scopes: Vec<String>,
    pub return_to: String,
    pub expected_subject: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// A signed-in browser at the gateway: the cookie's SHA-256 is the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserSessionRecord {
    pub id_hash: Vec<u8>,
    /// The login provider's stable subject (`sub`) of the user.
    pub user_subject: String,
    /// The user's verified email: the key of their grants in the vault.
    pub user_email: String,
    /// The login provider.
    pub provider: String,
    pub created_at: DateTime<Utc>,
    /// Ends when unused this long (moved forward on use).
    pub idle_expires_at: DateTime<Utc>,
    /// Ends at the latest here, used or not.
    pub absolute_expires_at: DateTime<Utc>,
}

/// A user's remembered "Allow" for one client at one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub user_subject: String,
    pub client_id: String,
    /// The resource's canonical URI.
    pub resource: String,
    /// The gateway scope consented to (space-separated).
    pub scope: String,
    pub granted_at: DateTime<Utc>,
}

/// What a user authorized a client to do at a resource: the family every code, refresh
/// token and access token issued from one consent belongs to. Revoking it ends them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationGrantRecord {
    pub id: Uuid,
    pub client_id: String,
    pub user_subject: String,
    pub user_email: String,
    pub resource: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An authorization code: single use, short-lived, bound to its grant, the redirect URI
/// and the PKCE challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCodeRecord {
    /// SHA-256 of the code.
    pub code_hash: Vec<u8>,
    pub grant_id: Uuid,
    pub redirect_uri: String,
    /// The S256 `code_challenge` (base64url).
    pub code_challenge: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The result of redeeming a code.
// `Redeemed` is the common case and the value is moved once to its caller, never stored
// in bulk: boxing it would cost an allocation per exchange to save stack bytes.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// First use: the code and its grant (which may have been revoked meanwhile).
    Redeemed {
        code: AuthorizationCodeRecord,
        grant: AuthorizationGrantRecord,
    },
    /// The code was redeemed before: a replay. Its grant has now been revoked.
    Replayed { grant_id: Uuid },
    /// No such code, or it expired.
    Unknown,
}

/// A refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    /// SHA-256 of the token.
    pub token_hash: Vec<u8>,
    pub grant_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The result of using a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshRotation {
    /// The token was current: it is now used, `new` is stored in its place.
    Rotated { grant: AuthorizationGrantRecord },
    /// The token had been used within the grace period and the token that replaced it
    /// was never used (the client lost the response): that one is revoked and `new`
    /// replaces it. The family lives on.
    Reissued { grant: AuthorizationGrantRecord },
    /// The token had been used before (outside the grace period, or its successor was
    /// used): a reuse. The whole grant has now been revoked.
    Reused { grant_id: Uuid },
    /// No such token, expired, or its grant is revoked.
    Invalid,
}
