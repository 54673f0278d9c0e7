//! Upstream dates in every form the sources use, all to UTC. A date that cannot be read is an
//! error naming the value: it is never silently dropped.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Tokyo;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date this hub can read (expected W3C/RFC 3339, RFC 2822 or YYYY-MM-DD)")]
pub struct DateError(pub String);

/// Reads `2025-04-11T23:52+09:00` (no seconds, JVN and JPCERT), RFC 3339 with or without
/// fractions, `2003-04-02T14:39:01-00:00`, RFC 2822 (`Tue, 13 May 2026 10:05:00 +0900`),
/// `2025-08-25` (taken as midnight in Japan), and zone-less `2025-04-11 23:52:00` (taken as JST).
pub fn parse(input: &str) -> Result<DateTime<Utc>, DateError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(DateError(input.to_owned()));
    }
    if let Some(t) = w3c_fast(s) {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%dT%H:%M:%S%#z",
    ] {
        if let Ok(t) = DateTime::<FixedOffset>::parse_from_str(s, fmt) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    if let Some(t) = s.strip_suffix('Z').and_then(|rest| {
        NaiveDateTime::parse_from_str(rest, "%Y-%m-%dT%H:%M")
            .ok()
            .map(|n| Utc.from_utc_datetime(&n))
    }) {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Ok(t.with_timezone(&Utc));
    }
    // Feeds sometimes name the wrong weekday; the date itself is what counts.
    if let Some((_, rest)) = s.split_once(", ").filter(|(day, _)| day.len() == 3)
        && let Ok(t) = DateTime::parse_from_rfc2822(rest)
    {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return jst(n).ok_or_else(|| DateError(input.to_owned()));
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return d
                .and_hms_opt(0, 0, 0)
                .and_then(jst)
                .ok_or_else(|| DateError(input.to_owned()));
        }
    }
    Err(DateError(input.to_owned()))
}

/// `YYYY-MM-DDTHH:MM[:SS]±HH:MM` and `…Z`, the forms feeds use by the thousand, read without
/// chrono's format-string machinery. Anything else (fractions, odd forms) falls through.
fn w3c_fast(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(r)?;
        digits.iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    if b.len() < 17 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let (year, month, day, hour, minute) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
    );
    let (second, zone_at) = if b.get(16) == Some(&b':') {
        (num(17..19)?, 19)
    } else {
        (0, 16)
    };
    let offset_secs: i32 = match b.get(zone_at..)? {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = num(zone_at + 1..zone_at + 3)?;
            let m = num(zone_at + 4..zone_at + 6)?;
            let _ = (h1, h2, m1, m2);
            let secs = i32::try_from(h * 3600 + m * 60).ok()?;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let offset = FixedOffset::east_opt(offset_secs)?;
    let naive = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?
        .and_hms_opt(hour, minute, second)?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Like `parse`, but an absent or empty value is `None` rather than an error.
pub fn parse_opt(input: Option<&str>) -> Result<Option<DateTime<Utc>>, DateError> {
    match input.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some),
    }
}

fn jst(n: NaiveDateTime) -> Option<DateTime<Utc>> {
    Tokyo
        .from_local_datetime(&n)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> String {
        parse(s)
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn every_form_the_corpus_shows_is_read() {
        assert_eq!(utc("2025-04-11T23:52+09:00"), "2025-04-11T14:52:00+00:00");
        assert_eq!(
            utc("2025-04-04T14:45:58+09:00"),
            "2025-04-04T05:45:58+00:00"
        );
        assert_eq!(
            utc("2025-08-25T17:04:19.9796Z"),
            "2025-08-25T17:04:19.979600+00:00"
        );
        assert_eq!(
            utc("2022-03-17T13:03:42.105Z"),
            "2022-03-17T13:03:42.105+00:00"
        );
        assert_eq!(
            utc("2003-04-02T14:39:01-00:00"),
            "2003-04-02T14:39:01+00:00"
        );
        assert_eq!(utc("2025-08-25"), "2025-08-24T15:00:00+00:00");
        assert_eq!(
            utc("Wed, 13 May 2026 10:05:00 +0900"),
            "2026-05-13T01:05:00+00:00"
        );
        assert_eq!(
            utc("Tue, 13 May 2026 10:05:00 +0900"),
            "2026-05-13T01:05:00+00:00"
        );
        assert_eq!(utc("2026-05-13 10:05:00"), "2026-05-13T01:05:00+00:00");
        assert_eq!(
            utc("2022-03-14T13:10:55.000+01:00"),
            "2022-03-14T12:10:55+00:00"
        );
    }

    #[test]
    fn the_fast_path_agrees_with_chrono() {
        for s in [
            "2025-04-11T23:52+09:00",
            "2025-04-04T14:45:58+09:00",
            "2003-04-02T14:39:01-05:00",
            "2026-01-01T00:00Z",
            "2024-02-29T12:00:00+00:00",
        ] {
            let chrono = DateTime::parse_from_rfc3339(s)
                .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z"))
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M")
                        .ok()
                        .map(|n| Utc.from_utc_datetime(&n))
                });
            assert_eq!(w3c_fast(s), chrono, "{s}");
        }
        for bad in [
            "2025-02-30T10:00+09:00",
            "2025-04-11T24:00+09:00",
            "2025-04-11T10:00+25:00",
            "2025-04-11T10:0a+09:00",
        ] {
            assert_eq!(w3c_fast(bad), None, "{bad}");
        }
    }

    #[test]
    fn garbage_is_an_error_naming_the_value() {
        for bad in [
            "yesterday",
            "2025-13-45",
            "2025-04-11T25:61+09:00",
            "0",
            "令和7年4月11日",
        ] {
            let err = parse(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(bad), "{bad}: {err}");
        }
        assert_eq!(parse_opt(Some("  ")), Ok(None));
    }
}
