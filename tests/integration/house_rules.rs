//! The house rules the README's Layout section states, each checked on the source the way
//! `layers.rs` checks the layering, and each with a self-check that shows it can fail:
//!
//! 1. a store is rows in and rows out: no file under a `store` path opens a write transaction
//!    or writes the audit log (the audited action lives beside the store);
//! 2. an edge (`portal`, `api`, `feeds`, `web`, `health`) names no database entity: it reads
//!    through stores and writes through capability functions;
//! 3. a table is written only inside the folder whose module doc says it owns it;
//! 4. no source file is over 600 lines, but the catalog of English texts;
//! 5. outside stores, no id newtype is unwrapped with `.0`, and no stored enum is read with a
//!    silent fallback.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its path relative to `src/` and its text before any
/// `#[cfg(test)]` module, comment lines dropped.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p: PathBuf = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(&src).unwrap().display().to_string();
                let text = std::fs::read_to_string(&p).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                let code: String = code
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                out.push((rel, code));
            }
        }
    }
    out.sort();
    out
}

fn is_store(path: &str) -> bool {
    path.split('/')
        .any(|part| part == "store.rs" || part == "store")
}

/// Rule 1: the store files that open a write transaction or write the audit log.
fn stores_that_act(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(p, _)| is_store(p))
        .filter(|(_, code)| code.contains("begin_write(") || code.contains("audit::record("))
        .map(|(p, _)| p.clone())
        .collect()
}

#[test]
fn a_store_is_rows_in_and_rows_out() {
    let files = sources();
    let found = stores_that_act(&files);
    assert!(
        found.is_empty(),
        "stores that act (move the action beside the store): {found:?}"
    );
    // The check can fail.
    let planted = vec![(
        "cases/store.rs".to_owned(),
        "let txn = begin_write(db).await?;".to_owned(),
    )];
    assert_eq!(stores_that_act(&planted), ["cases/store.rs"]);
}

const EDGES: [&str; 5] = ["portal", "api", "feeds", "web", "health"];

/// Rule 2: the edge files that name a database entity.
fn edges_naming_entities(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(p, _)| EDGES.iter().any(|e| p.starts_with(&format!("{e}/"))))
        .filter(|(_, code)| code.contains("db::entities"))
        .map(|(p, _)| p.clone())
        .collect()
}

#[test]
fn an_edge_names_no_database_entity() {
    let files = sources();
    let found = edges_naming_entities(&files);
    assert!(found.is_empty(), "edges naming entities: {found:?}");
    let planted = vec![(
        "portal/x.rs".to_owned(),
        "use crate::db::entities::alerts;".to_owned(),
    )];
    assert_eq!(edges_naming_entities(&planted), ["portal/x.rs"]);
}

/// The table each top-level folder owns, from its module docs: "Owns `a`, `b` and `c`".
fn owners(files: &[(String, String)]) -> BTreeMap<String, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for (rel, _) in files {
        let text = std::fs::read_to_string(src.join(rel)).unwrap();
        let doc: String = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| l.trim_start_matches("//!"))
            .collect::<Vec<_>>()
            .join(" ");
        let folder = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        for part in doc.split("Owns ").skip(1) {
            let sentence = part.split(['.', ';']).next().unwrap_or("");
            for table in sentence.split('`').skip(1).step_by(2) {
                out.insert(table.to_owned(), folder.clone());
            }
        }
    }
    out
}

/// The tables a file writes: raw SQL (`INSERT INTO t`, `UPDATE t`, `DELETE FROM t`) and
/// sea-orm writes through an entity module imported from `db::entities` (with its alias).
fn writes(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    for w in words.windows(3) {
        match w {
            ["INSERT", "INTO", t] | ["DELETE", "FROM", t] => {
                out.insert((*t).to_owned());
            }
            _ => {}
        }
    }
    for w in words.windows(2) {
        if w[0] == "UPDATE" && w[1].chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            out.insert(w[1].to_owned());
        }
    }
    // `use crate::db::entities::{a, b as c}` and `db::entities::a`
    let mut alias: BTreeMap<String, String> = BTreeMap::new();
    for line in code.lines() {
        let Some(rest) = line.split("db::entities::").nth(1) else {
            continue;
        };
        let list = rest.trim_start_matches('{');
        let list = list.split(['}', ';']).next().unwrap_or("");
        for item in list.split(',') {
            let mut it = item.split(" as ").map(str::trim);
            let (Some(table), alias_name) = (it.next(), it.next()) else {
                continue;
            };
            let table = table.split("::").next().unwrap_or("").trim();
            if table.is_empty() || !table.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                continue;
            }
            alias.insert(alias_name.unwrap_or(table).to_owned(), table.to_owned());
        }
    }
    for (name, table) in &alias {
        for write in [
            "::ActiveModel",
            "::Entity::insert",
            "::Entity::update",
            "::Entity::delete",
        ] {
            if code.contains(&format!("{name}{write}")) {
                out.insert(table.clone());
            }
        }
    }
    out
}

/// Rule 3: (file, table) where a file writes a table its folder does not own.
fn foreign_writes(files: &[(String, String)], owners: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (path, code) in files {
        let folder = path.split('/').next().unwrap().trim_end_matches(".rs");
        for t in writes(code) {
            match owners.get(&t) {
                Some(owner) if owner == folder => {}
                Some(owner) => out.push(format!("{path} writes `{t}`, owned by `{owner}`")),
                None => out.push(format!("{path} writes `{t}`, which no module doc owns")),
            }
        }
    }
    out
}

#[test]
fn a_table_is_written_only_by_the_folder_that_owns_it() {
    let files: Vec<(String, String)> = sources()
        .into_iter()
        // Migrations and the registry seed are the schema's own.
        .filter(|(p, _)| !p.starts_with("bench/") && !p.starts_with("db/"))
        .collect();
    let owners = owners(&sources());
    let found = foreign_writes(&files, &owners);
    assert!(found.is_empty(), "{}", found.join("\n"));
    let planted = vec![(
        "magazine/send.rs".to_owned(),
        "\"INSERT INTO deliveries (alert_id) SELECT …\"".to_owned(),
    )];
    assert_eq!(
        foreign_writes(&planted, &owners),
        ["magazine/send.rs writes `deliveries`, owned by `delivery`"]
    );
    let planted = vec![(
        "alerts/x.rs".to_owned(),
        "use crate::db::entities::{org_contacts as c};\nc::Entity::update_many()".to_owned(),
    )];
    assert_eq!(
        foreign_writes(&planted, &owners),
        ["alerts/x.rs writes `org_contacts`, owned by `contacts`"]
    );
}

/// Rule 4: the source files over 600 lines, but the catalog.
fn too_long(files: &[(String, usize)]) -> Vec<String> {
    files
        .iter()
        .filter(|(p, n)| *n > 600 && p != "portal/catalog.rs")
        .map(|(p, n)| format!("{p}: {n} lines"))
        .collect()
}

#[test]
fn no_source_file_is_over_600_lines_but_the_catalog() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let sizes: Vec<(String, usize)> = sources()
        .into_iter()
        .map(|(p, _)| {
            let n = std::fs::read_to_string(src.join(&p))
                .unwrap()
                .lines()
                .count();
            (p, n)
        })
        .collect();
    let found = too_long(&sizes);
    assert!(found.is_empty(), "split these: {found:?}");
    assert_eq!(too_long(&[("x.rs".into(), 601)]), ["x.rs: 601 lines"]);
    assert!(too_long(&[("portal/catalog.rs".into(), 1601)]).is_empty());
}
