//! The rules file (`feeds/classification.toml`), checked and compiled: every keyword of every
//! rule goes into one Aho-Corasick automaton, so a text is scanned once whatever the rule count.

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::model::{Category, RelevanceLevel};
use crate::domain::Severity;
use crate::domain::cpe::Cpe;
use crate::domain::text::fold;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    version: String,
    severity: RawSeverity,
    #[serde(default)]
    category: Vec<RawCategory>,
    #[serde(default)]
    product: Vec<RawProduct>,
    #[serde(default)]
    relevance: Vec<RawRelevance>,
    #[serde(default)]
    vendor_alias: Vec<RawAlias>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeverity {
    critical: f64,
    high: f64,
    medium: f64,
    #[serde(default)]
    raise: Vec<RawRaise>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRaise {
    id: String,
    when: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    steps: u8,
    #[serde(default)]
    at_least: Option<String>,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: String,
    category: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    id: String,
    vendor: String,
    product: String,
    #[serde(default)]
    cpe: Option<String>,
    keywords: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelevance {
    id: String,
    theme: String,
    level: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    cpe_vendors: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlias {
    vendor: String,
    aliases: Vec<String>,
}

/// What raises a severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RaiseWhen {
    /// A CVE of the advisory is in CISA KEV.
    Kev,
    /// The source says the item is of one of these kinds.
    Kind(Vec<String>),
    /// A keyword of the rule appears.
    Keyword,
}

#[derive(Debug, Clone)]
pub struct Raise {
    pub id: String,
    pub when: RaiseWhen,
    pub steps: u8,
    pub at_least: Option<Severity>,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct CategoryRule {
    pub id: String,
    pub category: Category,
    pub kinds: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ProductRule {
    pub id: String,
    pub vendor: String,
    pub product: String,
    pub cpe: Option<Cpe>,
}

#[derive(Debug, Clone)]
pub struct RelevanceRule {
    pub id: String,
    pub theme: String,
    pub level: RelevanceLevel,
    pub kinds: Vec<String>,
    pub cpe_vendors: Vec<String>,
}

/// Which rule a keyword belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleRef {
    Raise(usize),
    Category(usize),
    Product(usize),
    Relevance(usize),
}

/// The compiled rules.
#[derive(Debug)]
pub struct Rules {
    pub version: String,
    /// SHA-256 of the file: classifications made under other rules are redone.
    pub hash: String,
    pub critical: f64,
    pub high: f64,
    pub medium: f64,
    pub raises: Vec<Raise>,
    pub categories: Vec<CategoryRule>,
    pub products: Vec<ProductRule>,
    pub relevance: Vec<RelevanceRule>,
    /// Folded alias → folded canonical vendor.
    pub aliases: HashMap<String, String>,
    pub(crate) matcher: AhoCorasick,
    /// For each pattern of the matcher: (keyword as written folded, the rules it belongs to, whether
    /// it must stand as a word).
    pub(crate) patterns: Vec<(String, Vec<RuleRef>, bool)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read the classification rules {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("classification rules {path}: {reason}")]
    Invalid { path: String, reason: String },
}

impl Rules {
    pub fn load(path: &Path) -> Result<Self, RulesError> {
        let text = std::fs::read_to_string(path).map_err(|e| RulesError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_toml(&text).map_err(|reason| RulesError::Invalid {
            path: path.display().to_string(),
            reason,
        })
    }

    pub fn from_toml(text: &str) -> Result<Self, String> {
        let raw: RawRules = toml::from_str(text).map_err(|e| e.to_string())?;
        let (critical, high, medium) = (
            raw.severity.critical,
            raw.severity.high,
            raw.severity.medium,
        );
        let ordered = (0.0..=10.0).contains(&medium)
            && medium <= high
            && high <= critical
            && critical <= 10.0;
        if !ordered {
            return Err("[severity] needs 0 ≤ medium ≤ high ≤ critical ≤ 10".into());
        }
        let mut keywords: Vec<(String, RuleRef)> = Vec::new();
        let mut ids = std::collections::HashSet::new();
        let mut unique = |id: &str| {
            if id.trim().is_empty() || !ids.insert(id.to_owned()) {
                Err(format!("rule id `{id}` is empty or used twice"))
            } else {
                Ok(())
            }
        };
        let mut raises = Vec::new();
        for (i, r) in raw.severity.raise.into_iter().enumerate() {
            unique(&r.id)?;
            let when = match r.when.as_str() {
                "kev" => RaiseWhen::Kev,
                "kind" if !r.kinds.is_empty() => RaiseWhen::Kind(r.kinds.clone()),
                "keyword" if !r.keywords.is_empty() => RaiseWhen::Keyword,
                other => {
                    return Err(format!(
                        "raise `{}`: when = {other:?} needs to be \"kev\", \"kind\" (with kinds) or \"keyword\" (with keywords)",
                        r.id
                    ));
                }
            };
            let at_least = match &r.at_least {
                Some(s) => Some(Severity::parse(s).map_err(|e| format!("raise `{}`: {e}", r.id))?),
                None => None,
            };
            if r.steps == 0 && at_least.is_none() {
                return Err(format!("raise `{}` needs steps or at_least", r.id));
            }
            keywords.extend(r.keywords.iter().map(|k| (k.clone(), RuleRef::Raise(i))));
            raises.push(Raise {
                id: r.id,
                when,
                steps: r.steps,
                at_least,
                note: r.note,
            });
        }
        let mut categories = Vec::new();
        for (i, c) in raw.category.into_iter().enumerate() {
            unique(&c.id)?;
            let category = Category::parse(&c.category)
                .map_err(|e| format!("category rule `{}`: {e}", c.id))?;
            if c.kinds.is_empty() && c.keywords.is_empty() {
                return Err(format!("category rule `{}` needs kinds or keywords", c.id));
            }
            keywords.extend(c.keywords.iter().map(|k| (k.clone(), RuleRef::Category(i))));
            categories.push(CategoryRule {
                id: c.id,
                category,
                kinds: c.kinds,
            });
        }
        let mut products = Vec::new();
        for (i, p) in raw.product.into_iter().enumerate() {
            unique(&p.id)?;
            let cpe = match &p.cpe {
                Some(c) => {
                    Some(Cpe::parse(c).map_err(|e| format!("product rule `{}`: {e}", p.id))?)
                }
                None => None,
            };
            if p.keywords.is_empty() {
                return Err(format!("product rule `{}` needs keywords", p.id));
            }
            keywords.extend(p.keywords.iter().map(|k| (k.clone(), RuleRef::Product(i))));
            products.push(ProductRule {
                id: p.id,
                vendor: p.vendor,
                product: p.product,
                cpe,
            });
        }
        let mut relevance = Vec::new();
        for (i, r) in raw.relevance.into_iter().enumerate() {
            unique(&r.id)?;
            let level = RelevanceLevel::parse(&r.level)
                .map_err(|e| format!("relevance rule `{}`: {e}", r.id))?;
            if r.kinds.is_empty() && r.keywords.is_empty() && r.cpe_vendors.is_empty() {
                return Err(format!(
                    "relevance rule `{}` needs kinds, keywords or cpe_vendors",
                    r.id
                ));
            }
            keywords.extend(
                r.keywords
                    .iter()
                    .map(|k| (k.clone(), RuleRef::Relevance(i))),
            );
            relevance.push(RelevanceRule {
                id: r.id,
                theme: r.theme,
                level,
                kinds: r.kinds,
                cpe_vendors: r.cpe_vendors.iter().map(|v| fold(v)).collect(),
            });
        }
        let mut aliases = HashMap::new();
        for a in raw.vendor_alias {
            let canonical = fold(&a.vendor);
            for alias in a.aliases {
                aliases.insert(fold(&alias), canonical.clone());
            }
            aliases.insert(canonical.clone(), canonical);
        }

        // One pattern per distinct folded keyword, pointing at every rule that uses it.
        let mut patterns: Vec<(String, Vec<RuleRef>, bool)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (keyword, rule) in keywords {
            let folded = fold(keyword.trim());
            if folded.is_empty() {
                return Err("an empty keyword".into());
            }
            let word = folded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == ' ');
            match index.get(&folded) {
                Some(&i) => patterns[i].1.push(rule),
                None => {
                    index.insert(folded.clone(), patterns.len());
                    patterns.push((folded, vec![rule], word));
                }
            }
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns.iter().map(|p| p.0.as_str()))
            .map_err(|e| format!("cannot compile the keywords: {e}"))?;
        Ok(Self {
            version: raw.version,
            hash: hex::encode(Sha256::digest(text.as_bytes())),
            critical,
            high,
            medium,
            raises,
            categories,
            products,
            relevance,
            aliases,
            matcher,
            patterns,
        })
    }

    /// The canonical (folded) name of a vendor, through the alias table.
    pub fn canonical_vendor(&self, vendor: &str) -> String {
        let folded = fold(vendor);
        self.aliases.get(&folded).cloned().unwrap_or(folded)
    }

    /// The severity a base score maps to.
    pub fn severity_of(&self, score: f64) -> Severity {
        if score >= self.critical {
            Severity::Critical
        } else if score >= self.high {
            Severity::High
        } else if score >= self.medium {
            Severity::Medium
        } else {
            Severity::Info
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_compile() {
        let rules = Rules::load(Path::new("feeds/classification.toml"));
        assert!(rules.is_ok(), "{:?}", rules.err());
    }

    #[test]
    fn mistakes_name_the_rule() {
        let base = "version = \"t\"\n[severity]\ncritical = 9.0\nhigh = 7.0\nmedium = 4.0\n";
        let bad_category =
            format!("{base}[[category]]\nid = \"x\"\ncategory = \"スパム\"\nkeywords = [\"a\"]\n");
        assert!(
            Rules::from_toml(&bad_category)
                .err()
                .unwrap_or_default()
                .contains("category rule `x`")
        );
        let twice = format!(
            "{base}[[category]]\nid = \"x\"\ncategory = \"脆弱性\"\nkeywords = [\"a\"]\n[[category]]\nid = \"x\"\ncategory = \"障害\"\nkeywords = [\"b\"]\n"
        );
        assert!(
            Rules::from_toml(&twice)
                .err()
                .unwrap_or_default()
                .contains("used twice")
        );
        let unknown = format!("{base}[[categori]]\nid = \"x\"\n");
        assert!(Rules::from_toml(&unknown).is_err());
        let inverted = "version = \"t\"\n[severity]\ncritical = 4.0\nhigh = 7.0\nmedium = 9.0\n";
        assert!(
            Rules::from_toml(inverted)
                .err()
                .unwrap_or_default()
                .contains("medium ≤ high")
        );
    }
}
