//! The tokenizer of the case library's search: Japanese has no word spaces, so CJK text is cut
//! into overlapping character bigrams (標的型攻撃 → 標的 的型 型攻 攻撃) and latin text into
//! lower-cased words, after NFKC (ＶＰＮ = VPN, ｶﾅ = カナ) and after folding the spelling
//! variants official documents are full of (ウィルス/ウイルス, サーバー/サーバ, 漏洩/漏えい,
//! 改竄/改ざん). Every token keeps the byte span of the original text it came from, for
//! highlighting.

use unicode_normalization::UnicodeNormalization;

/// One token: its text, its position (for phrases) and where it was in the original text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub position: usize,
    pub from: usize,
    pub to: usize,
}

/// Spelling variants folded to one form (after NFKC and lower-casing).
const VARIANTS: &[(&str, &str)] = &[
    ("ウィルス", "ウイルス"),
    ("ヴィルス", "ウイルス"),
    ("漏洩", "漏えい"),
    ("改竄", "改ざん"),
    ("毀損", "き損"),
    ("隠蔽", "隠ぺい"),
    ("ぜい弱", "脆弱"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Cjk,
    Word,
    Other,
}

fn class(c: char) -> Class {
    match c {
        '\u{3041}'..='\u{309F}'   // hiragana
        | '\u{30A0}'..='\u{30FF}' // katakana, ー
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '々' | '〆' => Class::Cjk,
        c if c.is_alphanumeric() => Class::Word,
        _ => Class::Other,
    }
}

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c)
}

/// The text normalised character by character, each with the byte span it came from.
fn normalise(text: &str) -> Vec<(char, usize, usize)> {
    let mut out: Vec<(char, usize, usize)> = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        for n in std::iter::once(c).nfkc().flat_map(char::to_lowercase) {
            // A half-width voiced mark (ｶﾞ) becomes a combining one: compose it with the kana.
            if matches!(n, '\u{3099}' | '\u{309A}')
                && let Some(last) = out.last_mut()
            {
                let composed: String = [last.0, n].iter().collect::<String>().nfc().collect();
                let mut chars = composed.chars();
                if let (Some(one), None) = (chars.next(), chars.next()) {
                    *last = (one, last.1, end);
                    continue;
                }
            }
            out.push((n, at, end));
        }
    }
    fold_variants(out)
}

fn fold_variants(chars: Vec<(char, usize, usize)>) -> Vec<(char, usize, usize)> {
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    'outer: while i < chars.len() {
        for (from, to) in VARIANTS {
            let pattern: Vec<char> = from.chars().collect();
            if chars[i..].len() >= pattern.len()
                && chars[i..i + pattern.len()]
                    .iter()
                    .zip(&pattern)
                    .all(|(a, b)| a.0 == *b)
            {
                let (start, end) = (chars[i].1, chars[i + pattern.len() - 1].2);
                out.extend(to.chars().map(|c| (c, start, end)));
                i += pattern.len();
                continue 'outer;
            }
        }
        // サーバー = サーバ: a long-vowel mark ending a katakana word is dropped.
        let c = chars[i];
        let ends_word = chars
            .get(i + 1)
            .is_none_or(|n| !is_katakana(n.0) && n.0 != 'ー');
        if c.0 == 'ー' && i > 0 && is_katakana(chars[i - 1].0) && ends_word {
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `text` normalised the way the tokenizer sees it (NFKC, lower case, variants folded), for an
/// engine with a tokenizer of its own (Meilisearch) to index and query the same forms.
pub fn fold(text: &str) -> String {
    normalise(text).into_iter().map(|c| c.0).collect()
}

fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309F}').contains(&c)
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '々')
}

