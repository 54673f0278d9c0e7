//! The text of an alert mail: plain text first, readable when an LGWAN gateway strips HTML,
//! links and attachments — alert id, severity, TLP and what it allows, what to do, the deadline,
//! the portal path, and how to acknowledge. Drills say 【訓練】 in the subject and the body.

use chrono::{DateTime, Utc};

use crate::alerts::Revision;
use crate::delivery::store::Kind;
use crate::domain::Language;
use crate::domain::text::escape_html as escape;
use crate::domain::{Severity, Tlp};
use crate::time::format_jst;

/// The revision and the alert it belongs to, as a mail needs them.
pub struct Letter<'a> {
    pub public_id: &'a str,
    pub revision: &'a Revision,
    /// `https://noroshi.example.lg.jp/`
    pub base_url: &'a url::Url,
    /// The revision itself, a reminder of it, or an escalation to a prefecture.
    pub kind: crate::delivery::store::Kind,
    /// The code a reply quotes to report by mail (mail to an addressed organisation only).
    pub reply_code: Option<&'a str>,
    /// 発信者: the prefecture that sends its own alert (`None`: the centre).
    pub sender: Option<&'a str>,
    /// 問合せ先.
    pub inquiries: &'a str,
}

impl Letter<'_> {
    fn severity(&self) -> Severity {
        self.revision.severity
    }

    fn tlp(&self) -> Tlp {
        self.revision.tlp
    }

    fn portal_path(&self) -> String {
        format!("/alerts/{}", self.public_id)
    }

    fn portal_url(&self) -> String {
        self.base_url
            .join(self.portal_path().trim_start_matches('/'))
            .map(|u| u.to_string())
            .unwrap_or_else(|_| self.portal_path())
    }

    /// `【訓練】[Noroshi][緊急][TLP:AMBER][第2報] title`
    pub fn subject(&self) -> String {
        let r = self.revision;
        let mut s = String::new();
        if r.drill {
            s.push_str("【訓練】");
        }
        match self.kind {
            Kind::Reminder => s.push_str("【督促・要報告】"),
            Kind::Chase => s.push_str("【対応状況の確認】"),
            Kind::Escalation => s.push_str("【管内未報告あり】"),
            // A magazine copy is never an alert's letter (`AlertMail::compose` takes alerts' rows).
            Kind::Alert | Kind::Magazine => {}
        }
        s.push_str("[Noroshi]");
        if r.kind.is_withdrawal() {
            s.push_str("[取消]");
        } else {
            s.push_str(&format!("[{}]", self.severity().label_ja()));
        }
        s.push_str(&format!("[TLP:{}]", self.tlp().as_str()));
        if r.number > 1 && !r.kind.is_withdrawal() {
            s.push_str(&format!("[第{}報]", r.number));
        }
        s.push(' ');
        s.push_str(&r.title);
        s
    }

    /// The plain-text body.
    pub fn text(
        &self,
        lang: Language,
        deadline: Option<DateTime<Utc>>,
        ack_url: Option<&str>,
    ) -> String {
        let r = self.revision;
        let ja = lang == Language::Ja;
        let mut out = String::new();
        if r.drill {
            out.push_str(if ja {
                "【訓練】これは連絡体制の確認訓練です。実際の脅威に関する通知ではありません。\n受領の報告は実際の注意喚起と同じ手順で行ってください。\n\n"
            } else {
                "[DRILL] This is a communication drill, not a real threat. Acknowledge it as you would a real alert.\n\n"
            });
        }
        match (self.kind, ja) {
            (Kind::Reminder, true) => out.push_str(
                "【督促】この注意喚起について、貴団体からの受領・対応状況の報告がまだ登録されていません。\n内容を確認し、下記の方法で報告してください。\n\n",
            ),
            (Kind::Reminder, false) => out.push_str(
                "[REMINDER] Your organisation has not yet acknowledged this alert. Please read it and report your status as described below.\n\n",
            ),
            (Kind::Chase, true) => out.push_str(
                "【対応状況の確認】貴団体の報告は「受領」または「対応中」のまま、対応期限を過ぎています。\n対応が完了したら「対応完了」を、該当しない場合は「該当なし」を、下記の方法で報告してください。\n\n",
            ),
            (Kind::Chase, false) => out.push_str(
                "[STATUS CHECK] Your organisation reported Received or In progress and the deadline has passed. When you are done, report Done (or Not applicable) as described below.\n\n",
            ),
            (Kind::Escalation, true) => out.push_str(&format!(
                "【管内未報告】管内の市区町村の一部から、この注意喚起の受領報告がまだありません。\n未報告の団体はダッシュボードで確認できます: {}/board\n各団体への連絡をお願いします。\n\n",
                self.portal_url()
            )),
            (Kind::Escalation, false) => out.push_str(&format!(
                "[ESCALATION] Some municipalities of your prefecture have not acknowledged this alert.\nSee which on the board: {}/board\n\n",
                self.portal_url()
            )),
            (Kind::Alert | Kind::Magazine, _) => {}
        }
        let label = if r.kind.is_withdrawal() {
            if ja {
                "注意喚起の取消"
            } else {
                "Withdrawal of alert"
            }
        } else if ja {
            "注意喚起"
        } else {
            "Alert"
        };
        let number = if ja {
            format!("第{}報", r.number)
        } else {
            format!("update {}", r.number)
        };
        out.push_str(&format!("{label} {}（{number}）\n", self.public_id));
        out.push_str(&format!(
            "{}: {}\n",
            if ja { "深刻度" } else { "Severity" },
            if ja {
                self.severity().label_ja()
            } else {
                self.severity().as_str()
            }
        ));
        out.push_str(&format!(
            "TLP:{}（{}）\n",
            self.tlp().as_str(),
            self.tlp().meaning(lang)
        ));
        if let Some(d) = deadline {
            out.push_str(&if ja {
                format!(
                    "対応期限: {} までに受領と対応状況を報告してください\n",
                    crate::time::format_deadline(&d, crate::time::DateStyle::Western)
                )
            } else {
                format!(
                    "Deadline: acknowledge and report your status by {} ({})\n",
                    format_jst(&d),
                    d.with_timezone(&crate::time::jst_offset()).format("%A")
                )
            });
        }
        if let Some(changes) = r.changes.as_deref().filter(|c| !c.trim().is_empty()) {
            out.push_str(&format!(
                "\n■ {}\n{}\n",
                if ja {
                    format!("{number}での変更点")
                } else {
                    "What changed".to_owned()
                },
                changes.trim()
            ));
        }
        out.push_str(&format!(
            "\n■ {}\n{}\n\n{}\n",
            if ja { "件名" } else { "Title" },
            r.title,
            r.body.trim()
        ));
        out.push_str(&format!(
            "\n■ {}\n",
            if ja {
                "受領・対応状況の報告"
            } else {
                "How to acknowledge"
            }
        ));
        if let Some(url) = ack_url {
            out.push_str(&if ja {
                format!(
                    "次のリンクから報告できます（貴団体専用です。転送しないでください。開くだけでは何も記録されません）:\n{url}\n"
                )
            } else {
                format!(
                    "Report with this link (for your organisation only; do not forward it; opening it records nothing):\n{url}\n"
                )
            });
        }
        if let Some(code) = self.reply_code {
            out.push_str(&if ja {
                format!(
                    "このメールへの返信でも報告できます。本文の1行目に「受領」「対応中」「対応完了」「該当なし」のいずれかを書き、次の返信用コードを残したまま（引用のままで可）、登録済みの連絡先アドレスから返信してください。\n返信用コード: {code}\n"
                )
            } else {
                format!(
                    "You may also reply to this mail: write Received, In progress, Done or Not applicable on the first line, keep this reply code (quoting is fine) and reply from your registered contact address.\nReply code: {code}\n"
                )
            });
        }
        if ja {
            out.push_str(&format!(
                "Noroshi ポータルで報告してください: {}\nリンクが無効化されている場合は、ポータルにログインし「受信一覧」から {} を開いてください（パス: {}）。\n",
                self.portal_url(),
                self.public_id,
                self.portal_path()
            ));
        } else {
            out.push_str(&format!(
                "Report in the Noroshi portal: {}\nIf links are removed, sign in and open {} from the inbox (path {}).\n",
                self.portal_url(),
                self.public_id,
                self.portal_path()
            ));
        }
        out.push_str(&match (ja, self.sender) {
            (true, Some(sender)) => format!(
                "\n-- \n発信: {sender}（Noroshi 自治体CEPTOAR 経由）\n問合せ先: {}\n",
                self.inquiries
            ),
            (true, None) => format!(
                "\n-- \nNoroshi（狼煙）自治体CEPTOAR 注意喚起配信\n問合せ先: {}\n",
                self.inquiries
            ),
            (false, Some(sender)) => format!(
                "\n-- \nFrom: {sender} (through Noroshi)\nInquiries: {}\n",
                self.inquiries
            ),
            (false, None) => format!(
                "\n-- \nNoroshi, advisory hub for Japanese local governments\nInquiries: {}\n",
                self.inquiries
            ),
        });
        out
    }

    /// The HTML alternative: the same text, escaped, with the portal link live.
    pub fn html(&self, text: &str, ack_url: Option<&str>) -> String {
        let mut body = escape(text);
        for url in [Some(self.portal_url()), ack_url.map(str::to_owned)]
            .into_iter()
            .flatten()
        {
            body = body.replace(
                &escape(&url),
                &format!("<a href=\"{}\">{}</a>", escape(&url), escape(&url)),
            );
        }
        format!(
            "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body><pre style=\"font-family:sans-serif;white-space:pre-wrap\">{body}</pre></body></html>\n",
            escape(&self.subject())
        )
    }
}
