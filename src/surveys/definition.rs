//! What a survey asks: categories of items, each item of one type, read from TOML (the shipped
//! templates under `data/surveys/`, `noroshi surveys load`) and kept as JSON; and the answers an
//! organisation gives, checked against it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The kind of answer an item takes. The first three are scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// はい / いいえ: はい is implemented.
    YesNo,
    /// 実施 / 一部未実施 / 実施不足 / 該当なし: only 実施 is implemented; 該当なし leaves the
    /// denominator.
    Implementation,
    /// 実施している対象数 / 実施すべき対象数 (0 of 0 is 該当なし).
    Count,
    Date,
    Number,
    Text,
}

impl ItemType {
    pub fn scored(self) -> bool {
        matches!(self, Self::YesNo | Self::Implementation | Self::Count)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: ItemType,
    /// A note shown under the question.
    #[serde(default)]
    pub help: String,
    /// Where the item comes from: `002:49` is line 49 of the seed document 002 (the shipped
    /// templates cite the line they were written from; a test checks each against it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub title: String,
    #[serde(rename = "item")]
    pub items: Vec<Item>,
}

/// A survey's questions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub title: String,
    /// `emergency` (緊急点検) or `self_assessment` (重点検査・自己点検).
    pub kind: String,
    #[serde(default)]
    pub description: String,
    /// 基準日: the day the answers describe (`YYYY-MM-DD`; the seed's 「平成19年9月末時点」, 003:141).
    /// Set when the survey is written; empty when it has none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reference_date: String,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

pub const MAX_ITEMS: usize = 200;
const ID_MAX: usize = 32;

impl Definition {
    /// Reads a template; every problem names where it is.
    pub fn parse(text: &str) -> Result<Self, String> {
        let d: Definition = toml::from_str(text).map_err(|e| e.to_string())?;
        d.check()?;
        Ok(d)
    }

    pub fn check(&self) -> Result<(), String> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return Err("title: 1–200 characters".into());
        }
        if super::Kind::from_code(&self.kind).is_none() {
            return Err(format!(
                "kind: `{}` is not emergency or self_assessment",
                self.kind
            ));
        }
        if !self.reference_date.is_empty()
            && chrono::NaiveDate::parse_from_str(&self.reference_date, "%Y-%m-%d").is_err()
        {
            return Err(format!(
                "reference_date: `{}` is not a date (YYYY-MM-DD)",
                self.reference_date
            ));
        }
        if self.description.chars().count() > 10_000 {
            return Err("description: at most 10,000 characters".into());
        }
        if self.categories.is_empty() {
            return Err("a survey needs at least one [[category]]".into());
        }
        let mut ids = std::collections::BTreeSet::new();
        let mut n = 0;
        for c in &self.categories {
            if c.title.trim().is_empty() || c.items.is_empty() {
                return Err(format!("category {}: a title and at least one item", c.id));
            }
            for i in &c.items {
                n += 1;
                let ok = !i.id.is_empty()
                    && i.id.len() <= ID_MAX
                    && i.id
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
                if !ok {
                    return Err(format!(
                        "item `{}`: ids are 1–32 of a–z, 0–9, _ and -",
                        i.id
                    ));
                }
                if !ids.insert(i.id.clone()) {
                    return Err(format!("item `{}` appears twice", i.id));
                }
                if i.text.trim().is_empty() || i.text.chars().count() > 1_000 {
                    return Err(format!("item {}: text of 1–1,000 characters", i.id));
                }
            }
        }
        if n > MAX_ITEMS {
            return Err(format!("at most {MAX_ITEMS} items ({n} given)"));
        }
        Ok(())
    }

    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.categories.iter().flat_map(|c| c.items.iter())
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items().find(|i| i.id == id)
    }

    pub fn scored(&self) -> bool {
        self.items().any(|i| i.kind.scored())
    }
}

/// One answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// 実施している対象数 / 実施すべき対象数.
    Count {
        done: u32,
        required: u32,
    },
    Number(i64),
    /// `yes` / `no`; `implemented` / `partial` / `insufficient` / `not_applicable`; a date
    /// `YYYY-MM-DD`; free text.
    Text(String),
}

