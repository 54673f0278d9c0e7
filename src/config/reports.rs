//! `[reports]`: the timer policy for incident reports and the central desk's addresses. The seed documents say 「直ちに」 and set no hours, so the defaults are ours:
//! a 第1報 within 24 hours of discovery, and while a report is open a further 報 at least every
//! 72 hours — close to the personal-information regulator's own rhythm (a prompt first report
//! within days, the full one later), tight enough that a prefecture never waits a week in
//! silence.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Hours from discovery to the 第1報 (1–720). A later 第1報 is marked late.
    pub first_report_hours: u32,
    /// Hours from one 報 to the next while the report is open (1–720); when they pass, the
    /// report shows as overdue and the organisation is reminded once.
    pub next_report_hours: u32,
    /// The central desk: every 報 is mailed here. Empty: the contacts of the central bodies.
    pub desk: Vec<String>,
    /// The desk's name as steps and mail sign it (受理 is automatic, in this name).
    pub desk_name: String,
    /// Hours a 照会 may wait for its first answer (1–720) before it is escalated: marked on
    /// the queue and mailed to the desk again (and to the centre, for a prefecture's).
    pub inquiry_escalate_hours: u32,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            first_report_hours: 24,
            next_report_hours: 72,
            desk: Vec::new(),
            desk_name: "自治体CEPTOAR 受付".into(),
            inquiry_escalate_hours: 48,
        }
    }
}

impl ReportSettings {
    /// Refuses hours outside 1–720 and desk entries that are not mail addresses.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        for (key, v) in [
            ("reports.first_report_hours", self.first_report_hours),
            ("reports.next_report_hours", self.next_report_hours),
            (
                "reports.inquiry_escalate_hours",
                self.inquiry_escalate_hours,
            ),
        ] {
            if !(1..=720).contains(&v) {
                return Err((key, format!("is {v}: give hours from 1 to 720")));
            }
        }
        let n = self.desk_name.trim().chars().count();
        if n == 0 || n > 100 || self.desk_name.chars().any(char::is_control) {
            return Err((
                "reports.desk_name",
                "give the desk's name, 1–100 characters without control characters".into(),
            ));
        }
        for a in &self.desk {
            crate::domain::EmailAddress::parse(a)
                .map_err(|e| ("reports.desk", format!("`{a}` is not a mail address: {e}")))?;
        }
        Ok(())
    }
}
