//! The layering the README's Layout section draws, checked on the source: no import cycle
//! between top-level modules, no capability importing `context`, and nothing below the web
//! edges importing them (and, further down, the house rules of stores, edges, tables, file size,
//! ids and stored enums). A `crate::x` path outside comments and test modules is an import of
//! `x`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the top-level modules its files name.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let top = |p: &Path| -> String {
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str();
        first.to_string_lossy().trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = files.iter().map(|p| top(p)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &files {
        let from = top(p);
        let text = std::fs::read_to_string(p).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        let entry = graph.entry(from.clone()).or_default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut names: Vec<&str> = line
                .split("crate::")
                .skip(1)
                .map(|rest| {
                    rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or("")
                })
                .collect();
            // `use crate::{a, b::c}`
            if let Some(group) = line.split("crate::{").nth(1) {
                names.extend(
                    group
                        .split(',')
                        .map(|n| n.trim().split("::").next().unwrap_or("")),
                );
            }
            for n in names {
                if n != from && modules.contains(n) {
                    entry.insert(n.to_owned());
                }
            }
        }
    }
    graph
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    impl<'a> T<'a> {
        fn visit(&mut self, v: &'a str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low[v];
                    self.low.insert(v, lv.min(lw));
                } else if self.on.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low[v];
                    self.low.insert(v, lv.min(iw));
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on.remove(w);
                    comp.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = T {
        g: graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.out
}

/// The capabilities, bottom to top as the README lists them.
const CAPABILITIES: &[&str] = &[
    "registry",
    "audit",
    "ingest",
    "classify",
    "delivery",
    "search",
    "cases",
    "inventory",
    "notices",
    "auth",
    "contacts",
    "alerts",
    "reports",
    "acks",
    "drills",
    "surveys",
    "inquiries",
    "inbound",
    "magazine",
    "yearly",
];

#[test]
fn top_level_modules_form_no_import_cycle() {
    let graph = imports();
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles between top-level modules: {found:?}"
    );
    // The check is not vacuous: a cycle in the graph is found.
    let mut with_cycle = graph.clone();
    with_cycle
        .entry("domain".into())
        .or_default()
        .insert("alerts".into());
    assert!(!cycles(&with_cycle).is_empty());
}

