//! The gateway's access tokens: JWTs per RFC 9068, signed ES256 by the current signing
//! key, verified against the published ones. Resources verify them offline with the
//! JWKS; the gateway verifies them itself for token exchange and introspection.

use super::jwks::p256_coordinates;
use super::signing_keys::{ALGORITHM, current_or_create, private_key_der};
use crate::core::clock::Clock;
use crate::core::crypto::{CryptoError, KeyRing};
use crate::core::error::CoreError;
use crate::store::{AuditStore, SigningKeyStore};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The JWT `typ` of an access token (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// Clock skew tolerated on `exp` and `nbf` when verifying.
pub const LEEWAY: Duration = Duration::seconds(60);
/// How long the opened current key is used from memory before it is opened again, even
/// if the stored current kid has not changed: bounds how long a private key lives in
/// memory after, say, a re-encryption.
const KEY_CACHE_TTL: Duration = Duration::minutes(5);

/// The claims of an access token (RFC 9068 §2.2), plus the gateway's own: `client_id`
/// (RFC 9068 §2.2 names it too), `scope`, `email`, and `grant_id` so a token whose grant
/// was revoked can be refused where the gateway sees it (token exchange).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// The issuer: the public URL without trailing slash (the metadata's `issuer`).
    pub iss: String,
    /// The user's stable subject at the login provider.
    pub sub: String,
    /// The resource's canonical URI.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    /// A fresh UUID v4 per token.
    pub jti: String,
    pub client_id: String,
    /// Space-separated gateway scopes (`mcp:…`).
    pub scope: String,
    /// The user's verified email.
    pub email: String,
    /// The authorization grant the token was issued from.
    pub grant_id: Uuid,
}

/// What one token is issued for.
#[derive(Debug, Clone)]
pub struct AccessTokenGrant<'a> {
    pub user_subject: &'a str,
    pub user_email: &'a str,
    pub client_id: &'a str,
    pub resource: &'a str,
    pub scope: &'a str,
    pub grant_id: Uuid,
}

/// Why a presented access token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessTokenError {
    #[error("not a JWT access token of this gateway")]
    Malformed,
    #[error("signed by a key that is not published")]
    UnknownKey,
    #[error("invalid signature or claims")]
    Invalid,
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// The current signing key, opened.
struct OpenKey {
    kid: String,
    key: EncodingKey,
    opened_at: DateTime<Utc>,
}

/// Issues and verifies access tokens. Uses: `SigningKeyStore`, `AuditStore` (the first
/// key's creation is audited).
pub struct AccessTokens {
    store: Arc<dyn SigningKeyStore>,
    audit: Arc<dyn AuditStore>,
    keys: Arc<KeyRing>,
    clock: Arc<dyn Clock>,
    /// The `iss` of every token.
    issuer: String,
    open_key: Mutex<Option<OpenKey>>,
}

impl AccessTokens {
    pub fn new(
        store: Arc<dyn SigningKeyStore>,
        audit: Arc<dyn AuditStore>,
        keys: Arc<KeyRing>,
        clock: Arc<dyn Clock>,
        issuer: String,
    ) -> Self {
        Self {
            store,
            audit,
            keys,
            clock,
            issuer,
            open_key: Mutex::new(None),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs an access token for `grant`, valid for `ttl` from now.
    pub async fn issue(
        &self,
        grant: &AccessTokenGrant<'_>,
        ttl: Duration,
    ) -> Result<SecretString, CoreError> {
        let now = self.clock.now();
        let (kid, key) = self.current_key(now).await?;
        let claims = AccessTokenClaims {
            iss: self.issuer.clone(),
            sub: grant.user_subject.to_owned(),
            aud: grant.resource.to_owned(),
            exp: (now + ttl).timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            jti: Uuid::new_v4().to_string(),
            client_id: grant.client_id.to_owned(),
            scope: grant.scope.to_owned(),
            email: grant.user_email.to_owned(),
            grant_id: grant.grant_id,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        header.kid = Some(kid);
        jsonwebtoken::encode(&header, &claims, &key)
            .map(SecretString::from)
            .map_err(|_| CoreError::Crypto(CryptoError::SigningKey))
    }

    /// The current key, opened: from memory while the stored current kid is the same and
    /// the opened copy is recent, else opened again. The row is read every time (one
    /// indexed lookup), so a rotation on another replica is followed at once.
    async fn current_key(&self, now: DateTime<Utc>) -> Result<(String, EncodingKey), CoreError> {
        let record =
            current_or_create(self.store.as_ref(), self.audit.as_ref(), &self.keys, now).await?;
        if let Some(open) = self.lock().as_ref()
            && open.kid == record.kid
            && now - open.opened_at < KEY_CACHE_TTL
        {
            return Ok((open.kid.clone(), open.key.clone()));
        }
        let der = private_key_der(&self.keys, &record)?;
        let key = EncodingKey::from_ec_der(&der);
        *self.lock() = Some(OpenKey {
            kid: record.kid.clone(),
            key: key.clone(),
            opened_at: now,
        });
        Ok((record.kid, key))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<OpenKey>> {
        self.open_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Verifies a token against the published keys: signature, `typ` (RFC 9068 §4),
    /// `iss`, and `exp`/`nbf` against the gateway's clock with [`LEEWAY`]. The caller
    /// checks `aud` against the resource it acts for.
    pub async fn verify(&self, token: &str) -> Result<AccessTokenClaims, AccessTokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AccessTokenError::Malformed)?;
        let typ_ok = header.typ.as_deref().is_some_and(|typ| {
            typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP)
                || typ.eq_ignore_ascii_case("application/at+jwt")
        });
        if header.alg != Algorithm::ES256 || !typ_ok {
            return Err(AccessTokenError::Malformed);
        }
        let kid = header.kid.ok_or(AccessTokenError::Malformed)?;
        let now = self.clock.now();
        let published = self
            .store
            .published_signing_keys(now)
            .await
            .map_err(CoreError::from)?;
        let record = published
            .iter()
            .find(|key| key.kid == kid && key.algorithm == ALGORITHM)
            .ok_or(AccessTokenError::UnknownKey)?;
        let (x, y) = p256_coordinates(&record.public_key).ok_or(AccessTokenError::UnknownKey)?;
        let key =
            DecodingKey::from_ec_components(&x, &y).map_err(|_| AccessTokenError::UnknownKey)?;
        // Time is checked below with the injected clock; the library would read the
        // system's.
        let mut validation = Validation::new(Algorithm::ES256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        validation.set_issuer(&[&self.issuer]);
        let claims = jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation)
            .map_err(|_| AccessTokenError::Invalid)?
            .claims;
        let now = now.timestamp();
        if claims.exp + LEEWAY.num_seconds() <= now {
            return Err(AccessTokenError::Expired);
        }
        if claims.nbf - LEEWAY.num_seconds() > now {
            return Err(AccessTokenError::NotYetValid);
        }
        Ok(claims)
    }
}
