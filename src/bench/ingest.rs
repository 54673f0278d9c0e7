//! Parsing, normalising and storing a generated JVN iPedia-style feed.

use std::fmt::Write as _;
use std::time::Instant;

use crate::config::Settings;
use crate::context::AppContext;
use crate::ingest::fetch::Fetched;
use crate::ingest::parse::{Format, Input, parse};
use crate::ingest::{ingest_document, store};

/// A JVNRSS 3.2 feed of `n` items like jvndb_new.rdf: minute-precision dates, CVE and NVD
/// references, a CPE and a CVSS v3 score each. Every tenth item shares a CVE with the one
/// before it, so clustering has work to do.
pub fn generate_feed(n: usize) -> Vec<u8> {
    let mut out = String::with_capacity(n * 1500);
    out.push_str(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns="http://purl.org/rss/1.0/" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"
  xmlns:sec="http://jvn.jp/rss/mod_sec/3.0/" xml:lang="ja">
<channel rdf:about="https://jvndb.jvn.jp/ja/rss/years/jvndb_2026.rdf"><title>JVNDB RSS Feed</title>
<link>https://jvndb.jvn.jp/</link><description>JVN iPedia 脆弱性対策情報</description>
<dc:date>2026-11-18T12:00+09:00</dc:date></channel>
"#,
    );
    let vendors = [
        "Fortinet",
        "Ivanti",
        "サイボウズ",
        "Microsoft",
        "Apache",
        "Cisco",
        "トレンドマイクロ",
    ];
    for i in 0..n {
        let cve_no = if i % 10 == 9 {
            100_000 + i - 1
        } else {
            100_000 + i
        };
        let vendor = vendors[i % vendors.len()];
        let minute = i % 60;
        let hour = (i / 60) % 24;
        let day = 1 + (i / 1440) % 28;
        let _ = write!(
            out,
            r#"<item rdf:about="https://jvndb.jvn.jp/ja/contents/2026/JVNDB-2026-{i:06}.html">
<title>{vendor} 製品 No.{i} におけるクロスサイトスクリプティングの脆弱性</title>
<link>https://jvndb.jvn.jp/ja/contents/2026/JVNDB-2026-{i:06}.html</link>
<description>{vendor} が提供する製品 No.{i} には、クロスサイトスクリプティングの脆弱性が存在します。遠隔の第三者によって、利用者のブラウザ上で任意のスクリプトを実行される可能性があります。</description>
<sec:identifier>JVNDB-2026-{i:06}</sec:identifier>
<sec:references source="CVE" id="CVE-2026-{cve_no}">https://www.cve.org/CVERecord?id=CVE-2026-{cve_no}</sec:references>
<sec:references source="NVD" id="CVE-2026-{cve_no}">https://nvd.nist.gov/vuln/detail/CVE-2026-{cve_no}</sec:references>
<sec:references id="CWE-79" title="クロスサイトスクリプティング(CWE-79)">https://cwe.mitre.org/data/definitions/79.html</sec:references>
<sec:cpe version="2.2" vendor="{vendor}" product="product-{i}">cpe:/a:vendor{v}:product_{i}</sec:cpe>
<sec:cvss version="3.1" score="6.1" type="Base" severity="Medium" vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"/>
<dc:date>2026-11-{day:02}T{hour:02}:{minute:02}+09:00</dc:date>
<dcterms:issued>2026-11-{day:02}T{hour:02}:{minute:02}+09:00</dcterms:issued>
<dcterms:modified>2026-11-{day:02}T{hour:02}:{minute:02}+09:00</dcterms:modified>
</item>
"#,
            v = i % vendors.len(),
        );
    }
    out.push_str("</rdf:RDF>\n");
    out.into_bytes()
}

/// The median of some durations.
fn median(mut d: Vec<std::time::Duration>) -> std::time::Duration {
    d.sort();
    d[d.len() / 2]
}

fn runs(d: &[std::time::Duration]) -> String {
    d.iter()
        .map(|d| format!("{} ms", d.as_millis()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the benchmark and prints its figures: parsing alone (median of 5), and parse +
/// normalise + store on a fresh SQLite database each time (median of 3), then re-ingesting the
/// same feed, which must change nothing.
pub async fn run(items: usize, settings: Settings) -> anyhow::Result<()> {
    let feed = generate_feed(items);
    println!(
        "generated a JVN iPedia-style feed: {} items, {:.1} MiB",
        crate::domain::text::count(items as u64),
        feed.len() as f64 / 1_048_576.0
    );
    let input = Input {
        bytes: &feed,
        content_type: Some("application/rdf+xml"),
        origin: "bench",
    };
    let mut parse_runs = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let parsed = parse(Format::JvnRss, input)?;
        parse_runs.push(started.elapsed());
        anyhow::ensure!(
            parsed.items.len() == items,
            "parsed {} of {items} items",
            parsed.items.len()
        );
    }
    let p = median(parse_runs.clone());
    println!(
        "parse only:                 {:>10}  (median of 5: {})",
        super::rate(items, p),
        runs(&parse_runs)
    );

    let doc = Fetched {
        bytes: feed,
        content_type: Some("application/rdf+xml".into()),
        etag: None,
        last_modified: None,
        origin: "bench".into(),
    };
    let mut store_runs = Vec::new();
    let mut reingest_runs = Vec::new();
    for _ in 0..3 {
        let dir = tempfile::tempdir()?;
        let mut settings = settings.clone();
        settings.app.data_dir = dir.path().to_path_buf();
        settings.database.url = None;
        settings.ingest.poll = false;
        let ctx = AppContext::connect(settings).await?;
        let source = ctx
            .catalogue
            .get("jvndb-new")
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the catalogue has no jvndb-new source"))?;
        let started = Instant::now();
        let report = ingest_document(&ctx.db, &source, Format::JvnRss, &doc).await?;
        store_runs.push(started.elapsed());
        anyhow::ensure!(
            report.counts.new == items,
            "stored {} of {items}",
            report.counts.new
        );
        anyhow::ensure!(
            store::count(&ctx.db).await? == items as u64,
            "advisory count"
        );
        let started = Instant::now();
        let again = ingest_document(&ctx.db, &source, Format::JvnRss, &doc).await?;
        reingest_runs.push(started.elapsed());
        anyhow::ensure!(
            again.counts.unchanged == items,
            "re-ingest changed {} items",
            items - again.counts.unchanged
        );
    }
    let w = median(store_runs.clone());
    println!(
        "parse + normalise + store:  {:>10}  (SQLite, fresh database each run; median of 3: {})",
        super::rate(items, w),
        runs(&store_runs)
    );
    let r = median(reingest_runs.clone());
    println!(
        "re-ingest, nothing changes: {:>10}  (median of 3: {})",
        super::rate(items, r),
        runs(&reingest_runs)
    );
    Ok(())
}
