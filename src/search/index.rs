//! The embedded search engine (tantivy) for the case library, with the Japanese tokenizer of
//! [`super::tokenize`]: full text over title, summary, body and lessons; facets (kind,
//! category, cause, organisation kind, prefecture, year); TLP applied to results and facet counts
//! alike; highlighted snippets. The case store (issue 8) feeds it through its outbox; here it is
//! the engine alone.

use std::path::Path;

use anyhow::Context;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument, Term};

/// The name the tokenizer is registered under.
pub const TOKENIZER: &str = "noroshi_ja";

/// tantivy's side of [`super::tokenize::tokens`].
#[derive(Clone, Default)]
pub struct JaTokenizer;

pub struct JaTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for JaTokenizer {
    type TokenStream<'a> = JaTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JaTokenStream {
        let tokens = super::tokenize::tokens(text)
            .into_iter()
            .map(|t| Token {
                offset_from: t.from,
                offset_to: t.to,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        JaTokenStream { tokens, next: 0 }
    }
}

impl TokenStream for JaTokenStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// A case as the index holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseDoc {
    pub id: u64,
    /// `incident` (事故事例) or `practice` (取組事例).
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub lessons: String,
    pub categories: Vec<String>,
    pub causes: Vec<String>,
    pub org_kind: String,
    pub prefecture: Option<u8>,
    pub year: Option<i32>,
    /// `CLEAR`, `GREEN`, `AMBER`, `AMBER+STRICT`, `RED`.
    pub tlp: String,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    title: Field,
    summary: Field,
    body: Field,
    lessons: Field,
    facets: Field,
    tlp: Field,
}

/// Filters of a search: each set narrows to cases having that facet.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Facet paths: `/category/malware`, `/kind/incident`, `/year/2024` …
    pub facets: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
    /// The best passage of the body (or summary), HTML with `<b>` around matches, escaped.
    pub snippet: String,
}

#[derive(Clone, Debug, Default)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Counts per facet value (`/category/malware` → 3), over what the searcher may see.
    pub facets: Vec<(String, u64)>,
}

pub struct CaseIndex {
    index: Index,
    reader: IndexReader,
    writer: std::sync::Mutex<IndexWriter>,
    fields: Fields,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        id: b.add_u64_field("id", INDEXED | STORED | FAST),
        kind: b.add_text_field("kind", STRING | STORED),
        title: b.add_text_field("title", text.clone()),
        summary: b.add_text_field("summary", text.clone()),
        body: b.add_text_field("body", text.clone()),
        lessons: b.add_text_field("lessons", text),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        tlp: b.add_text_field("tlp", STRING | STORED),
    };
    (b.build(), fields)
}

