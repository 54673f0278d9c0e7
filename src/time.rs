//! Time as people here read it: Japan Standard Time (Asia/Tokyo, UTC+9, no daylight saving).

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;

/// `2026-11-22 14:30 JST`.
pub fn format_jst(t: &DateTime<Utc>) -> String {
    t.with_timezone(&Tokyo)
        .format("%Y-%m-%d %H:%M JST")
        .to_string()
}

crate::string_enum! {
    /// How a person wants dates written: `2026-11-22 14:30 JST` or `令和8年11月22日 14:30 JST`.
    #[derive(Default)]
    pub enum DateStyle ("date style") {
        #[default]
        Western = "western",
        Wareki = "wareki",
    }
}

impl DateStyle {
    /// A time in JST, its date in this style.
    pub fn format(self, t: &DateTime<Utc>) -> String {
        match self {
            Self::Western => format_jst(t),
            Self::Wareki => format!(
                "{} {}",
                format_wareki(t),
                t.with_timezone(&Tokyo).format("%H:%M JST")
            ),
        }
    }
}

/// Today's date in Japan.
pub fn today_jst() -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&Tokyo).date_naive()
}

/// A date (no time) in 西暦 or 和暦.
pub fn format_date(d: chrono::NaiveDate, style: DateStyle) -> String {
    match style {
        DateStyle::Western => d.format("%Y年%-m月%-d日").to_string(),
        DateStyle::Wareki => {
            let t = d
                .and_hms_opt(12, 0, 0)
                .map(|t| t.and_utc())
                .unwrap_or_default();
            format_wareki(&t)
        }
    }
}

/// JST as a fixed offset (+09:00), for timestamps written in machine formats (RFC 3339, RFC 2822).
pub fn jst_offset() -> chrono::FixedOffset {
    JST
}

const JST: chrono::FixedOffset = match chrono::FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("+09:00 is a valid offset"),
};

/// The date in the Japanese calendar (和暦) as official documents write it, in JST:
/// `令和8年11月22日`, with 元年 for an era's first year. Dates before 平成 keep the Western year.
pub fn format_wareki(t: &DateTime<Utc>) -> String {
    use chrono::Datelike;
    let d = t.with_timezone(&Tokyo).date_naive();
    let (y, m, day) = (d.year(), d.month(), d.day());
    let era = if (y, m, day) >= (2019, 5, 1) {
        Some(("令和", y - 2018))
    } else if (y, m, day) >= (1989, 1, 8) {
        Some(("平成", y - 1988))
    } else {
        None
    };
    match era {
        Some((name, 1)) => format!("{name}元年{m}月{day}日"),
        Some((name, n)) => format!("{name}{n}年{m}月{day}日"),
        None => format!("{y}年{m}月{day}日"),
    }
}

/// `2026-12-03 09:30` or `2026-12-03T09:30` (a `datetime-local` field), read in JST.
pub fn parse_jst_minute(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim().replacen('T', " ", 1);
    let t = t.get(..16).unwrap_or(&t);
    let naive = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M").ok()?;
    naive
        .and_local_timezone(jst_offset())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The last minute of a day in JST (23:59), as the moment a date-only deadline passes.
pub fn jst_day_end(d: chrono::NaiveDate) -> Option<DateTime<Utc>> {
    d.and_hms_opt(23, 59, 0)?
        .and_local_timezone(jst_offset())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The 年度 (April–March) a moment falls in, in JST: 2027-03-31 is 2026, 2027-04-01 is 2027.
pub fn fiscal_year(t: &DateTime<Utc>) -> i32 {
    use chrono::Datelike;
    let d = t.with_timezone(&jst_offset()).date_naive();
    if d.month() >= 4 {
        d.year()
    } else {
        d.year() - 1
    }
}

/// 00:00 JST on 1 April of `fy`, and of the next year: a 年度 as a half-open range.
pub fn fiscal_bounds(fy: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 4, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| t.and_local_timezone(jst_offset()).single())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    };
    (start(fy), start(fy + 1))
}

