use super::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `.ext` file under `dir`, in its sub-folders too.
fn files(dir: &str, ext: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(format!("{ROOT}/{dir}"))];
    while let Some(d) = stack.pop() {
        for p in std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()) {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == ext) {
                let text = std::fs::read_to_string(&p).unwrap();
                out.push((p.display().to_string(), text));
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no .{ext} files in {dir}");
    out
}

fn is_japanese(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}'
        | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}')
}

/// Every literal handed to `tr`, `tr1`, `tr2` or `trn` in the portal's templates and code.
fn translated_literals() -> Vec<(String, String)> {
    let call = regex::Regex::new(r#"\btr[12n]?\(\s*"((?:[^"\\]|\\.)*)""#).unwrap();
    let mut out = Vec::new();
    for (path, text) in files("templates/portal", "html")
        .into_iter()
        .chain(files("src/portal", "rs"))
    {
        for c in call.captures_iter(&text) {
            out.push((path.clone(), c[1].replace("\\\"", "\"")));
        }
    }
    out
}

#[test]
fn every_translated_text_has_english() {
    let literals = translated_literals();
    assert!(literals.len() > 200, "{} literals", literals.len());
    let missing: Vec<String> = literals
        .iter()
        .filter(|(_, ja)| !EN_BY_JA.contains_key(ja.as_str()))
        .map(|(path, ja)| format!("{path}: {ja}"))
        .collect();
    assert!(
        missing.is_empty(),
        "no English for:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_catalog_is_consistent() {
    let mut seen = std::collections::HashSet::new();
    for (ja, en) in super::super::catalog::EN {
        assert!(seen.insert(ja), "{ja} is in the catalog twice");
        assert_eq!(
            ja.matches("{}").count(),
            en.matches("{}").count(),
            "{ja} / {en}: the placeholders differ"
        );
        // English text quotes Japanese only where it shows what to type.
        assert!(
            !en.chars().any(is_japanese) || en.starts_with("e.g. "),
            "{en}"
        );
    }
    // Entries nothing uses any more are dead weight; those reached by a value (labels,
    // reasons) rather than a literal are listed as such.
    let used: std::collections::HashSet<String> = translated_literals()
        .into_iter()
        .map(|(_, ja)| ja)
        .collect();
    let unused: Vec<&str> = super::super::catalog::EN
        .iter()
        .map(|(ja, _)| *ja)
        .filter(|ja| !used.contains(*ja) && !super::super::catalog::BY_VALUE.contains(ja))
        .collect();
    assert!(unused.is_empty(), "unused catalog entries: {unused:?}");
}

/// Labels the portal looks up by value must be in the catalog, so a renamed label is caught.
#[test]
fn vocabularies_looked_up_by_value_have_english() {
    use crate::classify::model::RelevanceLevel;
    let labels = Category::ALL
        .iter()
        .map(|c| c.label_ja())
        .chain(Severity::ALL.iter().map(|s| s.label_ja()))
        .chain(crate::auth::tokens::ALL_SCOPES.iter().map(|s| s.label_ja()))
        .chain(crate::alerts::AlertStatus::ALL.map(crate::alerts::AlertStatus::label_ja))
        .chain(
            [
                RelevanceLevel::None,
                RelevanceLevel::Low,
                RelevanceLevel::Medium,
                RelevanceLevel::High,
            ]
            .map(RelevanceLevel::label_ja),
        )
        .chain(crate::reports::PHASES.0.iter().map(|(_, l)| *l))
        .chain(crate::reports::DATA_KINDS.0.iter().map(|(_, l)| *l))
        .chain(crate::reports::Tri::ALL.map(crate::reports::Tri::label_ja))
        .chain(
            [
                crate::reports::Status::Open,
                crate::reports::Status::Final,
                crate::reports::Status::Closed,
            ]
            .map(crate::reports::Status::label_ja),
        )
        .chain(crate::reports::steps::StepKind::ALL.map(crate::reports::steps::StepKind::label_ja))
        .chain(crate::reports::steps::Partner::ALL.map(crate::reports::steps::Partner::label_ja))
        .chain(
            [
                crate::reports::steps::Stage::Preliminary,
                crate::reports::steps::Stage::Final,
            ]
            .map(crate::reports::steps::Stage::label_ja),
        )
        .chain([
            "報告団体",
            "中央・都道府県",
            "追加報告（依頼への回答）",
            "次の報",
            "対処方針の承認",
            "再発防止策の承認",
            "対処結果の確認",
            "再発防止状況の確認",
        ])
        .chain(
            [
                crate::inquiries::Status::Open,
                crate::inquiries::Status::Answered,
                crate::inquiries::Status::Closed,
            ]
            .map(crate::inquiries::Status::label_ja),
        )
        .chain(
            [
                crate::surveys::Kind::Emergency,
                crate::surveys::Kind::SelfAssessment,
            ]
            .map(crate::surveys::Kind::label_ja),
        )
        .chain(
            crate::surveys::definition::IMPLEMENTATION
                .iter()
                .map(|(_, l)| *l),
        )
        .chain(crate::registry::OrgClass::ALL.map(crate::registry::OrgClass::label_ja));
    for ja in labels {
        assert_ne!(Lang::En.tr(ja), ja, "no English for the label {ja}");
        assert!(
            super::super::catalog::BY_VALUE.contains(&ja)
                || super::super::catalog_desk::BY_VALUE.contains(&ja),
            "{ja}"
        );
    }
}

#[test]
fn templates_carry_no_japanese_outside_the_catalog() {
    let expr = regex::Regex::new(r"(?s)\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}").unwrap();
    for (path, text) in files("templates/portal", "html") {
        let bare = expr.replace_all(&text, "").replace("Noroshi（狼煙）", "");
        let stray: String = bare
            .lines()
            .filter(|l| l.chars().any(is_japanese))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            stray.is_empty(),
            "{path} has Japanese outside tr():\n{stray}"
        );
        if text.contains("extends \"portal/base.html\"") {
            assert!(
                text.contains("{% block lang %}"),
                "{path} sets no <html lang>"
            );
        }
    }
}

#[test]
fn placeholders_are_filled_in_order() {
    assert_eq!(Lang::Ja.tr1("{} 団体", 3), "3 団体");
    assert_eq!(Lang::En.tr1("{} 団体", 3), "3 organisations");
    let unlisted = String::from("どこにもない文");
    assert_eq!(Lang::En.tr(&unlisted), unlisted);
    assert_eq!(fill("{} / {}", &[&1, &"b"]), "1 / b");
    assert_eq!(fill("{} / {}", &[&1]), "1 / ");
}

#[test]
fn a_capabilitys_message_with_values_is_translated_by_its_pattern() {
    use super::Lang;
    assert_eq!(
        Lang::En.message("example.lg.jp は既に 東京都 のドメインとして登録されています"),
        "example.lg.jp is already registered as a domain of 東京都"
    );
    // A value that is itself a catalog word (a status) is translated too.
    let m = "この期間には既に号があります: 第3号（9/28 – 10/5、下書き）。新しく作らず、その号を編集してください";
    let en = Lang::En.message(m);
    assert!(
        en.starts_with("An issue already covers this period: 第3号 (9/28 – 10/5, "),
        "{en}"
    );
    assert!(!en.contains("下書き"), "{en}");
    assert_eq!(Lang::Ja.message(m), m);
    // Anything the catalog does not know stays as it was.
    assert_eq!(Lang::En.message("まったく新しい文"), "まったく新しい文");
}
