//! Reading one message that came back: is it a bounce (a standard DSN or one of the common
//! home-made shapes), an auto-reply, or a person's reply, and what does it say. Pure: no
//! database, so every rule is tested on message files.

use std::sync::LazyLock;

use mail_parser::{MessageParser, MimeHeaders, PartType};
use regex::Regex;
use sha2::{Digest, Sha256};

use crate::acks::AckState;

/// Largest message read (a bounce quoting a whole alert is well under this).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

#[allow(clippy::expect_used)] // literal patterns, exercised by the tests
static ENHANCED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b").expect("pattern"));
#[allow(clippy::expect_used)]
static SMTP_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)(?:^|\s)([45]\d\d)[\s-]").expect("pattern"));
#[allow(clippy::expect_used)]
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}").expect("pattern")
});

/// What came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A delivery failed (or was delayed, `permanent == false` and `delayed`).
    Bounce(Bounce),
    /// 不在通知 and other machine answers: recorded, never an acknowledgement.
    AutoReply,
    /// Written by a person; `state` when its first own line names one.
    Reply { state: Option<AckState> },
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Bounce(_) => "bounce",
            Self::AutoReply => "auto_reply",
            Self::Reply { .. } => "reply",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounce {
    /// The failed recipient when the report names one.
    pub recipient: Option<String>,
    /// `5.1.1`, or the SMTP code (`550`) when no enhanced code is given.
    pub status: Option<String>,
    pub reason: String,
    /// A permanent failure (5xx): counts against the contact.
    pub permanent: bool,
    /// Only a delay warning (`Action: delayed`): nothing failed yet.
    pub delayed: bool,
}

/// One returned message, read.
#[derive(Clone, Debug)]
pub struct Inbound {
    /// Identifies the message: the same reply delivered twice has the same digest.
    pub digest: String,
    pub message_id: Option<String>,
    pub from: String,
    pub subject: String,
    /// Addresses the message was delivered to (To, Delivered-To, X-Original-To, Envelope-To).
    pub delivered_to: Vec<String>,
    /// The decoded text (HTML turned to text), quoted lines included.
    pub text: String,
    pub kind: Kind,
}

fn lower(s: &str) -> String {
    s.trim().trim_matches(['<', '>']).to_ascii_lowercase()
}

/// Reads a message. `Err` says why it cannot be read at all.
pub fn read(bytes: &[u8]) -> Result<Inbound, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "the message is {} bytes; at most {MAX_BYTES} are read",
            bytes.len()
        ));
    }
    let message = MessageParser::default()
        .parse(bytes)
        .filter(|m| !m.headers().is_empty())
        .ok_or("not an RFC 5322 message")?;
    let from = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .map(lower)
        .or_else(|| message.return_path().as_text().map(lower))
        .unwrap_or_default();
    let subject = message.subject().unwrap_or_default().trim().to_owned();
    let message_id = message.message_id().map(|m| m.trim().to_owned());
    let mut delivered_to = Vec::new();
    for h in message.headers() {
        let name = h.name().to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "to" | "delivered-to" | "x-original-to" | "envelope-to" | "x-envelope-to"
        ) {
            let raw = &bytes[h.offset_start() as usize..h.offset_end() as usize];
            for m in ADDRESS.find_iter(&String::from_utf8_lossy(raw)) {
                let a = lower(m.as_str());
                if !delivered_to.contains(&a) {
                    delivered_to.push(a);
                }
            }
        }
    }
    let text = match message.body_text(0) {
        Some(t) => t.into_owned(),
        None => message
            .body_html(0)
            .map(|h| crate::ingest::html::to_text(&h))
            .unwrap_or_default(),
    };
    let digest = hex::encode(Sha256::digest(match &message_id {
        Some(id) => format!("message-id:{id}").into_bytes(),
        None => format!("{from}\n{subject}\n{text}").into_bytes(),
    }));
    let header = |name: &str| -> Option<String> {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };

    // 1. A standard delivery status notification (RFC 3464).
    let report = message.parts.iter().find_map(|p| {
        let ct = p.content_type()?;
        let sub = ct.subtype().unwrap_or_default().to_ascii_lowercase();
        (ct.ctype().eq_ignore_ascii_case("message") && sub == "delivery-status").then(|| {
            match &p.body {
                PartType::Text(t) => t.to_string(),
                PartType::Binary(b) | PartType::InlineBinary(b) => {
                    String::from_utf8_lossy(b).into_owned()
                }
                PartType::Message(m) => String::from_utf8_lossy(m.raw_message()).into_owned(),
                _ => String::new(),
            }
        })
    });
    if let Some(report) = report {
        return Ok(Inbound {
            kind: Kind::Bounce(from_dsn(&report, &text)),
            digest,
            message_id,
            from,
            subject,
            delivered_to,
            text,
        });
    }

    // 2. A home-made bounce: from the mail system, or worded like one.
    let local = from.split('@').next().unwrap_or_default();
    let system_sender = ["mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"]
        .iter()
        .any(|s| local.eq_ignore_ascii_case(s));
    let subj = subject.to_lowercase();
    let bounce_words = [
        "undeliverable",
        "undelivered mail",
        "delivery status notification (failure)",
        "delivery failure",
        "delivery has failed",
        "failure notice",
        "returned mail",
        "mail delivery failed",
        "配信できませんでした",
        "配送できませんでした",
        "配信不能",
        "配送不能",
        "宛先不明",
        "エラーメール",
    ];
    let worded = bounce_words
        .iter()
        .any(|w| subj.contains(w) || (system_sender && text.to_lowercase().contains(w)));
    let qmail = text.contains("This is the qmail-send program");
    if system_sender || worded || qmail {
        return Ok(Inbound {
            kind: Kind::Bounce(from_text(&text)),
            digest,
            message_id,
            from,
            subject,
            delivered_to,
            text,
        });
    }

    // 3. An answer by a machine.
    let auto_submitted = header("Auto-Submitted").is_some_and(|v| !v.starts_with("no"));
    let auto_flag = ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"]
        .iter()
        .any(|h| header(h).is_some())
        || header("Precedence").is_some_and(|v| v.contains("auto_reply"));
    let auto_words = [
        "不在",
        "自動応答",
        "自動返信",
        "out of office",
        "out of the office",
        "automatic reply",
        "autoreply",
        "auto:",
    ];
    if auto_submitted || auto_flag || auto_words.iter().any(|w| subj.contains(w)) {
        return Ok(Inbound {
            kind: Kind::AutoReply,
            digest,
            message_id,
            from,
            subject,
            delivered_to,
            text,
        });
    }

    // 4. A person.
    Ok(Inbound {
        kind: Kind::Reply {
            state: stated(&text),
        },
        digest,
        message_id,
        from,
        subject,
        delivered_to,
        text,
    })
}

