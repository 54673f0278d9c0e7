//! Search for the incident-case library (事故事例・取組事例). So far: the tokenizer both engines'
//! Japanese handling is checked against. The index, the outbox and the queries come with the case
//! library itself (issue 8).

pub mod tokenize;