/// An organisation's answers by item id.
pub type Answers = BTreeMap<String, Answer>;

pub const IMPLEMENTATION: [(&str, &str); 4] = [
    ("implemented", "実施"),
    ("partial", "一部未実施"),
    ("insufficient", "実施不足"),
    ("not_applicable", "該当なし"),
];

pub const YES_NO: [(&str, &str); 2] = [("yes", "はい"), ("no", "いいえ")];

/// The choices an item offers as (value, label): はい / いいえ, the four implementation states;
/// none for counts, dates, numbers and text.
pub fn choices(kind: ItemType) -> &'static [(&'static str, &'static str)] {
    match kind {
        ItemType::YesNo => &YES_NO,
        ItemType::Implementation => &IMPLEMENTATION,
        _ => &[],
    }
}

/// An answer as a person reads it: a choice by its label, a count as `2 / 3`, a number or text
/// as given; `—` when there is none.
pub fn answer_label(kind: ItemType, a: Option<&Answer>) -> String {
    match a {
        None => "—".into(),
        Some(Answer::Count { done, required }) => format!("{done} / {required}"),
        Some(Answer::Number(n)) => n.to_string(),
        Some(Answer::Text(t)) => choices(kind)
            .iter()
            .find(|(v, _)| v == t)
            .map_or_else(|| t.clone(), |(_, l)| (*l).to_owned()),
    }
}

pub const TEXT_MAX: usize = 5_000;

/// Checks answers against the definition: unknown items, wrong types, counts done above
/// required, bad dates, long text. With `complete`, every item must be answered (a submission);
/// a draft may leave some out.
pub fn check(def: &Definition, answers: &Answers, complete: bool) -> Result<(), Vec<String>> {
    let mut e = Vec::new();
    for (id, a) in answers {
        let Some(item) = def.item(id) else {
            e.push(format!("{id}: no such item in this survey"));
            continue;
        };
        let ok = match (item.kind, a) {
            (ItemType::YesNo, Answer::Text(t)) => matches!(t.as_str(), "yes" | "no"),
            (ItemType::Implementation, Answer::Text(t)) => {
                IMPLEMENTATION.iter().any(|(v, _)| v == t)
            }
            (ItemType::Count, Answer::Count { done, required }) => {
                if done > required {
                    e.push(format!("{id}: 実施している対象数 {done} が実施すべき対象数 {required} を超えています"));
                }
                *required <= 1_000_000
            }
            (ItemType::Date, Answer::Text(t)) => {
                chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok()
            }
            (ItemType::Number, Answer::Number(n)) => (-1_000_000_000..=1_000_000_000).contains(n),
            (ItemType::Text, Answer::Text(t)) => {
                t.chars().count() <= TEXT_MAX
                    && !t.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
            }
            _ => false,
        };
        if !ok {
            e.push(format!(
                "{id}: not an answer this item takes ({:?})",
                item.kind
            ));
        }
    }
    if complete {
        for item in def.items() {
            if !answers.contains_key(&item.id) && item.kind != ItemType::Text {
                e.push(format!("{}: 未回答です (required to submit)", item.id));
            }
        }
    }
    if e.is_empty() { Ok(()) } else { Err(e) }
}

/// The shipped templates (`data/surveys/`), compiled in so the portal offers them wherever the
/// hub runs: (file name, text).
pub const TEMPLATES: [(&str, &str); 3] = [
    (
        "outsourcing-emergency.toml",
        include_str!("../../data/surveys/outsourcing-emergency.toml"),
    ),
    (
        "mail-server-inspection.toml",
        include_str!("../../data/surveys/mail-server-inspection.toml"),
    ),
    (
        "web-server-self-check.toml",
        include_str!("../../data/surveys/web-server-self-check.toml"),
    ),
];

