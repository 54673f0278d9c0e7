//! Words search treats as one: `Winny`, `Share`, `P2P`, `ファイル交換ソフト`,
//! `ファイル共有ソフト`; `誤送信`, `誤送付`. Central staff edit the list (`/cases/synonyms`);
//! until they do, [`DEFAULTS`] hold.
//!
//! Applied the same way by both engines, at indexing time: a case whose text holds any word of
//! a group is indexed with every word of that group as well ([`Synonyms::expansion`], the
//! document's `also`), so a query for one word finds cases written with another on the
//! embedded engine and on Meilisearch alike, with each engine's own tokenizer and no query
//! syntax either lacks. Changing the list re-queues every published case for the index.

use super::tokenize::fold;

/// The list before anyone edits it: words the seed documents and staff use for the same thing.
pub const DEFAULTS: &[&[&str]] = &[
    &[
        "Winny",
        "Share",
        "P2P",
        "ファイル交換ソフト",
        "ファイル共有ソフト",
    ],
    &["誤送信", "誤送付", "誤配信"],
    &["標的型メール", "標的型攻撃メール"],
    &["ランサムウェア", "身代金要求型ウイルス"],
    &["USBメモリ", "USBメモリー", "外部記録媒体", "記録媒体"],
    &["持ち出し", "持出し", "持ち帰り"],
    &["なりすまし", "成りすまし"],
];

pub const MAX_GROUPS: usize = 500;
pub const MAX_TERMS: usize = 20;
pub const MAX_TERM_CHARS: usize = 50;

/// Groups of words that mean the same, each word as written and as the index sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Synonyms {
    groups: Vec<Vec<String>>,
}

impl Synonyms {
    pub fn defaults() -> Self {
        Self {
            groups: DEFAULTS
                .iter()
                .map(|g| g.iter().map(|t| (*t).to_owned()).collect())
                .collect(),
        }
    }

    pub fn from_groups(groups: Vec<Vec<String>>) -> Self {
        Self { groups }
    }

    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// One group per line, words separated by `,` `、` `/` or `↔`; blank lines and lines
    /// starting with `#` are skipped. Every problem names its line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut groups = Vec::new();
        let mut errors = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut group: Vec<String> = Vec::new();
            for term in line.split([',', '、', '/', '↔', '，']).map(str::trim) {
                if term.is_empty() {
                    continue;
                }
                if term.chars().count() > MAX_TERM_CHARS {
                    errors.push(format!(
                        "{}行目: 「{term}」は {MAX_TERM_CHARS} 文字を超えています",
                        n + 1
                    ));
                } else if term.chars().any(char::is_control) {
                    errors.push(format!("{}行目: 制御文字は使えません", n + 1));
                } else if !group.iter().any(|g| fold(g) == fold(term)) {
                    group.push(term.to_owned());
                }
            }
            if group.len() < 2 {
                errors.push(format!(
                    "{}行目: 同じ意味の語を二つ以上書いてください",
                    n + 1
                ));
            } else if group.len() > MAX_TERMS {
                errors.push(format!("{}行目: 一行は {MAX_TERMS} 語までです", n + 1));
            }
            groups.push(group);
        }
        if groups.len() > MAX_GROUPS {
            errors.push(format!(
                "{MAX_GROUPS} 行までです（{} 行あります）",
                groups.len()
            ));
        }
        if errors.is_empty() {
            Ok(Self { groups })
        } else {
            Err(errors.join("\n"))
        }
    }

    /// The list as the edit form shows it (what [`Synonyms::parse`] reads back).
    pub fn to_text(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.join(", "))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every word of every group one of whose words occurs in `text`, space-separated: what a
    /// case is indexed with besides its own words.
    pub fn expansion(&self, text: &str) -> String {
        let folded = fold(text);
        let mut out: Vec<&str> = Vec::new();
        for group in &self.groups {
            if group.iter().any(|t| occurs(&folded, &fold(t))) {
                out.extend(group.iter().map(String::as_str));
            }
        }
        out.join(" ")
    }
}

/// Whether `term` occurs in `text` (both folded). A latin word must stand alone, so `share`
/// is not found in `shared`; a Japanese word anywhere.
fn occurs(text: &str, term: &str) -> bool {
    if term.is_empty() {
        return false;
    }
    if !term.chars().all(|c| c.is_ascii_alphanumeric()) {
        return text.contains(term);
    }
    text.match_indices(term).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + term.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_indexed_with_the_other_words_of_each_group_it_mentions() {
        let s = Synonyms::defaults();
        let e = s.expansion("職員が自宅PCにWinnyを入れていた");
        assert!(
            e.contains("ファイル共有ソフト") && e.contains("ファイル交換ソフト"),
            "{e}"
        );
        // Full-width latin and another case fold the same way.
        assert!(s.expansion("ＷＩＮＮＹ").contains("P2P"));
        assert!(s.expansion("メールを誤送付した").contains("誤送信"));
        // A latin word stands alone: `shared` is not `Share`.
        assert_eq!(s.expansion("the file was shared"), "");
        assert_eq!(s.expansion("無関係な事例"), "");
    }

    #[test]
    fn the_list_reads_one_group_per_line_and_names_the_bad_lines() {
        let s = Synonyms::parse("# comment\nWinny, P2P、ファイル共有ソフト\n\n誤送信 ↔ 誤送付\n")
            .unwrap();
        assert_eq!(s.groups().len(), 2);
        assert_eq!(s.groups()[0], vec!["Winny", "P2P", "ファイル共有ソフト"]);
        assert_eq!(Synonyms::parse(&s.to_text()).unwrap(), s);
        let e = Synonyms::parse("ひとつだけ\nA, a\n").unwrap_err();
        assert!(e.contains("1行目") && e.contains("2行目"), "{e}");
        let long = format!("{}, b", "x".repeat(51));
        assert!(Synonyms::parse(&long).unwrap_err().contains("50"));
    }
}
