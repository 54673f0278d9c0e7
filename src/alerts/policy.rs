//! The draft policy (`feeds/draft_policy.toml`): which classified advisories become alert drafts
//! by themselves, for whom, and how fast acknowledgement is asked. Nothing is ever published by it:
//! a draft waits for a person.

use std::path::Path;

use serde::Deserialize;

use super::audience::AudienceSpec;
use crate::classify::model::{Category, Classification, RelevanceLevel};
use crate::domain::Severity;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    /// The hours to acknowledge count 開庁日 only (a draft's own choice wins).
    #[serde(default)]
    office_days: bool,
    deadlines: Deadlines,
    #[serde(default = "Deadlines::default_reminders")]
    reminders: Deadlines,
    #[serde(default = "Deadlines::default_escalation")]
    escalation: Deadlines,
    #[serde(default)]
    chase: Chase,
    #[serde(default, rename = "rule")]
    rules: Vec<RawRule>,
}

/// Hours to acknowledge, by severity; 0 means no acknowledgement is asked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub info: u32,
}

impl Deadlines {
    /// Hours after publication a silent organisation is reminded, when the policy does not say.
    fn default_reminders() -> Self {
        Self {
            critical: 6,
            high: 24,
            medium: 72,
            info: 0,
        }
    }

    /// Hours after publication silent municipalities are escalated to their prefecture.
    fn default_escalation() -> Self {
        Self {
            critical: 12,
            high: 48,
            medium: 120,
            info: 0,
        }
    }

    pub fn hours(&self, s: Severity) -> u32 {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Info => self.info,
        }
    }
}

/// Following up organisations that reported 受領 or 対応中 and not yet 対応完了 / 該当なし once
/// the acknowledgement deadline has passed (the seed documents: 「対応がすべて完了するまで」).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chase {
    /// Hours between two such mails to one organisation: at least 24 (at most one a day); 0
    /// turns it off.
    pub every_hours: u32,
}

impl Default for Chase {
    fn default() -> Self {
        Self { every_hours: 24 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    kinds: Vec<String>,
    #[serde(default)]
    kev: bool,
    #[serde(default)]
    min_severity: Option<String>,
    #[serde(default)]
    min_relevance: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    audience: AudienceSpec,
    #[serde(default)]
    ack_within_hours: Option<u32>,
}

/// One policy rule: every condition it states must hold.
#[derive(Debug, Clone)]
pub struct PolicyRule {
    pub id: String,
    pub description: String,
    pub kinds: Vec<String>,
    pub kev: bool,
    pub min_severity: Option<Severity>,
    pub min_relevance: Option<RelevanceLevel>,
    pub categories: Vec<Category>,
    pub audience: AudienceSpec,
    pub ack_within_hours: Option<u32>,
}

#[derive(Debug)]
pub struct DraftPolicy {
    /// Drafts count the hours to acknowledge on 開庁日 only unless they say otherwise.
    pub office_days: bool,
    pub deadlines: Deadlines,
    /// Hours after publication an organisation that has reported nothing is reminded (0: never).
    pub reminders: Deadlines,
    /// Hours after publication silent municipalities are escalated to their prefecture.
    pub escalation: Deadlines,
    /// Organisations stuck at 受領 / 対応中 past the deadline are reminded on this cadence.
    pub chase: Chase,
    pub rules: Vec<PolicyRule>,
}

impl DraftPolicy {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the draft policy {}: {e}", path.display()))?;
        Self::from_toml(&text).map_err(|e| format!("draft policy {}: {e}", path.display()))
    }

    pub fn from_toml(text: &str) -> Result<Self, String> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| e.to_string())?;
        if raw.chase.every_hours != 0 && raw.chase.every_hours < 24 {
            return Err(
                "chase.every_hours must be 0 (off) or at least 24: an organisation gets at most one such mail a day".into(),
            );
        }
        let mut rules = Vec::new();
        for r in raw.rules {
            let rule_err = |e: String| format!("rule `{}`: {e}", r.id);
            let min_severity = r
                .min_severity
                .as_deref()
                .map(Severity::parse)
                .transpose()
                .map_err(|e| rule_err(e.to_string()))?;
            let min_relevance = r
                .min_relevance
                .as_deref()
                .map(RelevanceLevel::parse)
                .transpose()
                .map_err(rule_err)?;
            let categories = r
                .categories
                .iter()
                .map(|c| Category::parse(c))
                .collect::<Result<Vec<_>, _>>()
                .map_err(rule_err)?;
            if r.kinds.is_empty()
                && !r.kev
                && min_severity.is_none()
                && min_relevance.is_none()
                && categories.is_empty()
            {
                return Err(rule_err(
                    "it states no condition: it would draft an alert for every advisory".into(),
                ));
            }
            if r.audience.is_empty() {
                return Err(rule_err("its audience is empty".into()));
            }
            if r.ack_within_hours.is_some_and(|h| h == 0 || h > 24 * 30) {
                return Err(rule_err("ack_within_hours must be from 1 to 720".into()));
            }
            if rules.iter().any(|x: &PolicyRule| x.id == r.id) {
                return Err(rule_err("the id is used twice".into()));
            }
            rules.push(PolicyRule {
                id: r.id,
                description: r.description,
                kinds: r.kinds,
                kev: r.kev,
                min_severity,
                min_relevance,
                categories,
                audience: r.audience,
                ack_within_hours: r.ack_within_hours,
            });
        }
        Ok(Self {
            office_days: raw.office_days,
            deadlines: raw.deadlines,
            reminders: raw.reminders,
            escalation: raw.escalation,
            chase: raw.chase,
            rules,
        })
    }

    /// The first rule that applies to an advisory of `kind` classified as `c`.
    pub fn first_match(&self, kind: &str, c: &Classification) -> Option<&PolicyRule> {
        self.rules.iter().find(|r| {
            (r.kinds.is_empty() || r.kinds.iter().any(|k| k == kind))
                && (!r.kev || !c.kev_cves.is_empty())
                && r.min_severity.is_none_or(|s| c.severity >= s)
                && r.min_relevance.is_none_or(|l| c.relevance >= l)
                && (r.categories.is_empty()
                    || r.categories.iter().any(|cat| c.categories.contains(cat)))
        })
    }

    /// Hours to acknowledge an alert of this severity under `rule` (none when not asked).
    pub fn ack_hours(&self, rule: Option<&PolicyRule>, severity: Severity) -> Option<u32> {
        rule.and_then(|r| r.ack_within_hours)
            .or(Some(self.deadlines.hours(severity)))
            .filter(|h| *h > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policy_loads() {
        let p = DraftPolicy::load(Path::new("feeds/draft_policy.toml"));
        assert!(p.is_ok(), "{:?}", p.err());
    }

    #[test]
    fn a_rule_without_conditions_is_refused() {
        let text = "[deadlines]\ncritical = 24\nhigh = 72\nmedium = 168\ninfo = 0\n[[rule]]\nid = \"everything\"\naudience = { all = true }\n";
        assert!(
            DraftPolicy::from_toml(text)
                .err()
                .unwrap_or_default()
                .contains("states no condition")
        );
    }
}
