//! The one normalisation of a user's email address. The gateway keys grants by it and
//! clients key their token caches by it, so two spellings are one user on both sides
//! or on neither: a client that folded case differently could serve one user's cached
//! token for an address the gateway would treat as someone else, or refuse.

use std::fmt;

const MAX_LOCAL_LEN: usize = 64;
const MAX_TOTAL_LEN: usize = 254;

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEmail(&'static str);

impl fmt::Display for InvalidEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid email address: {}", self.0)
    }
}

impl std::error::Error for InvalidEmail {}

/// Validates and normalises: surrounding whitespace trimmed (pasted addresses carry
/// it), exactly one `@`, local part of printable ASCII without spaces (≤ 64), domain
/// converted to ASCII (IDNA) and lower-cased, total ≤ 254. The whole address is
/// compared case-insensitively, so the result is lower-cased.
pub fn normalize_email(raw: &str) -> Result<String, InvalidEmail> {
    let (local, domain) = raw
        .trim()
        .split_once('@')
        .ok_or(InvalidEmail("missing '@'"))?;
    if domain.contains('@') {
        return Err(InvalidEmail("more than one '@'"));
    }
    if local.is_empty() || local.len() > MAX_LOCAL_LEN {
        return Err(InvalidEmail("local part must be 1 to 64 characters"));
    }
    if !local.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(InvalidEmail(
            "local part must be printable ASCII without spaces",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(InvalidEmail("misplaced '.' in local part"));
    }
    if domain.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidEmail("domain contains spaces or control characters"));
    }
    let domain =
        url::Host::parse(domain).map_err(|_| InvalidEmail("domain is not a valid host"))?;
    let url::Host::Domain(domain) = domain else {
        return Err(InvalidEmail("domain must be a name, not an IP address"));
    };
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !labels_ok {
        return Err(InvalidEmail("domain is not a valid host name"));
    }
    let email = format!("{}@{}", local.to_ascii_lowercase(), domain);
    if email.len() > MAX_TOTAL_LEN {
        return Err(InvalidEmail("longer than 254 characters"));
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn case_whitespace_and_unicode_domains_normalise_to_one_form() {
        for spelling in [
            "alice@bücher.example",
            " ALICE@BÜCHER.example\n",
            "Alice@xn--bcher-kva.EXAMPLE",
        ] {
            assert_eq!(
                normalize_email(spelling).unwrap(),
                "alice@xn--bcher-kva.example"
            );
        }
    }

    #[test]
    fn plus_suffixes_and_dots_are_kept() {
        assert_eq!(
            normalize_email("a.b+ads@example.com").unwrap(),
            "a.b+ads@example.com"
        );
    }

    #[test]
    fn characters_that_fold_to_ascii_are_refused_not_folded() {
        // U+212A KELVIN SIGN and U+0130 lower-case to ASCII-looking letters.
        for lookalike in ["\u{212A}ate@example.com", "\u{130}van@example.com"] {
            assert!(
                normalize_email(lookalike).is_err(),
                "accepted {lookalike:?}"
            );
        }
    }

    #[test]
    fn the_reason_is_in_the_message() {
        let error = normalize_email("alice").unwrap_err();
        assert_eq!(error.to_string(), "invalid email address: missing '@'");
    }
}
