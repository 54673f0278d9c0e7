//! The portal's languages: Japanese first, English on request. The choice is a cookie (no server
//! state), switched from the header like the date style. Page text is written in Japanese and
//! put through [`Lang::tr`], which looks the English up in one catalog keyed by the Japanese
//! (the way gettext keys by the source text); a test reads every template and portal source file
//! and fails on Japanese text that does not go through it or has no English. The most used
//! pages read a typed [`Ui`] table instead. What people wrote (alert bodies, cases, notes) is
//! shown as written.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

use crate::acks::AckState;
use crate::classify::model::Category;
use crate::domain::Severity;

pub const LANG_COOKIE: &str = "noroshi_lang";

/// The page's language: the hub's one language type (a contact's mail uses it too).
pub type Lang = crate::domain::Language;

impl Lang {
    /// The language this browser chose (its cookie), else Japanese.
    pub fn of(req: &actix_web::HttpRequest) -> Self {
        req.cookie(LANG_COOKIE)
            .and_then(|c| Self::parse(c.value()).ok())
            .unwrap_or_default()
    }

    pub fn ui(self) -> &'static Ui {
        match self {
            Self::Ja => &JA,
            Self::En => &EN,
        }
    }

    pub fn state(self, state: Option<AckState>) -> &'static str {
        match (self, state) {
            (Self::Ja, s) => crate::acks::label_ja(s),
            (Self::En, Some(s)) => s.label_en(),
            (Self::En, None) => "Not yet known",
        }
    }

    pub fn severity(self, s: Severity) -> &'static str {
        match self {
            Self::Ja => s.label_ja(),
            Self::En => match s {
                Severity::Critical => "Critical",
                Severity::High => "High",
                Severity::Medium => "Medium",
                Severity::Info => "Information",
            },
        }
    }

    /// A term of the case vocabularies (`id` with its Japanese label `ja`) in this language.
    pub fn term<'a>(self, id: &str, ja: &'a str) -> &'a str {
        match self {
            Self::Ja => ja,
            Self::En => case_label_en(id).unwrap_or(ja),
        }
    }

    pub fn role(self, r: crate::auth::Role) -> &'static str {
        match self {
            Self::Ja => r.label_ja(),
            Self::En => r.label_en(),
        }
    }

    pub fn category(self, c: Category) -> &'static str {
        match self {
            Self::Ja => c.label_ja(),
            Self::En => match c {
                Category::Vulnerability => "Vulnerability",
                Category::TargetedAttack => "Targeted attack",
                Category::SuspiciousMail => "Suspicious mail",
                Category::Malware => "Malware",
                Category::Ransomware => "Ransomware",
                Category::UnauthorizedAccess => "Unauthorised access",
                Category::DenialOfService => "Denial of service",
                Category::DataLeak => "Data leak",
                Category::Tampering => "Tampering",
                Category::Outage => "Outage",
                Category::Other => "Other",
            },
        }
    }

    /// `ja` in this language: Japanese as written, English from the catalog. Text the catalog
    /// lacks stays Japanese (the catalog test forbids that for every literal in the code; what
    /// reaches here unlisted is a detail from elsewhere, such as a validation message).
    pub fn tr(self, ja: &str) -> &str {
        match self {
            Self::Ja => ja,
            Self::En => EN_BY_JA.get(ja).copied().unwrap_or(ja),
        }
    }

    /// A message a capability wrote (a refusal, often with values in it), in this language: the
    /// catalog's text when the message is one; otherwise a catalog pattern with `{}` that the
    /// message fills, its English with the same values (each value translated too when it is a
    /// catalog word, such as a status); otherwise the message as it is.
    pub fn message(self, ja: &str) -> String {
        if self == Self::Ja {
            return ja.to_owned();
        }
        if let Some(en) = EN_BY_JA.get(ja) {
            return (*en).to_owned();
        }
        for (pattern, en) in PATTERNS.iter() {
            if let Some(c) = pattern.captures(ja) {
                let values: Vec<&str> = c
                    .iter()
                    .skip(1)
                    .map(|m| self.tr(m.map_or("", |m| m.as_str())))
                    .collect();
                let args: Vec<&dyn Display> = values.iter().map(|v| v as &dyn Display).collect();
                return fill(en, &args);
            }
        }
        ja.to_owned()
    }

    /// [`Lang::tr`] with its `{}` filled by `a`.
    pub fn tr1(self, ja: &str, a: impl Display) -> String {
        fill(self.tr(ja), &[&a])
    }

    /// [`Lang::tr`] with its two `{}` filled by `a` and `b`, in that order.
    pub fn tr2(self, ja: &str, a: impl Display, b: impl Display) -> String {
        fill(self.tr(ja), &[&a, &b])
    }

    /// [`Lang::tr`] with its `{}` filled by `args` in order.
    pub fn trn(self, ja: &str, args: &[&dyn Display]) -> String {
        fill(self.tr(ja), args)
    }

    /// The mail wording of TLP rules, which exists in both languages.
    pub fn mail_language(self) -> crate::contacts::Language {
        match self {
            Self::Ja => crate::contacts::Language::Ja,
            Self::En => crate::contacts::Language::En,
        }
    }
}