/// A 年度 (April–March) as a heading: `2026年度`, or `令和8年度` in the Japanese calendar
/// (the year that began in April 2019 is 令和元年度, as the ministries write it).
pub fn fiscal_year_label(fy: i32, style: DateStyle) -> String {
    if style == DateStyle::Western {
        return format!("{fy}年度");
    }
    match fy {
        2019 => "令和元年度".into(),
        y if y > 2019 => format!("令和{}年度", y - 2018),
        1989 => "平成元年度".into(),
        y if y > 1989 => format!("平成{}年度", y - 1988),
        y => format!("{y}年度"),
    }
}

/// 開庁日: a day the offices are open — not a Saturday or Sunday, not a 祝日 (国民の祝日・振替休日・
/// 国民の休日, from the `jpholiday` rules), not 年末年始 (12/29–1/3, as 行政機関の休日に関する法律
/// counts them).
pub struct OfficeCalendar(jpholiday::jpholiday::JPHoliday<'static>);

impl Default for OfficeCalendar {
    fn default() -> Self {
        Self(jpholiday::jpholiday::JPHoliday::new())
    }
}

impl OfficeCalendar {
    /// Why `d` is closed, or None on a 開庁日.
    pub fn closed(&self, d: chrono::NaiveDate) -> Option<String> {
        use chrono::{Datelike, Weekday};
        if (d.month() == 12 && d.day() >= 29) || (d.month() == 1 && d.day() <= 3) {
            return Some("年末年始".into());
        }
        if let Some(name) = self.0.is_holiday_name(&d) {
            return Some(name);
        }
        match d.weekday() {
            Weekday::Sat => Some("土曜日".into()),
            Weekday::Sun => Some("日曜日".into()),
            _ => None,
        }
    }

    pub fn is_open(&self, d: chrono::NaiveDate) -> bool {
        self.closed(d).is_none()
    }

    /// `start` plus `hours` counted on 開庁日 only: the hours of closed days (in JST) do not run.
    /// From Friday 15:00, 72 hours end on Wednesday 15:00 (Thursday, after a 祝日 Monday).
    pub fn add_hours(&self, start: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
        let mut t = start.with_timezone(&Tokyo);
        let mut left = chrono::Duration::hours(i64::from(hours));
        // A deadline lands within a few weeks; the bound only stops a calendar gone wrong.
        for _ in 0..400 {
            let day = t.date_naive();
            let Some(next) = day
                .succ_opt()
                .and_then(|n| n.and_hms_opt(0, 0, 0))
                .and_then(|n| n.and_local_timezone(Tokyo).single())
            else {
                break;
            };
            if !self.is_open(day) {
                t = next;
                continue;
            }
            let rest = next - t;
            if left <= rest {
                return (t + left).with_timezone(&Utc);
            }
            left -= rest;
            t = next;
        }
        (t + left).with_timezone(&Utc)
    }
}

/// The day of the week as an office writes it: 月 火 水 木 金 土 日.
pub fn weekday_ja(d: chrono::NaiveDate) -> &'static str {
    use chrono::Datelike;
    ["月", "火", "水", "木", "金", "土", "日"][d.weekday().num_days_from_monday() as usize]
}