/// A header section with every folded line joined to the one before: the line break and the
/// whitespace around it become one space.
fn unfold(fields: &str) -> String {
    let mut out = String::with_capacity(fields.len());
    for line in fields.split('\n') {
        if line.starts_with([' ', '\t']) && !out.is_empty() {
            while out.ends_with([' ', '\t']) {
                out.pop();
            }
            out.push(' ');
            out.push_str(line.trim_start_matches([' ', '\t']));
        } else {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
    }
    out
}

/// The first recipient block of a DSN that failed (or was delayed).
fn from_dsn(report: &str, text: &str) -> Bounce {
    let mut recipient = None;
    let mut status = None;
    let mut action = None;
    let mut diagnostic = None;
    // Unfold continuation lines (a line break and all the whitespace after it are one space,
    // RFC 5322 §2.2.3), then read `Field: value`.
    let unfolded = unfold(&report.replace("\r\n", "\n"));
    for line in unfolded.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "final-recipient" | "original-recipient" if recipient.is_none() => {
                let addr = value.split_once(';').map_or(value, |(_, a)| a);
                recipient = Some(lower(addr));
            }
            "action" if action.is_none() => action = Some(value.to_ascii_lowercase()),
            "status" if status.is_none() => status = Some(value.to_owned()),
            "diagnostic-code" if diagnostic.is_none() => {
                let d = value.split_once(';').map_or(value, |(_, d)| d).trim();
                diagnostic = Some(d.to_owned());
            }
            _ => {}
        }
    }
    let delayed = action.as_deref() == Some("delayed");
    let status = status
        .and_then(|s| ENHANCED.find(&s).map(|m| m.as_str().to_owned()))
        .or_else(|| code_in(diagnostic.as_deref().unwrap_or(text)));
    let permanent = !delayed && status.as_deref().is_some_and(|s| s.starts_with('5'));
    let reason = diagnostic
        .or_else(|| first_reason_line(text))
        .unwrap_or_else(|| "the report gives no reason".into());
    Bounce {
        recipient,
        status,
        reason: clip(&reason),
        permanent,
        delayed,
    }
}

/// A bounce written as prose (Exchange, qmail, a gateway's Japanese notice).
fn from_text(text: &str) -> Bounce {
    let status = code_in(text);
    let permanent = status.as_deref().is_some_and(|s| s.starts_with('5'))
        || text.contains("permanent error")
        || text.contains("Permanent Failure")
        || (status.is_none()
            && [
                "配信できませんでした",
                "宛先不明",
                "存在しません",
                "does not exist",
            ]
            .iter()
            .any(|w| text.contains(w)));
    let recipient = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .find_map(|l| ADDRESS.find(l).map(|m| lower(m.as_str())));
    Bounce {
        recipient,
        status,
        reason: clip(&first_reason_line(text).unwrap_or_else(|| "配信不能の通知".into())),
        permanent,
        delayed: false,
    }
}

fn code_in(text: &str) -> Option<String> {
    ENHANCED
        .find(text)
        .map(|m| m.as_str().to_owned())
        .or_else(|| SMTP_CODE.captures(text).map(|c| c[1].to_owned()))
}

