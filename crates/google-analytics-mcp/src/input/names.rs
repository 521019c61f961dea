//! Metric and dimension names and the row limit, checked for shape only: whether a
//! well-formed name exists is the API's call (it answers 400 with the unknown name).

use std::fmt;

/// The Data API takes at most this many metrics in one report.
pub const MAX_METRICS: usize = 10;
/// The Data API takes at most this many dimensions in one report.
pub const MAX_DIMENSIONS: usize = 9;
/// The Data API returns at most this many rows per request.
pub const MAX_LIMIT: u32 = 250_000;
/// Longest name accepted (custom definitions are far shorter).
const MAX_NAME_LEN: usize = 100;

/// A GA4 API name such as `activeUsers`, `sessionSource` or `customEvent:plan_tier`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldName(String);

/// Why names or the limit were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error(
        "`{0}` is not a GA4 API name: names are letters, digits, `_` and `:` starting with a letter (e.g. `activeUsers`, `pagePath`, `customEvent:plan`)"
    )]
    Malformed(String),
    #[error("at least one metric is needed (e.g. `activeUsers`, `sessions`, `screenPageViews`)")]
    NoMetrics,
    #[error("at most {max} {kind} fit in one report; {given} were given")]
    TooMany {
        kind: &'static str,
        max: usize,
        given: usize,
    },
    #[error("`{0}` is listed twice")]
    Duplicate(String),
    #[error("limit must be between 1 and {MAX_LIMIT}; {0} was given")]
    LimitOutOfRange(u64),
}

impl FieldName {
    /// Reads one API name.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let text = input.trim();
        let well_formed = text.len() <= MAX_NAME_LEN
            && text.starts_with(|first: char| first.is_ascii_alphabetic())
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(NameError::Malformed(text.to_owned()))
        }
    }

    /// The name as the API spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads a list of names: each well formed, no repeats, at most `max`.
fn parse_list(
    inputs: &[String],
    kind: &'static str,
    max: usize,
) -> Result<Vec<FieldName>, NameError> {
    if inputs.len() > max {
        return Err(NameError::TooMany {
            kind,
            max,
            given: inputs.len(),
        });
    }
    let mut names: Vec<FieldName> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = FieldName::parse(input)?;
        if names.contains(&name) {
            return Err(NameError::Duplicate(name.0));
        }
        names.push(name);
    }
    Ok(names)
}

/// Reads the metrics of a report: one to [`MAX_METRICS`].
pub fn parse_metrics(inputs: &[String]) -> Result<Vec<FieldName>, NameError> {
    if inputs.is_empty() {
        return Err(NameError::NoMetrics);
    }
    parse_list(inputs, "metrics", MAX_METRICS)
}

/// Reads the dimensions of a report: none to [`MAX_DIMENSIONS`].
pub fn parse_dimensions(inputs: &[String]) -> Result<Vec<FieldName>, NameError> {
    parse_list(inputs, "dimensions", MAX_DIMENSIONS)
}

/// How many rows a report returns at most: 1 to [`MAX_LIMIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowLimit(u32);

impl RowLimit {
    /// The default of `run_report`, as in the original server.
    pub const DEFAULT: Self = Self(10_000);

    /// Checks the bounds.
    pub fn new(limit: u64) -> Result<Self, NameError> {
        u32::try_from(limit)
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .map(Self)
            .ok_or(NameError::LimitOutOfRange(limit))
    }

    /// The number of rows.
    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(names: &[&str]) -> Vec<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn api_names_with_custom_prefixes_are_accepted() {
        for good in ["activeUsers", "pagePath", "customEvent:plan_tier", "date"] {
            assert_eq!(FieldName::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(FieldName::parse(" sessions ").unwrap().as_str(), "sessions");
    }

    #[test]
    fn names_with_other_characters_are_refused() {
        for bad in [
            "",
            "active users",
            "1day",
            "_x",
            "page-path",
            "sessions;drop",
            "ü",
        ] {
            assert!(
                matches!(FieldName::parse(bad), Err(NameError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(FieldName::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn lists_are_bounded_and_free_of_repeats() {
        assert_eq!(parse_metrics(&[]), Err(NameError::NoMetrics));
        assert!(parse_dimensions(&[]).unwrap().is_empty());
        let eleven: Vec<String> = (0..11).map(|index| format!("m{index}")).collect();
        assert!(matches!(
            parse_metrics(&eleven),
            Err(NameError::TooMany { max: 10, .. })
        ));
        assert!(matches!(
            parse_dimensions(&eleven[..10]),
            Err(NameError::TooMany { max: 9, .. })
        ));
        assert_eq!(
            parse_metrics(&strings(&["sessions", "sessions"])),
            Err(NameError::Duplicate("sessions".into()))
        );
    }

    #[test]
    fn the_limit_is_between_one_and_the_api_maximum() {
        assert_eq!(RowLimit::new(1).unwrap().get(), 1);
        assert_eq!(RowLimit::new(250_000).unwrap().get(), 250_000);
        assert!(RowLimit::new(0).is_err());
        assert!(RowLimit::new(250_001).is_err());
        assert!(RowLimit::new(u64::MAX).is_err());
    }
}
