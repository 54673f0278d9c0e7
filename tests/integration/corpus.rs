//! Every real upstream document in ../shared/corpus parses to the values it really carries.

use noroshi::domain::Tlp;
use noroshi::ingest::model::{ParsedAdvisory, Summary, kind};
use noroshi::ingest::parse::{Format, Input, ParseError, Parsed, parse};

const CORPUS: &str = "../shared/corpus";

fn parse_file(format: Format, file: &str) -> Result<Parsed, ParseError> {
    let path = format!("{CORPUS}/{file}");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(
        format,
        Input {
            bytes: &bytes,
            content_type: None,
            origin: &path,
        },
    )
}

fn items(format: Format, file: &str) -> Vec<ParsedAdvisory> {
    parse_file(format, file)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .items
}

fn cves(a: &ParsedAdvisory) -> Vec<String> {
    a.cves.iter().map(ToString::to_string).collect()
}

fn utc(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_default()
}

fn text(s: &Summary) -> &str {
    match s {
        Summary::Text(t) | Summary::Html(t) => t,
    }
}

#[test]
fn jpcert_japanese_feed_yields_alerts_and_weekly_report_items() {
    let got = items(Format::Jpcert, "jpcert/jpcert_ja_RECONSTRUCTED.rdf");
    assert_eq!(got.len(), 3);

    let weekly = &got[0];
    assert_eq!(weekly.kind, kind::JPCERT_WEEKLY);
    assert_eq!(
        weekly.upstream_id,
        "https://www.jpcert.or.jp/wr/2026/wr260513.html#1"
    );
    assert_eq!(weekly.title, "Weekly Report: Apache Camelに複数の脆弱性");
    assert_eq!(utc(weekly.published), "2026-05-13T01:05:00+00:00");
    assert!(
        matches!(&weekly.summary, Summary::Html(h) if h.contains("遠隔の第三者が任意のコードを実行"))
    );
    assert_eq!(weekly.lang.as_deref(), Some("ja"));

    let adobe = &got[1];
    assert_eq!(adobe.kind, kind::JPCERT_ALERT);
    assert_eq!(
        adobe.upstream_id,
        "https://www.jpcert.or.jp/at/2026/at260018.html"
    );
    assert!(adobe.title.contains("APSB26-63"));
    assert_eq!(adobe.extra["jpcert_status"], "公開");
    assert!(adobe.cves.is_empty());

    let cisco = &got[2];
    assert_eq!(cisco.kind, kind::JPCERT_ALERT);
    assert_eq!(cves(cisco), ["CVE-2025-20333", "CVE-2025-20362"]);
    assert_eq!(cisco.extra["jpcert_status"], "更新");
    assert_eq!(utc(cisco.updated), "2026-04-30T07:20:00+00:00");
}

#[test]
fn jpcert_english_feed_items_carry_only_title_link_and_date() {
    let got = items(Format::Jpcert, "jpcert/jpcert_en_RECONSTRUCTED.rdf");
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].upstream_id,
        "https://www.jpcert.or.jp/english/at/2026/at260026.html"
    );
    assert_eq!(got[0].kind, kind::JPCERT_ALERT);
    assert_eq!(got[0].lang.as_deref(), Some("en"));
    assert_eq!(utc(got[0].published), "2026-09-09T02:36:00+00:00");
    assert_eq!(text(&got[0].summary), "");
    assert!(
        got[1].title.contains('&'),
        "the &amp; entity is decoded: {}",
        got[1].title
    );
}

