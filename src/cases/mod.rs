//! The incident-case library (事故事例・取組事例): what a case holds, the vocabularies it is
//! described with, and the rules its input must meet. Cases are submitted by an organisation,
//! edited and anonymised by central staff, published by an approver and revised with their history
//! kept ([`store`]); every change leaves a row in the search outbox in the same transaction
//! ([`outbox`]), so the search index ([`crate::search`]) can always be rebuilt and never misses one.
//! Owns `cases`, `case_revisions`, `search_outbox` and `search_synonyms`.

pub mod access;
pub mod act;
pub mod outbox;
pub mod reading;
pub mod seed;
pub mod store;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::classify::model::Category;
use crate::domain::Tlp;
use crate::domain::form::{Vocabulary, date_field, text_field};

crate::string_enum! {
    /// 事故事例, ひやり事案 (a near miss: caught before harm) or 取組事例.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Kind ("case kind") {
        Incident = "incident",
        NearMiss = "near_miss",
        Practice = "practice",
    }
}

impl Kind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Incident => "事故事例",
            Self::NearMiss => "ひやり事案",
            Self::Practice => "取組事例",
        }
    }
}

pub const KINDS: Vocabulary = Vocabulary(&[
    ("incident", "事故事例"),
    ("near_miss", "ひやり事案"),
    ("practice", "取組事例"),
]);

/// Why it happened.
pub const CAUSES: Vocabulary = Vocabulary(&[
    ("human_error", "人的ミス"),
    ("external_contractor", "外部委託先"),
    ("vulnerability", "脆弱性"),
    ("targeted_mail", "標的型メール"),
    ("misconfiguration", "設定不備"),
    ("loss_theft", "紛失・盗難"),
    ("insider", "内部不正"),
    ("external_attack", "外部からの攻撃"),
    ("system_failure", "システム障害"),
    ("other", "その他"),
]);

/// The kind of organisation, as far as a case may say (never its name unless it agreed).
pub const ORG_KINDS: Vocabulary = Vocabulary(&[
    ("prefecture", "都道府県"),
    ("designated_city", "政令指定都市"),
    ("city", "市・特別区"),
    ("town_village", "町村"),
    ("association", "一部事務組合等"),
    ("central", "国の機関"),
]);

/// Population bands.
pub const SIZE_BANDS: Vocabulary = Vocabulary(&[
    ("under_10k", "1万人未満"),
    ("10k_50k", "1万〜5万人"),
    ("50k_200k", "5万〜20万人"),
    ("200k_1m", "20万〜100万人"),
    ("over_1m", "100万人以上"),
    ("undisclosed", "非公表"),
]);

crate::string_enum! {
    /// Where a case is in its workflow.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Status ("case status") {
        /// Sent by an organisation, not yet touched by central staff.
        Submitted = "submitted",
        /// Edited by central staff, waiting for an approver.
        Reviewing = "reviewing",
        Published = "published",
        Withdrawn = "withdrawn",
    }
}

impl Status {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Submitted => "受付",
            Self::Reviewing => "審査中",
            Self::Published => "公開",
            Self::Withdrawn => "取下げ",
        }
    }
}

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 1_000;
pub const BODY_MAX: usize = 20_000;
pub const SECTION_MAX: usize = 10_000;
pub const SHORT_MAX: usize = 1_000;
pub const LINKS_MAX: usize = 50;

/// What a case says: every field a submitter, an editor or the seed library gives. Read from
/// forms, the API and the seed files; [`CaseInput::validate`] turns it into a [`CaseFields`].
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CaseInput {
    /// `incident` (事故事例), `near_miss` (ひやり事案) or `practice` (取組事例); the Japanese
    /// label is accepted too.
    pub kind: String,
    /// At most 200 characters.
    pub title: String,
    /// At most 1,000 characters.
    pub summary: String,
    /// At most 20,000 characters.
    pub body: String,
    /// What was done (at most 10,000 characters).
    pub measures: String,
    /// At most 10,000 characters.
    pub lessons: String,
    /// Category ids (`data_leak`) or labels (`情報漏えい`); at least one.
    pub categories: Vec<String>,
    /// Cause ids (`human_error`) or labels (`人的ミス`).
    pub causes: Vec<String>,
    /// `prefecture`, `designated_city`, `city`, `town_village`, `association` or `central`.
    pub org_kind: String,
    /// `under_10k`, `10k_50k`, `50k_200k`, `200k_1m`, `over_1m` or `undisclosed` (default).
    pub size_band: String,
    /// 1–47, or empty.
    pub prefecture: Option<u8>,
    /// The organisation agreed to be named.
    pub named: bool,
    /// `YYYY-MM-DD`, not in the future.
    pub occurred_on: Option<String>,
    pub found_on: Option<String>,
    pub reported_on: Option<String>,
    /// Personal records affected, 0 to 1,000,000,000.
    pub records_affected: Option<i64>,
    pub systems_affected: String,
    /// Alert ids, `NRS-2026-0001`.
    pub alert_ids: Vec<String>,
    /// Advisory ids, `JVNDB-2026-000001`, `CVE-2026-0001`.
    pub advisory_ids: Vec<String>,
    /// `CLEAR`, `GREEN` (default), `AMBER`, `AMBER+STRICT` or `RED`.
    pub tlp: String,
    /// Where a real case was reported (seed library); free text.
    pub source: String,
    /// 公表: the organisation made the incident public.
    pub publicised: bool,
    /// When it was made public, `YYYY-MM-DD` (only with `publicised`).
    pub publicised_on: Option<String>,
}

