//! CAP 1.2 (OASIS Common Alerting Protocol) for one alert: its current revision as the message,
//! `msgType` Alert for 第1報, Update for later revisions and Cancel for a withdrawal, with
//! `references` to every earlier message; `status` Exercise for drills; `scope` Restricted for
//! anything not TLP:CLEAR. The text is Japanese (`ja-JP`); alerts have no English text yet.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::alerts::{Alert, Revision};
use crate::domain::{Severity, Tlp};

pub const NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";
/// CAP's `sender`: who issues Noroshi's messages.
pub const SENDER: &str = "ceptoar@noroshi.lg.jp";

/// Text for an XML element: escaped as for HTML, without the control characters XML 1.0
/// cannot carry at all.
fn escape(s: &str) -> String {
    let allowed: String = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .collect();
    crate::domain::text::escape_html(&allowed)
}

/// CAP's dateTime: seconds, an explicit offset (JST), never `Z`.
fn cap_time(t: &DateTime<Utc>) -> String {
    t.with_timezone(&crate::time::jst_offset())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// The message identifier of one revision: `NRS-2026-0001.2`.
pub fn identifier(public_id: &str, number: i32) -> String {
    format!("{public_id}.{number}")
}

fn urgency(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Immediate",
        Severity::High => "Expected",
        Severity::Medium => "Future",
        Severity::Info => "Unknown",
    }
}

fn cap_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "Extreme",
        Severity::High => "Severe",
        Severity::Medium => "Moderate",
        Severity::Info => "Minor",
    }
}

fn element(out: &mut String, indent: &str, name: &str, value: &str) {
    let _ = writeln!(out, "{indent}<{name}>{}</{name}>", escape(value));
}

/// The CAP document of `alert`'s current revision. `revisions` are all its revisions.
pub fn render(base_url: &str, alert: &Alert, revisions: &[Revision]) -> anyhow::Result<String> {
    let public_id = alert
        .public_id
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("alert {} was never published", alert.id))?;
    let current = revisions
        .iter()
        .find(|r| r.number == alert.published_revision)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "alert {public_id} has no revision {}",
                alert.published_revision
            )
        })?;
    let severity = current.severity;
    let tlp = current.tlp;
    let msg_type = if current.kind.is_withdrawal() {
        "Cancel"
    } else if current.number > 1 {
        "Update"
    } else {
        "Alert"
    };
    let mut x = String::with_capacity(2048 + current.body.len());
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(x, "<alert xmlns=\"{NAMESPACE}\">");
    element(
        &mut x,
        "  ",
        "identifier",
        &identifier(public_id, current.number),
    );
    element(&mut x, "  ", "sender", SENDER);
    element(&mut x, "  ", "sent", &cap_time(&current.published_at));
    element(
        &mut x,
        "  ",
        "status",
        if current.drill { "Exercise" } else { "Actual" },
    );
    element(&mut x, "  ", "msgType", msg_type);
    if tlp == Tlp::Clear {
        element(&mut x, "  ", "scope", "Public");
    } else {
        element(&mut x, "  ", "scope", "Restricted");
        element(
            &mut x,
            "  ",
            "restriction",
            &format!(
                "TLP:{} {}",
                tlp.as_str(),
                tlp.meaning(crate::domain::Language::Ja)
            ),
        );
    }
    let earlier: Vec<String> = revisions
        .iter()
        .filter(|r| r.number < current.number)
        .map(|r| {
            format!(
                "{SENDER},{},{}",
                identifier(public_id, r.number),
                cap_time(&r.published_at)
            )
        })
        .collect();
    if current.drill {
        element(
            &mut x,
            "  ",
            "note",
            "連絡体制の確認訓練です。実際の脅威ではありません。",
        );
    } else if msg_type == "Cancel" {
        element(&mut x, "  ", "note", "この注意喚起は取り消されました。");
    }
    if !earlier.is_empty() {
        element(&mut x, "  ", "references", &earlier.join(" "));
    }
    element(&mut x, "  ", "incidents", public_id);
    x.push_str("  <info>\n");
    element(&mut x, "    ", "language", "ja-JP");
    element(&mut x, "    ", "category", "Security");
    let event = match current.categories.first() {
        Some(c) => format!("注意喚起（{}）", c.label_ja()),
        None => "注意喚起".to_owned(),
    };
    element(&mut x, "    ", "event", &event);
    element(
        &mut x,
        "    ",
        "responseType",
        if msg_type == "Cancel" {
            "AllClear"
        } else {
            "Prepare"
        },
    );
    element(&mut x, "    ", "urgency", urgency(severity));
    element(&mut x, "    ", "severity", cap_severity(severity));
    element(&mut x, "    ", "certainty", "Observed");
    element(&mut x, "    ", "senderName", "Noroshi 自治体CEPTOAR");
    let headline: String = current.title.chars().take(160).collect();
    element(&mut x, "    ", "headline", &headline);
    element(&mut x, "    ", "description", &current.body);
    if let Some(deadline) = &current.ack_deadline {
        element(
            &mut x,
            "    ",
            "instruction",
            &format!(
                "{} までにポータルで受領・対応状況を登録してください（受信一覧 /inbox → {public_id}）。",
                crate::time::format_jst(deadline)
            ),
        );
    }
    element(
        &mut x,
        "    ",
        "web",
        &format!("{base_url}alerts/{public_id}"),
    );
    for (name, value) in [
        ("TLP", tlp.as_str().to_owned()),
        ("noroshi:severity", severity.as_str().to_owned()),
        ("noroshi:revision", current.number.to_string()),
    ] {
        x.push_str("    <parameter>\n");
        element(&mut x, "      ", "valueName", name);
        element(&mut x, "      ", "value", &value);
        x.push_str("    </parameter>\n");
    }
    for c in &current.categories {
        x.push_str("    <parameter>\n");
        element(&mut x, "      ", "valueName", "noroshi:category");
        element(&mut x, "      ", "value", c.as_str());
        x.push_str("    </parameter>\n");
    }
    x.push_str("  </info>\n</alert>\n");
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_times_carry_the_jst_offset_and_escapes_hold() {
        let t = DateTime::parse_from_rfc3339("2026-11-30T03:04:05Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(cap_time(&t), "2026-11-30T12:04:05+09:00");
        assert_eq!(
            escape("<a href='x'>&\u{0}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;"
        );
    }
}