#[test]
fn jvndb_new_feed_yields_ids_cves_cvss_and_cpe() {
    let got = items(Format::JvnRss, "jvn/jvndb_new_2025-04-13.rdf");
    let ids: Vec<&str> = got.iter().map(|a| a.upstream_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "JVNDB-2023-028579",
            "JVNDB-2023-028578",
            "JVNDB-2023-028577",
            "JVNDB-2023-028576"
        ]
    );
    let contiki = &got[0];
    assert_eq!(contiki.kind, kind::JVNDB);
    assert_eq!(contiki.title, "Contiki-NG における再帰制御に関する脆弱性");
    assert_eq!(cves(contiki), ["CVE-2023-29001"]);
    assert_eq!(contiki.cvss.len(), 1);
    assert_eq!(contiki.cvss[0].version, "3.0");
    assert_eq!(contiki.cvss[0].score, Some(7.5));
    assert_eq!(contiki.cvss[0].severity.as_deref(), Some("High"));
    assert_eq!(
        contiki.cvss[0].vector.as_deref(),
        Some("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")
    );
    assert_eq!(
        contiki.products[0].cpe.as_deref(),
        Some("cpe:/o:contiki-ng:contiki-ng")
    );
    assert_eq!(contiki.products[0].vendor.as_deref(), Some("Contiki-NG"));
    assert_eq!(utc(contiki.published), "2025-04-11T14:52:00+00:00");
    assert!(
        contiki
            .references
            .iter()
            .any(|r| r.id.as_deref() == Some("CWE-674"))
    );
    let editor = &got[1];
    assert_eq!(
        editor.products[0].cpe.as_deref(),
        Some("cpe:/a:lg:simple_editor"),
        "CPE text is trimmed of its leading newline"
    );
}

#[test]
fn the_malformed_myjvn_status_node_is_refused_with_its_position() {
    let err = parse_file(
        Format::JvnRss,
        "jvn/jvndb_new_2025-04-13_MALFORMED-status-node.rdf",
    )
    .unwrap_err();
    match err {
        ParseError::Malformed(m) => assert!(m.contains("116:"), "{m}"),
        other => panic!("expected a malformed-XML error, got {other}"),
    }
}

#[test]
fn the_old_sec_namespace_is_read_with_both_cvss_versions() {
    let got = items(
        Format::JvnRss,
        "jvn/jvndb_new_2022-06-21_old-mod_sec-ns.rdf",
    );
    assert_eq!(got.len(), 6);
    let first = &got[0];
    assert_eq!(first.upstream_id, "JVNDB-2021-010120");
    assert_eq!(cves(first), ["CVE-2021-34066"]);
    let versions: Vec<(&str, Option<f64>)> = first
        .cvss
        .iter()
        .map(|c| (c.version.as_str(), c.score))
        .collect();
    assert_eq!(versions, [("2.0", Some(10.0)), ("3.0", Some(9.8))]);
    assert_eq!(first.cvss[1].severity.as_deref(), Some("Critical"));
    assert!(got.iter().all(|a| a.cvss.len() == 2 && !a.cves.is_empty()));
}

#[test]
fn myjvn_overview_list_carries_tlp_and_seconds() {
    let got = items(Format::JvnRss, "myjvn/getVulnOverviewList_hnd.xml");
    assert_eq!(got.len(), 2);
    assert!(
        got.iter().all(|a| a.tlp == Some(Tlp::Clear)),
        "WHITE reads as CLEAR"
    );
    assert_eq!(got[0].upstream_id, "JVNDB-2025-002953");
    assert_eq!(got[0].cvss[0].score, Some(9.8));
    assert_eq!(utc(got[0].published), "2025-04-04T05:45:58+00:00");
    let rockwell = &got[1];
    assert!(rockwell.cvss.is_empty(), "no sec:cvss on this item");
    assert_eq!(cves(rockwell), ["CVE-2025-23120"]);
    assert_eq!(rockwell.products.len(), 2);
    assert_eq!(
        rockwell.products[0].cpe.as_deref(),
        Some("cpe:/a:rockwellautomation:industrial_data_center_%28idc%29_with_veeam")
    );
    assert!(
        rockwell
            .references
            .iter()
            .any(|r| r.id.as_deref() == Some("JVNVU#99709964"))
    );
}

