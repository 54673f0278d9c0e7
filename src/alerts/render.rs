//! The text of an alert drafted from advisories: Japanese, plain text first, readable when an
//! LGWAN gateway strips HTML and links.

use crate::classify::model::Classification;
use crate::db::entities::advisories;
use crate::ingest::html;

/// Longest summary quoted in a draft.
const MAX_SUMMARY: usize = 1500;

/// The title of a draft made from an advisory.
pub fn title(a: &advisories::Model) -> String {
    let t = a.title.trim();
    let t = t.strip_prefix("注意喚起: ").unwrap_or(t);
    let t = t
        .trim_end_matches("(公開)")
        .trim_end_matches("(更新)")
        .trim_end();
    t.to_owned()
}

/// The body of a draft made from an advisory.
pub fn body(a: &advisories::Model, c: &Classification, policy_note: &str) -> String {
    let mut out = String::new();
    let summary: String = a.summary_text.chars().take(MAX_SUMMARY).collect();
    out.push_str("【概要】\n");
    out.push_str(if summary.trim().is_empty() {
        a.title.trim()
    } else {
        summary.trim()
    });
    if a.summary_text.chars().count() > MAX_SUMMARY {
        out.push('…');
    }
    out.push_str("\n\n【深刻度】");
    out.push_str(c.severity.label_ja());
    let mut basis = Vec::new();
    if let Some(s) = c.score {
        basis.push(format!("CVSS 基本値 {s:.1}"));
    }
    if !c.kev_cves.is_empty() {
        basis.push(format!(
            "CISA KEV 掲載（悪用の事実あり: {}）",
            c.kev_cves.join("、")
        ));
    }
    if !basis.is_empty() {
        out.push_str(&format!("（{}）", basis.join("、")));
    }
    out.push('\n');
    if !c.products.is_empty() {
        out.push_str("\n【影響を受ける製品】\n");
        for p in &c.products {
            let name = format!(
                "{} {}",
                p.vendor.as_deref().unwrap_or(""),
                p.product.as_deref().unwrap_or("")
            );
            out.push('・');
            out.push_str(name.trim());
            if let Some(v) = &p.version {
                out.push_str(&format!("（{v}）"));
            }
            out.push('\n');
        }
    }
    let cves: Vec<String> = serde_json::from_str(&a.cve_ids).unwrap_or_default();
    if !cves.is_empty() {
        out.push_str(&format!("\n【CVE】{}\n", cves.join("、")));
    }
    let extra: serde_json::Value = serde_json::from_str(&a.extra).unwrap_or_default();
    let action = extra
        .get("solution_html")
        .and_then(|v| v.as_str())
        .map(html::to_text)
        .or_else(|| extra.get("required_action").and_then(|v| v.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "開発者・提供元の情報を確認し、修正版の適用や回避策の実施を検討してください。該当製品を利用していない場合は「該当なし」と報告してください。".to_owned());
    out.push_str("\n【対策】\n");
    out.push_str(action.trim());
    out.push('\n');
    if let Some(url) = &a.url {
        out.push_str(&format!("\n【参考情報】\n{url}\n"));
    }
    out.push_str(&format!("\n（{policy_note}）\n"));
    out
}
