//! 調査・点検: surveys the centre (or a prefecture, for its municipalities) sends through four
//! eyes — a 緊急点検 after an incident, a yearly 重点検査 / 自己点検 — the answers organisations
//! give (portal and API, drafts, late edits kept and marked), the seed documents' scoring
//! ([`score`]), the results for the centre and a prefecture and each organisation's own
//! 評価結果 with its 改善方針 ([`results`]), and the reminder and escalation ([`timers`]).
//!
//! Owns `surveys`, `survey_targets`, `survey_answers`, `survey_answer_versions`; resolves
//! audiences with [`crate::alerts::audience`] and mails through [`crate::notices`].

pub mod act;
pub mod definition;
pub mod items;
pub mod publish;
pub mod results;
pub mod score;
pub mod sheet;
pub mod store;
pub mod timers;

pub use definition::{Answer, Answers, Category, Definition, Item, ItemType};

pub use crate::domain::ids::SurveyId;
use serde::Serialize;

crate::string_enum! {
    /// 緊急点検 or 重点検査・自己点検.
    #[derive(Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Kind ("survey kind") {
        Emergency = "emergency",
        SelfAssessment = "self_assessment",
    }
}

impl Kind {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Emergency => "緊急点検",
            Self::SelfAssessment => "重点検査・自己点検",
        }
    }
}

crate::string_enum! {
    /// Where a survey is in its four eyes.
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Status ("survey status") {
        Draft = "draft",
        Submitted = "submitted",
        Published = "published",
    }
}

impl Status {
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Draft => "下書き",
            Self::Submitted => "承認待ち",
            Self::Published => "配信済み",
        }
    }
}
