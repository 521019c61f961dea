//! Timestamps on the wire: ISO 8601 with microseconds and an explicit `+00:00` offset,
//! the form Python's `datetime.isoformat()` writes and `fromisoformat()` reads.

/// Serde adapter for `DateTime<Utc>`.
pub mod iso8601 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_rfc3339_opts(SecondsFormat::Micros, false))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// Parses RFC 3339, and the naive form (no offset) the original gateway wrote, as UTC.
    pub fn parse(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
        DateTime::parse_from_rfc3339(text)
            .map(|value| value.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                    .map(|naive| naive.and_utc())
            })
    }
}

/// Serde adapter for `Option<DateTime<Utc>>`.
pub mod iso8601_option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => super::iso8601::serialize(value, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| super::iso8601::parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    #[test]
    fn timestamps_are_written_like_python_isoformat_and_read_back() {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 1, 2, 3).unwrap();
        let json = serde_json::to_string(&crate::ProviderGrant {
            provider: "google".into(),
            scopes: vec![],
            authenticated_at: at,
            token_expires_at: at,
        })
        .unwrap();
        assert!(
            json.contains("\"2026-11-27T01:02:03.000000+00:00\""),
            "{json}"
        );
        let back: crate::ProviderGrant = serde_json::from_str(&json).unwrap();
        assert_eq!(back.authenticated_at, at);
    }

    #[test]
    fn naive_timestamps_from_the_original_gateway_are_read_as_utc() {
        let parsed = super::iso8601::parse("2026-11-27T01:02:03.123456").unwrap();
        assert_eq!(parsed.timestamp_subsec_micros(), 123_456);
    }
}
