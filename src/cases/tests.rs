use super::*;

fn good() -> CaseInput {
    CaseInput {
        kind: "事故事例".into(),
        title: "委託先からの情報流出".into(),
        summary: "概要".into(),
        body: "本文".into(),
        categories: vec!["情報漏えい".into()],
        causes: vec!["外部委託先".into(), "external_contractor".into()],
        org_kind: "city".into(),
        occurred_on: Some("2024-05-01".into()),
        found_on: Some("2024-05-10".into()),
        tlp: "CLEAR".into(),
        ..Default::default()
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

#[test]
fn a_good_case_is_read_with_labels_or_ids() {
    let f = good().validate(today()).unwrap();
    assert_eq!(f.kind, Kind::Incident);
    assert_eq!(f.categories, ["data_leak"]);
    assert_eq!(f.causes, ["external_contractor"]);
    assert_eq!(f.size_band, "undisclosed");
    assert_eq!(f.year(), Some(2024));
    assert_eq!(f.to_input().validate(today()).unwrap(), f);
}

#[test]
fn every_problem_is_named() {
    let bad = CaseInput {
        kind: "rumour".into(),
        title: "x".repeat(TITLE_MAX + 1),
        body: String::new(),
        categories: vec!["天気".into()],
        org_kind: "village_hall".into(),
        prefecture: Some(48),
        occurred_on: Some("2024-13-01".into()),
        reported_on: Some("2030-01-01".into()),
        records_affected: Some(-1),
        alert_ids: vec!["<script>".into()],
        tlp: "BLUE".into(),
        ..good()
    };
    let e = bad.validate(today()).unwrap_err();
    let fields: Vec<&str> = e.0.iter().map(|(f, _)| *f).collect();
    for f in [
        "kind",
        "title",
        "body",
        "categories",
        "org_kind",
        "prefecture",
        "occurred_on",
        "reported_on",
        "records_affected",
        "alert_ids",
        "tlp",
    ] {
        assert!(fields.contains(&f), "{f} missing in {e}");
    }
    let order = CaseInput {
        occurred_on: Some("2024-05-10".into()),
        found_on: Some("2024-05-01".into()),
        ..good()
    };
    assert!(
        order
            .validate(today())
            .unwrap_err()
            .to_string()
            .contains("found_on")
    );
}
