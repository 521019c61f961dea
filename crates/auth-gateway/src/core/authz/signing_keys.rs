//! The ES256 (P-256) keys that sign the gateway's access tokens (RFC 9068). One key is
//! current; after a rotation the previous one stays published for an overlap, so tokens
//! it signed keep verifying until they expire. Private keys are sealed by the key ring
//! (bound to their `kid`), so encryption-key rotation and `reencrypt` cover them.
//!
//! Generated with aws-lc-rs, the crypto backend the tree already uses for TLS and that
//! `jsonwebtoken` signs with: one implementation of P-256 in the binary.

use super::jwks::{Jwk, Jwks, thumbprint};
use crate::core::audit::{self, AuditAction, AuditOutcome, Event};
use crate::core::clock::Clock;
use crate::core::crypto::{Binding, CryptoError, KeyRing};
use crate::core::error::CoreError;
use crate::store::{AuditStore, NewSigningKey, SigningKeyRecord, SigningKeyStore, Store};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use std::sync::Arc;
use zeroize::Zeroizing;

/// The JWS algorithm of every signing key.
pub const ALGORITHM: &str = "ES256";
/// How long a replaced key stays published by default: longer than any access token
/// it signed lives, plus the JWKS cache time.
pub const DEFAULT_OVERLAP: Duration = Duration::hours(24);
/// How long a resource may cache the JWKS (`Cache-Control: max-age`).
pub const JWKS_MAX_AGE: Duration = Duration::minutes(5);
/// The shortest overlap a rotation accepts: a resource holding a JWKS fetched just
/// before the rotation must still find the old key when it refetches.
pub const MIN_OVERLAP: Duration = Duration::minutes(10);

/// Why a signing-key command failed.
#[derive(Debug, thiserror::Error)]
pub enum SigningKeyError {
    #[error("the overlap must be at least {} minutes (twice the JWKS cache time)", MIN_OVERLAP.num_minutes())]
    OverlapTooShort,
    #[error("another rotation happened at the same time; run the command again")]
    Concurrent,
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// A key to store: a fresh P-256 pair, its private half sealed for its `kid`.
fn generate(keys: &KeyRing, now: DateTime<Utc>) -> Result<NewSigningKey, CryptoError> {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .map_err(|_| CryptoError::SigningKey)?;
    let pkcs8 = pair.to_pkcs8v1().map_err(|_| CryptoError::SigningKey)?;
    let public_key = pair.public_key().as_ref().to_vec();
    let kid = thumbprint(&public_key).ok_or(CryptoError::SigningKey)?;
    let private = SecretString::from(URL_SAFE_NO_PAD.encode(pkcs8.as_ref()));
    let private_key = keys.seal(Binding::SigningKey { kid: &kid }, &private);
    Ok(NewSigningKey {
        kid,
        algorithm: ALGORITHM.to_owned(),
        public_key,
        private_key,
        created_at: now,
    })
}

/// The private key of a stored signing key, as PKCS#8 DER (what
/// `jsonwebtoken::EncodingKey::from_ec_der` takes).
pub fn private_key_der(
    keys: &KeyRing,
    record: &SigningKeyRecord,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let sealed = &record.private_key;
    let binding = Binding::SigningKey { kid: &record.kid };
    let text = keys.open(binding, &sealed.key_id, &sealed.ciphertext)?;
    URL_SAFE_NO_PAD
        .decode(text.expose_secret())
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::SigningKey)
}

/// The current key, made now if there is none. Replicas racing here all end with the
/// same key: the store keeps the first insert and the others re-read it.
pub async fn current_or_create(
    store: &dyn SigningKeyStore,
    audit_store: &dyn AuditStore,
    keys: &KeyRing,
    now: DateTime<Utc>,
) -> Result<SigningKeyRecord, CoreError> {
    if let Some(current) = store.current_signing_key().await? {
        return Ok(current);
    }
    let key = generate(keys, now)?;
    if store.insert_first_signing_key(&key).await? {
        let detail = format!("kid {}", key.kid);
        let event = Event::batch(
            now,
            AuditAction::SigningKeyCreated,
            AuditOutcome::Ok,
            detail,
        );
        audit::record(audit_store, event).await;
    }
    store
        .current_signing_key()
        .await?
        .ok_or_else(|| CoreError::Crypto(CryptoError::SigningKey))
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub previous_kid: String,
    pub current_kid: String,
    /// When the previous key leaves the JWKS.
    pub previous_retires_at: DateTime<Utc>,
}

