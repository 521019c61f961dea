//! `DateRange`: one of GAQL's predefined date ranges. Only these names ever reach a
//! query (`segments.date DURING …`), so the argument cannot inject GAQL.

use schemars::{Schema, SchemaGenerator, json_schema};

/// GAQL's predefined ranges (`DURING`), as Google documents them.
pub const PRESETS: [&str; 12] = [
    "TODAY",
    "YESTERDAY",
    "LAST_7_DAYS",
    "LAST_14_DAYS",
    "LAST_30_DAYS",
    "LAST_BUSINESS_WEEK",
    "THIS_WEEK_SUN_TODAY",
    "THIS_WEEK_MON_TODAY",
    "LAST_WEEK_SUN_SAT",
    "LAST_WEEK_MON_SUN",
    "THIS_MONTH",
    "LAST_MONTH",
];

/// A predefined date range.
///
/// ```
/// use google_ads_mcp::DateRange;
///
/// assert_eq!(DateRange::parse(None).unwrap().as_gaql(), "LAST_30_DAYS");
/// assert_eq!(DateRange::parse(Some("last_7_days")).unwrap().as_gaql(), "LAST_7_DAYS");
/// assert!(DateRange::parse(Some("LAST_30_DAYS' OR 1=1")).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange(&'static str);

impl DateRange {
    /// The default of the performance tools.
    pub const DEFAULT: Self = Self("LAST_30_DAYS");

    /// Parses a preset name (any case); `None` or blank gives [`DateRange::DEFAULT`].
    pub fn parse(input: Option<&str>) -> Result<Self, String> {
        let Some(input) = input.map(str::trim).filter(|value| !value.is_empty()) else {
            return Ok(Self::DEFAULT);
        };
        let wanted = input.to_ascii_uppercase().replace([' ', '-'], "_");
        PRESETS
            .iter()
            .find(|preset| **preset == wanted)
            .map(|preset| Self(preset))
            .ok_or_else(|| {
                format!(
                    "date_range {input:?} is not supported; use one of: {}.",
                    PRESETS.join(", ")
                )
            })
    }

    /// The GAQL name (`LAST_30_DAYS`).
    pub fn as_gaql(self) -> &'static str {
        self.0
    }
}

/// The value of a `date_range` argument left out: [`DateRange::DEFAULT`]'s name.
#[allow(clippy::unnecessary_wraps)] // serde's `default` must produce the field's type
pub(crate) fn default_name() -> Option<String> {
    Some(DateRange::DEFAULT.as_gaql().to_owned())
}

/// The JSON schema of a `date_range` argument: a string enum with the default.
pub fn schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": PRESETS,
        "default": DateRange::DEFAULT.as_gaql(),
    })
}
