//! A cheap look at a raw message before anyone parses it: its size, how many MIME parts it
//! declares and how deeply they nest. A message built to make a MIME parser work for minutes —
//! thousands of parts, each declaring a boundary that never comes (review 3 N-M1: 1.9 MB took
//! 26 s to parse, inside the database's write lock) — is refused here in a linear scan.

/// What a message may be to be parsed at all.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bytes: usize,
    /// `Content-Type: multipart/…` declarations, counted anywhere in the message.
    pub max_multiparts: usize,
    /// Part headers (`Content-Type:` lines), counted anywhere in the message.
    pub max_parts: usize,
}

/// A bounce or a reply: a DSN quotes one alert mail, a reply a few lines; far under these.
pub const RETURNED: Limits = Limits {
    max_bytes: 256 * 1024,
    max_multiparts: 16,
    max_parts: 64,
};

/// A NISC/NCO notice: text with a few attachments.
pub const NOTICE: Limits = Limits {
    max_bytes: 20 * 1024 * 1024,
    max_multiparts: 32,
    max_parts: 256,
};

/// Refuses a message that is too large or declares too many parts; `Err` says which.
pub fn check(raw: &[u8], limits: Limits) -> Result<(), String> {
    if raw.len() > limits.max_bytes {
        return Err(format!(
            "the message is {} bytes; at most {} are read",
            raw.len(),
            limits.max_bytes
        ));
    }
    let mut parts = 0usize;
    let mut multiparts = 0usize;
    for line in raw.split(|b| *b == b'\n') {
        let line = line.strip_prefix(b" ").unwrap_or(line);
        if line.len() < 13 || !line[..13].eq_ignore_ascii_case(b"content-type:") {
            continue;
        }
        parts += 1;
        let rest = &line[13..];
        if rest
            .windows(10)
            .any(|w| w.eq_ignore_ascii_case(b"multipart/"))
        {
            multiparts += 1;
        }
        if parts > limits.max_parts {
            return Err(format!(
                "the message declares more than {} MIME parts",
                limits.max_parts
            ));
        }
        if multiparts > limits.max_multiparts {
            return Err(format!(
                "the message declares more than {} multipart sections",
                limits.max_multiparts
            ));
        }
    }
    Ok(())
}

/// The reviewer's shape: `n` parts, each a multipart declaring a boundary that never appears.
#[cfg(any(test, feature = "bench"))]
pub fn hostile(n: usize) -> Vec<u8> {
    let mut m = String::from(
        "From: x@attacker.example\r\nTo: bounce@noroshi.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"OUT\"\r\n\r\n",
    );
    for i in 0..n {
        m.push_str(&format!(
            "--OUT\r\nContent-Type: multipart/mixed; boundary=\"never{i}\"\r\n\r\nzz\r\n"
        ));
    }
    m.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_declaring_thousands_of_parts_is_refused_at_once() {
        let m = hostile(28_522);
        assert!(m.len() > 1_800_000);
        let t = std::time::Instant::now();
        let e = check(&m, NOTICE).unwrap_err();
        assert!(e.contains("multipart"), "{e}");
        assert!(t.elapsed() < std::time::Duration::from_millis(500));
        assert!(check(&m, RETURNED).unwrap_err().contains("bytes"));
        let small = hostile(300);
        assert!(small.len() < RETURNED.max_bytes);
        assert!(check(&small, RETURNED).is_err());
        let dsn = b"From: MAILER-DAEMON@x\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n";
        assert_eq!(check(dsn, RETURNED), Ok(()));
    }
}
