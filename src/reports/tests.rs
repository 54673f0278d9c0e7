use chrono::{TimeZone, Utc};

use super::*;

fn jst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    crate::time::jst_offset()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn first() -> ReportInput {
    ReportInput {
        title: "委託先による住民情報の持ち出し".into(),
        summary: "委託先の社員が住民情報を自宅に持ち帰った".into(),
        found_at: "2026-12-01 09:30".into(),
        systems: "住民情報系システム".into(),
        personal_data: "yes".into(),
        leaked: "unknown".into(),
        phase: "initial".into(),
        situation: "委託先に事実確認中".into(),
        ..Default::default()
    }
}

#[test]
fn a_first_report_needs_few_fields_and_defaults_to_amber() {
    let now = jst(2026, 12, 3, 10, 0);
    let f = first().validate(now).unwrap();
    assert_eq!(f.tlp, Tlp::Amber);
    assert_eq!(f.found_at, jst(2026, 12, 1, 9, 30));
    assert_eq!(
        (f.personal_data, f.leaked, f.contractor),
        (Tri::Yes, Tri::Unknown, Tri::Unknown)
    );
    assert_eq!(f.phase_label(), "初動対応中");
    // The Japanese labels read too, and `T` as a `datetime-local` field sends it.
    let ja = ReportInput {
        personal_data: "なし".into(),
        phase: "原因調査中".into(),
        found_at: "2026-12-01T09:30".into(),
        ..first()
    };
    let f = ja.validate(now).unwrap();
    assert_eq!(
        (f.personal_data, f.phase.as_str()),
        (Tri::No, "investigating")
    );
}

#[test]
fn every_problem_of_a_report_is_named_at_once() {
    let now = jst(2026, 12, 3, 10, 0);
    let e = ReportInput::default().validate(now).unwrap_err();
    let fields: Vec<&str> = e.0.iter().map(|(f, _)| *f).collect();
    for f in [
        "title",
        "summary",
        "systems",
        "situation",
        "found_at",
        "personal_data",
        "leaked",
        "phase",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let bad = ReportInput {
        found_at: "2026-12-04 10:00".into(),
        tlp: "PURPLE".into(),
        records: Some(-1),
        data_kinds: vec!["fingerprint".into()],
        summary: "あ".repeat(TEXT_MAX + 1),
        ..first()
    };
    let e = bad.validate(now).unwrap_err().to_string();
    for f in ["found_at", "tlp", "records", "data_kinds", "summary"] {
        assert!(e.contains(f), "{f} missing from {e}");
    }
    assert!(e.contains("未来"), "{e}");
    let final_without_result = ReportInput {
        final_report: true,
        ..first()
    };
    let e = final_without_result.validate(now).unwrap_err().to_string();
    assert!(
        e.contains("response_result") && e.contains("prevention"),
        "{e}"
    );
    let unparsable = ReportInput {
        found_at: "12/01 9:30".into(),
        ..first()
    };
    assert!(
        unparsable
            .validate(now)
            .unwrap_err()
            .to_string()
            .contains("YYYY-MM-DD HH:MM")
    );
}

#[test]
fn the_fiscal_year_turns_at_midnight_on_the_first_of_april_in_japan() {
    assert_eq!(crate::time::fiscal_year(&jst(2027, 3, 31, 23, 59)), 2026);
    assert_eq!(crate::time::fiscal_year(&jst(2027, 4, 1, 0, 0)), 2027);
    // 2027-03-31 15:30 UTC is already 1 April in Japan.
    assert_eq!(
        crate::time::fiscal_year(&Utc.with_ymd_and_hms(2027, 3, 31, 15, 30, 0).unwrap()),
        2027
    );
    let (from, to) = crate::time::fiscal_bounds(2026);
    assert_eq!((from, to), (jst(2026, 4, 1, 0, 0), jst(2027, 4, 1, 0, 0)));
}

#[test]
fn a_later_report_starts_from_the_previous_one_but_is_never_final_by_itself() {
    let now = jst(2026, 12, 3, 10, 0);
    let done = ReportInput {
        final_report: true,
        response_result: "回収した".into(),
        prevention: "持ち出しの禁止を契約に明記".into(),
        ..first()
    }
    .validate(now)
    .unwrap();
    let again = done.to_input();
    assert!(!again.final_report);
    assert_eq!(again.found_at, "2026-12-01 09:30");
    assert_eq!(again.validate(now).unwrap().prevention, done.prevention);
}
