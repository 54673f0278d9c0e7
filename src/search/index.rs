//! The embedded search engine (tantivy) for the case library, with the Japanese tokenizer of
//! [`super::tokenize`]: full text over title, summary, body and lessons; facets (kind,
//! category, cause, organisation kind, prefecture, year); the reader's access keys applied to
//! results, facet counts and similar cases alike; highlighted snippets; relevance or date order.
//!
//! The writer is opened for each batch of changes and closed after its commit, so several hub
//! processes can share one index folder: whoever writes holds tantivy's lock for that batch only,
//! and readers reload when a commit lands.

use std::path::Path;

use anyhow::Context;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, MoreLikeThisQuery, Occur, Query, QueryParser, TermQuery,
};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, OwnedValue, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{DocAddress, Order};

use super::{CaseDoc, FACET_ROOTS, Hit, Results, SearchQuery, SimilarQuery, Sort};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument, Term};

/// Writer memory for a batch of changes.
const CHANGE_HEAP: usize = 50_000_000;
/// Writer memory for a rebuild.
const REBUILD_HEAP: usize = 400_000_000;

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

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    summary: Field,
    body: Field,
    lessons: Field,
    facets: Field,
    access: Field,
    date: Field,
}

pub struct CaseIndex {
    index: Index,
    reader: IndexReader,
    /// One writer at a time in this process; across processes tantivy's lock file decides.
    writing: std::sync::Mutex<()>,
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
        title: b.add_text_field("title", text.clone()),
        summary: b.add_text_field("summary", text.clone()),
        body: b.add_text_field("body", text.clone()),
        lessons: b.add_text_field("lessons", text),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        access: b.add_text_field("access", STRING),
        // When it happened, then the id: a total order, so date order never depends on how
        // the index happens to be split into segments.
        date: b.add_i64_field("recency", INDEXED | FAST),
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
        let index = Index::open_or_create(directory, schema).context(
            "cannot open the search index (delete its folder and run `noroshi reindex`)",
        )?;
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
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .context("cannot open the index reader")?;
        Ok(Self {
            index,
            reader,
            writing: std::sync::Mutex::new(()),
            fields,
        })
    }

    /// Runs `change` with a writer of `heap` bytes, commits, and closes the writer again.
    fn write(
        &self,
        heap: usize,
        change: impl FnOnce(&mut IndexWriter, Fields) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let _one = self
            .writing
            .lock()
            .map_err(|_| anyhow::anyhow!("the index writer is poisoned"))?;
        let mut w: IndexWriter = match self.index.writer(heap) {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(..)) => anyhow::bail!(
                "the search index is being written by another process; try again when it is done"
            ),
            Err(e) => return Err(anyhow::Error::new(e).context("cannot open the index writer")),
        };
        change(&mut w, self.fields)?;
        w.commit().context("cannot commit the index")?;
        w.wait_merging_threads()
            .context("cannot finish merging the index")?;
        self.reader.reload().context("cannot reload the index")?;
        Ok(())
    }

    fn document(f: Fields, d: &CaseDoc) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, d.id);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.summary, &d.summary);
        doc.add_text(f.body, &d.body);
        doc.add_text(f.lessons, &d.lessons);
        // Synonyms are a second value of the lessons field: searched, never shown or snipped.
        if !d.also.is_empty() {
            doc.add_text(f.lessons, &d.also);
        }
        for k in &d.access {
            doc.add_text(f.access, k);
        }
        doc.add_i64(
            f.date,
            d.date
                .saturating_mul(1_000_000_000_000)
                .saturating_add(i64::try_from(d.id).unwrap_or(i64::MAX)),
        );
        for path in d.facet_paths() {
            if let Ok(facet) = Facet::from_text(&path) {
                doc.add_facet(f.facets, facet);
            }
        }
        doc
    }

    /// Adds or replaces cases, then commits (one commit for the whole list).
    pub fn upsert(&self, docs: &[CaseDoc]) -> anyhow::Result<()> {
        self.write(CHANGE_HEAP, |w, f| {
            for d in docs {
                w.delete_term(Term::from_field_u64(f.id, d.id));
                w.add_document(Self::document(f, d))
                    .context("cannot index the case")?;
            }
            Ok(())
        })
    }

    /// Removes cases, then commits.
    pub fn remove(&self, ids: &[u64]) -> anyhow::Result<()> {
        self.write(CHANGE_HEAP, |w, f| {
            for id in ids {
                w.delete_term(Term::from_field_u64(f.id, *id));
            }
            Ok(())
        })
    }

    /// Empties the index and writes `docs` in one commit (a rebuild).
    pub fn replace_all(
        &self,
        docs: &mut dyn Iterator<Item = anyhow::Result<Vec<CaseDoc>>>,
        progress: &mut dyn FnMut(usize),
    ) -> anyhow::Result<()> {
        // A rebuild gets a large budget: fewer, larger segments, less merging afterwards.
        self.write(REBUILD_HEAP, |w, f| {
            w.delete_all_documents().context("cannot empty the index")?;
            for batch in docs {
                let batch = batch?;
                for d in &batch {
                    w.add_document(Self::document(f, d))
                        .context("cannot index the case")?;
                }
                progress(batch.len());
            }
            Ok(())
        })
    }

    fn access_query(&self, keys: &[String]) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            keys.iter()
                .map(|k| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(self.fields.access, k),
                        IndexRecordOption::Basic,
                    ));
                    (Occur::Should, q)
                })
                .collect(),
        ))
    }

    /// Full text (empty: everything) among the cases `q.access` opens, narrowed by facet
    /// filters; a page of hits in the asked order, facet counts over all matches.
    pub fn search(&self, q: &SearchQuery) -> anyhow::Result<Results> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let text_query: Box<dyn Query> = if q.text.trim().is_empty() {
            Box::new(AllQuery)
        } else {
            let mut parser =
                QueryParser::for_index(&self.index, vec![f.title, f.summary, f.body, f.lessons]);
            parser.set_field_boost(f.title, 3.0);
            parser.set_field_boost(f.summary, 2.0);
            parser.set_conjunction_by_default();
            let (parsed, _) = parser.parse_query_lenient(&super::tokenize::trim_okurigana(&q.text));
            parsed
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, text_query.box_clone()),
            (Occur::Must, self.access_query(&q.access)),
        ];
        for facet in &q.facets {
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
        for root in FACET_ROOTS {
            facets.add_facet(*root);
        }
        let page = TopDocs::with_limit(q.limit.max(1)).and_offset(q.offset);
        // Without words every match scores the same: newest first is the only useful order.
        let sort = if q.text.trim().is_empty() {
            Sort::Newest
        } else {
            q.sort
        };
        let (total, top, counts): (usize, Vec<(f32, DocAddress)>, _) = match sort {
            Sort::Relevance => searcher
                .search(&query, &(Count, page.order_by_score(), facets))
                .context("the search failed")?,
            Sort::Newest => {
                let (total, top, counts) = searcher
                    .search(
                        &query,
                        &(
                            Count,
                            page.order_by_fast_field::<i64>("recency", Order::Desc),
                            facets,
                        ),
                    )
                    .context("the search failed")?;
                let top = top.into_iter().map(|(_, a)| (0.0, a)).collect();
                (total, top, counts)
            }
        };
        let mut snippets = SnippetGenerator::create(&searcher, &*text_query, f.body)
            .context("cannot make snippets")?;
        snippets.set_max_num_chars(120);
        // Made only when a hit matched in its summary but not its body.
        let mut summaries: Option<SnippetGenerator> = None;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).context("cannot read a hit")?;
            let body = snippets.snippet_from_doc(&doc);
            let snippet = if !body.highlighted().is_empty() {
                body.to_html()
            } else {
                if summaries.is_none() {
                    let mut g = SnippetGenerator::create(&searcher, &*text_query, f.summary)
                        .context("cannot make snippets")?;
                    g.set_max_num_chars(120);
                    summaries = Some(g);
                }
                match &summaries {
                    Some(g) => Self::snippet(f, &doc, &[g]),
                    None => Self::snippet(f, &doc, &[]),
                }
            };
            hits.push(Hit {
                id: Self::id_of(f, &doc)?,
                score,
                snippet,
            });
        }
        let mut facet_counts = Vec::new();
        for root in FACET_ROOTS {
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

    fn id_of(f: Fields, doc: &TantivyDocument) -> anyhow::Result<u64> {
        doc.get_first(f.id)
            .and_then(|v| v.as_u64())
            .context("a hit has no id")
    }

    /// The first passage with a match among `generators` (body, then summary), highlighted;
    /// else the start of the summary.
    fn snippet(f: Fields, doc: &TantivyDocument, generators: &[&SnippetGenerator]) -> String {
        for g in generators {
            let snippet = g.snippet_from_doc(doc);
            if !snippet.highlighted().is_empty() {
                return snippet.to_html();
            }
        }
        let summary = doc
            .get_first(f.summary)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let excerpt: String = summary.chars().take(120).collect();
        crate::domain::text::escape_html(&excerpt)
    }

    /// Cases like `q.text` (the words that weigh most in it), among those `q.access` opens,
    /// without `q.exclude`; the best `q.limit`.
    pub fn similar(&self, q: &SimilarQuery) -> anyhow::Result<Vec<Hit>> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        if q.text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let like: Box<dyn Query> = Box::new(
            MoreLikeThisQuery::builder()
                .with_min_doc_frequency(1)
                .with_min_term_frequency(1)
                .with_min_word_length(1)
                .with_max_query_terms(40)
                .with_document_fields(vec![(f.title, vec![OwnedValue::Str(q.text.clone())])]),
        );
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, like),
            (Occur::Must, self.access_query(&q.access)),
        ];
        for id in &q.exclude {
            clauses.push((
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_u64(f.id, *id),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        for c in &q.categories {
            if let Ok(facet) = Facet::from_text(&format!("/category/{c}")) {
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_facet(f.facets, &facet),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
        let query = BooleanQuery::new(clauses);
        let top = searcher
            .search(
                &query,
                &TopDocs::with_limit(q.limit.max(1)).order_by_score(),
            )
            .context("the search for similar cases failed")?;
        let best = top.first().map_or(0.0, |t| t.0);
        let mut hits = Vec::new();
        for (score, address) in top {
            // Far weaker than the best match: shares a common word, not a subject.
            if score < best * 0.25 {
                break;
            }
            let doc: TantivyDocument = searcher.doc(address).context("cannot read a hit")?;
            hits.push(Hit {
                id: Self::id_of(f, &doc)?,
                score,
                // Nothing was searched for: the start of the summary.
                snippet: Self::snippet(f, &doc, &[]),
            });
        }
        Ok(hits)
    }

    /// How many cases the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
