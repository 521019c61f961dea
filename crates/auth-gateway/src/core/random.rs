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
    fn pkce_challenge_is_unpadded_base64url_of_sha256() {
        // Computed independently with Python's hashlib and base64 (RFC 7636 §4.2).
        assert_eq!(
            super::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXk-kEjXk"),
            "JIR41DDhPj7MhvjRSfrWp1B4L4s-HZqJOIzA-517L3k"
        );
    }
}
