//! The shipped classification rules over every advisory in ../shared/corpus and feeds/samples,
//! compared with the reviewed expectation file tests/fixtures/classification.golden. A change to
//! the rules shows up as a line diff; after reviewing it, rewrite the file with
//! `UPDATE_GOLDEN=1 cargo test --test integration classify_golden`.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use noroshi::classify::model::{AdvisoryView, Classification};
use noroshi::classify::rules::Rules;
use noroshi::ingest::normalise::{Normalised, normalise};
use noroshi::ingest::parse::{Format, Input, mail, parse};

const GOLDEN: &str = "tests/fixtures/classification.golden";

/// Every document with advisories, and its format.
fn documents() -> Vec<(String, Format)> {
    let corpus = [
        ("jpcert/jpcert_ja_RECONSTRUCTED.rdf", Format::Jpcert),
        ("jpcert/jpcert_en_RECONSTRUCTED.rdf", Format::Jpcert),
        ("jvn/jvndb_new_2025-04-13.rdf", Format::JvnRss),
        (
            "jvn/jvndb_new_2022-06-21_old-mod_sec-ns.rdf",
            Format::JvnRss,
        ),
        ("myjvn/getVulnOverviewList_hnd.xml", Format::JvnRss),
        (
            "myjvn/getVulnDetailInfo_hnd_JVNDB-2022-000097.vuldef.xml",
            Format::Vuldef,
        ),
        (
            "myjvn/getVulnDetailInfo_hnd_JVNDB-2017-009608.vuldef.xml",
            Format::Vuldef,
        ),
        (
            "myjvn/jvndb_detail_2025_feed_excerpt.vuldef.xml",
            Format::Vuldef,
        ),
        ("myjvn/getAlertList_hnd.atom.xml", Format::MyjvnAlert),
        (
            "myjvn/getVulnOverviewList_oka_SYNTHETIC.json",
            Format::MyjvnJson,
        ),
        (
            "myjvn/dataFeed_jvndb_rss_oka_SYNTHETIC.json",
            Format::MyjvnJson,
        ),
        (
            "myjvn/getVulnDetailInfo_oka_JVNDB-2017-009608.jvnstix.json",
            Format::MyjvnJson,
        ),
        (
            "myjvn/getVulnDetailInfo_oka_JVNDB-2022-000097.jvncsaf.json",
            Format::Csaf,
        ),
        (
            "myjvn/getVulnDetailInfo_oka_jvncsaf_SYNTHETIC-fieldguide.json",
            Format::Csaf,
        ),
        (
            "cisa-kev/known_exploited_vulnerabilities_first50.json",
            Format::Kev,
        ),
        ("csaf/bsi-2022-0001.json", Format::Csaf),
        ("csaf/rhsa-2021_5217.json", Format::Csaf),
    ];
    let samples = [
        ("jpcert_ja.rdf", Format::Jpcert),
        ("jpcert_en.rdf", Format::Jpcert),
        ("jpcert_eyes.atom.xml", Format::Feed),
        ("jvn.rdf", Format::JvnRss),
        ("jvndb_new.rdf", Format::JvnRss),
        ("myjvn_overview.xml", Format::JvnRss),
        ("myjvn_vuldef.xml", Format::Vuldef),
        ("myjvn_alert.atom.xml", Format::MyjvnAlert),
        ("kev.json", Format::Kev),
        ("csaf_advisory.json", Format::Csaf),
        ("cisco_psirt.rss.xml", Format::Feed),
        ("nco_notice.eml", Format::Mail),
    ];
    corpus
        .iter()
        .map(|(f, fmt)| (format!("../shared/corpus/{f}"), *fmt))
        .chain(
            samples
                .iter()
                .map(|(f, fmt)| (format!("feeds/samples/{f}"), *fmt)),
        )
        .collect()
}

fn advisories(path: &str, format: Format) -> Vec<Normalised> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let items = if format == Format::Mail {
        vec![mail::parse_with_attachments(&bytes).unwrap().0]
    } else {
        parse(
            format,
            Input {
                bytes: &bytes,
                content_type: None,
                origin: path,
            },
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .items
    };
    items.into_iter().map(normalise).collect()
}

fn render(out: &mut String, path: &str, a: &Normalised, c: &Classification) {
    let _ = writeln!(
        out,
        "== {} :: {}",
        path.trim_start_matches("../shared/"),
        a.upstream_id
    );
    let _ = writeln!(
        out,
        "title: {}",
        a.title.chars().take(80).collect::<String>()
    );
    let score = c
        .score
        .map(|s| format!(" (base score {s:.1})"))
        .unwrap_or_default();
    let _ = writeln!(out, "severity: {}{score}", c.severity.label_ja());
    let cats: Vec<&str> = c.categories.iter().map(|c| c.label_ja()).collect();
    let _ = writeln!(out, "categories: {}", cats.join("・"));
    for p in &c.products {
        let _ = writeln!(
            out,
            "product: {} | {} | {} | {}",
            p.vendor.as_deref().unwrap_or("-"),
            p.product.as_deref().unwrap_or("-"),
            p.version.as_deref().unwrap_or("-"),
            p.cpe.as_deref().unwrap_or("-")
        );
    }
    let _ = writeln!(
        out,
        "relevance: {} {}",
        c.relevance.label_ja(),
        c.themes.join("・")
    );
    let fired: Vec<String> = c
        .explanation
        .iter()
        .map(|f| format!("{}/{} → {}", f.aspect, f.rule, f.effect))
        .collect();
    for f in fired {
        let _ = writeln!(out, "rule: {f}");
    }
    out.push('\n');
}

/// Lines only in one side, with their line numbers: enough to read what the rules changed.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut lcs = vec![vec![0u32; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    let mut current_block = "";
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            if e[i].starts_with("== ") {
                current_block = e[i];
            }
            i += 1;
            j += 1;
        } else if j < a.len() && (i == e.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            let _ = writeln!(out, "{current_block}\n  + {}", a[j]);
            j += 1;
        } else {
            let _ = writeln!(out, "{current_block}\n  - {}", e[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn the_shipped_rules_classify_every_known_advisory_as_reviewed() {
    let rules = Rules::load(Path::new("feeds/classification.toml")).unwrap();
    let docs: Vec<(String, Vec<Normalised>)> = documents()
        .into_iter()
        .map(|(p, f)| {
            let a = advisories(&p, f);
            (p, a)
        })
        .collect();
    // Known exploited: every CVE of every KEV document seen.
    let kev: HashSet<String> = docs
        .iter()
        .flat_map(|(_, items)| items.iter().filter(|a| a.kind == "kev"))
        .flat_map(|a| a.cves.iter().map(ToString::to_string))
        .collect();
    let mut actual = format!("# classification rules {}\n\n", rules.version);
    let mut count = 0;
    for (path, items) in &docs {
        for a in items {
            let c = noroshi::classify::classify(&rules, &AdvisoryView::from_normalised(a), &kev);
            render(&mut actual, path, a, &c);
            count += 1;
        }
    }
    assert!(count >= 129, "only {count} advisories classified");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all("tests/fixtures").unwrap();
        std::fs::write(GOLDEN, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    if expected != actual {
        panic!(
            "classification differs from {GOLDEN} (review, then UPDATE_GOLDEN=1 to accept):\n{}",
            diff(&expected, &actual)
        );
    }
}