#[test]
fn vuldef_detail_for_the_electronic_bidding_system() {
    let got = items(
        Format::Vuldef,
        "myjvn/getVulnDetailInfo_hnd_JVNDB-2022-000097.vuldef.xml",
    );
    assert_eq!(got.len(), 1);
    let a = &got[0];
    assert_eq!(a.upstream_id, "JVNDB-2022-000097");
    assert_eq!(a.title, "電子入札コアシステムにおける複数の脆弱性");
    assert_eq!(
        cves(a),
        ["CVE-2022-41993", "CVE-2022-46287", "CVE-2022-46288"]
    );
    let scores: Vec<(&str, Option<f64>)> = a
        .cvss
        .iter()
        .map(|c| (c.version.as_str(), c.score))
        .collect();
    assert_eq!(scores, [("2.0", Some(4.3)), ("3.0", Some(6.1))]);
    assert_eq!(
        a.products[0].cpe.as_deref(),
        Some("cpe:/a:jacic:electronic_bidding_core_system")
    );
    assert_eq!(
        a.products[0].product.as_deref(),
        Some("電子入札コアシステム")
    );
    assert_eq!(
        a.products[0].version.as_deref(),
        Some("v6 R4 およびそれ以前のバージョン")
    );
    assert_eq!(utc(a.published), "2022-12-15T03:04:51+00:00");
    assert_eq!(utc(a.updated), "2024-05-29T08:39:51+00:00");
    assert!(
        matches!(&a.summary, Summary::Html(h) if h.contains("<ul><li>クロスサイトスクリプティング"))
    );
    assert_eq!(a.tlp, Some(Tlp::Clear));
    let history = a.extra["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert!(
        history[1]["description"].as_str().unwrap().contains("\n"),
        "the literal \\n becomes a line break"
    );
    assert_eq!(
        a.url.as_deref(),
        Some("https://jvndb.jvn.jp/ja/contents/2022/JVNDB-2022-000097.html")
    );
}

#[test]
fn vuldef_documents_with_one_or_many_vulinfo() {
    let airbag = items(
        Format::Vuldef,
        "myjvn/getVulnDetailInfo_hnd_JVNDB-2017-009608.vuldef.xml",
    );
    assert_eq!(airbag[0].upstream_id, "JVNDB-2017-009608");
    assert_eq!(cves(&airbag[0]), ["CVE-2017-14937"]);
    let feed = items(
        Format::Vuldef,
        "myjvn/jvndb_detail_2025_feed_excerpt.vuldef.xml",
    );
    let ids: Vec<&str> = feed.iter().map(|a| a.upstream_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "JVNDB-2025-000001",
            "JVNDB-2025-000002",
            "JVNDB-2025-000003",
            "JVNDB-2017-009608",
            "JVNDB-2018-009328",
            "JVNDB-2021-002774",
            "JVNDB-2022-000097"
        ]
    );
    assert_eq!(
        feed[0].products[0].cpe.as_deref(),
        Some("cpe:/o:planex:mzk-dp300n")
    );
    assert_eq!(feed[0].cvss[0].score, Some(4.8));
}

#[test]
fn myjvn_alert_list_yields_ipa_alerts_with_products() {
    let got = items(Format::MyjvnAlert, "myjvn/getAlertList_hnd.atom.xml");
    assert_eq!(got.len(), 2);
    let wp = &got[1];
    assert_eq!(wp.upstream_id, "MYJVN-ALT-2025-0011");
    assert_eq!(wp.kind, kind::MYJVN_ALERT);
    assert_eq!(
        wp.title,
        "WordPress に関するソフトウェア更新情報 (2025年2月12日 公開)"
    );
    assert_eq!(
        wp.products[0].cpe.as_deref(),
        Some("cpe:/a:wordpress:wordpress")
    );
    assert_eq!(utc(wp.published), "2025-02-12T01:58:02+00:00");
    assert_eq!(got[0].products.len(), 2);
    assert_eq!(got[0].tlp, Some(Tlp::Clear));
}

