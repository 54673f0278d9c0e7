//! An organisation's mail domain (`city.chiyoda.lg.jp`): what makes an address the
//! organisation's own. Only a domain one organisation can hold qualifies — never a public suffix
//! (`lg.jp`, `co.jp`) and never a mobile carrier's or a web-mail provider's domain, which anyone
//! can have an address at (staff do use them for 緊急 contacts, but they prove nothing about
//! who someone works for).

use std::fmt;

/// Suffixes under which every name belongs to someone else: the domain must have a label of
/// its own in front of one of these (`city.chiyoda.lg.jp`, not `lg.jp`).
const PUBLIC_SUFFIXES: &[&str] = &[
    "jp",
    "lg.jp",
    "go.jp",
    "co.jp",
    "ne.jp",
    "or.jp",
    "ac.jp",
    "ed.jp",
    "gr.jp",
    "ad.jp",
    "com",
    "net",
    "org",
    "info",
    "biz",
    "example",
    "test",
    "invalid",
    "localhost",
];

/// Domains of mobile carriers and web-mail services: addresses anyone can have.
const PERSONAL_PROVIDERS: &[&str] = &[
    "docomo.ne.jp",
    "ezweb.ne.jp",
    "au.com",
    "softbank.ne.jp",
    "i.softbank.jp",
    "disney.ne.jp",
    "ymobile.ne.jp",
    "y-mobile.ne.jp",
    "emobile.ne.jp",
    "willcom.com",
    "pdx.ne.jp",
    "rakuten.jp",
    "mineo.jp",
    "uqmobile.jp",
    "icloud.com",
    "me.com",
    "mac.com",
    "gmail.com",
    "googlemail.com",
    "yahoo.co.jp",
    "ymail.ne.jp",
    "yahoo.com",
    "outlook.com",
    "outlook.jp",
    "hotmail.com",
    "hotmail.co.jp",
    "live.jp",
    "live.com",
    "msn.com",
    "aol.com",
    "nifty.com",
    "biglobe.ne.jp",
    "ocn.ne.jp",
    "so-net.ne.jp",
    "plala.or.jp",
    "infoseek.jp",
    "excite.co.jp",
    "zoho.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "mail.com",
];

/// A mail domain an organisation can hold: lower-case ASCII labels (`a-z`, `0-9`, `-`), at least
/// two, none of them a public suffix alone or a personal provider's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailDomain(String);

fn under(domain: &str, parent: &str) -> bool {
    domain == parent
        || domain
            .strip_suffix(parent)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Whether `domain` (an address's domain, any case) is a mobile carrier's or a web-mail
/// service's: an address there says nothing about its holder's organisation.
pub fn is_personal_provider(domain: &str) -> bool {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    PERSONAL_PROVIDERS.iter().any(|p| under(&d, p))
}

impl MailDomain {
    pub fn parse(input: &str) -> Result<Self, String> {
        let d = input
            .trim()
            .trim_start_matches('@')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if d.is_empty() || d.len() > 253 {
            return Err("ドメインは 1〜253 文字で指定してください".into());
        }
        let labels: Vec<&str> = d.split('.').collect();
        if labels.len() < 2 {
            return Err(format!(
                "`{d}` はメールのドメインではありません（例: city.chiyoda.lg.jp）"
            ));
        }
        for l in &labels {
            let ok = !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err(format!(
                    "`{d}` はメールのドメインではありません（英小文字・数字・ハイフンのラベルを . でつなぎます）"
                ));
            }
        }
        if PUBLIC_SUFFIXES.contains(&d.as_str()) {
            return Err(format!(
                "`{d}` は誰もが使える上位のドメインです。団体固有のドメイン（例: city.chiyoda.lg.jp）を指定してください"
            ));
        }
        if is_personal_provider(&d) {
            return Err(format!(
                "`{d}` は携帯電話会社やフリーメールのドメインです。誰でもアドレスを持てるため、団体のドメインにはできません"
            ));
        }
        Ok(Self(d))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether an address at `domain` (any case) is at this domain or under it
    /// (`soumu.city.chiyoda.lg.jp` under `city.chiyoda.lg.jp`).
    pub fn covers(&self, domain: &str) -> bool {
        under(
            &domain.trim().trim_end_matches('.').to_ascii_lowercase(),
            &self.0,
        )
    }
}

impl fmt::Display for MailDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_domain_one_organisation_can_hold_qualifies() {
        let d = MailDomain::parse(" City.Chiyoda.LG.JP. ");
        assert_eq!(d.as_ref().map(MailDomain::as_str), Ok("city.chiyoda.lg.jp"));
        let Ok(d) = d else { return };
        assert!(d.covers("city.chiyoda.lg.jp"));
        assert!(d.covers("Soumu.City.Chiyoda.lg.jp"));
        assert!(!d.covers("evilcity.chiyoda.lg.jp.example"));
        assert!(!d.covers("xcity.chiyoda.lg.jp"));
        for bad in [
            "lg.jp",
            "docomo.ne.jp",
            "gmail.com",
            "i.softbank.jp",
            "mail.gmail.com",
            "jp",
            "a..b",
            "-x.lg.jp",
            "ｃｉｔｙ.lg.jp",
            "",
        ] {
            assert!(MailDomain::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(is_personal_provider("DOCOMO.ne.jp"));
        assert!(!is_personal_provider("city.chiyoda.lg.jp"));
    }
}