impl CaseIndex {
    /// Opens the index in `dir`, creating it when missing.
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the index folder {}", dir.display()))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .with_context(|| format!("cannot open the index folder {}", dir.display()))?;
        let index = Index::open_or_create(directory, schema)
            .context("cannot open the search index (delete its folder and reindex)")?;
        Self::with_index(index, fields)
    }

    /// An index in memory (tests, benchmarks).
    pub fn in_memory() -> anyhow::Result<Self> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> anyhow::Result<Self> {
        index
            .tokenizers()
            .register(TOKENIZER, TextAnalyzer::builder(JaTokenizer).build());
        let writer = index
            .writer(50_000_000)
            .context("cannot open the index writer")?;
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .context("cannot open the index reader")?;
        Ok(Self {
            index,
            reader,
            writer: std::sync::Mutex::new(writer),
            fields,
        })
    }

    /// Adds or replaces cases, then commits (one commit for the whole list).
    pub fn upsert(&self, docs: &[CaseDoc]) -> anyhow::Result<()> {
        let f = self.fields;
        let mut w = self
            .writer
            .lock()
            .map_err(|_| anyhow::anyhow!("the index writer is poisoned"))?;
        for d in docs {
            w.delete_term(Term::from_field_u64(f.id, d.id));
            let mut doc = TantivyDocument::default();
            doc.add_u64(f.id, d.id);
            doc.add_text(f.kind, &d.kind);
            doc.add_text(f.title, &d.title);
            doc.add_text(f.summary, &d.summary);
            doc.add_text(f.body, &d.body);
            doc.add_text(f.lessons, &d.lessons);
            doc.add_text(f.tlp, &d.tlp);
            doc.add_facet(f.facets, Facet::from_path(["kind", d.kind.as_str()]));
            for c in &d.categories {
                doc.add_facet(f.facets, Facet::from_path(["category", c.as_str()]));
            }
            for c in &d.causes {
                doc.add_facet(f.facets, Facet::from_path(["cause", c.as_str()]));
            }
            doc.add_facet(
                f.facets,
                Facet::from_path(["org_kind", d.org_kind.as_str()]),
            );
            if let Some(p) = d.prefecture {
                doc.add_facet(f.facets, Facet::from_path(["prefecture", &p.to_string()]));
            }
            if let Some(y) = d.year {
                doc.add_facet(f.facets, Facet::from_path(["year", &y.to_string()]));
            }
            w.add_document(doc).context("cannot index the case")?;
        }
        w.commit().context("cannot commit the index")?;
        drop(w);
        self.reader.reload().context("cannot reload the index")?;
        Ok(())
    }

    /// Removes cases, then commits.
    pub fn remove(&self, ids: &[u64]) -> anyhow::Result<()> {
        let mut w = self
            .writer
            .lock()
            .map_err(|_| anyhow::anyhow!("the index writer is poisoned"))?;
        for id in ids {
            w.delete_term(Term::from_field_u64(self.fields.id, *id));
        }
        w.commit().context("cannot commit the index")?;
        drop(w);
        self.reader.reload().context("cannot reload the index")?;
        Ok(())
    }

    /// Full text `text` (empty: everything) among cases marked one of `tlps`, narrowed by
    /// `filters`; `limit` hits from `offset` by relevance, facet counts over all matches.
    pub fn search(
        &self,
        text: &str,
        tlps: &[&str],
        filters: &Filters,
        limit: usize,
        offset: usize,
    ) -> anyhow::Result<Results> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let text_query: Box<dyn Query> = if text.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            let mut parser =
                QueryParser::for_index(&self.index, vec![f.title, f.summary, f.body, f.lessons]);
            parser.set_field_boost(f.title, 3.0);
            parser.set_field_boost(f.summary, 2.0);
            parser.set_conjunction_by_default();
            let (q, _) = parser.parse_query_lenient(text);
            q
        };
        let tlp_query: Box<dyn Query> = Box::new(BooleanQuery::new(
            tlps.iter()
                .map(|t| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(f.tlp, t),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect(),
        ));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, text_query.box_clone()),
            (Occur::Must, tlp_query),
        ];
        for facet in &filters.facets {
            let facet = Facet::from_text(facet)
                .map_err(|e| anyhow::anyhow!("`{facet}` is not a facet path: {e}"))?;
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_facet(f.facets, &facet),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let mut facets = FacetCollector::for_field("facets");
        for root in [
            "/kind",
            "/category",
            "/cause",
            "/org_kind",
            "/prefecture",
            "/year",
        ] {
            facets.add_facet(root);
        }
        let (total, top, counts) = searcher
            .search(
                &query,
                &(
                    Count,
                    TopDocs::with_limit(limit.max(1))
                        .and_offset(offset)
                        .order_by_score(),
                    facets,
                ),
            )
            .context("the search failed")?;
        let mut snippets = SnippetGenerator::create(&searcher, &*text_query, f.body)
            .context("cannot make snippets")?;
        snippets.set_max_num_chars(120);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).context("cannot read a hit")?;
            let id = doc
                .get_first(f.id)
                .and_then(|v| v.as_u64())
                .context("a hit has no id")?;
            let snippet = snippets.snippet_from_doc(&doc);
            let snippet = if snippet.is_empty() {
                let summary = doc
                    .get_first(f.summary)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default();
                let excerpt: String = summary.chars().take(120).collect();
                crate::ingest::html::escape(&excerpt)
            } else {
                snippet.to_html()
            };
            hits.push(Hit { id, score, snippet });
        }
        let mut facet_counts = Vec::new();
        for root in [
            "/kind",
            "/category",
            "/cause",
            "/org_kind",
            "/prefecture",
            "/year",
        ] {
            for (facet, count) in counts.get(root) {
                facet_counts.push((facet.to_string(), count));
            }
        }
        Ok(Results {
            total,
            hits,
            facets: facet_counts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(id: u64, title: &str, body: &str, category: &str, tlp: &str) -> CaseDoc {
        CaseDoc {
            id,
            kind: "incident".into(),
            title: title.into(),
            summary: String::new(),
            body: body.into(),
            lessons: String::new(),
            categories: vec![category.into()],
            causes: vec!["external_contractor".into()],
            org_kind: "municipality".into(),
            prefecture: Some(13),
            year: Some(2024),
            tlp: tlp.into(),
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
                    "CLEAR",
                ),
                case(
                    2,
                    "ＶＰＮ装置の脆弱性を突いた不正アクセス",
                    "修正版の適用が遅れていた。",
                    "unauthorized_access",
                    "CLEAR",
                ),
                case(
                    3,
                    "委託先による個人情報の漏洩",
                    "ファイル共有ソフトで流出した。",
                    "data_leak",
                    "CLEAR",
                ),
            ])
            .unwrap();
        let all = ["CLEAR"];
        let f = Filters::default();
        assert_eq!(ids(&index.search("標的型", &all, &f, 10, 0).unwrap()), [1]);
        assert_eq!(
            ids(&index.search("ウィルス", &all, &f, 10, 0).unwrap()),
            [1]
        );
        assert_eq!(ids(&index.search("vpn", &all, &f, 10, 0).unwrap()), [2]);
        assert_eq!(ids(&index.search("漏えい", &all, &f, 10, 0).unwrap()), [3]);
        let r = index.search("感染", &all, &f, 10, 0).unwrap();
        assert_eq!(ids(&r), [1]);
        assert!(r.hits[0].snippet.contains("<b>"), "{}", r.hits[0].snippet);
        assert_eq!(index.search("", &all, &f, 10, 0).unwrap().total, 3);
    }

    #[test]
    fn tlp_holds_for_results_and_facet_counts() {
        let index = CaseIndex::in_memory().unwrap();
        index
            .upsert(&[
                case(
                    1,
                    "ランサムウェア被害",
                    "バックアップから復旧した。",
                    "ransomware",
                    "CLEAR",
                ),
                case(
                    2,
                    "ランサムウェアの限定事例",
                    "詳細は限定共有。",
                    "ransomware",
                    "AMBER",
                ),
            ])
            .unwrap();
        let f = Filters::default();
        let public = index
            .search("ランサムウェア", &["CLEAR"], &f, 10, 0)
            .unwrap();
        assert_eq!(ids(&public), [1]);
        assert!(public.facets.contains(&("/category/ransomware".into(), 1)));
        let wider = index
            .search("ランサムウェア", &["CLEAR", "AMBER"], &f, 10, 0)
            .unwrap();
        assert_eq!(wider.total, 2);
        assert!(wider.facets.contains(&("/category/ransomware".into(), 2)));
        // A filter narrows; replacing a case re-indexes it; removing drops it.
        let narrowed = index
            .search(
                "",
                &["CLEAR", "AMBER"],
                &Filters {
                    facets: vec!["/category/ransomware".into(), "/year/2024".into()],
                },
                10,
                0,
            )
            .unwrap();
        assert_eq!(narrowed.total, 2);
        index
            .upsert(&[case(1, "マルウェア被害", "別の事例。", "malware", "CLEAR")])
            .unwrap();
        assert!(
            ids(&index
                .search("ランサムウェア", &["CLEAR"], &f, 10, 0)
                .unwrap())
            .is_empty()
        );
        index.remove(&[1]).unwrap();
        assert_eq!(index.search("", &["CLEAR"], &f, 10, 0).unwrap().total, 0);
    }
}
