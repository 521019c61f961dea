//! Random token material and deterministic identifiers shaped like Google's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `bytes` random bytes, base64url without padding.
pub(crate) fn random_b64(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if getrandom::fill(&mut buf).is_err() {
        // The OS RNG essentially never fails; if it does, the emulator must keep
        // answering, and uniqueness (not secrecy) is all a test double needs.
        fallback_fill(&mut buf);
    }
    URL_SAFE_NO_PAD.encode(buf)
}

fn fallback_fill(buf: &mut [u8]) {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for (block, chunk) in buf.chunks_mut(32).enumerate() {
        let digest = Sha256::new()
            .chain_update(nanos.to_le_bytes())
            .chain_update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes())
            .chain_update(std::process::id().to_le_bytes())
            .chain_update(block.to_le_bytes())
            .finalize();
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
}

/// An authorization code like Google's (`4/0A…`).
pub(crate) fn authorization_code() -> String {
    format!("4/0A{}", random_b64(54))
}

/// An access token like Google's (`ya29.…`).
pub(crate) fn access_token() -> String {
    format!("ya29.{}", random_b64(120))
}

/// A refresh token like Google's (`1//…`).
pub(crate) fn refresh_token() -> String {
    format!("1//0{}", random_b64(72))
}

/// Google subject ids are 21 decimal digits; derive one from the email so the
/// same address always maps to the same `sub` across emulator restarts.
pub(crate) fn sub_for_email(email: &str) -> String {
    let digest = Sha256::digest(email.as_bytes());
    let mut head = [0u8; 16];
    head.copy_from_slice(&digest[..16]);
    let n = u128::from_be_bytes(head) % 100_000_000_000_000_000_000;
    format!("1{n:020}")
}

/// Emails are case-insensitive at Google; every map in the emulator is keyed by this form.
pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_is_twenty_one_digits_and_stable() {
        let a = sub_for_email("alice@example.com");
        assert_eq!(a.len(), 21);
        assert!(a.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(a, sub_for_email("alice@example.com"));
        assert_ne!(a, sub_for_email("bob@example.com"));
    }

    #[test]
    fn fallback_fills_every_byte_position() {
        let mut buf = [0u8; 70];
        fallback_fill(&mut buf);
        assert!(buf[64..].iter().any(|b| *b != 0));
    }

    #[test]
    fn tokens_have_google_prefixes() {
        assert!(authorization_code().starts_with("4/0A"));
        assert!(access_token().starts_with("ya29."));
        assert!(refresh_token().starts_with("1//"));
        assert_ne!(access_token(), access_token());
    }
}
