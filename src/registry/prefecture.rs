//! `Prefecture`: one of the 47 都道府県, by number (01 北海道 … 47 沖縄県).

use std::fmt;

use unicode_normalization::UnicodeNormalization;

const NAMES: [&str; 47] = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Prefecture(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a prefecture: give its number (1–47, e.g. 13) or its name (e.g. 東京都 or 東京)"
)]
pub struct PrefectureError(String);

impl Prefecture {
    pub fn from_number(n: u8) -> Option<Self> {
        (1..=47).contains(&n).then_some(Self(n))
    }

    /// Accepts `13`, `１３`, `東京都` or `東京`.
    pub fn parse(input: &str) -> Result<Self, PrefectureError> {
        let s: String = input.nfkc().collect::<String>().trim().to_owned();
        if let Ok(n) = s.parse::<u8>() {
            return Self::from_number(n).ok_or_else(|| PrefectureError(input.to_owned()));
        }
        NAMES
            .iter()
            .position(|name| {
                *name == s
                    || (name.chars().count() > 2
                        && name.strip_suffix(['都', '府', '県']) == Some(&s))
            })
            .map(|i| Self(i as u8 + 1))
            .ok_or_else(|| PrefectureError(input.to_owned()))
    }

    pub fn number(self) -> u8 {
        self.0
    }

    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0 - 1)]
    }

    pub fn all() -> impl Iterator<Item = Prefecture> {
        (1..=47).map(Self)
    }
}

impl fmt::Display for Prefecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_parse() {
        assert_eq!(Prefecture::parse("13").map(Prefecture::name), Ok("東京都"));
        assert_eq!(Prefecture::parse("１").map(Prefecture::name), Ok("北海道"));
        assert_eq!(Prefecture::parse("東京").map(Prefecture::number), Ok(13));
        assert_eq!(Prefecture::parse("京都府").map(Prefecture::number), Ok(26));
        assert_eq!(Prefecture::parse("京都").map(Prefecture::number), Ok(26));
        assert_eq!(Prefecture::parse("北海道").map(Prefecture::number), Ok(1));
        assert_eq!(Prefecture::parse("沖縄県").map(Prefecture::number), Ok(47));
    }

    #[test]
    fn out_of_range_and_unknown_names_are_rejected() {
        for bad in ["0", "48", "東京府", "", "Tokyo"] {
            assert!(Prefecture::parse(bad).is_err(), "{bad}");
        }
    }
}
