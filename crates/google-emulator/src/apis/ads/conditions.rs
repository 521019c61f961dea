//! WHERE and ORDER BY: the date range that `segments.date` conditions
//! describe, the other conditions as row predicates, and row ordering.

use std::cmp::Ordering;

use chrono::NaiveDate;

use super::fields::{self, Field, Row, Val};
use super::gaql::{Condition, Literal, Op, Operand};
use super::search::{QueryFault, fault};
use crate::apis::dates;

/// The inclusive date range the `segments.date` conditions describe; `None`
/// when there are none. One-sided bounds are an error, as at Google.
pub(super) fn date_range(
    conditions: &[Condition],
    today: NaiveDate,
) -> Result<Option<(NaiveDate, NaiveDate)>, QueryFault> {
    let mut low: Option<NaiveDate> = None;
    let mut high: Option<NaiveDate> = None;
    let mut any = false;
    let mut raise_low = |d: NaiveDate| low = Some(low.map_or(d, |l| l.max(d)));
    let mut lower_high = |d: NaiveDate| high = Some(high.map_or(d, |h| h.min(d)));
    for c in conditions.iter().filter(|c| c.field == "segments.date") {
        any = true;
        match (&c.op, &c.operand) {
            (Op::During, Operand::Preset(preset)) => {
                let (start, end) = dates::during(preset, today).ok_or_else(|| {
                    fault(
                        "INVALID_VALUE_WITH_DURING_OPERATOR",
                        format!("Error in query: invalid date range '{preset}' with DURING."),
                        preset,
                    )
                })?;
                raise_low(start);
                lower_high(end);
            }
            (Op::Between, Operand::Range(a, b)) => {
                raise_low(date_literal(a)?);
                lower_high(date_literal(b)?);
            }
            (Op::Eq, Operand::One(v)) => {
                let d = date_literal(v)?;
                raise_low(d);
                lower_high(d);
            }
            (Op::Ge, Operand::One(v)) => raise_low(date_literal(v)?),
            (Op::Gt, Operand::One(v)) => {
                raise_low(date_literal(v)?.succ_opt().unwrap_or(NaiveDate::MAX));
            }
            (Op::Le, Operand::One(v)) => lower_high(date_literal(v)?),
            (Op::Lt, Operand::One(v)) => lower_high(dates::days_before(date_literal(v)?, 1)),
            _ => {
                return Err(fault(
                    "OPERATOR_FIELD_MISMATCH",
                    "Error in query: this operator cannot be used with segments.date.",
                    "segments.date",
                ));
            }
        }
    }
    if !any {
        return Ok(None);
    }
    match (low, high) {
        (Some(start), Some(end)) if dates::day_count(start, end) > 3660 => Err(fault(
            "DATE_RANGE_TOO_WIDE",
            "Error in query: the date range is too wide.",
            "segments.date",
        )),
        (Some(start), Some(end)) => Ok(Some((start, end))),
        _ => Err(fault(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Error in query: segments.date needs both a start and an end date.",
            "segments.date",
        )),
    }
}

fn date_literal(value: &Literal) -> Result<NaiveDate, QueryFault> {
    dates::parse_iso(value.text()).ok_or_else(|| {
        fault(
            "INVALID_DATE_FORMAT",
            format!(
                "Error in query: '{}' is not a date in YYYY-MM-DD format.",
                value.text()
            ),
            value.text(),
        )
    })
}

