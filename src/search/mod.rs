//! Search for the incident-case library (事故事例・取組事例): the Japanese tokenizer and the
//! embedded engine (tantivy) built on it. The case store, its outbox, Meilisearch and the pages
//! come with the case library itself (issue 8).

pub mod index;
pub mod tokenize;
