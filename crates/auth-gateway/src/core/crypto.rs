//! The key ring (G1): Fernet, byte-compatible with Python's `cryptography`, keys derived
//! exactly as the original gateway did, a key id stored beside every ciphertext, and the
//! row's identity sealed inside the payload so a ciphertext copied to another row fails.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use zeroize::Zeroizing;

// The value type lives in the domain (the store persists it); sealing and opening it
// stay here.
pub use crate::domain::Sealed;

/// Shortest accepted key string: the derivation is a plain hash, so the input must
/// already be a high-entropy secret: an unsalted SHA-256 adds no stretching, and the
/// original gateway derived its keys this way, so compatibility rules out a KDF here.
pub const MIN_KEY_LEN: usize = 32;

/// Which row and column a ciphertext belongs to.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    /// A credential's token column, e.g. `("alice@example.com", "google", "refresh_token")`.
    Credential {
        user_email: &'a str,
        provider: &'a str,
        field: &'a str,
    },
    /// The PKCE verifier of a sign-in session.
    SessionVerifier { session_id: &'a str },
    /// The private half of an access-token signing key, by its `kid`.
    SigningKey { kid: &'a str },
}

impl Binding<'_> {
    fn label(&self) -> String {
        match self {
            Self::Credential {
                user_email,
                provider,
                field,
            } => format!("credential|{provider}|{user_email}|{field}"),
            Self::SessionVerifier { session_id } => format!("session|{session_id}|pkce_verifier"),
            Self::SigningKey { kid } => format!("signing_key|{kid}|private_key"),
        }
    }
}

/// Key configuration errors, reported at startup.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0} must be at least {MIN_KEY_LEN} characters")]
    TooShort(&'static str),
}

/// Why a ciphertext could not be opened. Never carries key or plaintext material.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("ciphertext was made with key id {0}, which is not configured")]
    UnknownKey(String),
    #[error("ciphertext failed authentication (wrong key or tampered)")]
    Tampered,
    #[error("ciphertext belongs to another row")]
    WrongRow,
    /// A signing key could not be made, or a stored one does not parse.
    #[error("signing key unusable")]
    SigningKey,
}

/// The plaintext inside every Fernet token we write. `Cow`, not `&str`: a label or secret
/// with `"`, `\` or a control character is escaped in the JSON and cannot be borrowed
/// back out of it when opened.
#[derive(Serialize, Deserialize)]
struct Envelope<'a> {
    v: u8,
    /// The binding label; checked on open.
    #[serde(borrow)]
    b: Cow<'a, str>,
    /// The secret itself.
    #[serde(borrow)]
    s: Cow<'a, str>,
}

struct Key {
    id: String,
    fernet: fernet::Fernet,
}

impl Key {
    fn derive(secret: &SecretString, salt: Option<&SecretString>) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(secret.expose_secret().as_bytes());
        if let Some(salt) = salt {
            hasher.update(salt.expose_secret().as_bytes());
        }
        let raw: Zeroizing<[u8; 32]> = Zeroizing::new(hasher.finalize().into());
        let encoded = Zeroizing::new(URL_SAFE.encode(raw.as_slice()));
        let id = key_id(raw.as_slice());
        let fernet = fernet::Fernet::new(&encoded)
            .unwrap_or_else(|| unreachable!("a 32-byte key always makes a valid Fernet key"));
        Self { id, fernet }
    }
}

/// A public, stable name for a key: not reversible to the key.
fn key_id(raw_key: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(b"auth-gateway key id v1\0")
        .chain_update(raw_key)
        .finalize();
    digest[..6]
        .iter()
        .fold(String::with_capacity(12), |mut id, byte| {
            use std::fmt::Write as _;
            let _ = write!(id, "{byte:02x}");
            id
        })
}

/// A key of the original Python gateway, for importing its rows: plain Fernet tokens
/// (no row binding), key derived the same way as ours.
pub struct LegacyKey(Key);

impl std::fmt::Debug for LegacyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LegacyKey").field(&self.0.id).finish()
    }
}