/// `pattern` with each `{}` replaced by the next argument.
fn fill(pattern: &str, args: &[&dyn Display]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(pattern.len() + 16 * args.len());
    let mut args = args.iter();
    let mut rest = pattern;
    while let Some(at) = rest.find("{}") {
        out.push_str(&rest[..at]);
        if let Some(a) = args.next() {
            let _ = write!(out, "{a}");
        }
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// The catalog's texts with `{}` in them, as patterns a filled message matches (longest first,
/// so the most specific wins).
#[allow(clippy::expect_used)] // built from the catalog's own literals, escaped
static PATTERNS: LazyLock<Vec<(regex::Regex, &'static str)>> = LazyLock::new(|| {
    let mut v: Vec<(&str, &str)> = super::catalog::EN
        .iter()
        .chain(super::catalog_desk::EN)
        .copied()
        // A pattern of little but placeholders (`{}（{}）`) would take any message.
        .filter(|(ja, _)| ja.contains("{}") && ja.replace("{}", "").trim().chars().count() >= 4)
        .collect();
    v.sort_by_key(|(ja, _)| std::cmp::Reverse(ja.len()));
    v.into_iter()
        .map(|(ja, en)| {
            let body = ja
                .split("{}")
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join("(.+?)");
            let re = regex::Regex::new(&format!("^(?s){body}$")).expect("an escaped pattern");
            (re, en)
        })
        .collect()
});

static EN_BY_JA: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    super::catalog::EN
        .iter()
        .chain(super::catalog_desk::EN)
        .copied()
        .collect()
});

/// English labels of the case vocabularies (the Japanese ones live with the vocabularies).
pub fn case_label_en(id: &str) -> Option<&'static str> {
    Some(match id {
        "incident" => "Incident",
        "near_miss" => "Near miss",
        "practice" => "Good practice",
        "human_error" => "Human error",
        "external_contractor" => "Contractor",
        "vulnerability" => "Vulnerability",
        "targeted_mail" => "Targeted mail",
        "misconfiguration" => "Misconfiguration",
        "loss_theft" => "Loss or theft",
        "insider" => "Insider",
        "external_attack" => "External attack",
        "system_failure" => "System failure",
        "other" => "Other",
        "prefecture" => "Prefecture",
        "designated_city" => "Designated city",
        "city" => "City or special ward",
        "town_village" => "Town or village",
        "association" => "Municipal association",
        "central" => "Central government",
        "under_10k" => "under 10,000",
        "10k_50k" => "10,000–50,000",
        "50k_200k" => "50,000–200,000",
        "200k_1m" => "200,000–1,000,000",
        "over_1m" => "over 1,000,000",
        "undisclosed" => "undisclosed",
        _ => return None,
    })
}

