//! Case search on generated cases: N cases of Japanese text (incidents and practices across
//! every category, cause, organisation kind, prefecture and year) indexed with the embedded
//! engine, then queries with facet counts. Prints cases/s and p50 / p95 / p99 query latency.

use std::time::Instant;

use rand::{Rng, SeedableRng};

use crate::search::index::CaseIndex;
use crate::search::{CaseDoc, SearchQuery, Sort};

const SUBJECTS: &[&str] = &[
    "標的型攻撃メール",
    "ランサムウェア",
    "VPN装置の脆弱性",
    "委託先の従業員",
    "USBメモリの紛失",
    "誤送信メール",
    "ファイル共有ソフト",
    "不正アクセス",
    "ウェブサイトの改ざん",
    "サービス不能攻撃",
    "フィッシングサイト",
    "業務端末のマルウェア感染",
    "クラウドの設定不備",
    "庁内ネットワーク",
];
const EVENTS: &[&str] = &[
    "により住民の個人情報が外部に流出した",
    "が原因で業務システムが停止した",
    "を契機に職員の認証情報が窃取された",
    "により約二万件の記録が閲覧可能な状態となった",
    "を受けて庁内の端末を一斉に点検した",
    "について委託先と連携して調査を行った",
];
const LESSONS: &[&str] = &[
    "修正プログラムの適用状況を定期的に確認する体制を整えた。",
    "委託契約に再委託の禁止と作業場所の制限を明記した。",
    "メール送信時の宛先確認を二人で行う手順とした。",
    "バックアップをネットワークから切り離して保管することとした。",
    "職員向けの標的型メール訓練を年二回実施することとした。",
];
const CATEGORIES: &[&str] = &[
    "vulnerability",
    "targeted_attack",
    "suspicious_mail",
    "malware",
    "ransomware",
    "unauthorized_access",
    "denial_of_service",
    "data_leak",
    "tampering",
    "outage",
    "other",
];
const CAUSES: &[&str] = &[
    "human_error",
    "external_contractor",
    "vulnerability",
    "targeted_mail",
    "misconfiguration",
    "loss_theft",
];
const QUERIES: &[&str] = &[
    "標的型",
    "ランサムウェア",
    "VPN",
    "ＶＰＮ 脆弱性",
    "個人情報 流出",
    "委託先",
    "誤送信",
    "USB 紛失",
    "改ざん",
    "フィッシング",
    "バックアップ",
    "設定不備",
    "ウイルス",
    "認証情報",
];

fn generate(n: usize) -> Vec<CaseDoc> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(100_000);
    (0..n)
        .map(|i| {
            let pick = |rng: &mut rand::rngs::StdRng, list: &[&str]| {
                list[rng.gen_range(0..list.len())].to_owned()
            };
            let subject = pick(&mut rng, SUBJECTS);
            let event = pick(&mut rng, EVENTS);
            let body = (0..4)
                .map(|_| format!("{}{}。", pick(&mut rng, SUBJECTS), pick(&mut rng, EVENTS)))
                .collect::<String>();
            CaseDoc {
                id: i as u64 + 1,
                kind: if i % 4 == 0 { "practice" } else { "incident" }.into(),
                title: format!("{subject}{event}事案（{i}）"),
                summary: format!("{subject}{event}。"),
                body,
                lessons: pick(&mut rng, LESSONS),
                categories: vec![pick(&mut rng, CATEGORIES)],
                causes: vec![pick(&mut rng, CAUSES)],
                org_kind: if i % 10 == 0 { "prefecture" } else { "city" }.into(),
                prefecture: Some(rng.gen_range(1..=47)),
                year: Some(rng.gen_range(2015..=2026)),
                date: rng.gen_range(16_436..=20_800),
                // A fifth are TLP:AMBER, open to their own organisation only.
                access: if i % 5 == 0 {
                    vec!["central".into(), format!("org:{}", i % 1_788)]
                } else {
                    vec!["central".into(), "all".into()]
                },
                also: String::new(),
            }
        })
        .collect()
}

pub fn run(cases: usize, queries: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=1_000_000).contains(&cases),
        "--cases must be from 1 to 1,000,000"
    );
    anyhow::ensure!(
        (1..=100_000).contains(&queries),
        "--queries must be from 1 to 100,000"
    );
    let dir = tempfile::tempdir()?;
    let docs = generate(cases);
    let index = CaseIndex::open(dir.path())?;
    let started = Instant::now();
    // As `noroshi reindex` writes: batches of 1,000 through one writer, one commit at the end.
    let mut batches = docs.chunks(1_000).map(|c| Ok(c.to_vec()));
    index.replace_all(&mut batches, &mut |_| {})?;
    let took = started.elapsed().as_secs_f64();
    println!(
        "indexed {} generated cases in {took:.2} s: {:.0} cases/s (on disk, the rebuild path: one writer, batches of 1,000, one commit)",
        crate::domain::text::count(cases as u64),
        cases as f64 / took
    );
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut times = Vec::with_capacity(queries);
    let mut hits = 0usize;
    for i in 0..queries {
        let q = QUERIES[i % QUERIES.len()];
        let facets = if i % 3 == 0 {
            vec![format!(
                "/category/{}",
                CATEGORIES[rng.gen_range(0..CATEGORIES.len())]
            )]
        } else {
            Vec::new()
        };
        let query = SearchQuery {
            text: q.to_owned(),
            access: vec!["all".into(), "org:131".into()],
            facets,
            sort: Sort::Relevance,
            limit: 10,
            offset: 0,
        };
        let t = Instant::now();
        let r = index.search(&query)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        hits += r.total;
    }
    times.sort_by(f64::total_cmp);
    let p = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{} queries (top 10 with facet counts over kind, category, cause, organisation kind, prefecture, year; access rules applied; a third with a category filter): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms; {:.0} matches per query on average",
        crate::domain::text::count(queries as u64),
        p(0.50),
        p(0.95),
        p(0.99),
        hits as f64 / queries as f64
    );
    Ok(())
}