impl LegacyKey {
    /// urlsafe-base64(SHA-256(key ‖ salt)), as the original derived it.
    pub fn derive(secret: &SecretString, salt: Option<&SecretString>) -> Self {
        Self(Key::derive(secret, salt))
    }

    /// Decrypts one of the original's Fernet tokens (no TTL, as the original).
    pub fn decrypt(&self, token: &str) -> Result<SecretString, CryptoError> {
        let plaintext = Zeroizing::new(
            self.0
                .fernet
                .decrypt(token)
                .map_err(|_| CryptoError::Tampered)?,
        );
        let text = std::str::from_utf8(&plaintext).map_err(|_| CryptoError::Tampered)?;
        Ok(SecretString::from(text))
    }
}

/// The primary key (encrypts) and the rotation keys (decrypt only).
pub struct KeyRing {
    primary: Key,
    older: Vec<Key>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("primary", &self.primary.id)
            .field(
                "older",
                &self.older.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl KeyRing {
    /// Derives every key as the original did: urlsafe-base64(SHA-256(key ‖ salt)).
    pub fn new(
        primary: &SecretString,
        salt: Option<&SecretString>,
        rotation: &[SecretString],
    ) -> Result<Self, KeyError> {
        if primary.expose_secret().len() < MIN_KEY_LEN {
            return Err(KeyError::TooShort("AUTH_GATEWAY_ENCRYPTION_KEY"));
        }
        if rotation
            .iter()
            .any(|key| key.expose_secret().len() < MIN_KEY_LEN)
        {
            return Err(KeyError::TooShort("AUTH_GATEWAY_ROTATION_KEYS"));
        }
        Ok(Self {
            primary: Key::derive(primary, salt),
            older: rotation.iter().map(|key| Key::derive(key, salt)).collect(),
        })
    }

    /// The id new ciphertexts carry.
    pub fn primary_key_id(&self) -> &str {
        &self.primary.id
    }

    /// Ids of every configured key, primary first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.primary.id.as_str()).chain(self.older.iter().map(|k| k.id.as_str()))
    }

    /// Encrypts `secret` for the row and column named by `binding`, with the primary key.
    pub fn seal(&self, binding: Binding<'_>, secret: &SecretString) -> Sealed {
        let label = binding.label();
        let envelope = Zeroizing::new(
            serde_json::to_vec(&Envelope {
                v: 1,
                b: Cow::Borrowed(&label),
                s: Cow::Borrowed(secret.expose_secret()),
            })
            .unwrap_or_else(|_| unreachable!("serialising strings cannot fail")),
        );
        Sealed {
            key_id: self.primary.id.clone(),
            ciphertext: self.primary.fernet.encrypt(&envelope),
        }
    }

    /// Decrypts with the key named by `key_id` and checks the ciphertext belongs to `binding`.
    pub fn open(
        &self,
        binding: Binding<'_>,
        key_id: &str,
        ciphertext: &str,
    ) -> Result<SecretString, CryptoError> {
        let key = self
            .key_ids()
            .zip(std::iter::once(&self.primary).chain(&self.older))
            .find(|(id, _)| *id == key_id)
            .map(|(_, key)| key)
            .ok_or_else(|| CryptoError::UnknownKey(key_id.to_owned()))?;
        let plaintext = Zeroizing::new(
            key.fernet
                .decrypt(ciphertext)
                .map_err(|_| CryptoError::Tampered)?,
        );
        let envelope: Envelope<'_> =
            serde_json::from_slice(&plaintext).map_err(|_| CryptoError::Tampered)?;
        if envelope.v != 1 || envelope.b != binding.label() {
            return Err(CryptoError::WrongRow);
        }
        Ok(SecretString::from(envelope.s.into_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PYTHON_KEY: &str = "correct-horse-battery-staple-0123456789";
    const PYTHON_SALT: &str = "pinch-of-salt";
    /// Made by Python `cryptography` 48: `Fernet(urlsafe_b64encode(sha256((key + salt)
    /// .encode()).digest())).encrypt_at_time(b"ya29.python-made-token/+=", 1764201600)`.
    const PYTHON_TOKEN: &str = "gAAAAABpJ5SA3ePJrtgS5KlbBf-wKsvqXKYQzkLVaV0yJRbr_xDi7f8mzQjyHmlVw63dx7LGGAPHrcMSvdXvetP5jTUNzFNiAomoUEFY0iF7QtXqyByTofA=";

    fn secret(text: &str) -> SecretString {
        SecretString::from(text)
    }

    fn alice(field: &str) -> Binding<'_> {
        Binding::Credential {
            user_email: "alice@example.com",
            provider: "google",
            field,
        }
    }

    #[test]
    fn key_derivation_matches_python_and_reads_its_tokens() {
        let key = Key::derive(&secret(PYTHON_KEY), Some(&secret(PYTHON_SALT)));
        assert_eq!(
            key.fernet.decrypt(PYTHON_TOKEN).unwrap(),
            b"ya29.python-made-token/+="
        );
        let unsalted = Key::derive(&secret(PYTHON_KEY), None);
        assert!(unsalted.fernet.decrypt(PYTHON_TOKEN).is_err());
    }

    #[test]
    fn sealed_secrets_open_only_for_their_own_row() {
        let ring = KeyRing::new(&secret(PYTHON_KEY), None, &[]).unwrap();
        let sealed = ring.seal(alice("access_token"), &secret("ya29.canary"));
        assert!(!sealed.ciphertext.contains("canary"));
        let opened = ring
            .open(alice("access_token"), &sealed.key_id, &sealed.ciphertext)
            .unwrap();
        assert_eq!(opened.expose_secret(), "ya29.canary");
        let bob = Binding::Credential {
            user_email: "bob@example.com",
            provider: "google",
            field: "access_token",
        };
        assert!(matches!(
            ring.open(bob, &sealed.key_id, &sealed.ciphertext),
            Err(CryptoError::WrongRow)
        ));
        assert!(matches!(
            ring.open(alice("refresh_token"), &sealed.key_id, &sealed.ciphertext),
            Err(CryptoError::WrongRow)
        ));
    }

    #[test]
    fn rotation_keys_still_open_old_ciphertexts() {
        let old = secret("an-old-key-that-was-primary-last-year");
        let new = secret("the-new-primary-key-for-this-year-2026");
        let before = KeyRing::new(&old, None, &[]).unwrap();
        let sealed = before.seal(alice("refresh_token"), &secret("1//refresh"));
        let after = KeyRing::new(&new, None, &[old]).unwrap();
        assert_ne!(after.primary_key_id(), sealed.key_id);
        let opened = after
            .open(alice("refresh_token"), &sealed.key_id, &sealed.ciphertext)
            .unwrap();
        assert_eq!(opened.expose_secret(), "1//refresh");
        let without_old = KeyRing::new(&new, None, &[]).unwrap();
        assert!(matches!(
            without_old.open(alice("refresh_token"), &sealed.key_id, &sealed.ciphertext),
            Err(CryptoError::UnknownKey(_))
        ));
    }

    #[test]
    fn tampered_ciphertexts_and_short_keys_are_refused() {
        let ring = KeyRing::new(&secret(PYTHON_KEY), None, &[]).unwrap();
        let sealed = ring.seal(alice("access_token"), &secret("ya29.x"));
        let mut tampered = sealed.ciphertext.clone();
        tampered.replace_range(20..21, if &tampered[20..21] == "A" { "B" } else { "A" });
        assert!(matches!(
            ring.open(alice("access_token"), &sealed.key_id, &tampered),
            Err(CryptoError::Tampered)
        ));
        assert!(KeyRing::new(&secret("short"), None, &[]).is_err());
    }

    #[test]
    fn debug_output_names_key_ids_only() {
        let ring = KeyRing::new(&secret(PYTHON_KEY), None, &[]).unwrap();
        let debug = format!("{ring:?}");
        assert!(!debug.contains(PYTHON_KEY));
        assert!(debug.contains(ring.primary_key_id()));
    }
}
