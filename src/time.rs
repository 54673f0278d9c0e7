//! Time as people here read it: Japan Standard Time (Asia/Tokyo, UTC+9, no daylight saving).

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;

/// `2026-11-22 14:30 JST`.
pub fn format_jst(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Tokyo)
        .format("%Y-%m-%d %H:%M JST")
        .to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_are_shown_in_jst() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 5, 30, 0).single();
        assert_eq!(
            t.map(|t| format_jst(&t)).as_deref(),
            Some("2026-11-22 14:30 JST")
        );
    }
}
