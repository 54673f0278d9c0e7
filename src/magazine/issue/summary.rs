//! An item's summary in an issue: the first sentence that says something, not the letter's
//! salutation (「管内の区市町村の情報セキュリティ担当者各位」), greeting (「平素より…」) or a
//! bracketed aside (「（デモ用の架空の注意喚起です。）」).

/// Whether a line only addresses or greets the reader.
fn is_preamble(line: &str) -> bool {
    let l = line.trim_end_matches(['。', '、', ' ', '　']);
    l.ends_with("各位")
        || l.ends_with("御中")
        || l.ends_with("様")
        || l.ends_with("殿")
        || ["平素", "いつも", "お世話", "お疲れ", "拝啓", "前略", "日頃"]
            .iter()
            .any(|g| l.starts_with(g))
        || ((l.starts_with('（') && l.ends_with('）')) || (l.starts_with('(') && l.ends_with(')')))
}

/// The first line that is not a preamble, cut at its first sentence when that is long enough
/// to stand alone, and at `max` characters.
pub fn summary_of(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .find(|l| !is_preamble(l))
        .unwrap_or_default();
    let sentence = match line.find('。') {
        Some(i) if line[..i].chars().count() >= 20 => &line[..i + '。'.len_utf8()],
        _ => line,
    };
    if sentence.chars().count() > max {
        sentence.chars().take(max).collect::<String>() + "…"
    } else {
        sentence.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::summary_of;

    #[test]
    fn the_summary_skips_the_salutation_and_the_greeting() {
        let body = "管内の区市町村の情報セキュリティ担当者各位\n\n平素より大変お世話になっております。\n\
                    都内の複数の団体で、請求書を装った不審なメールが確認されています。添付ファイルを開かないでください。\n";
        assert_eq!(
            summary_of(body, 120),
            "都内の複数の団体で、請求書を装った不審なメールが確認されています。"
        );
        assert_eq!(
            summary_of(
                "（デモ用の架空の注意喚起です。）\n\nVPN 装置に脆弱性があります",
                120
            ),
            "VPN 装置に脆弱性があります"
        );
        assert_eq!(
            summary_of("あ".repeat(200).as_str(), 10),
            format!("{}…", "あ".repeat(10))
        );
    }
}