#[test]
fn myjvn_json_overview_lists_are_read() {
    for file in [
        "myjvn/getVulnOverviewList_oka_SYNTHETIC.json",
        "myjvn/dataFeed_jvndb_rss_oka_SYNTHETIC.json",
    ] {
        let got = items(Format::MyjvnJson, file);
        let ids: Vec<&str> = got.iter().map(|a| a.upstream_id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "JVNDB-2025-000000",
                "JVNDB-2025-002953",
                "JVNDB-2025-002884"
            ],
            "{file}"
        );
        let versions: Vec<&str> = got[0].cvss.iter().map(|c| c.version.as_str()).collect();
        assert_eq!(versions, ["2.0", "3.0", "4.0"], "{file}");
        assert_eq!(got[0].cvss[2].score, Some(9.5));
        assert_eq!(got[0].tlp, Some(Tlp::Clear));
        assert_eq!(
            got[0].products[0].cpe.as_deref(),
            Some("cpe:2.3:a:dendai.ac.jp:myjvn_api:*:*:*:*:*:*:*:*")
        );
    }
}

#[test]
fn myjvn_jvncsaf_and_jvnstix_documents_are_read() {
    let csaf = items(
        Format::Csaf,
        "myjvn/getVulnDetailInfo_oka_JVNDB-2022-000097.jvncsaf.json",
    );
    let a = &csaf[0];
    assert_eq!(a.upstream_id, "https://www.ipa.go.jp/JVNDB-2022-000097");
    assert_eq!(a.title, "電子入札コアシステムにおける複数の脆弱性");
    assert_eq!(
        cves(a),
        ["CVE-2022-41993", "CVE-2022-46287", "CVE-2022-46288"]
    );
    assert!(
        a.cvss
            .iter()
            .any(|c| c.version == "3.0" && c.score == Some(6.1)),
        "{:?}",
        a.cvss
    );
    assert_eq!(a.tlp, Some(Tlp::Clear));
    assert_eq!(
        a.products[0].cpe.as_deref(),
        Some("cpe:2.3:a:jacic:electronic_bidding_core_system:*:*:*:*:*:*:*:*")
    );
    assert_eq!(utc(a.updated), "2024-05-29T08:39:51+00:00");

    let stix = items(
        Format::MyjvnJson,
        "myjvn/getVulnDetailInfo_oka_JVNDB-2017-009608.jvnstix.json",
    );
    assert_eq!(stix[0].upstream_id, "JVNDB-2017-009608");
    assert_eq!(stix[0].kind, kind::JVNDB);
    assert_eq!(cves(&stix[0]), ["CVE-2017-14937"]);

    let guide = items(
        Format::Csaf,
        "myjvn/getVulnDetailInfo_oka_jvncsaf_SYNTHETIC-fieldguide.json",
    );
    assert_eq!(
        guide[0].upstream_id,
        "https://www.ipa.go.jp/JVNDB-2025-000000"
    );
    assert_eq!(cves(&guide[0]), ["CVE-2025-0000"]);
    assert!(
        guide[0]
            .cvss
            .iter()
            .any(|c| c.version == "4.0" && c.score == Some(9.5))
    );
}

#[test]
fn the_kev_catalogue_yields_one_advisory_per_cve() {
    let got = items(
        Format::Kev,
        "cisa-kev/known_exploited_vulnerabilities_first50.json",
    );
    assert_eq!(got.len(), 50);
    let git = &got[0];
    assert_eq!(git.upstream_id, "CVE-2025-48384");
    assert_eq!(git.kind, kind::KEV);
    assert_eq!(git.title, "Git Link Following Vulnerability");
    assert_eq!(cves(git), ["CVE-2025-48384"]);
    assert_eq!(git.products[0].vendor.as_deref(), Some("Git"));
    assert_eq!(git.extra["due_date"], "2025-09-15");
    assert_eq!(git.extra["known_ransomware_campaign_use"], "Unknown");
    assert_eq!(git.extra["cwes"], serde_json::json!(["CWE-59", "CWE-436"]));
    assert_eq!(
        git.references.len(),
        6,
        "notes split on ` ; ` with \\/ unescaped"
    );
    assert!(
        git.references[0]
            .url
            .as_deref()
            .unwrap()
            .starts_with("https://github.com/git/git/")
    );
    assert!(text(&git.summary).contains("Git\u{2019}s inconsistent handling"));
    assert_eq!(got[1].upstream_id, "CVE-2024-8068");
}

