//! The Analytics server's argument validation: dates, ids, field names.
#![no_main]

use google_analytics_mcp::input::dates::{DateRange, ReportDate};
use google_analytics_mcp::input::ids::{AccountId, PropertyId};
use google_analytics_mcp::input::names::FieldName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ReportDate::parse(text);
    let (start, end) = text.split_once('\n').unwrap_or((text, text));
    let _ = DateRange::parse(start, end);
    let _ = PropertyId::parse(text);
    let _ = AccountId::parse(text);
    let _ = FieldName::parse(text);
});
