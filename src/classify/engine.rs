//! The classifier: pure, given the compiled rules and which CVE ids are known exploited.

use std::collections::{BTreeSet, HashSet};

use super::model::{AdvisoryView, Category, Classification, Firing, ProductRef, RelevanceLevel};
use super::rules::{RaiseWhen, RuleRef, Rules};
use crate::domain::Severity;
use crate::domain::cpe::Cpe;
use crate::domain::cvss::{CvssVector, CvssVersion};
use crate::domain::text::fold;

/// Characters of context shown around a keyword match.
const CONTEXT: usize = 12;

/// A keyword that matched, where.
struct Hit {
    rule: RuleRef,
    keyword: String,
    snippet: String,
}

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Every rule keyword found in `text` (already folded), with a snippet around the first match of each.
fn scan(rules: &Rules, field: &str, text: &str, hits: &mut Vec<Hit>) {
    for m in rules.matcher.find_overlapping_iter(text) {
        let (keyword, refs, word) = &rules.patterns[m.pattern().as_usize()];
        if *word {
            let before = text[..m.start()].chars().next_back();
            let after = text[m.end()..].chars().next();
            if is_word_char(before) || is_word_char(after) {
                continue;
            }
        }
        for rule in refs {
            if hits
                .iter()
                .any(|h| h.rule == *rule && h.keyword == *keyword)
            {
                continue;
            }
            let start: String = text[..m.start()]
                .chars()
                .rev()
                .take(CONTEXT)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let end: String = text[m.end()..].chars().take(CONTEXT).collect();
            hits.push(Hit {
                rule: *rule,
                keyword: keyword.clone(),
                snippet: format!("{field}: …{start}[{}]{end}…", &text[m.start()..m.end()]),
            });
        }
    }
}

