//! Report dates as the Data API accepts them (`YYYY-MM-DD`, `today`, `yesterday`,
//! `NdaysAgo`), checked before any request so a typo never costs a Google call.

use chrono::NaiveDate;
use std::fmt;

/// One end of a report's date range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportDate {
    /// A calendar date.
    Absolute(NaiveDate),
    /// `N` days before today in the property's time zone (`today` is 0, `yesterday` 1).
    DaysAgo(u32),
}

/// Why a date (or a pair of dates) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error(
        "`{0}` is not a date: use YYYY-MM-DD (e.g. 2024-06-01), `today`, `yesterday` or `NdaysAgo` (e.g. `30daysAgo`)"
    )]
    Malformed(String),
    #[error("`{0}` is not a real calendar date")]
    NoSuchDay(String),
    #[error("the start date {start} is after the end date {end}")]
    StartAfterEnd { start: ReportDate, end: ReportDate },
}

impl ReportDate {
    /// Parses the forms the Data API accepts; relative forms ignore ASCII case and
    /// surrounding spaces, because models write `Today` and `7DaysAgo` too.
    pub fn parse(input: &str) -> Result<Self, DateError> {
        let text = input.trim();
        let lower = text.to_ascii_lowercase();
        match lower.as_str() {
            "today" => return Ok(Self::DaysAgo(0)),
            "yesterday" => return Ok(Self::DaysAgo(1)),
            _ => {}
        }
        if let Some(days) = lower.strip_suffix("daysago") {
            if !days.is_empty() && days.bytes().all(|byte| byte.is_ascii_digit()) {
                return days
                    .parse()
                    .map(Self::DaysAgo)
                    .map_err(|_| DateError::Malformed(text.to_owned()));
            }
            return Err(DateError::Malformed(text.to_owned()));
        }
        if !is_iso_shape(text) {
            return Err(DateError::Malformed(text.to_owned()));
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Self::Absolute)
            .map_err(|_| DateError::NoSuchDay(text.to_owned()))
    }
}

/// `DDDD-DD-DD`: chrono alone would also take `2024-6-1`, which the API refuses.
fn is_iso_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        })
}

impl fmt::Display for ReportDate {
    /// The API's spelling of the date.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absolute(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            Self::DaysAgo(0) => f.write_str("today"),
            Self::DaysAgo(1) => f.write_str("yesterday"),
            Self::DaysAgo(days) => write!(f, "{days}daysAgo"),
        }
    }
}

/// A report's date range whose ends are valid and, when comparable without knowing
/// today's date in the property's time zone, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    start: ReportDate,
    end: ReportDate,
}

impl DateRange {
    /// Parses both ends and checks their order when both are absolute or both relative.
    pub fn parse(start: &str, end: &str) -> Result<Self, DateError> {
        let (start, end) = (ReportDate::parse(start)?, ReportDate::parse(end)?);
        let in_order = match (start, end) {
            (ReportDate::Absolute(start), ReportDate::Absolute(end)) => start <= end,
            (ReportDate::DaysAgo(start), ReportDate::DaysAgo(end)) => start >= end,
            // Mixed forms depend on the property's "today"; the API judges those.
            _ => true,
        };
        if !in_order {
            return Err(DateError::StartAfterEnd { start, end });
        }
        Ok(Self { start, end })
    }

    /// The first day of the report.
    pub fn start(&self) -> ReportDate {
        self.start
    }

    /// The last day of the report (inclusive).
    pub fn end(&self) -> ReportDate {
        self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> ReportDate {
        ReportDate::parse(text).unwrap()
    }

    #[test]
    fn relative_forms_are_read_in_any_case_and_written_the_api_way() {
        assert_eq!(day("today").to_string(), "today");
        assert_eq!(day(" Yesterday ").to_string(), "yesterday");
        assert_eq!(day("7daysAgo"), ReportDate::DaysAgo(7));
        assert_eq!(day("30DAYSAGO").to_string(), "30daysAgo");
        assert_eq!(day("0daysAgo").to_string(), "today");
    }

    #[test]
    fn absolute_dates_must_be_real_and_zero_padded() {
        assert_eq!(day("2024-02-29").to_string(), "2024-02-29");
        assert!(matches!(
            ReportDate::parse("2023-02-29"),
            Err(DateError::NoSuchDay(_))
        ));
        for bad in [
            "2024-6-1",
            "2024/06/01",
            "20240601",
            "",
            "daysAgo",
            "-3daysAgo",
            "sevendaysAgo",
            "last week",
            "99999999999daysAgo",
        ] {
            assert!(
                matches!(ReportDate::parse(bad), Err(DateError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_range_whose_start_is_after_its_end_is_refused_when_that_is_knowable() {
        assert!(DateRange::parse("2024-06-01", "2024-06-01").is_ok());
        assert!(DateRange::parse("30daysAgo", "yesterday").is_ok());
        assert!(DateRange::parse("2024-06-01", "today").is_ok());
        let error = DateRange::parse("2024-06-02", "2024-06-01").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the start date 2024-06-02 is after the end date 2024-06-01"
        );
        assert!(matches!(
            DateRange::parse("today", "7daysAgo"),
            Err(DateError::StartAfterEnd { .. })
        ));
    }

    #[test]
    fn the_malformed_message_shows_every_accepted_form() {
        let message = ReportDate::parse("last week").unwrap_err().to_string();
        for form in ["YYYY-MM-DD", "today", "yesterday", "NdaysAgo"] {
            assert!(message.contains(form), "{message}");
        }
    }
}