/// A case's fields, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFields {
    pub kind: Kind,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub measures: String,
    pub lessons: String,
    pub categories: Vec<String>,
    pub causes: Vec<String>,
    pub org_kind: String,
    pub size_band: String,
    pub prefecture: Option<u8>,
    pub named: bool,
    pub occurred_on: Option<NaiveDate>,
    pub found_on: Option<NaiveDate>,
    pub reported_on: Option<NaiveDate>,
    pub records_affected: Option<i64>,
    pub systems_affected: String,
    pub alert_ids: Vec<String>,
    pub advisory_ids: Vec<String>,
    pub tlp: Tlp,
    pub source: String,
    #[serde(default)]
    pub publicised: bool,
    #[serde(default)]
    pub publicised_on: Option<NaiveDate>,
}

/// Every problem of an input, each naming its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
pub struct InvalidCase(pub Vec<(&'static str, String)>);

fn ids_field(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    values: &[String],
    valid: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        if !valid(v) || v.len() > 64 {
            errors.push((field, format!("`{v}` is not an id this field accepts")));
        } else if !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    if out.len() > LINKS_MAX {
        errors.push((field, format!("at most {LINKS_MAX} links")));
    }
    out
}

fn vocab_list(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    values: &[String],
    parse: impl Fn(&str) -> Result<&'static str, String>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values.iter().filter(|v| !v.trim().is_empty()) {
        match parse(v) {
            Ok(id) if !out.iter().any(|o| o == id) => out.push(id.to_owned()),
            Ok(_) => {}
            Err(e) => errors.push((field, e)),
        }
    }
    out
}

impl CaseInput {
    /// Checks every field against `today` (dates may not be in the future) and returns all the
    /// problems at once.
    pub fn validate(&self, today: NaiveDate) -> Result<CaseFields, InvalidCase> {
        let mut e = Vec::new();
        let kind = match KINDS.parse("kind", &self.kind) {
            Ok(id) => Kind::from_code(id),
            Err(m) => {
                e.push(("kind", m));
                None
            }
        };
        let title = text_field(&mut e, "title", &self.title, TITLE_MAX, true);
        let summary = text_field(&mut e, "summary", &self.summary, SUMMARY_MAX, true);
        let body = text_field(&mut e, "body", &self.body, BODY_MAX, true);
        let measures = text_field(&mut e, "measures", &self.measures, SECTION_MAX, false);
        let lessons = text_field(&mut e, "lessons", &self.lessons, SECTION_MAX, false);
        let systems_affected = text_field(
            &mut e,
            "systems_affected",
            &self.systems_affected,
            SHORT_MAX,
            false,
        );
        let source = text_field(&mut e, "source", &self.source, SHORT_MAX, false);
        let categories = vocab_list(&mut e, "categories", &self.categories, |s| {
            Category::parse(s).map(Category::as_str)
        });
        if categories.is_empty() && !self.categories.iter().any(|c| !c.trim().is_empty()) {
            e.push(("categories", "分類を一つ以上選んでください".into()));
        }
        let causes = vocab_list(&mut e, "causes", &self.causes, |s| CAUSES.parse("cause", s));
        let org_kind = ORG_KINDS
            .parse("organisation kind", &self.org_kind)
            .map_err(|m| e.push(("org_kind", m)))
            .unwrap_or_default()
            .to_owned();
        let size_band = if self.size_band.trim().is_empty() {
            "undisclosed".to_owned()
        } else {
            SIZE_BANDS
                .parse("size band", &self.size_band)
                .map_err(|m| e.push(("size_band", m)))
                .unwrap_or_default()
                .to_owned()
        };
        if let Some(p) = self.prefecture
            && !(1..=47).contains(&p)
        {
            e.push((
                "prefecture",
                format!("{p} is not a prefecture number (1–47)"),
            ));
        }
        let occurred_on = date_field(&mut e, "occurred_on", &self.occurred_on, today);
        let found_on = date_field(&mut e, "found_on", &self.found_on, today);
        let reported_on = date_field(&mut e, "reported_on", &self.reported_on, today);
        if let (Some(o), Some(f)) = (occurred_on, found_on)
            && f < o
        {
            e.push(("found_on", "発見日が発生日より前です".into()));
        }
        if let (Some(f), Some(r)) = (found_on.or(occurred_on), reported_on)
            && r < f
        {
            e.push(("reported_on", "報告日が発見日より前です".into()));
        }
        let publicised_on = date_field(&mut e, "publicised_on", &self.publicised_on, today);
        if publicised_on.is_some() && !self.publicised {
            e.push((
                "publicised_on",
                "公表日は「公表した」を選んだときだけ入力してください".into(),
            ));
        }
        if let Some(n) = self.records_affected
            && !(0..=1_000_000_000).contains(&n)
        {
            e.push((
                "records_affected",
                format!("{n} is not a count of records (0 to 1,000,000,000)"),
            ));
        }
        let alert_ids = ids_field(&mut e, "alert_ids", &self.alert_ids, |v| {
            v.starts_with("NRS-") && v[4..].chars().all(|c| c.is_ascii_digit() || c == '-')
        });
        let advisory_ids = ids_field(&mut e, "advisory_ids", &self.advisory_ids, |v| {
            !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        });
        let tlp = if self.tlp.trim().is_empty() {
            Some(Tlp::Green)
        } else {
            Tlp::parse(&self.tlp)
                .map_err(|m| e.push(("tlp", m.to_string())))
                .ok()
        };
        match (kind, tlp, e.is_empty()) {
            (Some(kind), Some(tlp), true) => Ok(CaseFields {
                kind,
                title,
                summary,
                body,
                measures,
                lessons,
                categories,
                causes,
                org_kind,
                size_band,
                prefecture: self.prefecture,
                named: self.named,
                occurred_on,
                found_on,
                reported_on,
                records_affected: self.records_affected,
                systems_affected,
                alert_ids,
                advisory_ids,
                tlp,
                source,
                publicised: self.publicised,
                publicised_on,
            }),
            _ => Err(InvalidCase(e)),
        }
    }
}

impl CaseFields {
    /// The form a reader gets back for editing.
    pub fn to_input(&self) -> CaseInput {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        CaseInput {
            kind: self.kind.as_str().into(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            body: self.body.clone(),
            measures: self.measures.clone(),
            lessons: self.lessons.clone(),
            categories: self.categories.clone(),
            causes: self.causes.clone(),
            org_kind: self.org_kind.clone(),
            size_band: self.size_band.clone(),
            prefecture: self.prefecture,
            named: self.named,
            occurred_on: date(self.occurred_on),
            found_on: date(self.found_on),
            reported_on: date(self.reported_on),
            records_affected: self.records_affected,
            systems_affected: self.systems_affected.clone(),
            alert_ids: self.alert_ids.clone(),
            advisory_ids: self.advisory_ids.clone(),
            tlp: self.tlp.as_str().into(),
            source: self.source.clone(),
            publicised: self.publicised,
            publicised_on: date(self.publicised_on),
        }
    }

    /// The year the case is filed under: when it happened, else found, else reported.
    pub fn year(&self) -> Option<i32> {
        self.occurred_on
            .or(self.found_on)
            .or(self.reported_on)
            .map(|d| d.year())
    }
}

/// How a case names who it happened to: the organisation's name only when it agreed
/// (`named_as`), otherwise its kind, size band and prefecture.
pub fn describe_org(fields: &CaseFields, named_as: Option<&str>) -> String {
    if fields.named
        && let Some(name) = named_as
    {
        return name.to_owned();
    }
    let mut out = ORG_KINDS
        .label(&fields.org_kind)
        .unwrap_or("団体")
        .to_owned();
    if fields.size_band != "undisclosed"
        && let Some(band) = SIZE_BANDS.label(&fields.size_band)
    {
        out.push_str(&format!("（人口 {band}）"));
    }
    if let Some(p) = fields
        .prefecture
        .and_then(crate::registry::Prefecture::from_number)
    {
        out = format!("{}の{out}", p.name());
    }
    out
}

/// A facet path's label for people: `/category/malware` → マルウェア, `/year/2024` → 2024年.
pub fn facet_label(path: &str) -> String {
    let Some((root, value)) = path.strip_prefix('/').and_then(|p| p.split_once('/')) else {
        return path.to_owned();
    };
    let label = match root {
        "kind" => KINDS.label(value).map(str::to_owned),
        "category" => Category::parse(value).ok().map(|c| c.label_ja().to_owned()),
        "cause" => CAUSES.label(value).map(str::to_owned),
        "org_kind" => ORG_KINDS.label(value).map(str::to_owned),
        "prefecture" => value
            .parse::<u8>()
            .ok()
            .and_then(crate::registry::Prefecture::from_number)
            .map(|p| p.name().to_owned()),
        "year" => Some(format!("{value}年")),
        _ => None,
    };
    label.unwrap_or_else(|| value.to_owned())
}

#[cfg(test)]
mod tests;