/// Classifies one advisory. `kev` holds the CVE ids CISA lists as known exploited.
pub fn classify(rules: &Rules, a: &AdvisoryView, kev: &HashSet<String>) -> Classification {
    let mut explanation = Vec::new();
    let mut hits = Vec::new();
    scan(rules, "title", &fold(&a.title), &mut hits);
    scan(rules, "summary", &fold(&a.summary), &mut hits);
    let hit_for = |r: RuleRef| hits.iter().find(|h| h.rule == r);

    // Categories.
    let mut categories: BTreeSet<Category> = BTreeSet::new();
    for (i, rule) in rules.categories.iter().enumerate() {
        let evidence = if rule.kinds.contains(&a.kind) {
            Some(format!("source kind {}", a.kind))
        } else {
            hit_for(RuleRef::Category(i)).map(|h| h.snippet.clone())
        };
        if let Some(evidence) = evidence
            && categories.insert(rule.category)
        {
            explanation.push(Firing {
                rule: rule.id.clone(),
                aspect: "category".into(),
                effect: rule.category.label_ja().into(),
                evidence,
            });
        }
    }
    if categories.is_empty() {
        categories.insert(Category::Other);
        explanation.push(Firing {
            rule: "default".into(),
            aspect: "category".into(),
            effect: Category::Other.label_ja().into(),
            evidence: "no category rule fired".into(),
        });
    }

    // Severity: the best base score computed from a vector, then raises.
    let (score, basis) = best_score(a);
    // Without a vector nothing measures the impact: info, unless a raise below lifts it.
    let mut severity = match score {
        Some(s) => rules.severity_of(s),
        None => Severity::Info,
    };
    explanation.push(Firing {
        rule: "cvss".into(),
        aspect: "severity".into(),
        effect: severity.label_ja().into(),
        evidence: basis,
    });
    let kev_cves: Vec<String> = a
        .cves
        .iter()
        .filter(|c| kev.contains(*c))
        .cloned()
        .collect();
    for (i, raise) in rules.raises.iter().enumerate() {
        let evidence = match &raise.when {
            RaiseWhen::Kev => {
                (!kev_cves.is_empty()).then(|| format!("{} in CISA KEV", kev_cves.join(", ")))
            }
            RaiseWhen::Kind(kinds) => kinds
                .contains(&a.kind)
                .then(|| format!("source kind {}", a.kind)),
            RaiseWhen::Keyword => hit_for(RuleRef::Raise(i)).map(|h| h.snippet.clone()),
        };
        let Some(evidence) = evidence else { continue };
        let stepped = severity.raised(raise.steps);
        let raised = match raise.at_least {
            Some(floor) => stepped.max(floor),
            None => stepped,
        };
        let effect = if raised == severity {
            format!("{} (unchanged)", severity.label_ja())
        } else {
            format!("{} → {}", severity.label_ja(), raised.label_ja())
        };
        severity = raised;
        let evidence = if raise.note.is_empty() {
            evidence
        } else {
            format!("{}: {evidence}", raise.note)
        };
        explanation.push(Firing {
            rule: raise.id.clone(),
            aspect: "severity".into(),
            effect,
            evidence,
        });
    }

    // Products: what the source named, then what rules recognise in the text.
    let mut products: Vec<ProductRef> = Vec::new();
    for p in &a.products {
        let cpe = p.cpe.as_deref().and_then(|c| Cpe::parse(c).ok());
        let version = cpe
            .as_ref()
            .and_then(|c| c.version.clone())
            .or_else(|| p.version.clone());
        let product = ProductRef {
            vendor: p
                .vendor
                .clone()
                .or_else(|| cpe.as_ref().map(|c| c.vendor.clone())),
            product: p
                .product
                .clone()
                .or_else(|| cpe.as_ref().map(|c| c.product.clone())),
            version,
            cpe: cpe.as_ref().map(ToString::to_string),
            from: "source".into(),
        };
        if !products.contains(&product) {
            products.push(product);
        }
    }
    for (i, rule) in rules.products.iter().enumerate() {
        let Some(hit) = hit_for(RuleRef::Product(i)) else {
            continue;
        };
        let cpe = rule.cpe.as_ref();
        let already = products.iter().any(|p| {
            let parsed = p.cpe.as_deref().and_then(|c| Cpe::parse(c).ok());
            match (parsed, cpe) {
                (Some(a), Some(b)) => a.vendor == b.vendor && a.product == b.product,
                _ => p.product.as_deref().map(fold) == Some(fold(&rule.product)),
            }
        });
        if already {
            continue;
        }
        products.push(ProductRef {
            vendor: Some(rule.vendor.clone()),
            product: Some(rule.product.clone()),
            version: None,
            cpe: cpe.map(ToString::to_string),
            from: rule.id.clone(),
        });
        explanation.push(Firing {
            rule: rule.id.clone(),
            aspect: "product".into(),
            effect: format!("{} {}", rule.vendor, rule.product),
            evidence: hit.snippet.clone(),
        });
    }

    // Relevance to local government.
    let cpe_vendors: HashSet<String> = products
        .iter()
        .filter_map(|p| p.cpe.as_deref().and_then(|c| Cpe::parse(c).ok()))
        .map(|c| c.vendor)
        .collect();
    let mut relevance = RelevanceLevel::None;
    let mut themes = Vec::new();
    for (i, rule) in rules.relevance.iter().enumerate() {
        let evidence = if rule.kinds.contains(&a.kind) {
            Some(format!("source kind {}", a.kind))
        } else if let Some(h) = hit_for(RuleRef::Relevance(i)) {
            Some(h.snippet.clone())
        } else {
            rule.cpe_vendors
                .iter()
                .find(|v| cpe_vendors.contains(*v))
                .map(|v| format!("affected product from vendor {v}"))
        };
        let Some(evidence) = evidence else { continue };
        relevance = relevance.max(rule.level);
        themes.push(rule.theme.clone());
        explanation.push(Firing {
            rule: rule.id.clone(),
            aspect: "relevance".into(),
            effect: format!("{} ({})", rule.theme, rule.level.label_ja()),
            evidence,
        });
    }

    Classification {
        categories: categories.into_iter().collect(),
        severity,
        score,
        products,
        relevance,
        themes,
        kev_cves,
        explanation,
    }
}

