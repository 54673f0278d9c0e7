//! Whether an inbound message was authenticated by our own mail server: NISC/NCO notices, and
//! replies that acknowledge an alert. Such a message is trusted only when the first `Authentication-Results` header (RFC 8601) — the one our MTA
//! adds on top, under its own authserv-id — says `dmarc=pass` for the sender's domain, or
//! `dkim=pass` with a signing domain aligned with it. A `From:` alone is what anyone can
//! write; an `Authentication-Results` lower down, or under another authserv-id, is what the
//! sender wrote, and counts for nothing. (The MTA must remove incoming headers that claim its
//! authserv-id, as RFC 8601 §5 asks; the README's postfix lines do.)

/// What one authentication method said: `dkim` → `pass`, with its properties.
#[derive(Debug, PartialEq, Eq)]
struct Result_ {
    method: String,
    result: String,
    props: Vec<(String, String)>,
}

/// The header section of a raw message, unfolded, as `(name, value)` pairs in order. Reads only
/// the header section: cheap on a message of any body.
pub fn headers(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(raw);
    let end = text
        .find("\r\n\r\n")
        .or_else(|| text.find("\n\n"))
        .unwrap_or(text.len());
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text[..end].split('\n') {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    out
}

/// Removes RFC 5322 comments, `(like this)`.
fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// `authserv-id; method=result prop=value …; …` → the id and the results.
fn parse(value: &str) -> Option<(String, Vec<Result_>)> {
    let value = strip_comments(value);
    let mut parts = value.split(';');
    let id = parts
        .next()?
        .split_whitespace()
        .next()?
        .to_ascii_lowercase();
    let mut results = Vec::new();
    for part in parts {
        let mut words = part.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        let props = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    v.trim_matches('"').to_ascii_lowercase(),
                )
            })
            .collect();
        results.push(Result_ {
            method: method.to_ascii_lowercase(),
            result: result.to_ascii_lowercase(),
            props,
        });
    }
    Some((id, results))
}

/// Whether `domain` is `signer` or under it (relaxed DMARC alignment).
fn aligned(domain: &str, signer: &str) -> bool {
    domain == signer || domain.ends_with(&format!(".{signer}"))
}

/// Checks the message against our MTA's verdict; `Err` says why it is not trusted.
pub fn check(raw: &[u8], authserv_id: &str, from: &str) -> Result<(), String> {
    let from_domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .ok_or_else(|| format!("the sender {from:?} has no domain"))?;
    let first = headers(raw)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Authentication-Results"))
        .ok_or_else(|| {
            format!("no Authentication-Results header: {authserv_id} did not check this message")
        })?;
    let (id, results) = parse(&first.1)
        .ok_or_else(|| "the Authentication-Results header cannot be read".to_owned())?;
    if id != authserv_id.to_ascii_lowercase() {
        return Err(format!(
            "the first Authentication-Results header is from {id}, not from our mail server {authserv_id}"
        ));
    }
    let prop = |r: &Result_, name: &str| {
        r.props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let dmarc = results.iter().any(|r| {
        r.method == "dmarc"
            && r.result == "pass"
            && prop(r, "header.from").is_none_or(|d| d == from_domain)
    });
    let dkim = results.iter().any(|r| {
        r.method == "dkim"
            && r.result == "pass"
            && prop(r, "header.d").is_some_and(|d| aligned(&from_domain, &d))
    });
    if dmarc || dkim {
        return Ok(());
    }
    let said: Vec<String> = results
        .iter()
        .filter(|r| matches!(r.method.as_str(), "dkim" | "dmarc" | "spf"))
        .map(|r| format!("{}={}", r.method, r.result))
        .collect();
    Err(format!(
        "{authserv_id} found no DKIM signature of {from_domain} and no DMARC pass ({})",
        if said.is_empty() {
            "no results".to_owned()
        } else {
            said.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "mx.noroshi.example";

    fn message(headers: &str) -> Vec<u8> {
        format!("{headers}From: notice@cyber.go.jp\r\nSubject: x\r\n\r\nbody\r\n").into_bytes()
    }

    #[test]
    fn our_servers_dkim_or_dmarc_pass_is_trusted() {
        for ar in [
            "Authentication-Results: mx.noroshi.example;\r\n\tdkim=pass (2048-bit key) header.d=cyber.go.jp header.s=s1\r\n",
            "Authentication-Results: mx.noroshi.example 1; spf=fail; dmarc=pass header.from=cyber.go.jp\r\n",
            "Authentication-Results: MX.Noroshi.Example; dkim=pass header.d=go.jp\r\n",
        ] {
            assert_eq!(
                check(&message(ar), ID, "notice@cyber.go.jp"),
                Ok(()),
                "{ar}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        let cases = [
            ("", "no Authentication-Results"),
            (
                "Authentication-Results: mx.noroshi.example; dkim=fail header.d=cyber.go.jp\r\n",
                "dkim=fail",
            ),
            (
                "Authentication-Results: mx.noroshi.example; dkim=pass header.d=evil.example\r\n",
                "no DKIM signature of cyber.go.jp",
            ),
            (
                "Authentication-Results: mx.evil.example; dkim=pass header.d=cyber.go.jp\r\n",
                "not from our mail server",
            ),
            // The sender's own header below ours counts for nothing.
            (
                "Authentication-Results: mx.noroshi.example; dkim=none\r\nAuthentication-Results: mx.noroshi.example; dkim=pass header.d=cyber.go.jp\r\n",
                "dkim=none",
            ),
            (
                "Authentication-Results: mx.noroshi.example; dmarc=pass header.from=evil.example\r\n",
                "dmarc=pass",
            ),
        ];
        for (ar, why) in cases {
            let e = check(&message(ar), ID, "notice@cyber.go.jp").unwrap_err();
            assert!(e.contains(why), "{ar}: {e}");
        }
    }
}
