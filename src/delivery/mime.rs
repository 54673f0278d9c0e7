//! Writing RFC 5322/MIME messages by hand, so every byte is ours to sign: RFC 2047 encoded-words
//! in UTF-8 or ISO-2022-JP, folded header lines, text/plain first with an optional text/html
//! alternative, base64 (UTF-8) or 7bit (ISO-2022-JP, every line back in ASCII), CRLF throughout.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::domain::mail::MailEncoding;

pub use crate::domain::mail::Mailbox;

impl Mailbox {
    fn header_value(&self, encoding: MailEncoding) -> String {
        match &self.name {
            Some(n) => {
                let words = encode_words(n, encoding);
                let last = words.rsplit("\r\n").next().unwrap_or_default().len();
                // "From: " plus the last line of the name must leave room for the address.
                let sep = if "From: ".len() + last + self.address.len() + 3 > 78 {
                    "\r\n "
                } else {
                    " "
                };
                format!("{words}{sep}<{}>", self.address)
            }
            None => self.address.clone(),
        }
    }
}

/// Text made safe for ISO-2022-JP: characters outside JIS X 0208 and the NEC/IBM extensions
/// that Japanese mail clients decode (the WHATWG jis0208 index) become 〓 (the customary
/// substitute); returns the text and how many were replaced.
pub fn jis_safe(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut replaced = 0;
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        let (_, _, unmappable) = encoding_rs::ISO_2022_JP.encode(c.encode_utf8(&mut buf));
        if unmappable {
            out.push('〓');
            replaced += 1;
        } else {
            out.push(c);
        }
    }
    (out, replaced)
}

fn iso2022jp(text: &str) -> Vec<u8> {
    encoding_rs::ISO_2022_JP.encode(text).0.into_owned()
}

fn needs_encoding(s: &str) -> bool {
    !s.bytes().all(|b| (0x20..0x7f).contains(&b)) || s.contains("=?")
}

