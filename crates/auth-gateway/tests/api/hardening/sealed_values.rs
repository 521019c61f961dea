//! Sealed values with any content (issue 16, finding 9): a secret or a row label holding
//! `"`, `\` or control characters seals and opens. A property test over generated
//! strings, seeded so a failure reproduces.

use auth_gateway::core::crypto::{Binding, KeyRing};
use secrecy::{ExposeSecret, SecretString};

/// Characters JSON must escape, and some that it need not, mixed with plain ones.
const ALPHABET: &[char] = &[
    '"', '\\', '\n', '\r', '\t', '\u{0}', '\u{1f}', '\u{7f}', '/', 'a', 'Z', '0', '@', '|', ' ',
    'é', '€', '😀',
];

/// xorshift64*: deterministic, no dependency.
struct Strings(u64);

impl Strings {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn string(&mut self, max_len: u64) -> String {
        let len = self.next() % (max_len + 1);
        (0..len)
            .map(|_| {
                let pick = self.next();
                if pick.is_multiple_of(4) {
                    // Any Unicode scalar value, not only the alphabet.
                    char::from_u32(u32::try_from(pick >> 32).unwrap() % 0x11_0000).unwrap_or('x')
                } else {
                    ALPHABET[usize::try_from(pick % ALPHABET.len() as u64).unwrap()]
                }
            })
            .collect()
    }
}

#[test]
fn any_secret_under_any_label_seals_and_opens() {
    let keys = KeyRing::new(
        &SecretString::from("property-test-key-0123456789abcdefghijklmnop"),
        None,
        &[],
    )
    .unwrap();
    let mut strings = Strings(0x9e37_79b9_7f4a_7c15);
    for _ in 0..500 {
        let (user_email, provider, field) =
            (strings.string(40), strings.string(8), strings.string(8));
        let secret = strings.string(200);
        let binding = Binding::Credential {
            user_email: &user_email,
            provider: &provider,
            field: &field,
        };
        let sealed = keys.seal(binding, &SecretString::from(secret.clone()));
        let opened = keys
            .open(binding, &sealed.key_id, &sealed.ciphertext)
            .unwrap_or_else(|error| {
                panic!("{secret:?} under ({user_email:?}, {provider:?}, {field:?}): {error}")
            });
        assert_eq!(opened.expose_secret(), secret);
    }
}