#[test]
fn capabilities_import_only_capabilities_before_them_and_never_the_context_or_an_edge() {
    let graph = imports();
    let above_capabilities = [
        "context", "jobs", "web", "portal", "api", "feeds", "health", "startup", "cli", "bench",
    ];
    for (i, cap) in CAPABILITIES.iter().enumerate() {
        let Some(deps) = graph.get(*cap) else {
            continue;
        };
        for d in deps {
            assert!(
                !above_capabilities.contains(&d.as_str()),
                "capability `{cap}` imports `{d}`, which sits above the capabilities"
            );
            if let Some(j) = CAPABILITIES.iter().position(|c| c == d) {
                assert!(
                    j < i,
                    "capability `{cap}` imports `{d}`, listed after it in the README's order"
                );
            }
        }
    }
    let bottom = [
        "domain",
        "time",
        "error",
        "keys",
        "files",
        "maildir",
        "cache",
        "workers",
        "config",
        "db",
        "telemetry",
    ];
    for b in bottom {
        for d in graph.get(b).into_iter().flatten() {
            assert!(
                bottom.contains(&d.as_str()),
                "`{b}` is infrastructure but imports `{d}`"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The house rules the README's Layout section states, each checked on the source the way the
// tests above check the layering, each with a self-check that shows it can fail:
//
// 1. a store is rows in and rows out: no file under a `store` path opens a write transaction
// or writes the audit log (the audited action lives beside the store);
// 2. an edge (`portal`, `api`, `feeds`, `web`, `health`) names no database entity: it reads
// through stores and writes through capability functions;
// 3. a table is written only inside the folder whose module doc says it owns it;
// 4. no source file is over 600 lines, but the catalog of English texts;
// 5. outside stores, no id newtype is unwrapped with `.0`, and no stored enum is read with a
// silent fallback.

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

/// The names an id is held under, by the repository's naming habit (`id`, `alert_id`,
/// `org`, `survey` …); a `.0` after one of them unwraps a row id.
const ID_NAMES: &str = r"(?:\bid|_id|\borg|\balert|\borganisation|\bowner|\bparent|\buser|\bsurvey|\breport|\bcase|\bissue|\brevision)\.0\b";

/// Rule 5a: the files outside stores (and the entities) that unwrap an id with `.0`.
fn id_unwraps(files: &[(String, String)]) -> Vec<String> {
    let re = regex::Regex::new(ID_NAMES).unwrap();
    files
        .iter()
        .filter(|(p, _)| !is_store(p) && !p.starts_with("db/") && p != "domain/ids.rs")
        .flat_map(|(p, code)| {
            code.lines()
                .filter(|l| re.is_match(l))
                .map(|l| format!("{p}: {}", l.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn no_id_is_unwrapped_outside_the_stores() {
    let found = id_unwraps(&sources());
    assert!(
        found.is_empty(),
        "ids unwrapped outside stores (type the signature instead): {found:#?}"
    );
    // The check can fail.
    let planted = vec![(
        "portal/alert.rs".to_owned(),
        "acks::acknowledge(&ctx.db, alert.id.0, viewer.org.id.0)".to_owned(),
    )];
    assert_eq!(id_unwraps(&planted).len(), 1);
    // A store may (it is where rows meet the database), and a tuple's `.0` is not an id.
    let allowed = vec![
        ("acks/store.rs".to_owned(), "x.eq(org.0)".to_owned()),
        ("search/tokenize.rs".to_owned(), "c.0 == 'ー'".to_owned()),
    ];
    assert!(id_unwraps(&allowed).is_empty());
}

/// The enums the database stores as text: read back strictly (`stored`), never with a default.
const STORED_ENUMS: [&str; 8] = [
    "AckState",
    "Language",
    "MailEncoding",
    "Severity",
    "Tlp",
    "AlertStatus",
    "DeliveryStatus",
    "Role",
];

/// Rule 5b: a stored enum parsed with a silent fallback (`.ok()`, `unwrap_or(…)`) outside the
/// parsers of upstream documents (where an unknown marking is legitimately "none given"). A form
/// that records the error (`map_err(|m| errors.push(…))`) is not silent and is not matched.
fn silent_fallbacks(files: &[(String, String)]) -> Vec<String> {
    let re = regex::Regex::new(&format!(
        r"\b(?:{})::parse\([^()]*(?:\([^()]*\))?[^()]*\)\s*\.\s*(?:ok\(\)|unwrap_or\(|unwrap_or_default\(\))",
        STORED_ENUMS.join("|")
    ))
    .unwrap();
    files
        .iter()
        .filter(|(p, _)| !p.starts_with("ingest/parse/"))
        .flat_map(|(p, code)| {
            re.find_iter(code)
                .map(|m| format!("{p}: {}", m.as_str()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn no_stored_enum_is_read_with_a_silent_fallback() {
    let found = silent_fallbacks(&sources());
    assert!(
        found.is_empty(),
        "stored enums read with a fallback (use `stored`, which fails loudly): {found:#?}"
    );
    // The check can fail, also across lines.
    let planted = vec![
        (
            "acks/store.rs".to_owned(),
            "state.and_then(|s| AckState::parse(s).ok())".to_owned(),
        ),
        (
            "alerts/mail/mod.rs".to_owned(),
            "let l = Language::parse(&d.language)\n    .unwrap_or(Language::Ja);".to_owned(),
        ),
    ];
    assert_eq!(silent_fallbacks(&planted).len(), 2);
}

/// Errors that never reach an edge by themselves, and why; every other `pub enum …Error`
/// says its kind through `crate::error::Classify` (so the API's status and code, and the
/// portal's page, are decided in one table).
const UNCLASSIFIED: [(&str, &str); 13] = [
    ("ApiError", "an edge's own error"),
    ("PortalError", "an edge's own error"),
    (
        "ConfigError",
        "refuses to start: reported on the command line",
    ),
    (
        "CatalogueError",
        "refuses to start: reported on the command line",
    ),
    (
        "RulesError",
        "refuses to start: reported on the command line",
    ),
    (
        "FetchError",
        "an upstream poll: recorded on the source's health, never answered",
    ),
    (
        "IngestError",
        "an upstream document: recorded on the source's health, never answered",
    ),
    ("ParseError", "an upstream document: wrapped by IngestError"),
    (
        "InsertError",
        "a store's insert: wrapped by the capability's action error",
    ),
    (
        "InsertUserError",
        "a store's insert: wrapped by AddUserError",
    ),
    (
        "EmailError",
        "a vocabulary parse: wrapped by the capability's Invalid",
    ),
    (
        "OrgCodeError",
        "a vocabulary parse: wrapped by the capability's Invalid",
    ),
    (
        "PasswordError",
        "a vocabulary check: wrapped by AddUserError and ChangePasswordError",
    ),
];

/// Rule 6: the error enums that neither classify nor are listed in [`UNCLASSIFIED`].
fn unclassified(files: &[(String, String)]) -> Vec<String> {
    let all: String = files.iter().map(|(_, c)| c.as_str()).collect();
    let enums = regex::Regex::new(r"pub enum (\w+Error)\b").unwrap();
    let mut out: Vec<String> = files
        .iter()
        .flat_map(|(p, code)| {
            enums
                .captures_iter(code)
                .map(|c| (p.clone(), c[1].to_owned()))
                .collect::<Vec<_>>()
        })
        .filter(|(_, name)| !UNCLASSIFIED.iter().any(|(n, _)| n == name))
        .filter(|(_, name)| !all.contains(&format!("Classify for {name} ")))
        .map(|(p, name)| format!("{p}: {name}"))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_error_that_reaches_an_edge_classifies() {
    let found = unclassified(&sources());
    assert!(
        found.is_empty(),
        "errors that reach an edge without a kind (impl crate::error::Classify): {found:#?}"
    );
    // The check can fail.
    let planted = vec![(
        "alerts/mod.rs".to_owned(),
        "pub enum DraftError {\n    Invalid(String),\n}".to_owned(),
    )];
    assert_eq!(unclassified(&planted), ["alerts/mod.rs: DraftError"]);
}

/// Rule 7: who is asking is one type. Another struct carrying an organisation id and
/// "central" beside `registry::Caller` is a second answer to the same question.
fn second_callers(files: &[(String, String)]) -> Vec<String> {
    let re = regex::Regex::new(r"pub struct (\w+) \{([^}]*)\}").unwrap();
    files
        .iter()
        .filter(|(p, _)| p != "registry/caller.rs")
        .flat_map(|(p, code)| {
            re.captures_iter(code)
                .filter(|c| c[2].contains("org_id:") && c[2].contains("central: bool"))
                .map(|c| format!("{p}: {}", &c[1]))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn who_is_asking_is_one_type() {
    let files = sources();
    let found = second_callers(&files);
    assert!(
        found.is_empty(),
        "use registry::Caller instead of: {found:?}"
    );
    let planted = vec![(
        "cases/access.rs".to_owned(),
        "pub struct Reader {\n    pub org_id: OrgId,\n    pub central: bool,\n}".to_owned(),
    )];
    assert_eq!(second_callers(&planted), ["cases/access.rs: Reader"]);
}

/// Enums whose stored word is written by hand, and why the macro does not fit them.
const HAND_WRITTEN_WORDS: [(&str, &str); 2] = [
    (
        "domain/severity.rs",
        "Severity: `ALL` runs from the most severe down while its order (`Ord`) runs up",
    ),
    (
        "inbound/read.rs",
        "read::Kind carries the bounce it read: its word names the variant, not a stored value",
    ),
];

/// Rule 8: a closed set of stored words is declared by `crate::string_enum!`, which writes
/// `as_str`, `ALL`, `from_code`, `stored` and `Display` once. An `as_str` written by hand with a
/// `match` of string literals, outside the files listed above, is a second copy of the macro.
fn hand_written_words(files: &[(String, String)]) -> Vec<String> {
    let re = regex::Regex::new(
        r#"fn as_str\(&?self\) -> &'static str \{\s*match self \{\s*(?:Self|\w+)::\w+(?:\s*\{[^}]*\}|\([^)]*\))?\s*=>\s*""#,
    )
    .unwrap();
    files
        .iter()
        .filter(|(p, _)| !HAND_WRITTEN_WORDS.iter().any(|(f, _)| f == p))
        .filter(|(p, _)| p != "domain/string_enum.rs")
        .filter(|(_, code)| re.is_match(code))
        .map(|(p, _)| p.clone())
        .collect()
}

#[test]
fn stored_words_are_declared_once_by_the_string_enum_macro() {
    let files = sources();
    let found = hand_written_words(&files);
    assert!(
        found.is_empty(),
        "declare these with crate::string_enum! (or list why not): {found:?}"
    );
    // Every exemption still exists, so the list cannot rot.
    for (f, why) in HAND_WRITTEN_WORDS {
        assert!(
            files
                .iter()
                .any(|(p, code)| p == f && code.contains("fn as_str(")),
            "{f} is listed as written by hand ({why}) but has no as_str"
        );
    }
    // The check can fail.
    let planted = vec![(
        "reports/mod.rs".to_owned(),
        "impl Status {\n    pub fn as_str(self) -> &'static str {\n        match self {\n            Self::Open => \"open\",\n        }\n    }\n}".to_owned(),
    )];
    assert_eq!(hand_written_words(&planted), ["reports/mod.rs"]);
}