/// Every piece of page text that depends on the language.
pub struct Ui {
    pub lang: &'static str,
    // Header
    pub inbox: &'static str,
    pub cases: &'static str,
    pub triage: &'static str,
    pub drafts: &'static str,
    pub stats: &'static str,
    pub drills: &'static str,
    pub settings: &'static str,
    pub admin: &'static str,
    pub password: &'static str,
    pub dates: &'static str,
    pub western: &'static str,
    pub wareki: &'static str,
    /// The link to the other language, in that language.
    pub other_language: &'static str,
    pub other_lang: &'static str,
    pub logout: &'static str,
    pub login: &'static str,
    pub email: &'static str,
    pub password_label: &'static str,
    // Inbox
    pub state: &'static str,
    pub severity: &'static str,
    pub all: &'static str,
    pub filter: &'static str,
    pub no_alerts: &'static str,
    pub th_number: &'static str,
    pub th_title: &'static str,
    pub th_published: &'static str,
    pub th_deadline: &'static str,
    pub drill: &'static str,
    pub withdrawn: &'static str,
    pub overdue: &'static str,
    pub page: &'static str,
    pub prev: &'static str,
    pub next: &'static str,
    pub unknown_state: &'static str,
    // Alert
    pub back_to_inbox: &'static str,
    pub update_before: &'static str,
    pub update_after: &'static str,
    pub published: &'static str,
    pub deadline: &'static str,
    pub changes: &'static str,
    pub course: &'static str,
    pub th_update: &'static str,
    pub withdrawal: &'static str,
    pub notes: &'static str,
    pub note_label: &'static str,
    pub add_note: &'static str,
    pub related_cases: &'static str,
    pub ack: &'static str,
    pub state_of: &'static str,
    pub report_state: &'static str,
    pub memo: &'static str,
    pub report: &'static str,
    pub report_history: &'static str,
    pub th_at: &'static str,
    pub th_by: &'static str,
    pub th_memo: &'static str,
    pub not_addressed: &'static str,
    pub not_addressed_after: &'static str,
    pub sources: &'static str,
    // Cases
    pub cases_title: &'static str,
    pub cases_intro: &'static str,
    pub report_case: &'static str,
    pub review_desk: &'static str,
    pub own_reports: &'static str,
    pub keywords: &'static str,
    pub by_relevance: &'static str,
    pub newest_first: &'static str,
    pub search: &'static str,
    pub narrowed_by: &'static str,
    pub facet_kind: &'static str,
    pub facet_category: &'static str,
    pub facet_cause: &'static str,
    pub facet_org_kind: &'static str,
    pub facet_prefecture: &'static str,
    pub facet_year: &'static str,
    pub results: &'static str,
    pub no_cases: &'static str,
    pub engine: &'static str,
    pub back_to_search: &'static str,
    pub edition: &'static str,
    pub edition_before: &'static str,
    pub edition_after: &'static str,
    pub updated: &'static str,
    pub organisation: &'static str,
    pub categories: &'static str,
    pub causes: &'static str,
    pub occurred: &'static str,
    pub found: &'static str,
    pub reported: &'static str,
    pub records: &'static str,
    pub systems: &'static str,
    pub related_alerts: &'static str,
    pub related_advisories: &'static str,
    pub source: &'static str,
    pub what_happened: &'static str,
    pub measures: &'static str,
    pub lessons: &'static str,
    pub review: &'static str,
    pub revise: &'static str,
    pub edit_anonymise: &'static str,
    pub publish: &'static str,
    pub withdraw_reason: &'static str,
    pub withdraw: &'static str,
    pub history: &'static str,
    pub th_action: &'static str,
    pub th_edition: &'static str,
    pub th_change: &'static str,
    pub similar_cases: &'static str,
}

pub static JA: Ui = Ui {
    lang: "ja",
    inbox: "受信一覧",
    cases: "事例",
    triage: "トリアージ",
    drafts: "起案・承認",
    stats: "統計",
    drills: "訓練",
    settings: "団体設定",
    admin: "管理",
    password: "パスワード変更",
    dates: "日付",
    western: "西暦",
    wareki: "和暦",
    other_language: "English",
    other_lang: "en",
    logout: "ログアウト",
    login: "ログイン",
    email: "メールアドレス",
    password_label: "パスワード",
    state: "状態",
    severity: "深刻度",
    all: "すべて",
    filter: "絞り込む",
    no_alerts: "該当する注意喚起はありません。",
    th_number: "番号",
    th_title: "件名",
    th_published: "配信",
    th_deadline: "対応期限",
    drill: "訓練",
    withdrawn: "取消",
    overdue: "期限超過",
    page: "ページ目",
    prev: "前へ",
    next: "次へ",
    unknown_state: "未確認",
    back_to_inbox: "← 受信一覧",
    update_before: "第",
    update_after: "報",
    published: "配信",
    deadline: "対応期限",
    changes: "変更点",
    course: "経緯",
    th_update: "報",
    withdrawal: "（取消）",
    notes: "都道府県からの補足",
    note_label: "管内の市区町村への補足（2,000文字まで）",
    add_note: "補足を追加",
    related_cases: "関連する事例",
    ack: "受領・対応状況",
    state_of: "の状態",
    report_state: "状態を報告する",
    memo: "メモ（任意、2,000文字まで）",
    report: "報告する",
    report_history: "報告の履歴",
    th_at: "日時",
    th_by: "報告者",
    th_memo: "メモ",
    not_addressed: "この注意喚起は ",
    not_addressed_after: " 宛てではありません（所管団体の状況はダッシュボードで確認できます）。",
    sources: "元になった情報と分類の根拠",
    cases_title: "事故事例・取組事例",
    cases_intro: "他の団体が経験した事故と、その教訓・取組を探せます。全角・半角や表記ゆれ（ウイルス/ウィルス、サーバ/サーバー、漏洩/漏えい）は区別しません。",
    report_case: "事例を報告する",
    review_desk: "審査・公開",
    own_reports: "自団体の報告",
    keywords: "キーワード",
    by_relevance: "関連度順",
    newest_first: "新しい順",
    search: "検索",
    narrowed_by: "絞り込み",
    facet_kind: "種別",
    facet_category: "分類",
    facet_cause: "原因",
    facet_org_kind: "団体区分",
    facet_prefecture: "都道府県",
    facet_year: "年",
    results: "件",
    no_cases: "該当する事例はありません。キーワードを減らすか、絞り込みを外してください。",
    engine: "検索エンジン",
    back_to_search: "← 事例の検索",
    edition: "版",
    edition_before: "第",
    edition_after: "版",
    updated: "更新",
    organisation: "団体",
    categories: "分類",
    causes: "原因",
    occurred: "発生",
    found: "発見",
    reported: "報告",
    records: "影響を受けた個人情報",
    systems: "影響を受けたシステム",
    related_alerts: "関連する注意喚起",
    related_advisories: "関連する脆弱性情報",
    source: "出典",
    what_happened: "経緯",
    measures: "対応",
    lessons: "教訓",
    review: "審査・公開",
    revise: "改訂する",
    edit_anonymise: "編集・匿名化する",
    publish: "公開する",
    withdraw_reason: "取下げの理由",
    withdraw: "取り下げる",
    history: "履歴",
    th_action: "操作",
    th_edition: "版",
    th_change: "変更内容",
    similar_cases: "似ている事例",
};

