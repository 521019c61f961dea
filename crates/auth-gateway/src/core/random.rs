//! Random tokens and their digests: states, connect links, PKCE verifiers and browser
//! nonces are 32 random bytes, base64url (43 characters); only SHA-256 digests are stored.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// A fresh 256-bit random token, base64url without padding.
pub fn token() -> SecretString {
    let mut bytes = zeroize::Zeroizing::new([0_u8; 32]);
    // The OS generator failing means the machine cannot do cryptography at all.
    getrandom::fill(bytes.as_mut())
        .unwrap_or_else(|error| panic!("OS random generator failed: {error}"));
    SecretString::from(URL_SAFE_NO_PAD.encode(bytes.as_ref()))
}

/// SHA-256 of a token, the form it is stored and looked up in.
pub fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The PKCE S256 challenge for a verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The secret of a session's connect link, derived from its PKCE verifier (domain
/// separated, so it is not the PKCE challenge). Only its digest is stored, and only a
/// pending session is found by it; deriving it lets a used or expired link be told
/// apart from a forged one without storing anything more.
pub fn connect_secret(verifier: &str) -> SecretString {
    let mut hasher = Sha256::new();
    hasher.update(b"mcp-auth-gateway connect link\0");
    hasher.update(verifier.as_bytes());
    SecretString::from(URL_SAFE_NO_PAD.encode(hasher.finalize()))
}

/// The path segment of a connect link: the secret, then the session id.
pub fn connect_link_token(secret: &str, session_id: uuid::Uuid) -> String {
    format!("{secret}.{}", session_id.simple())
}

/// Splits a connect link's token into its secret and session id. Links made before the
/// session id was added are the bare secret.
pub fn parse_connect_link_token(text: &str) -> Option<(&str, Option<uuid::Uuid>)> {
    let (secret, id) = match text.split_once('.') {
        Some((secret, id)) if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (secret, Some(uuid::Uuid::try_parse(id).ok()?))
        }
        Some(_) => return None,
        None => (text, None),
    };
    looks_like_token(secret).then_some((secret, id))
}

/// True when `text` has the shape of a token from [`token`].
pub fn looks_like_token(text: &str) -> bool {
    text.len() == 43
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    #[test]
    fn tokens_are_43_chars_and_distinct() {
        let (a, b) = (super::token(), super::token());
        assert!(super::looks_like_token(a.expose_secret()));
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn connect_link_tokens_round_trip_and_old_bare_tokens_still_parse() {
        let id = uuid::Uuid::new_v4();
        let secret = super::connect_secret("verifier");
        let token = super::connect_link_token(secret.expose_secret(), id);
        assert_eq!(
            super::parse_connect_link_token(&token),
            Some((secret.expose_secret(), Some(id)))
        );
        assert_eq!(
            super::parse_connect_link_token(secret.expose_secret()),
            Some((secret.expose_secret(), None))
        );
        assert_ne!(
            secret.expose_secret(),
            super::pkce_challenge("verifier"),
            "the link must not reveal the PKCE challenge"
        );
        for bad in [
            "",
            "nope",
            "a.b",
            &format!("{}.xyz", secret.expose_secret()),
        ] {
            assert_eq!(super::parse_connect_link_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn pkce_challenge_is_unpadded_base64url_of_sha256() {
        // Computed independently with Python's hashlib and base64 (RFC 7636 §4.2).
        assert_eq!(
            super::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXk-kEjXk"),
            "JIR41DDhPj7MhvjRSfrWp1B4L4s-HZqJOIzA-517L3k"
        );
    }
}
