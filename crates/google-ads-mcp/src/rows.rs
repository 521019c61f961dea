//! Reading `GoogleAdsRow` JSON by GAQL field name (`campaign.name` is
//! `{"campaign":{"name":…}}`; Google omits zero and empty values), and turning values
//! into table cells.

use serde_json::Value;

/// The field names of a query's `SELECT` clause, in order.
///
/// ```
/// use google_ads_mcp::rows::selected_fields;
///
/// let fields = selected_fields("select campaign.id, metrics.clicks FROM campaign WHERE x = 1");
/// assert_eq!(fields, ["campaign.id", "metrics.clicks"]);
/// ```
pub fn selected_fields(query: &str) -> Vec<String> {
    let upper = query.to_ascii_uppercase();
    let Some(start) = upper.find("SELECT") else {
        return Vec::new();
    };
    let after = start + "SELECT".len();
    let end = find_word(&upper[after..], "FROM").map_or(query.len(), |at| after + at);
    query[after..end]
        .split(',')
        .map(str::trim)
        .filter(|field| !field.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Where `word` starts in `text` as a whole word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    text.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + word.len()).copied();
        let boundary = |b: Option<u8>| b.is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_'));
        boundary(before) && boundary(after)
    })
}

/// The value of GAQL field `field` (`snake_case`) in `row` (`camelCase` JSON).
pub fn value_at<'a>(row: &'a Value, field: &str) -> Option<&'a Value> {
    field
        .split('.')
        .try_fold(row, |value, part| value.get(camel(part)))
}

fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A value as a table cell: text as is, lists joined with ` | ` (text assets by their
/// `text`), absent as empty.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item.get("text") {
                Some(text) => cell(Some(text)),
                None => cell(Some(item)),
            })
            .collect::<Vec<_>>()
            .join(" | "),
        Some(other) => other.to_string(),
    }
}

/// A numeric field (int64 values arrive as strings); absent means zero, as Google
/// omits zeros.
pub fn number(row: &Value, field: &str) -> f64 {
    match value_at(row, field) {
        Some(Value::Number(number)) => number.as_f64().unwrap_or(0.0),
        Some(Value::String(text)) => text.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// An integer field (int64 values arrive as strings); absent or not an integer: zero.
pub fn integer(row: &Value, field: &str) -> u64 {
    match value_at(row, field) {
        Some(Value::Number(number)) => number.as_u64().unwrap_or(0),
        Some(Value::String(text)) => text.parse().unwrap_or(0),
        _ => 0,
    }
}

/// `row` flattened to `{field: value}` for `fields`; metrics become JSON numbers
/// (integers stay integers) and absent metrics zero, since Google omits zeros.
pub fn flatten(row: &Value, fields: &[String]) -> serde_json::Map<String, Value> {
    fields
        .iter()
        .map(|field| {
            let value = value_at(row, field).cloned().unwrap_or(Value::Null);
            let value = if field.starts_with("metrics.") {
                metric(value)
            } else {
                value
            };
            (field.clone(), value)
        })
        .collect()
}

fn metric(value: Value) -> Value {
    match value {
        Value::Null => Value::from(0),
        Value::String(text) => match text.parse::<u64>() {
            Ok(whole) => Value::from(whole),
            Err(_) => text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::String(text), Value::Number),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_camel_case_paths_are_found() {
        let row = json!({"adGroupAd": {"ad": {"responsiveSearchAd": {"headlines": [{"text": "A"}, {"text": "B"}]}}},
                         "metrics": {"costMicros": "1500000"}});
        let headlines = value_at(&row, "ad_group_ad.ad.responsive_search_ad.headlines");
        assert_eq!(cell(headlines), "A | B");
        assert!((number(&row, "metrics.cost_micros") - 1_500_000.0).abs() < f64::EPSILON);
        assert!(number(&row, "metrics.clicks").abs() < f64::EPSILON);
    }

    #[test]
    fn from_inside_a_name_is_not_the_from_clause() {
        let fields = selected_fields("SELECT campaign.from_date, campaign.id FROM campaign");
        assert_eq!(fields, ["campaign.from_date", "campaign.id"]);
    }
}