/// A deadline with its day of the week: `2026-12-07（月）17:00 JST`, `令和8年12月7日（月）17:00 JST`.
pub fn format_deadline(t: &DateTime<Utc>, style: DateStyle) -> String {
    let local = t.with_timezone(&Tokyo);
    let day = match style {
        DateStyle::Western => local.format("%Y-%m-%d").to_string(),
        DateStyle::Wareki => format_wareki(t),
    };
    format!(
        "{day}（{}）{}",
        weekday_ja(local.date_naive()),
        local.format("%H:%M JST")
    )
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_date_style_writes_the_date_in_the_japanese_calendar_in_jst() {
        // 2019-04-30 15:30 UTC is already 令和元年5月1日 00:30 in Japan.
        let t = Utc.with_ymd_and_hms(2019, 4, 30, 15, 30, 0).unwrap();
        assert_eq!(DateStyle::Wareki.format(&t), "令和元年5月1日 00:30 JST");
        assert_eq!(DateStyle::Western.format(&t), "2019-05-01 00:30 JST");
        assert_eq!(DateStyle::from_code("wareki"), Some(DateStyle::Wareki));
        assert_eq!(DateStyle::from_code("heisei"), None);
    }

    #[test]
    fn a_fiscal_year_is_written_in_either_calendar() {
        assert_eq!(fiscal_year_label(2026, DateStyle::Western), "2026年度");
        assert_eq!(fiscal_year_label(2026, DateStyle::Wareki), "令和8年度");
        assert_eq!(fiscal_year_label(2019, DateStyle::Wareki), "令和元年度");
        assert_eq!(fiscal_year_label(2018, DateStyle::Wareki), "平成30年度");
    }

    #[test]
    fn times_are_shown_in_jst() {
        let t = Utc.with_ymd_and_hms(2026, 11, 22, 5, 30, 0).single();
        assert_eq!(
            t.map(|t| format_jst(&t)).as_deref(),
            Some("2026-11-22 14:30 JST")
        );
    }

    #[test]
    fn dates_are_written_in_the_japanese_era_of_their_jst_day() {
        let at = |y, mo, d, h| Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).single().unwrap();
        assert_eq!(format_wareki(&at(2026, 11, 22, 5)), "令和8年11月22日");
        // 2019-04-30 15:00 UTC is already 1 May in Japan: the first day of 令和.
        assert_eq!(format_wareki(&at(2019, 4, 30, 15)), "令和元年5月1日");
        assert_eq!(format_wareki(&at(2019, 4, 30, 14)), "平成31年4月30日");
        assert_eq!(format_wareki(&at(1989, 1, 8, 3)), "平成元年1月8日");
        assert_eq!(format_wareki(&at(1989, 1, 7, 3)), "1989年1月7日");
    }

    #[test]
    fn office_days_skip_weekends_holidays_and_the_new_year() {
        let cal = super::OfficeCalendar::default();
        let d = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(cal.is_open(d(2026, 12, 4)), "a Friday");
        assert_eq!(cal.closed(d(2026, 12, 5)).as_deref(), Some("土曜日"));
        assert_eq!(cal.closed(d(2026, 12, 29)).as_deref(), Some("年末年始"));
        assert_eq!(cal.closed(d(2027, 1, 1)).as_deref(), Some("年末年始"));
        assert!(cal.closed(d(2026, 11, 3)).is_some(), "文化の日");
        assert!(
            cal.closed(d(2026, 9, 22)).is_some(),
            "国民の休日 between 敬老の日 and 秋分の日"
        );
        assert!(cal.is_open(d(2027, 1, 4)));
        let jst = |y, m, day, h| {
            chrono_tz::Asia::Tokyo
                .with_ymd_and_hms(y, m, day, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        // Friday 15:00 + 72 h: Mon, Tue, Wed → Wednesday 15:00.
        assert_eq!(
            cal.add_hours(jst(2026, 12, 4, 15), 72),
            jst(2026, 12, 9, 15)
        );
        // Over 年末年始: Monday 28 Dec 10:00 + 24 h → Monday 4 Jan 10:00.
        assert_eq!(
            cal.add_hours(jst(2026, 12, 28, 10), 24),
            jst(2027, 1, 4, 10)
        );
        // Published on a Saturday: the clock starts on Monday.
        assert_eq!(cal.add_hours(jst(2026, 12, 5, 9), 24), jst(2026, 12, 8, 0));
        assert_eq!(
            super::format_deadline(&jst(2026, 12, 7, 17), super::DateStyle::Western),
            "2026-12-07（月）17:00 JST"
        );
    }
}