/// Makes a new current key; the previous one stays published until `now + overlap`.
/// Keys whose overlap has ended are deleted.
pub async fn rotate(
    store: &dyn Store,
    keys: &KeyRing,
    now: DateTime<Utc>,
    overlap: Duration,
) -> Result<Rotation, SigningKeyError> {
    if overlap < MIN_OVERLAP {
        return Err(SigningKeyError::OverlapTooShort);
    }
    let previous = current_or_create(store, store, keys, now).await?;
    let key = generate(keys, now).map_err(CoreError::from)?;
    let retires_at = now + overlap;
    if !store
        .rotate_signing_key(&previous.kid, &key, retires_at)
        .await
        .map_err(CoreError::from)?
    {
        return Err(SigningKeyError::Concurrent);
    }
    store
        .delete_signing_keys_retired_before(now)
        .await
        .map_err(CoreError::from)?;
    let detail = format!("kid {} replaces {}", key.kid, previous.kid);
    let event = Event::batch(
        now,
        AuditAction::SigningKeyRotated,
        AuditOutcome::Ok,
        detail,
    );
    audit::record(store, event).await;
    Ok(Rotation {
        previous_kid: previous.kid,
        current_kid: key.kid,
        previous_retires_at: retires_at,
    })
}

/// Serves the signing keys to the rest of the core and the JWKS to resources. Uses:
/// `SigningKeyStore`, `AuditStore`.
pub struct SigningKeys {
    pub(in crate::core) store: Arc<dyn SigningKeyStore>,
    pub(in crate::core) audit: Arc<dyn AuditStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) clock: Arc<dyn Clock>,
}

impl SigningKeys {
    /// The key that signs tokens now (made on first need).
    pub async fn current(&self) -> Result<SigningKeyRecord, CoreError> {
        let now = self.clock.now();
        current_or_create(self.store.as_ref(), self.audit.as_ref(), &self.keys, now).await
    }

    /// The current key and those still in their overlap, as a JWKS. Makes the first key
    /// if there is none, so a resource never caches an empty set.
    pub async fn jwks(&self) -> Result<Jwks, CoreError> {
        self.current().await?;
        let published = self.store.published_signing_keys(self.clock.now()).await?;
        Ok(Jwks {
            keys: published.iter().filter_map(Jwk::from_record).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
    use serde_json::json;

    fn stored(key: NewSigningKey) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: key.kid,
            algorithm: key.algorithm,
            public_key: key.public_key,
            private_key: key.private_key,
            created_at: key.created_at,
            retires_at: None,
        }
    }

    fn ring(secret: &str) -> KeyRing {
        KeyRing::new(&SecretString::from(secret), None, &[]).unwrap()
    }

    /// What the token endpoint will rely on: a token signed with the stored (sealed)
    /// private key verifies with the public JWK the JWKS publishes.
    #[test]
    fn a_token_signed_with_the_stored_key_verifies_with_its_published_jwk() {
        let keys = ring("signing-key-test-encryption-key-0123456789");
        let record = stored(generate(&keys, DateTime::UNIX_EPOCH).unwrap());
        assert!(!record.private_key.ciphertext.is_empty());
        let der = private_key_der(&keys, &record).unwrap();
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(record.kid.clone());
        header.typ = Some("at+jwt".to_owned());
        let claims = json!({
            "iss": "https://gateway.example.com",
            "aud": "https://ads.example.com/mcp",
            "sub": "1234567890",
            "exp": 4_000_000_000_u64,
        });
        let token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&der)).unwrap();

        let jwk = Jwk::from_record(&record).unwrap();
        assert_eq!((jwk.kty.as_str(), jwk.crv.as_str()), ("EC", "P-256"));
        assert_eq!((jwk.alg.as_str(), jwk.use_.as_str()), ("ES256", "sig"));
        assert_eq!(
            jsonwebtoken::decode_header(&token).unwrap().kid,
            Some(jwk.kid.clone())
        );
        let public = DecodingKey::from_ec_components(&jwk.x, &jwk.y).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&["https://ads.example.com/mcp"]);
        validation.set_issuer(&["https://gateway.example.com"]);
        let verified =
            jsonwebtoken::decode::<serde_json::Value>(&token, &public, &validation).unwrap();
        assert_eq!(verified.claims["sub"], "1234567890");

        // Another key's JWK does not verify it.
        let other = stored(generate(&keys, DateTime::UNIX_EPOCH).unwrap());
        let other = Jwk::from_record(&other).unwrap();
        let wrong = DecodingKey::from_ec_components(&other.x, &other.y).unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &wrong, &validation).is_err());
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint_and_the_private_key_is_bound_to_it() {
        let keys = ring("signing-key-test-encryption-key-0123456789");
        let record = stored(generate(&keys, DateTime::UNIX_EPOCH).unwrap());
        assert_eq!(thumbprint(&record.public_key), Some(record.kid.clone()));
        assert_eq!(record.kid.len(), 43, "base64url of a SHA-256 digest");
        let mut moved = record.clone();
        moved.kid = "another-kid".to_owned();
        assert!(matches!(
            private_key_der(&keys, &moved),
            Err(CryptoError::WrongRow)
        ));
    }
}
