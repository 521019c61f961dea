//! `Email`: a user's address, validated and normalised once (docs/threat-model.md F1) so every
//! lookup, comparison and URL parameter uses the same form.

use std::fmt;

pub use gateway_proto::InvalidEmail;

/// A syntactically valid, lower-cased e-mail address.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Validates and normalises: surrounding whitespace trimmed (pasted addresses carry
    /// it), exactly one `@`, local part of printable ASCII without
    /// spaces (≤ 64), domain converted to ASCII (IDNA) and lower-cased, total ≤ 254.
    /// The whole address is compared case-insensitively, so it is stored lower-cased.
    /// The rules live in `gateway_proto::normalize_email`, so that clients key their
    /// caches by the same form.
    pub fn parse(raw: &str) -> Result<Self, InvalidEmail> {
        gateway_proto::normalize_email(raw).map(Self)
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn addresses_are_lowercased_so_case_variants_are_one_user() {
        assert_eq!(
            Email::parse("ALICE@Example.COM").unwrap(),
            Email::parse("alice@example.com").unwrap()
        );
    }

    #[test]
    fn plus_suffixes_and_dots_are_kept() {
        assert_eq!(
            Email::parse("a.b+ads@example.com").unwrap().as_str(),
            "a.b+ads@example.com"
        );
    }

    #[test]
    fn unicode_domains_become_ascii() {
        assert_eq!(
            Email::parse("bob@bücher.example").unwrap().as_str(),
            "bob@xn--bcher-kva.example"
        );
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        for padded in [
            " alice@example.com ",
            "\talice@example.com\n",
            "alice@example.com ",
        ] {
            assert_eq!(Email::parse(padded).unwrap().as_str(), "alice@example.com");
        }
    }

    #[test]
    fn malformed_addresses_are_refused() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_total = format!("a@{}.com", "b.".repeat(130));
        for bad in [
            "",
            "alice",
            "a@b@example.com",
            "alice@example.com\r\nX-Injected: 1",
            "alice @example.com",
            "alice@ example.com",
            "alice@example.com&prompt=none&redirect_uri=https://evil.example",
            "al ice@example.com",
            "@example.com",
            "alice@",
            "alice@localhost",
            "alice@127.0.0.1",
            "alice@[::1]",
            ".alice@example.com",
            "ali\u{e9}@example.com",
            long_local.as_str(),
            long_total.as_str(),
        ] {
            assert!(Email::parse(bad).is_err(), "accepted {bad:?}");
        }
    }
}
