//! `dimensionFilter` of `runReport`: `filter` (`stringFilter`,
//! `inListFilter`), `andGroup`, `orGroup` and `notExpression`. The emulator
//! only filters on requested dimensions.

use serde_json::Value;

use crate::apis::errors::ApiError;

/// A parsed filter expression over a row's dimension values.
#[derive(Debug)]
pub(crate) enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Text {
        index: usize,
        mode: Match,
        value: String,
        case_sensitive: bool,
    },
    InList {
        index: usize,
        values: Vec<String>,
        case_sensitive: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Match {
    Exact,
    BeginsWith,
    EndsWith,
    Contains,
}

pub(crate) fn parse(expression: &Value, dims: &[&str]) -> Result<Filter, ApiError> {
    let group = |key: &str| -> Result<Option<Vec<Filter>>, ApiError> {
        let Some(items) = expression[key]["expressions"].as_array() else {
            return Ok(None);
        };
        items
            .iter()
            .map(|e| parse(e, dims))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    };
    if let Some(all) = group("andGroup")? {
        return Ok(Filter::And(all));
    }
    if let Some(any) = group("orGroup")? {
        return Ok(Filter::Or(any));
    }
    if let Some(inner) = expression.get("notExpression") {
        return Ok(Filter::Not(Box::new(parse(inner, dims)?)));
    }
    let leaf = &expression["filter"];
    let name = leaf["fieldName"].as_str().ok_or_else(|| {
        ApiError::invalid_argument("A dimensionFilter expression needs a filter with a fieldName.")
    })?;
    let index = dims.iter().position(|d| *d == name).ok_or_else(|| {
        ApiError::invalid_argument(format!(
            "Field {name} in dimensionFilter must also be one of the request's dimensions."
        ))
    })?;
    if let Some(text) = leaf.get("stringFilter") {
        let mode = match text["matchType"].as_str().unwrap_or("EXACT") {
            "EXACT" => Match::Exact,
            "BEGINS_WITH" => Match::BeginsWith,
            "ENDS_WITH" => Match::EndsWith,
            "CONTAINS" => Match::Contains,
            other => {
                return Err(ApiError::invalid_argument(format!(
                    "stringFilter matchType {other} is not supported by the emulator."
                )));
            }
        };
        return Ok(Filter::Text {
            index,
            mode,
            value: text["value"].as_str().unwrap_or_default().to_owned(),
            case_sensitive: text["caseSensitive"].as_bool().unwrap_or(false),
        });
    }
    if let Some(list) = leaf.get("inListFilter") {
        return Ok(Filter::InList {
            index,
            values: list["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            case_sensitive: list["caseSensitive"].as_bool().unwrap_or(false),
        });
    }
    Err(ApiError::invalid_argument(format!(
        "The filter on {name} needs a stringFilter or inListFilter."
    )))
}

fn fold(value: &str, case_sensitive: bool) -> String {
    if case_sensitive {
        value.to_owned()
    } else {
        value.to_lowercase()
    }
}

impl Filter {
    pub(crate) fn matches(&self, dims: &[String]) -> bool {
        match self {
            Self::And(all) => all.iter().all(|f| f.matches(dims)),
            Self::Or(any) => any.iter().any(|f| f.matches(dims)),
            Self::Not(inner) => !inner.matches(dims),
            Self::Text {
                index,
                mode,
                value,
                case_sensitive,
            } => {
                let have = fold(&dims[*index], *case_sensitive);
                let want = fold(value, *case_sensitive);
                match mode {
                    Match::Exact => have == want,
                    Match::BeginsWith => have.starts_with(&want),
                    Match::EndsWith => have.ends_with(&want),
                    Match::Contains => have.contains(&want),
                }
            }
            Self::InList {
                index,
                values,
                case_sensitive,
            } => {
                let have = fold(&dims[*index], *case_sensitive);
                values.iter().any(|v| fold(v, *case_sensitive) == have)
            }
        }
    }
}
