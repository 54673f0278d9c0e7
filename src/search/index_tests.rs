use super::*;

fn case(id: u64, title: &str, body: &str, category: &str, open: bool) -> CaseDoc {
    CaseDoc {
        id,
        kind: "incident".into(),
        title: title.into(),
        summary: String::new(),
        body: body.into(),
        lessons: String::new(),
        categories: vec![category.into()],
        causes: vec!["external_contractor".into()],
        org_kind: "city".into(),
        prefecture: Some(13),
        year: Some(2024),
        date: 19_800 + id as i64,
        access: if open {
            vec!["central".into(), "all".into()]
        } else {
            vec!["central".into(), "org:7".into()]
        },
        also: String::new(),
    }
}

fn ask(text: &str, access: &[&str], facets: &[&str]) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        access: access.iter().map(|s| s.to_string()).collect(),
        facets: facets.iter().map(|s| s.to_string()).collect(),
        sort: Sort::Relevance,
        limit: 10,
        offset: 0,
    }
}

fn ids(r: &Results) -> Vec<u64> {
    r.hits.iter().map(|h| h.id).collect()
}

#[test]
fn japanese_queries_find_words_inside_longer_ones_and_folded_forms() {
    let index = CaseIndex::in_memory().unwrap();
    index
        .upsert(&[
            case(
                1,
                "標的型攻撃メールによるウイルス感染",
                "職員の端末 23 台が感染した。",
                "targeted_attack",
                true,
            ),
            case(
                2,
                "ＶＰＮ装置の脆弱性を突いた不正アクセス",
                "修正版の適用が遅れていた。",
                "unauthorized_access",
                true,
            ),
            case(
                3,
                "委託先による個人情報の漏洩",
                "ファイル共有ソフトで流出した。",
                "data_leak",
                true,
            ),
        ])
        .unwrap();
    let all = ["all"];
    assert_eq!(ids(&index.search(&ask("標的型", &all, &[])).unwrap()), [1]);
    assert_eq!(
        ids(&index.search(&ask("ウィルス", &all, &[])).unwrap()),
        [1]
    );
    assert_eq!(ids(&index.search(&ask("vpn", &all, &[])).unwrap()), [2]);
    assert_eq!(ids(&index.search(&ask("漏えい", &all, &[])).unwrap()), [3]);
    let r = index.search(&ask("感染", &all, &[])).unwrap();
    assert_eq!(ids(&r), [1]);
    assert!(r.hits[0].snippet.contains("<b>"), "{}", r.hits[0].snippet);
    assert_eq!(index.search(&ask("", &all, &[])).unwrap().total, 3);
    let newest = SearchQuery {
        sort: Sort::Newest,
        ..ask("", &all, &[])
    };
    assert_eq!(ids(&index.search(&newest).unwrap()), [3, 2, 1]);
    let like = index
        .similar(&SimilarQuery {
            text: "標的型メールで端末が感染".into(),
            categories: vec!["targeted_attack".into()],
            access: vec!["all".into()],
            exclude: vec![],
            limit: 5,
        })
        .unwrap();
    assert_eq!(like.first().map(|h| h.id), Some(1));
}

#[test]
fn snippets_escape_markup_and_mark_only_matches() {
    let index = CaseIndex::in_memory().unwrap();
    index
        .upsert(&[case(
            1,
            "改ざん事案",
            "<script>alert(1)</script> ページが改ざんされた <b>太字</b>",
            "tampering",
            true,
        )])
        .unwrap();
    let r = index.search(&ask("改ざん", &["all"], &[])).unwrap();
    let snippet = &r.hits[0].snippet;
    assert!(
        !snippet.contains("<script>") && snippet.contains("&lt;script&gt;"),
        "{snippet}"
    );
    assert!(!snippet.contains("<b>太字"), "{snippet}");
    assert!(snippet.contains("<b>改ざん</b>"), "{snippet}");
}

#[test]
fn access_holds_for_results_facet_counts_and_similar_cases() {
    let index = CaseIndex::in_memory().unwrap();
    index
        .upsert(&[
            case(
                1,
                "ランサムウェア被害",
                "バックアップから復旧した。",
                "ransomware",
                true,
            ),
            case(
                2,
                "ランサムウェアの限定事例",
                "詳細は限定共有。",
                "ransomware",
                false,
            ),
        ])
        .unwrap();
    let public = index.search(&ask("ランサムウェア", &["all"], &[])).unwrap();
    assert_eq!(ids(&public), [1]);
    assert!(public.facets.contains(&("/category/ransomware".into(), 1)));
    let own = index
        .search(&ask("ランサムウェア", &["all", "org:7"], &[]))
        .unwrap();
    assert_eq!(own.total, 2);
    assert!(own.facets.contains(&("/category/ransomware".into(), 2)));
    let like = index
        .similar(&SimilarQuery {
            text: "ランサムウェアの限定事例".into(),
            categories: vec![],
            access: vec!["all".into()],
            exclude: vec![1],
            limit: 5,
        })
        .unwrap();
    assert!(like.is_empty(), "{like:?}");
    // A filter narrows; replacing a case re-indexes it; removing drops it.
    let narrowed = index
        .search(&ask(
            "",
            &["central"],
            &["/category/ransomware", "/year/2024"],
        ))
        .unwrap();
    assert_eq!(narrowed.total, 2);
    index
        .upsert(&[case(1, "マルウェア被害", "別の事例。", "malware", true)])
        .unwrap();
    assert!(ids(&index.search(&ask("ランサムウェア", &["all"], &[])).unwrap()).is_empty());
    index.remove(&[1]).unwrap();
    assert_eq!(index.search(&ask("", &["all"], &[])).unwrap().total, 0);
}
