//! Calendar helpers shared by GAQL date ranges and Analytics date ranges.
//! "Today" is the UTC date: the emulator ignores account time zones.

use std::time::SystemTime;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc, Weekday};

/// Today's UTC date, from the system clock.
pub(crate) fn today() -> NaiveDate {
    DateTime::<Utc>::from(SystemTime::now()).date_naive()
}

/// `YYYY-MM-DD`.
pub(crate) fn parse_iso(value: &str) -> Option<NaiveDate> {
    if value.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()
}

pub(crate) fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days))
        .unwrap_or(NaiveDate::MIN)
}

/// Inclusive day count of `[start, end]` (0 when `end < start`).
pub(crate) fn day_count(start: NaiveDate, end: NaiveDate) -> u64 {
    u64::try_from((end - start).num_days() + 1).unwrap_or(0)
}

/// Every day of `[start, end]`, oldest first.
pub(crate) fn each_day(start: NaiveDate, end: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    start.iter_days().take_while(move |d| *d <= end)
}

/// The inclusive range a GAQL `DURING` preset names, relative to `today`.
pub(crate) fn during(preset: &str, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let yesterday = days_before(today, 1);
    let since =
        |weekday: Weekday| days_before(today, u64::from(today.weekday().days_since(weekday)));
    let range = match preset {
        "TODAY" => (today, today),
        "YESTERDAY" => (yesterday, yesterday),
        "LAST_7_DAYS" => (days_before(today, 7), yesterday),
        "LAST_14_DAYS" => (days_before(today, 14), yesterday),
        "LAST_30_DAYS" => (days_before(today, 30), yesterday),
        "THIS_WEEK_SUN_TODAY" => (since(Weekday::Sun), today),
        "THIS_WEEK_MON_TODAY" => (since(Weekday::Mon), today),
        "LAST_WEEK_SUN_SAT" => {
            let start = days_before(since(Weekday::Sun), 7);
            (start, days_before(since(Weekday::Sun), 1))
        }
        "LAST_WEEK_MON_SUN" | "LAST_BUSINESS_WEEK" => {
            let start = days_before(since(Weekday::Mon), 7);
            let end_offset = if preset == "LAST_BUSINESS_WEEK" { 3 } else { 1 };
            (start, days_before(since(Weekday::Mon), end_offset))
        }
        "THIS_MONTH" => (today.with_day(1)?, today),
        "LAST_MONTH" => {
            let end = days_before(today.with_day(1)?, 1);
            (end.with_day(1)?, end)
        }
        _ => return None,
    };
    Some(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso(s).unwrap()
    }

    #[test]
    fn during_presets_end_yesterday_and_weeks_align() {
        // 2026-11-27 is a Friday.
        let today = d("2026-11-27");
        assert_eq!(
            during("LAST_7_DAYS", today),
            Some((d("2026-11-20"), d("2026-11-26")))
        );
        assert_eq!(
            during("LAST_30_DAYS", today).map(|(s, e)| day_count(s, e)),
            Some(30)
        );
        assert_eq!(
            during("THIS_WEEK_MON_TODAY", today),
            Some((d("2026-11-23"), today))
        );
        assert_eq!(
            during("LAST_WEEK_MON_SUN", today),
            Some((d("2026-11-16"), d("2026-11-22")))
        );
        assert_eq!(
            during("LAST_BUSINESS_WEEK", today),
            Some((d("2026-11-16"), d("2026-11-20")))
        );
        assert_eq!(
            during("LAST_WEEK_SUN_SAT", today),
            Some((d("2026-11-15"), d("2026-11-21")))
        );
        assert_eq!(
            during("LAST_MONTH", today),
            Some((d("2026-10-01"), d("2026-10-31")))
        );
        assert_eq!(during("NEXT_YEAR", today), None);
    }

    #[test]
    fn iso_dates_must_be_exact() {
        assert!(parse_iso("2026-1-05").is_none());
        assert!(parse_iso("2026-02-30").is_none());
        assert_eq!(each_day(d("2026-02-27"), d("2026-03-01")).count(), 3);
    }
}