/// Answers from a form: `a_<item>` for one value, `a_<item>_done` and `a_<item>_required` for a
/// count; blank fields are left out. Every value that does not read is named.
pub fn from_form(
    def: &Definition,
    form: &std::collections::HashMap<String, String>,
) -> Result<Answers, Vec<String>> {
    let mut out = Answers::new();
    let mut e = Vec::new();
    let get = |k: String| {
        form.get(&k)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    for item in def.items() {
        let id = &item.id;
        match item.kind {
            ItemType::Count => {
                let (d, r) = (get(format!("a_{id}_done")), get(format!("a_{id}_required")));
                if d.is_empty() && r.is_empty() {
                    continue;
                }
                match (d.parse::<u32>(), r.parse::<u32>()) {
                    (Ok(done), Ok(required)) => {
                        out.insert(id.clone(), Answer::Count { done, required });
                    }
                    _ => e.push(format!(
                        "{id}: 対象数は 0 以上の整数で、二つとも入力してください"
                    )),
                }
            }
            ItemType::Number => {
                let v = get(format!("a_{id}"));
                if v.is_empty() {
                    continue;
                }
                match v.replace([',', '，'], "").parse::<i64>() {
                    Ok(n) => {
                        out.insert(id.clone(), Answer::Number(n));
                    }
                    Err(_) => e.push(format!("{id}: `{v}` は数ではありません")),
                }
            }
            _ => {
                let v = form.get(&format!("a_{id}")).cloned().unwrap_or_default();
                let v = if item.kind == ItemType::Text {
                    v.replace("\r\n", "\n")
                } else {
                    v.trim().to_owned()
                };
                if !v.trim().is_empty() {
                    out.insert(id.clone(), Answer::Text(v));
                }
            }
        }
    }
    if e.is_empty() { Ok(out) } else { Err(e) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> Definition {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/surveys")
            .join(name);
        Definition::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_shipped_templates_read() {
        let e = shipped("outsourcing-emergency.toml");
        assert_eq!((e.kind.as_str(), e.items().count()), ("emergency", 3));
        let m = shipped("mail-server-inspection.toml");
        assert_eq!(
            m.categories
                .iter()
                .map(|c| c.items.len())
                .collect::<Vec<_>>(),
            [3, 3, 1, 1],
            "003:147–150"
        );
        let w = shipped("web-server-self-check.toml");
        assert!(w.items().any(|i| !i.kind.scored()) && w.scored());
        assert_eq!(
            w.categories
                .iter()
                .map(|c| c.items.len())
                .collect::<Vec<_>>(),
            [2, 2, 4, 3],
            "001:239–241 and the unscored records"
        );
    }

    #[test]
    fn bad_templates_and_answers_are_refused_with_what_was_wrong() {
        assert!(Definition::parse("title = \"x\"\nkind = \"poll\"\n[[category]]\nid=\"c\"\ntitle=\"c\"\n[[category.item]]\nid=\"a\"\ntext=\"a\"\ntype=\"yes_no\"\n").unwrap_err().contains("kind"));
        assert!(Definition::parse("title = \"x\"\nkind = \"emergency\"\n[[category]]\nid=\"c\"\ntitle=\"c\"\n[[category.item]]\nid=\"a\"\ntext=\"a\"\ntype=\"yes_no\"\n[[category.item]]\nid=\"a\"\ntext=\"b\"\ntype=\"yes_no\"\n").unwrap_err().contains("twice"));
        assert!(Definition::parse("title = \"x\"\nkind = \"emergency\"\n[[category]]\nid=\"c\"\ntitle=\"c\"\n[[category.item]]\nid=\"a\"\ntext=\"a\"\ntype=\"scale\"\n").is_err());
        let d = shipped("outsourcing-emergency.toml");
        let mut a = Answers::new();
        a.insert(
            "no_subcontract".into(),
            Answer::Count {
                done: 5,
                required: 3,
            },
        );
        a.insert("nope".into(), Answer::Text("yes".into()));
        a.insert("return_disposal".into(), Answer::Text("yes".into()));
        let e = check(&d, &a, true).unwrap_err().join("\n");
        assert!(
            e.contains("no_subcontract") && e.contains("nope") && e.contains("return_disposal")
        );
        assert!(e.contains("no_takeout: 未回答"), "{e}");
        let mut ok = Answers::new();
        ok.insert(
            "no_subcontract".into(),
            Answer::Count {
                done: 2,
                required: 3,
            },
        );
        assert!(check(&d, &ok, false).is_ok(), "a draft may leave items out");
    }
}