pub(super) fn matches_all(conditions: &[Condition], row: &Row<'_>) -> Result<bool, QueryFault> {
    for c in conditions.iter().filter(|c| c.field != "segments.date") {
        let Some(field) = fields::lookup(&c.field) else {
            continue;
        };
        if !matches(&field.value(row), c)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn matches(value: &Val, c: &Condition) -> Result<bool, QueryFault> {
    let mismatch = || {
        fault(
            "OPERATOR_FIELD_MISMATCH",
            format!("Error in query: invalid operator for field '{}'.", c.field),
            &c.field,
        )
    };
    Ok(match (&c.op, &c.operand) {
        (Op::Eq, Operand::One(v)) => equals(value, v),
        (Op::Ne, Operand::One(v)) => !equals(value, v),
        (Op::In, Operand::List(vs)) => vs.iter().any(|v| equals(value, v)),
        (Op::NotIn, Operand::List(vs)) => !vs.iter().any(|v| equals(value, v)),
        (Op::Like | Op::NotLike, Operand::One(pattern)) => {
            let (Val::Str(s) | Val::Enum(s)) = value else {
                return Err(mismatch());
            };
            like(s, pattern.text()) == (c.op == Op::Like)
        }
        (Op::Lt | Op::Le | Op::Gt | Op::Ge, Operand::One(v)) => {
            let ordering = compare_literal(value, v).ok_or_else(mismatch)?;
            match c.op {
                Op::Lt => ordering == Ordering::Less,
                Op::Le => ordering != Ordering::Greater,
                Op::Gt => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            }
        }
        (Op::IsNull, _) => value.to_json().is_none(),
        (Op::IsNotNull, _) => value.to_json().is_some(),
        _ => return Err(mismatch()),
    })
}

fn equals(value: &Val, literal: &Literal) -> bool {
    let text = literal.text();
    match value {
        Val::Int(i) => text.parse::<i64>().is_ok_and(|v| v == *i),
        Val::Double(f) => text.parse::<f64>().is_ok_and(|v| (v - f).abs() < 1e-9),
        Val::Bool(b) => text.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        Val::Str(s) | Val::Enum(s) => s == text,
        Val::StrList(v) | Val::TextAssets(v) => v.iter().any(|s| s == text),
        Val::Null => false,
    }
}

fn compare_literal(value: &Val, literal: &Literal) -> Option<Ordering> {
    let text = literal.text();
    match value {
        Val::Int(i) => Some(i.cmp(&text.parse::<i64>().ok()?)),
        Val::Double(f) => f.partial_cmp(&text.parse::<f64>().ok()?),
        Val::Str(s) => Some(s.as_str().cmp(text)),
        Val::Null => Some(Ordering::Less),
        _ => None,
    }
}

/// SQL-style `LIKE`: `%` any run, `_` one character, case-sensitive.
fn like(value: &str, pattern: &str) -> bool {
    fn go(v: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('%', rest)) => (0..=v.len()).any(|i| go(&v[i..], rest)),
            Some(('_', rest)) => !v.is_empty() && go(&v[1..], rest),
            Some((c, rest)) => v.first() == Some(c) && go(&v[1..], rest),
        }
    }
    let v: Vec<char> = value.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    go(&v, &p)
}

pub(super) fn sort(rows: &mut [Row<'_>], order_by: &[(String, bool)]) {
    let keys: Vec<(&Field, bool)> = order_by
        .iter()
        .filter_map(|(name, desc)| fields::lookup(name).map(|f| (f, *desc)))
        .collect();
    if keys.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for (field, desc) in &keys {
            let ordering = compare_values(&field.value(a), &field.value(b));
            let ordering = if *desc { ordering.reverse() } else { ordering };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
}

fn compare_values(a: &Val, b: &Val) -> Ordering {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.cmp(y),
        (Val::Double(x), Val::Double(y)) => x.total_cmp(y),
        (Val::Bool(x), Val::Bool(y)) => x.cmp(y),
        (Val::Str(x) | Val::Enum(x), Val::Str(y) | Val::Enum(y)) => x.cmp(y),
        (Val::Null, Val::Null) => Ordering::Equal,
        (Val::Null, _) => Ordering::Less,
        (_, Val::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_handles_wildcards() {
        assert!(like("Coffee Brand Search", "%Brand%"));
        assert!(like("Tents", "T_nts"));
        assert!(!like("Tents", "tents"));
        assert!(like("", "%"));
    }
}
