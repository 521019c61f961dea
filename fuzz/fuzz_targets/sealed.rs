//! Sealed values and the original gateway's Fernet tokens: opening arbitrary input fails
//! cleanly, and any secret (quotes, backslashes, control characters) seals and opens.
#![no_main]

use auth_gateway::core::crypto::{Binding, KeyRing, LegacyKey};
use libfuzzer_sys::fuzz_target;
use secrecy::{ExposeSecret, SecretString};
use std::sync::OnceLock;

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| {
        KeyRing::new(
            &SecretString::from("fuzzing-key-0123456789abcdef-0123456789"),
            None,
            &[],
        )
        .expect("a valid key")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (label, rest) = text.split_once('\n').unwrap_or(("", text));
    let binding = Binding::Credential {
        user_email: label,
        provider: "google",
        field: "refresh_token",
    };
    let _ = ring().open(binding, label, rest);
    let sealed = ring().seal(
        Binding::Credential {
            user_email: label,
            provider: "google",
            field: "refresh_token",
        },
        &SecretString::from(rest.to_owned()),
    );
    let opened = ring()
        .open(
            Binding::Credential {
                user_email: label,
                provider: "google",
                field: "refresh_token",
            },
            &sealed.key_id,
            &sealed.ciphertext,
        )
        .expect("a sealed value opens");
    assert_eq!(opened.expose_secret(), rest);
    let legacy = LegacyKey::derive(&SecretString::from("legacy-key"), None);
    let _ = legacy.decrypt(rest);
});
