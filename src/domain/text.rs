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

#[cfg(test)]
mod tests {
    #[test]
    fn full_width_and_half_width_forms_fold_together() {
        assert_eq!(super::fold("ＶＰＮ装置"), "vpn装置");
        assert_eq!(super::fold("ﾌｫｰﾃｨﾈｯﾄ"), "フォーティネット");
        assert_eq!(super::fold("FortiGate"), "fortigate");
    }
}
