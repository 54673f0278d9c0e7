//! The layering the README's Layout section draws, checked on the source: no import cycle
//! between top-level modules, no capability importing `context`, and nothing below the web
//! edges importing them. A `crate::x` path outside comments and test modules is an import of
//! `x`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
    "inbound",
    "surveys",
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