pub static EN: Ui = Ui {
    lang: "en",
    inbox: "Inbox",
    cases: "Cases",
    triage: "Triage",
    drafts: "Drafts and approval",
    stats: "Statistics",
    drills: "Drills",
    settings: "Organisation settings",
    admin: "Administration",
    password: "Change password",
    dates: "Dates",
    western: "Western",
    wareki: "Japanese era",
    other_language: "日本語",
    other_lang: "ja",
    logout: "Log out",
    login: "Log in",
    email: "Mail address",
    password_label: "Password",
    state: "State",
    severity: "Severity",
    all: "All",
    filter: "Filter",
    no_alerts: "No alerts match.",
    th_number: "Number",
    th_title: "Title",
    th_published: "Published",
    th_deadline: "Respond by",
    drill: "Drill",
    withdrawn: "Withdrawn",
    overdue: "overdue",
    page: "Page",
    prev: "Previous",
    next: "Next",
    unknown_state: "Not yet known",
    back_to_inbox: "← Inbox",
    update_before: "Update ",
    update_after: "",
    published: "Published",
    deadline: "Respond by",
    changes: "What changed",
    course: "Updates",
    th_update: "Update",
    withdrawal: " (withdrawal)",
    notes: "Notes from the prefecture",
    note_label: "A note for the municipalities of your prefecture (up to 2,000 characters)",
    add_note: "Add the note",
    related_cases: "Related cases",
    ack: "Acknowledgement",
    state_of: ": state",
    report_state: "Report the state",
    memo: "Note (optional, up to 2,000 characters)",
    report: "Report",
    report_history: "Reports so far",
    th_at: "When",
    th_by: "By",
    th_memo: "Note",
    not_addressed: "This alert is not addressed to ",
    not_addressed_after: " (see the dashboard for the organisations you oversee).",
    sources: "Sources and why they were classified so",
    cases_title: "Incident cases and good practices",
    cases_intro: "Find incidents other organisations went through, and what they learned. Full- and half-width forms and spelling variants (ウイルス/ウィルス, サーバ/サーバー, 漏洩/漏えい) are treated as the same.",
    report_case: "Report a case",
    review_desk: "Review and publication",
    own_reports: "Our reports",
    keywords: "Keywords",
    by_relevance: "By relevance",
    newest_first: "Newest first",
    search: "Search",
    narrowed_by: "Filters",
    facet_kind: "Kind",
    facet_category: "Category",
    facet_cause: "Cause",
    facet_org_kind: "Organisation",
    facet_prefecture: "Prefecture",
    facet_year: "Year",
    results: "cases",
    no_cases: "No cases match. Try fewer words, or remove a filter.",
    engine: "Search engine",
    back_to_search: "← Case search",
    edition: "Edition",
    edition_before: "Edition ",
    edition_after: "",
    updated: "Updated",
    organisation: "Organisation",
    categories: "Categories",
    causes: "Causes",
    occurred: "Happened",
    found: "Found",
    reported: "Reported",
    records: "Personal records affected",
    systems: "Systems affected",
    related_alerts: "Related alerts",
    related_advisories: "Related advisories",
    source: "Source",
    what_happened: "What happened",
    measures: "What was done",
    lessons: "Lessons",
    review: "Review and publication",
    revise: "Revise",
    edit_anonymise: "Edit and anonymise",
    publish: "Publish",
    withdraw_reason: "Reason for withdrawal",
    withdraw: "Withdraw",
    history: "History",
    th_action: "Action",
    th_edition: "Edition",
    th_change: "What changed",
    similar_cases: "Similar cases",
};

#[cfg(test)]
#[path = "i18n_tests.rs"]
mod tests;