/// A query with the inflected ending (送り仮名) of each word cut after its last kanji, so a
/// word finds its other forms: 乗っ取り finds 乗っ取られ, 持ち帰り finds 持ち帰った. A word whose
/// stem would be a single character (漏えい, 改ざん) is kept whole, since one character is not a
/// token of the index; so are quoted phrases and words that are all kana.
pub fn trim_okurigana(query: &str) -> String {
    if query.contains('"') {
        return query.to_owned();
    }
    query
        .split_whitespace()
        .map(|word| {
            let chars: Vec<char> = word.chars().collect();
            let end = chars
                .iter()
                .rposition(|c| !is_hiragana(*c))
                .map_or(0, |i| i + 1);
            if end >= 2 && end < chars.len() && is_kanji(chars[end - 1]) {
                chars[..end].iter().collect()
            } else {
                word.to_owned()
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// The tokens of `text`.
pub fn tokens(text: &str) -> Vec<Token> {
    let chars = normalise(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let kind = class(chars[i].0);
        let mut j = i;
        while j < chars.len() && class(chars[j].0) == kind {
            j += 1;
        }
        let run = &chars[i..j];
        match kind {
            Class::Other => {}
            Class::Word => out.push(Token {
                text: run.iter().map(|c| c.0).collect(),
                position: out.len(),
                from: run[0].1,
                to: run[run.len() - 1].2,
            }),
            Class::Cjk if run.len() == 1 => out.push(Token {
                text: run[0].0.to_string(),
                position: out.len(),
                from: run[0].1,
                to: run[0].2,
            }),
            Class::Cjk => {
                for pair in run.windows(2) {
                    out.push(Token {
                        text: [pair[0].0, pair[1].0].iter().collect(),
                        position: out.len(),
                        from: pair[0].1,
                        to: pair[1].2,
                    });
                }
            }
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflected_endings_are_cut_only_where_a_stem_remains() {
        assert_eq!(trim_okurigana("SNS 乗っ取り"), "SNS 乗っ取");
        assert_eq!(trim_okurigana("持ち帰り 紛失した"), "持ち帰 紛失");
        assert_eq!(
            trim_okurigana("漏えい 改ざん なりすまし ランサムウェア"),
            "漏えい 改ざん なりすまし ランサムウェア"
        );
        assert_eq!(trim_okurigana("\"乗っ取り\""), "\"乗っ取り\"");
    }

    fn texts(s: &str) -> Vec<String> {
        tokens(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn cjk_is_cut_into_bigrams_and_latin_into_lower_case_words() {
        assert_eq!(texts("標的型攻撃"), ["標的", "的型", "型攻", "攻撃"]);
        assert_eq!(
            texts("VPN装置の脆弱性"),
            ["vpn", "装置", "置の", "の脆", "脆弱", "弱性"]
        );
        assert_eq!(texts("炎"), ["炎"]);
        assert_eq!(
            texts("CVE-2024-3400 FortiOS"),
            ["cve", "2024", "3400", "fortios"]
        );
    }

    #[test]
    fn widths_and_spelling_variants_fold_together() {
        assert_eq!(texts("ＶＰＮ"), texts("vpn"));
        assert_eq!(texts("ｳｲﾙｽ"), texts("ウイルス"));
        assert_eq!(texts("ｶﾞｲﾄﾞ"), texts("ガイド"));
        assert_eq!(texts("ウィルス感染"), texts("ウイルス感染"));
        assert_eq!(texts("サーバー"), texts("サーバ"));
        assert_eq!(texts("個人情報の漏洩"), texts("個人情報の漏えい"));
        assert_eq!(texts("改竄"), texts("改ざん"));
        assert_eq!(texts("ぜい弱性"), texts("脆弱性"));
        // A long-vowel mark inside a word stays.
        assert_eq!(texts("データ"), ["デー", "ータ"]);
    }

    #[test]
    fn a_query_of_a_word_matches_inside_a_longer_one() {
        let doc = texts("標的型攻撃メールによりウイルスに感染");
        for query in ["標的型", "攻撃メール", "ウィルス"] {
            assert!(
                texts(query).iter().all(|t| doc.contains(t)),
                "{query}: {:?} in {doc:?}",
                texts(query)
            );
        }
    }

    #[test]
    fn spans_point_into_the_original_text() {
        let text = "ＶＰＮの漏洩";
        let t = tokens(text);
        assert_eq!(&text[t[0].from..t[0].to], "ＶＰＮ");
        let last = t.last().unwrap();
        assert_eq!(&text[last.from..last.to], "漏洩");
    }
}