#[test]
fn the_kev_schema_is_not_a_catalogue() {
    let err = parse_file(
        Format::Kev,
        "cisa-kev/known_exploited_vulnerabilities_schema.json",
    )
    .unwrap_err();
    assert!(err.to_string().contains("vulnerabilities"), "{err}");
}

#[test]
fn csaf_advisories_from_bsi_and_red_hat() {
    let bsi = &items(Format::Csaf, "csaf/bsi-2022-0001.json")[0];
    assert_eq!(bsi.upstream_id, "https://www.bsi.bund.de/BSI-2022-0001");
    assert_eq!(
        bsi.title,
        "CVRF-CSAF-Converter: XML External Entities Vulnerability"
    );
    assert_eq!(cves(bsi), ["CVE-2022-27193"]);
    assert_eq!(bsi.cvss[0].version, "3.1");
    assert_eq!(bsi.cvss[0].score, Some(6.1));
    assert_eq!(bsi.cvss[0].severity.as_deref(), Some("MEDIUM"));
    assert_eq!(bsi.tlp, Some(Tlp::Clear));
    assert_eq!(bsi.lang.as_deref(), Some("en-US"));
    assert_eq!(
        bsi.products.len(),
        5,
        "only the known affected versions: {:?}",
        bsi.products
    );
    assert!(bsi.products.iter().all(|p| {
        p.cpe
            .as_deref()
            .unwrap_or("")
            .starts_with("cpe:/a:csaf-tools")
    }));
    assert_eq!(utc(bsi.published), "2022-03-17T13:03:42.105+00:00");

    let rhsa = &items(Format::Csaf, "csaf/rhsa-2021_5217.json")[0];
    assert_eq!(rhsa.upstream_id, "https://www.redhat.com/RHSA-2021:5217");
    assert_eq!(cves(rhsa), ["CVE-2021-4133"]);
    assert!(rhsa.cvss.is_empty(), "Red Hat gives no scores here");
    assert_eq!(
        rhsa.products[0].product.as_deref(),
        Some("Red Hat Single Sign-On")
    );
    assert_eq!(rhsa.extra["aggregate_severity"], "Important");
}

#[test]
fn rolie_feeds_and_provider_metadata_list_what_to_fetch_next() {
    let feed = parse_file(Format::CsafRolie, "csaf/rolie-feed-tlp-white.example.json").unwrap();
    assert!(feed.items.is_empty());
    assert_eq!(
        feed.links,
        ["https://psirt.domain.tld/advisories/csaf/2020/2020-ESA-001.json"]
    );
    assert_eq!(feed.link_format, Some(Format::Csaf));
    let meta = parse_file(Format::CsafRolie, "csaf/provider-metadata.example.json").unwrap();
    assert_eq!(
        meta.links,
        ["https://www.example.com/.well-known/csaf/feed-tlp-white.json"]
    );
    assert_eq!(meta.link_format, Some(Format::CsafRolie));
}

#[test]
fn a_document_in_the_wrong_format_is_named_as_such() {
    let err = parse_file(Format::Jpcert, "csaf/bsi-2022-0001.json").unwrap_err();
    assert!(
        err.to_string().contains("not well-formed") || err.to_string().contains("expected"),
        "{err}"
    );
    let err = parse_file(Format::Kev, "jvn/jvndb_new_2025-04-13.rdf").unwrap_err();
    assert!(
        err.to_string().starts_with("expected a CISA KEV catalogue"),
        "{err}"
    );
    let err = parse_file(Format::Vuldef, "jvn/jvndb_new_2025-04-13.rdf").unwrap_err();
    assert!(
        err.to_string()
            .contains("but the document is a <RDF> document"),
        "{err}"
    );
}