/// RFC 2047 B encoded-words, split on character boundaries so each word stays under 76
/// characters, joined by folding whitespace.
pub fn encode_words(text: &str, encoding: MailEncoding) -> String {
    if !needs_encoding(text) {
        return text.to_owned();
    }
    let (charset, text) = match encoding {
        MailEncoding::Utf8 => ("UTF-8", text.to_owned()),
        MailEncoding::Iso2022Jp => ("ISO-2022-JP", jis_safe(text).0),
    };
    // Each word, with "Subject: " or the folding space before it, fits in 78 characters.
    let overhead = charset.len() + 7;
    let max_raw = (66 - overhead) / 4 * 3;
    let mut words = Vec::new();
    let mut chunk = String::new();
    let encoded_len = |s: &str| match encoding {
        MailEncoding::Utf8 => s.len(),
        MailEncoding::Iso2022Jp => iso2022jp(s).len(),
    };
    for c in text.chars() {
        chunk.push(c);
        if encoded_len(&chunk) > max_raw {
            chunk.pop();
            words.push(std::mem::take(&mut chunk));
            chunk.push(c);
        }
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| {
            let bytes = match encoding {
                MailEncoding::Utf8 => w.as_bytes().to_vec(),
                MailEncoding::Iso2022Jp => iso2022jp(w),
            };
            format!("=?{charset}?B?{}?=", STANDARD.encode(bytes))
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// Base64 in lines of 76 characters.
fn base64_lines(bytes: &[u8]) -> String {
    let encoded = STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38);
    for (i, chunk) in encoded.as_bytes().chunks(76).enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out
}

/// Text with CRLF line ends and no line longer than `max` characters (hard-wrapped).
fn normalise_lines(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        // "-- " is the signature separator: its space is meaningful.
        let line = if line == "-- " { line } else { line.trim_end() };
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        for piece in chars.chunks(max) {
            out.push(piece.iter().collect());
        }
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// What a message says, before encoding.
pub struct Content<'a> {
    pub from: &'a Mailbox,
    pub subject: &'a str,
    /// `Mon, 16 Nov 2026 17:30:00 +0900`
    pub date: &'a str,
    /// Headers the same for every recipient of a signature group (List-Id, X-Noroshi-*…).
    pub common_headers: &'a [(String, String)],
    pub text: &'a str,
    pub html: Option<&'a str>,
    pub encoding: MailEncoding,
    /// A boundary unique to this content (for multipart bodies).
    pub boundary: &'a str,
}

/// A message without its recipient: every header here is the same for everyone who gets this
/// content, so all of them are signed, once.
#[derive(Debug, Clone)]
pub struct Built {
    /// Header fields in order, values already encoded and folded.
    pub headers: Vec<(String, String)>,
    /// Names of the headers a DKIM signature covers.
    pub signed: Vec<String>,
    /// Everything after the blank line.
    pub body: Vec<u8>,
    /// Characters replaced for ISO-2022-JP.
    pub replaced: usize,
}

impl Built {
    /// The message as sent to one recipient: DKIM-Signature headers first, then the
    /// recipient's own headers (see [`recipient_headers`]), then the shared ones.
    pub fn to_bytes(&self, dkim: &[String], recipient: &[(String, String)]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.body.len() + 2048);
        for d in dkim {
            out.extend_from_slice(b"DKIM-Signature: ");
            out.extend_from_slice(d.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        for (name, value) in recipient.iter().chain(&self.headers) {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

fn text_part(text: &str, encoding: MailEncoding) -> (String, String, Vec<u8>, usize) {
    match encoding {
        MailEncoding::Utf8 => {
            let lines = normalise_lines(text, 500).join("\r\n") + "\r\n";
            (
                "text/plain; charset=UTF-8".into(),
                "base64".into(),
                (base64_lines(lines.as_bytes()) + "\r\n").into_bytes(),
                0,
            )
        }
        MailEncoding::Iso2022Jp => {
            let (safe, replaced) = jis_safe(text);
            // Each line is encoded alone so it starts and ends in ASCII (RFC 1468); 300 JIS
            // characters stay well under the 998-octet line limit.
            let mut body = Vec::new();
            for line in normalise_lines(&safe, 300) {
                body.extend_from_slice(&iso2022jp(&line));
                body.extend_from_slice(b"\r\n");
            }
            (
                "text/plain; charset=ISO-2022-JP".into(),
                "7bit".into(),
                body,
                replaced,
            )
        }
    }
}

/// The headers that differ per recipient: the one address in To, and the message's identity
/// and thread (ids without angle brackets). No other recipient is ever named.
pub fn recipient_headers(
    to: &str,
    message_id: &str,
    in_reply_to: Option<&str>,
    references: &[String],
) -> Vec<(String, String)> {
    let mut headers = vec![
        ("To".to_owned(), to.to_owned()),
        ("Message-ID".to_owned(), format!("<{message_id}>")),
    ];
    if let Some(r) = in_reply_to {
        headers.push(("In-Reply-To".into(), format!("<{r}>")));
    }
    if !references.is_empty() {
        let refs: Vec<String> = references.iter().map(|r| format!("<{r}>")).collect();
        headers.push(("References".into(), refs.join("\r\n ")));
    }
    headers
}

/// Builds the shared part of a message.
pub fn build(c: &Content<'_>) -> Built {
    let mut headers: Vec<(String, String)> = vec![
        ("From".into(), c.from.header_value(c.encoding)),
        ("Subject".into(), encode_words(c.subject, c.encoding)),
        ("Date".into(), c.date.to_owned()),
        ("MIME-Version".into(), "1.0".into()),
    ];
    let (text_type, text_cte, text_body, replaced) = text_part(c.text, c.encoding);
    let html = c.html.filter(|_| c.encoding == MailEncoding::Utf8);
    let body = match html {
        None => {
            headers.push(("Content-Type".into(), text_type));
            headers.push(("Content-Transfer-Encoding".into(), text_cte));
            text_body
        }
        Some(html) => {
            headers.push((
                "Content-Type".into(),
                format!("multipart/alternative;\r\n boundary=\"{}\"", c.boundary),
            ));
            let mut body = Vec::new();
            let part = |body: &mut Vec<u8>, ctype: &str, cte: &str, content: &[u8]| {
                body.extend_from_slice(
                    format!(
                        "--{}\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n",
                        c.boundary
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(content);
            };
            part(&mut body, &text_type, &text_cte, &text_body);
            let html_body = base64_lines(html.replace('\n', "\r\n").as_bytes()) + "\r\n";
            part(
                &mut body,
                "text/html; charset=UTF-8",
                "base64",
                html_body.as_bytes(),
            );
            body.extend_from_slice(format!("--{}--\r\n", c.boundary).as_bytes());
            body
        }
    };
    headers.extend(c.common_headers.iter().cloned());
    let signed = headers.iter().map(|(n, _)| n.clone()).collect();
    Built {
        headers,
        signed,
        body,
        replaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_parse_with_and_without_names() {
        let m = Mailbox::parse("Noroshi 自治体CEPTOAR <noreply@noroshi.example>");
        assert_eq!(m.as_ref().map(|m| m.domain()), Ok("noroshi.example"));
        assert_eq!(m.map(|m| m.name), Ok(Some("Noroshi 自治体CEPTOAR".into())));
        assert!(Mailbox::parse("a@b.jp, c@d.jp").is_err());
        assert!(Mailbox::parse("x <a@b.jp>\r\nBcc: c@d.jp").is_err());
    }

    #[test]
    fn encoded_words_stay_short_and_decode_back() {
        let subject = "[Noroshi][緊急][TLP:AMBER] Fortinet製FortiOSのSSL-VPN機能の脆弱性（CVE-2024-21762）に関する注意喚起";
        for enc in [MailEncoding::Utf8, MailEncoding::Iso2022Jp] {
            let encoded = encode_words(subject, enc);
            for line in encoded.split("\r\n") {
                assert!(line.len() <= 76, "{line}");
            }
            let decoded: String = encoded
                .split("\r\n ")
                .map(|w| {
                    let b64 = w.rsplit('?').nth(1).unwrap_or("");
                    let bytes = STANDARD.decode(b64).unwrap_or_default();
                    match enc {
                        MailEncoding::Utf8 => String::from_utf8(bytes).unwrap_or_default(),
                        MailEncoding::Iso2022Jp => {
                            encoding_rs::ISO_2022_JP.decode(&bytes).0.into_owned()
                        }
                    }
                })
                .collect();
            assert_eq!(decoded, subject);
        }
        assert_eq!(
            encode_words("plain ASCII", MailEncoding::Utf8),
            "plain ASCII"
        );
    }

    #[test]
    fn characters_outside_jis_become_geta() {
        assert_eq!(jis_safe("髙橋①さん🙂"), ("髙橋①さん〓".to_owned(), 1));
        assert_eq!(jis_safe("𠮷野家").1, 1, "JIS X 0213 only: not carried");
        assert_eq!(jis_safe("ｶﾅ").1, 0, "half-width kana map to full-width");
    }

    #[test]
    fn iso_2022_jp_bodies_are_7bit_and_every_line_ends_in_ascii() {
        let built = build(&Content {
            from: &Mailbox::parse("N <n@x.jp>").unwrap_or_else(|_| unreachable!()),
            subject: "件名",
            date: "Mon, 16 Nov 2026 17:30:00 +0900",
            common_headers: &[],
            text: "一行目\n二行目は長い".repeat(3).as_str(),
            html: Some("<p>ignored for ISO-2022-JP</p>"),
            encoding: MailEncoding::Iso2022Jp,
            boundary: "b",
        });
        assert!(built.body.is_ascii());
        for line in built.body.split(|b| *b == b'\n') {
            assert!(
                !line.ends_with(b"\x1b$B")
                    && (line.is_empty() || line.windows(3).last().is_none_or(|w| w != b"\x1b$B"))
            );
        }
        let text = encoding_rs::ISO_2022_JP.decode(&built.body).0;
        assert!(text.contains("二行目は長い"));
        assert!(
            !built.headers.iter().any(|(_, v)| v.contains("multipart")),
            "no HTML for ISO-2022-JP readers"
        );
    }
}
