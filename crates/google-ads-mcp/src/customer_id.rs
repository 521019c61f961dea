//! `CustomerId`: a Google Ads customer ID, accepted as `1234567890`,
//! `123-456-7890` or `customers/1234567890`, always ten digits once parsed.

use std::fmt;

/// A valid Google Ads customer ID (ten digits).
///
/// ```
/// use google_ads_mcp::CustomerId;
///
/// let id = CustomerId::parse("123-456-7890").unwrap();
/// assert_eq!(id.digits(), "1234567890");
/// assert_eq!(id.to_string(), "123-456-7890");
/// assert!(CustomerId::parse("12345").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(String);

impl CustomerId {
    /// Parses an ID with or without dashes (or spaces), or a `customers/…` resource name.
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        let bare = trimmed.strip_prefix("customers/").unwrap_or(trimmed);
        let digits: String = bare.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
        if digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(format!(
                "{input:?} is not a Google Ads customer ID: use the 10-digit ID, with or without \
                 dashes (123-456-7890). To find an ID from an account name, use resolve_customer."
            ))
        }
    }

    /// The ten digits, as the API wants them.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

/// Shown as people see it in the Google Ads UI: `123-456-7890`.
impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        write!(f, "{}-{}-{}", &d[..3], &d[3..6], &d[6..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_and_spaces_are_accepted() {
        let id = CustomerId::parse(" customers/1234567890 ").unwrap();
        assert_eq!(id.digits(), "1234567890");
        assert_eq!(CustomerId::parse("123 456 7890").unwrap(), id);
    }

    #[test]
    fn anything_but_ten_digits_is_refused_with_a_hint() {
        for bad in [
            "",
            "123456789",
            "12345678901",
            "123-456-789a",
            "1234567890; DROP",
        ] {
            let error = CustomerId::parse(bad).unwrap_err();
            assert!(error.contains("resolve_customer"), "{error}");
        }
    }
}
