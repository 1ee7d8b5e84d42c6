//! Cron expressions exactly as tokio-cron-scheduler reads them (croner, seconds required,
//! day-of-month AND day-of-week), so what the API accepts is what fires, and what a restart
//! reports as missed is what would have fired. Pure: no clock, no I/O.

use chrono::{DateTime, TimeZone, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// Parses a six-field (or seven, with years) expression; the error is for a member to read.
pub fn parse(expr: &str) -> Result<Cron, String> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "needs 6 fields (second minute hour day-of-month month day-of-week), e.g. \"0 0 2 * * *\" for 02:00 daily; this has {fields}"
        ));
    }
    CronParser::builder()
        .seconds(Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map_err(|e| format!("is not a valid cron expression ({e})"))
}

/// Occurrences strictly after `after` and strictly before `before` (unix seconds) in `tz`:
/// how many (counted up to `limit`) and the first. Runs a daemon that was down would have made.
pub fn occurrences_between<Tz: TimeZone + Copy>(
    cron: &Cron,
    tz: &Tz,
    after: i64,
    before: i64,
    limit: usize,
) -> (usize, Option<DateTime<Utc>>) {
    let Some(start) = DateTime::from_timestamp(after, 0) else {
        return (0, None);
    };
    let mut count = 0;
    let mut first = None;
    for at in cron.iter_after(start.with_timezone(tz)).take(limit) {
        if at.timestamp() >= before {
            break;
        }
        first.get_or_insert(at.with_timezone(&Utc));
        count += 1;
    }
    (count, first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_fields_are_refused_with_an_example() {
        let e = parse("0 2 * * *").unwrap_err();
        assert!(
            e.contains("needs 6 fields") && e.contains("0 0 2 * * *"),
            "{e}"
        );
        assert!(parse("0 0 2 * * *").is_ok());
        assert!(parse("61 0 2 * * *").is_err());
        assert!(parse("0 0 2 * * Mon-Fri").is_ok());
    }

    #[test]
    fn missed_runs_are_counted_between_two_instants() {
        let cron = parse("0 0 2 * * *").expect("cron");
        let day = 86_400;
        // 2026-12-01T00:00:00Z
        let midnight = 1_796_083_200;
        let (n, first) = occurrences_between(&cron, &Utc, midnight, midnight + 3 * day, 100);
        assert_eq!(n, 3);
        assert_eq!(first.map(|t| t.timestamp()), Some(midnight + 2 * 3600));
        let (n, _) = occurrences_between(&cron, &Utc, midnight + 3 * 3600, midnight + day, 100);
        assert_eq!(n, 0, "none between 03:00 and the next midnight");
        let tz: chrono_tz::Tz = "Europe/Paris".parse().expect("tz");
        let (_, first) = occurrences_between(&cron, &tz, midnight, midnight + day, 100);
        assert_eq!(
            first.map(|t| t.timestamp()),
            Some(midnight + 3600),
            "02:00 Paris is 01:00Z"
        );
    }
}