/// The highest base score computed from a vector (v4.0/v3.x preferred; v2 only without them),
/// and a sentence saying where it came from. A score without a vector is not trusted.
fn best_score(a: &AdvisoryView) -> (Option<f64>, String) {
    let mut modern: Option<(f64, String)> = None;
    let mut legacy: Option<(f64, String)> = None;
    let mut notes = Vec::new();
    for entry in &a.cvss {
        let Some(vector) = entry.vector.as_deref().filter(|v| !v.trim().is_empty()) else {
            if let Some(s) = entry.score {
                notes.push(format!(
                    "a v{} score of {s} without a vector was not used",
                    entry.version
                ));
            }
            continue;
        };
        match CvssVector::parse(vector) {
            Ok(v) => {
                let score = v.base_score();
                let mut text =
                    format!("CVSS v{} {} = {score:.1}", v.version().as_str(), v.as_str());
                if let Some(given) = entry.score.filter(|g| (g - score).abs() > 0.05) {
                    text.push_str(&format!(" (the source said {given:.1})"));
                }
                let slot = if v.version() == CvssVersion::V2 {
                    &mut legacy
                } else {
                    &mut modern
                };
                if slot.as_ref().is_none_or(|(s, _)| score > *s) {
                    *slot = Some((score, text));
                }
            }
            Err(e) => notes.push(e.to_string()),
        }
    }
    let chosen = modern.or(legacy);
    let mut basis = match &chosen {
        Some((_, text)) => text.clone(),
        None => "no CVSS vector".into(),
    };
    for n in notes {
        basis.push_str("; ");
        basis.push_str(&n);
    }
    (chosen.map(|(s, _)| s), basis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::model::CvssEntry;

    fn rules() -> Rules {
        Rules::load(std::path::Path::new("feeds/classification.toml"))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn view(title: &str) -> AdvisoryView {
        AdvisoryView {
            kind: "feed_item".into(),
            title: title.into(),
            ..AdvisoryView::default()
        }
    }

    #[test]
    fn full_width_text_matches_half_width_keywords() {
        let c = classify(
            &rules(),
            &view("ＦｏｒｔｉＧａｔｅのＳＳＬ－ＶＰＮ機能の脆弱性"),
            &HashSet::new(),
        );
        assert!(c.categories.contains(&Category::Vulnerability));
        assert_eq!(c.relevance, RelevanceLevel::High);
        assert!(
            c.products
                .iter()
                .any(|p| p.product.as_deref() == Some("FortiOS"))
        );
        let fired: Vec<&str> = c.explanation.iter().map(|f| f.rule.as_str()).collect();
        assert!(
            fired.contains(&"perimeter-appliance") && fired.contains(&"fortios"),
            "{fired:?}"
        );
        let evidence = c
            .explanation
            .iter()
            .find(|f| f.rule == "fortios")
            .map(|f| f.evidence.clone());
        assert_eq!(
            evidence.as_deref(),
            Some("title: …[fortigate]のssl-vpn機能の脆…")
        );
    }

    #[test]
    fn latin_keywords_must_stand_as_words() {
        let c = classify(
            &rules(),
            &view("Update for Windows Server (no attack)"),
            &HashSet::new(),
        );
        assert!(
            !c.categories.contains(&Category::DenialOfService),
            "dos inside windows: {:?}",
            c.explanation
        );
        let d = classify(&rules(), &view("DDoS攻撃の発生"), &HashSet::new());
        assert!(d.categories.contains(&Category::DenialOfService));
    }

    #[test]
    fn severity_comes_from_the_vector_and_is_raised_by_kev() {
        let mut a = view("Example product vulnerability");
        a.cvss = vec![CvssEntry {
            version: "3.1".into(),
            score: Some(4.0),
            severity: None,
            vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N".into()),
        }];
        a.cves = vec!["CVE-2024-21762".into()];
        let plain = classify(&rules(), &a, &HashSet::new());
        assert_eq!(plain.severity, Severity::Medium);
        assert_eq!(plain.score, Some(6.1));
        assert!(
            plain.explanation[0..]
                .iter()
                .any(|f| f.evidence.contains("(the source said 4.0)"))
        );
        let kev: HashSet<String> = ["CVE-2024-21762".to_owned()].into();
        let raised = classify(&rules(), &a, &kev);
        assert_eq!(raised.severity, Severity::High);
        assert_eq!(raised.kev_cves, ["CVE-2024-21762"]);
    }

    #[test]
    fn a_score_without_a_vector_is_not_trusted() {
        let mut a = view("x");
        a.cvss = vec![CvssEntry {
            version: "3.0".into(),
            score: Some(9.8),
            severity: Some("Critical".into()),
            vector: None,
        }];
        let c = classify(&rules(), &a, &HashSet::new());
        assert_eq!((c.severity, c.score), (Severity::Info, None));
        assert!(
            c.explanation
                .iter()
                .any(|f| f.evidence.contains("without a vector was not used"))
        );
    }

    #[test]
    fn a_jpcert_alert_is_at_least_high_and_uncategorised_text_is_other() {
        let mut a = view("お知らせ");
        a.kind = "jpcert_alert".into();
        let c = classify(&rules(), &a, &HashSet::new());
        assert_eq!(c.severity, Severity::High);
        assert_eq!(c.categories, [Category::Other]);
    }
}
