//! Metric values as people read them. The API sends every value as a string and says
//! in the metric header how to read it (`TYPE_INTEGER`, `TYPE_SECONDS`, ...).

use serde_json::Value;

/// How a metric column's strings are to be read, from `MetricHeader.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Integer,
    /// Floats, custom "standard" metrics and anything this server does not know.
    Float,
    Seconds,
    Milliseconds,
    Minutes,
    Hours,
    Currency,
    /// A length, with its unit symbol.
    Length(&'static str),
}

impl MetricKind {
    /// Reads the API's type name.
    pub fn from_api(kind: &str) -> Self {
        match kind {
            "TYPE_INTEGER" => Self::Integer,
            "TYPE_SECONDS" => Self::Seconds,
            "TYPE_MILLISECONDS" => Self::Milliseconds,
            "TYPE_MINUTES" => Self::Minutes,
            "TYPE_HOURS" => Self::Hours,
            "TYPE_CURRENCY" => Self::Currency,
            "TYPE_FEET" => Self::Length("ft"),
            "TYPE_MILES" => Self::Length("mi"),
            "TYPE_METERS" => Self::Length("m"),
            "TYPE_KILOMETERS" => Self::Length("km"),
            _ => Self::Float,
        }
    }

    /// The value as JSON: a number when it parses as one, else the string unchanged.
    pub fn to_json(self, raw: &str) -> Value {
        if self == Self::Integer
            && let Ok(whole) = raw.parse::<i64>()
        {
            return Value::from(whole);
        }
        raw.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(raw.to_owned()), Value::Number)
    }

    /// The value for a text table; `currency` is the report's currency code.
    pub fn display(self, raw: &str, currency: Option<&str>) -> String {
        let Ok(number) = raw.trim().parse::<f64>() else {
            return raw.to_owned(); // not a number: show what the API sent
        };
        match self {
            Self::Integer => raw
                .parse::<i64>()
                .map_or_else(|_| decimal(number), |whole| group(&whole.to_string())),
            Self::Float => decimal(number),
            Self::Seconds => duration(number),
            Self::Milliseconds => duration(number / 1000.0),
            Self::Minutes => format!("{} min", decimal(number)),
            Self::Hours => format!("{} h", decimal(number)),
            Self::Currency => {
                let amount = group_fraction(&format!("{number:.2}"));
                match currency {
                    Some(code) if !code.is_empty() => format!("{amount} {code}"),
                    _ => amount,
                }
            }
            Self::Length(unit) => format!("{} {unit}", decimal(number)),
        }
    }
}

/// A float with thousands separators: two decimals from 1 up, four below (rates such
/// as `bounceRate` live in 0..1), trailing zeros dropped.
fn decimal(number: f64) -> String {
    let places = if number.abs() >= 1.0 { 2 } else { 4 };
    let fixed = format!("{number:.places$}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    group_fraction(if trimmed.is_empty() || trimmed == "-" {
        "0"
    } else {
        trimmed
    })
}

/// Seconds as `42.5s`, `3m 07s` or `2h 05m 09s`.
fn duration(seconds: f64) -> String {
    if seconds.abs() < 60.0 {
        return format!("{}s", decimal(seconds));
    }
    // Rounded to whole seconds, which fit an i64 for any real report.
    #[allow(clippy::cast_possible_truncation)]
    let whole = seconds.round() as i64;
    let sign = if whole < 0 { "-" } else { "" };
    let whole = whole.unsigned_abs();
    let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60);
    if hours == 0 {
        format!("{sign}{minutes}m {secs:02}s")
    } else {
        format!(
            "{sign}{}h {minutes:02}m {secs:02}s",
            group(&hours.to_string())
        )
    }
}

/// Groups the integer part of a decimal string: `-1234.5` → `-1,234.5`.
fn group_fraction(text: &str) -> String {
    match text.split_once('.') {
        Some((whole, fraction)) => format!("{}.{fraction}", group(whole)),
        None => group(text),
    }
}

/// Thousands separators for an integer string (with an optional sign).
fn group(whole: &str) -> String {
    let (sign, digits) = whole
        .strip_prefix('-')
        .map_or(("", whole), |rest| ("-", rest));
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(kind: &str, raw: &str) -> String {
        MetricKind::from_api(kind).display(raw, Some("EUR"))
    }

    #[test]
    fn integers_get_thousands_separators() {
        assert_eq!(show("TYPE_INTEGER", "0"), "0");
        assert_eq!(show("TYPE_INTEGER", "999"), "999");
        assert_eq!(show("TYPE_INTEGER", "1234567"), "1,234,567");
        assert_eq!(show("TYPE_INTEGER", "-1234"), "-1,234");
    }

    #[test]
    fn floats_keep_enough_decimals_for_rates() {
        assert_eq!(show("TYPE_FLOAT", "0.534567"), "0.5346");
        assert_eq!(show("TYPE_FLOAT", "1234.5678"), "1,234.57");
        assert_eq!(show("TYPE_FLOAT", "3"), "3");
        assert_eq!(show("TYPE_STANDARD", "0.00001"), "0");
        assert_eq!(show("TYPE_SOMETHING_NEW", "2.50"), "2.5");
    }

    #[test]
    fn durations_read_as_time() {
        assert_eq!(show("TYPE_SECONDS", "42.25"), "42.25s");
        assert_eq!(show("TYPE_SECONDS", "187.4"), "3m 07s");
        assert_eq!(show("TYPE_SECONDS", "7509"), "2h 05m 09s");
        assert_eq!(show("TYPE_MILLISECONDS", "1500"), "1.5s");
        assert_eq!(show("TYPE_MINUTES", "2.5"), "2.5 min");
        assert_eq!(show("TYPE_HOURS", "10"), "10 h");
    }

    #[test]
    fn money_has_two_decimals_and_the_report_currency() {
        assert_eq!(show("TYPE_CURRENCY", "1234.5"), "1,234.50 EUR");
        assert_eq!(MetricKind::Currency.display("3", None), "3.00");
        assert_eq!(show("TYPE_KILOMETERS", "12.5"), "12.5 km");
    }

    #[test]
    fn values_that_are_not_numbers_are_shown_as_sent() {
        assert_eq!(show("TYPE_INTEGER", "n/a"), "n/a");
        assert_eq!(MetricKind::Integer.to_json("n/a"), Value::from("n/a"));
    }

    #[test]
    fn json_values_are_numbers_of_the_right_kind() {
        assert_eq!(MetricKind::Integer.to_json("42"), Value::from(42));
        assert_eq!(MetricKind::Float.to_json("0.5"), Value::from(0.5));
        assert_eq!(MetricKind::Seconds.to_json("12"), Value::from(12.0));
    }
}