/// The line that says why: the first one carrying a status code, else the first of the text.
fn first_reason_line(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('>'))
        .collect();
    lines
        .iter()
        .find(|l| ENHANCED.is_match(l) || SMTP_CODE.is_match(&format!(" {l} ")))
        .or(lines.first())
        .map(|l| (*l).to_owned())
}

fn clip(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect::<String>()
}

/// The state a reply's first own line names: 受領 / 対応中 / 対応完了 / 該当なし or the English
/// labels, at the start of the first non-empty line that is not quoted.
pub fn stated(text: &str) -> Option<AckState> {
    let first = text
        .lines()
        .map(|l| l.trim_start_matches(['\u{feff}', ' ', '\u{3000}', '\t']))
        .find(|l| !l.trim().is_empty() && !l.starts_with('>'))?;
    // Longest first: 対応完了 before 対応中 would not matter, but "In progress" vs others does not
    // overlap either; keep the order explicit.
    let ja = [
        ("対応完了", AckState::Done),
        ("対応中", AckState::InProgress),
        ("受領", AckState::Received),
        ("該当なし", AckState::NotApplicable),
    ];
    if let Some((_, s)) = ja.iter().find(|(w, _)| first.starts_with(w)) {
        return Some(*s);
    }
    let l = first.to_ascii_lowercase();
    let en = [
        ("not applicable", AckState::NotApplicable),
        ("in progress", AckState::InProgress),
        ("received", AckState::Received),
        ("done", AckState::Done),
    ];
    en.iter()
        .find(|(w, _)| {
            l.starts_with(w)
                && l[w.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_ascii_alphanumeric())
        })
        .map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_own_line_names_the_state() {
        assert_eq!(stated("受領しました。\n> 受領"), Some(AckState::Received));
        assert_eq!(stated("\n\n　対応完了です"), Some(AckState::Done));
        assert_eq!(stated("> 対応完了\n質問があります"), None);
        assert_eq!(stated("Done, thanks"), Some(AckState::Done));
        assert_eq!(stated("Doneness unknown"), None);
        assert_eq!(
            stated("not applicable to us"),
            Some(AckState::NotApplicable)
        );
        assert_eq!(stated(""), None);
    }

    #[test]
    fn a_folded_diagnostic_code_is_one_line_with_single_spaces() {
        let report = "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@city.example.lg.jp\r\n\
                      Action: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <a@city.example.lg.jp>:\r\n\
                      \x20   Recipient address rejected: User unknown in\r\n\
                      \t  local recipient table\r\n";
        let b = from_dsn(report, "");
        assert_eq!(
            b.reason,
            "550 5.1.1 <a@city.example.lg.jp>: Recipient address rejected: User unknown in local recipient table"
        );
        assert_eq!(b.status.as_deref(), Some("5.1.1"));
        assert!(b.permanent);
        assert_eq!(unfold("A: b\n c\nD: e"), "A: b c\nD: e");
        assert_eq!(unfold(" leading"), " leading");
    }

    #[test]
    fn codes_and_reasons_are_found_in_prose() {
        let b = from_text(
            "Delivery has failed to these recipients:\n\nuser@x.lg.jp\nRemote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'",
        );
        assert_eq!(b.status.as_deref(), Some("5.1.1"));
        assert!(b.permanent);
        assert_eq!(b.recipient.as_deref(), Some("user@x.lg.jp"));
        let t = from_text("452 mailbox full, try later");
        assert_eq!(t.status.as_deref(), Some("452"));
        assert!(!t.permanent);
    }
}

/// A reply's own words: its lines before the quoted mail (a `>` line, or a client's
/// "-----Original Message-----" / 「…wrote:」 / 「…書きました:」 header), trimmed, at most 5,000
/// characters.
pub fn own_text(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let quote_header = t.starts_with('>')
            || t.contains("Original Message")
            || t.ends_with("wrote:")
            || t.ends_with("書きました:")
            || t.ends_with("書きました：")
            || t.ends_with("のメッセージ:");
        if quote_header {
            break;
        }
        out.push(line.trim_end());
    }
    out.join("\n").trim().chars().take(5_000).collect()
}

/// A subject without its `Re:`, `RE:`, `Fwd:`, `返信:`, `転送:` prefixes.
pub fn subject_without_prefixes(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let cut = ["re:", "fw:", "fwd:", "aw:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| p.len())
            .or_else(|| {
                ["返信:", "転送:", "返信：", "転送："]
                    .iter()
                    .find(|p| s.starts_with(*p))
                    .map(|p| p.len())
            });
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => return s.to_owned(),
        }
    }
}

#[cfg(test)]
mod own_text_tests {
    use super::*;

    #[test]
    fn a_replys_own_words_stop_at_the_quote() {
        let text = "訓練の報告は、庁内の連絡が終わってからでよいでしょうか。\n\n2026/12/05 10:00 Noroshi が書きました:\n> 訓練です";
        assert_eq!(
            own_text(text),
            "訓練の報告は、庁内の連絡が終わってからでよいでしょうか。"
        );
        assert_eq!(own_text("> only quoted"), "");
        assert_eq!(subject_without_prefixes("Re: RE: 返信: 訓練"), "訓練");
    }
}
