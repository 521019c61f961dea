//! GA4 resource ids: properties (`123` or `properties/123`) and accounts (`123` or
//! `accounts/123`), reduced to their digits once so URLs are built from clean input.

use std::fmt;

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a GA4 {kind} id: use the number (e.g. 123456789) or `{prefix}/123456789`{hint}"
)]
pub struct IdError {
    given: String,
    kind: &'static str,
    prefix: &'static str,
    hint: &'static str,
}

/// A GA4 property, e.g. `properties/123456789`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PropertyId(String);

/// A Google Analytics account, e.g. `accounts/1000`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountId(String);

/// Ids are int64 in Google's APIs: at most 19 digits.
const MAX_DIGITS: usize = 19;

fn digits_of(
    input: &str,
    kind: &'static str,
    prefix: &'static str,
    hint: &'static str,
) -> Result<String, IdError> {
    let text = input.trim();
    let digits = text
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(text);
    if (1..=MAX_DIGITS).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit())
    {
        return Ok(digits.to_owned());
    }
    Err(IdError {
        given: text.to_owned(),
        kind,
        prefix,
        hint,
    })
}

impl PropertyId {
    /// Reads `123` or `properties/123`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        // A "G-XXXX" measurement id is the commonest mix-up; say where the right id is.
        let hint = if input.trim().to_ascii_uppercase().starts_with("G-") {
            " (a `G-` measurement id is not a property id; call list_properties to find it)"
        } else {
            " (call list_properties to find it)"
        };
        digits_of(input, "property", "properties", hint).map(Self)
    }

    /// The digits alone.
    pub fn number(&self) -> &str {
        &self.0
    }
}

impl AccountId {
    /// Reads `123` or `accounts/123`.
    pub fn parse(input: &str) -> Result<Self, IdError> {
        digits_of(input, "account", "accounts", "").map(Self)
    }

    /// The digits alone.
    pub fn number(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PropertyId {
    /// The resource name, `properties/123`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "properties/{}", self.0)
    }
}

impl fmt::Display for AccountId {
    /// The resource name, `accounts/123`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "accounts/{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_property_id_is_taken_with_or_without_its_prefix() {
        assert_eq!(PropertyId::parse("123").unwrap().number(), "123");
        let id = PropertyId::parse(" properties/456 ").unwrap();
        assert_eq!(id.number(), "456");
        assert_eq!(id.to_string(), "properties/456");
    }

    #[test]
    fn anything_but_digits_is_refused_with_a_hint() {
        for bad in [
            "",
            "properties/",
            "properties/12a",
            "accounts/123",
            "12 34",
            "../123",
            "12345678901234567890",
        ] {
            assert!(PropertyId::parse(bad).is_err(), "{bad}");
        }
        let message = PropertyId::parse("G-ABC123").unwrap_err().to_string();
        assert!(message.contains("measurement id"), "{message}");
        assert!(message.contains("list_properties"), "{message}");
    }

    #[test]
    fn an_account_id_is_taken_with_or_without_its_prefix() {
        assert_eq!(AccountId::parse("accounts/1000").unwrap().number(), "1000");
        assert_eq!(
            AccountId::parse("1000").unwrap().to_string(),
            "accounts/1000"
        );
        assert!(AccountId::parse("properties/1000").is_err());
    }
}
