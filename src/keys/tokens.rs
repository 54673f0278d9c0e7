//! The tokens the hub mints under its link key, and who a returning message is about, without
//! trusting what it quotes. Bounce addresses, reply codes, unsubscribe and confirmation tokens:
//! mail, the return channel, the メールマガジン and contacts all use them.
//!
//! - **Bounces**: each delivery goes out with its own envelope sender,
//!   `bounce+<delivery>-<check>@domain` (VERP). A bounce comes back to that address, so it is
//!   matched to its ledger row even when the remote server's report quotes nothing. The check is
//!   an HMAC under the hub's link key: nobody can forge a bounce for a row they did not receive.
//! - **Replies**: the text of an alert mail to an addressed organisation carries a reply code
//!   (`返信用コード: R-…`), an HMAC of the alert and the organisation. It survives gateways that
//!   strip links and HTML, and a reply that quotes it names exactly one alert and organisation.

use crate::domain::ids::{AlertId, OrgId};
use std::sync::LazyLock;

use regex::Regex;
use ring::hmac;

#[allow(clippy::expect_used)] // a literal pattern, checked by the tests
static REPLY_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bR-(\d{1,12})-(\d{1,12})-([a-z2-7]{12})\b").expect("a valid pattern")
});

/// Equal without an early exit: the check of a forged token takes as long as any other.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub use crate::domain::mail::BounceAddress;

/// What a VERP address names: a row of the delivery ledger, or a notice (`admin_notices`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned {
    Delivery(i64),
    Notice(i64),
}

impl Returned {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Self::Delivery(id) => ("", id),
            Self::Notice(id) => ("n", id),
        }
    }

    /// What the check signs: the two kinds never share a check.
    fn message(self) -> String {
        match self {
            Self::Delivery(id) => format!("noroshi-verp|{id}"),
            Self::Notice(id) => format!("noroshi-verp-notice|{id}"),
        }
    }
}

/// Makes and checks the tokens under one key (the acknowledgement link key, shared by every hub
/// process that sends mail).
pub struct Tokens {
    key: hmac::Key,
    pub bounce: BounceAddress,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("bounce", &self.bounce)
            .finish_non_exhaustive()
    }
}

fn check(key: &hmac::Key, message: &str, len: usize) -> String {
    let tag = hmac::sign(key, message.as_bytes());
    // Lower-case base32 without padding: case-insensitive mail systems keep it intact.
    let mut out = String::with_capacity(len);
    let alphabet = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bits: u32 = 0;
    let mut n = 0;
    for b in tag.as_ref() {
        bits = (bits << 8) | u32::from(*b);
        n += 8;
        while n >= 5 && out.len() < len {
            n -= 5;
            out.push(alphabet[((bits >> n) & 31) as usize] as char);
        }
        if out.len() >= len {
            break;
        }
    }
    out
}

impl Tokens {
    pub fn new(key_bytes: &[u8], bounce: BounceAddress) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key_bytes),
            bounce,
        }
    }

    /// The envelope sender of delivery `id`.
    pub fn return_path(&self, delivery_id: i64) -> String {
        self.address_for(Returned::Delivery(delivery_id))
    }

    /// The envelope sender of notice `id` (a mail that belongs to no alert: 連絡先確認, survey and
    /// report mails): `bounce+n<id>-<check>@domain`.
    pub fn notice_return_path(&self, notice_id: i64) -> String {
        self.address_for(Returned::Notice(notice_id))
    }

    fn address_for(&self, what: Returned) -> String {
        let (prefix, id) = what.parts();
        format!(
            "{}+{prefix}{id}-{}@{}",
            self.bounce.local,
            check(&self.key, &what.message(), 10),
            self.bounce.domain
        )
    }

    /// The delivery an address (`bounce+42-abcdefghij@domain`, any case) was made for, if its
    /// check holds.
    pub fn delivery_of(&self, address: &str) -> Option<i64> {
        match self.returned_of(address)? {
            Returned::Delivery(id) => Some(id),
            Returned::Notice(_) => None,
        }
    }

    /// The ledger row or notice a VERP address (any case, with or without angle brackets)
    /// names, if its check holds.
    pub fn returned_of(&self, address: &str) -> Option<Returned> {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = address.rsplit_once('@')?;
        if !domain.eq_ignore_ascii_case(&self.bounce.domain) {
            return None;
        }
        let ext = local
            .to_ascii_lowercase()
            .strip_prefix(&format!("{}+", self.bounce.local.to_ascii_lowercase()))?
            .to_owned();
        let (id, mac) = ext.split_once('-')?;
        let (notice, digits) = match id.strip_prefix('n') {
            Some(rest) => (true, rest),
            None => (false, id),
        };
        // Digits only: `+42`, never `-42` or ` 42`, which `parse` would take.
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id: i64 = digits.parse().ok().filter(|i| *i > 0)?;
        let what = if notice {
            Returned::Notice(id)
        } else {
            Returned::Delivery(id)
        };
        let want = check(&self.key, &what.message(), 10);
        same(want.as_bytes(), mac.as_bytes()).then_some(what)
    }

    /// The reply code printed in mail about `alert_id` to organisation `org_id`: `R-` and 12
    /// characters.
    pub fn reply_code(&self, alert_id: AlertId, org_id: OrgId) -> String {
        format!(
            "R-{alert_id}-{org_id}-{}",
            check(&self.key, &format!("noroshi-reply|{alert_id}|{org_id}"), 12)
        )
    }

    /// The token of a メールマガジン unsubscribe link for `key` (`s<subscriber>` or
    /// `c<contact>`): `<key>-<check>`. It never expires: an old copy's link still works.
    pub fn unsubscribe_token(&self, key: &str) -> String {
        format!(
            "{key}-{}",
            check(&self.key, &format!("noroshi-unsubscribe|{key}"), 16)
        )
    }

    /// The key an unsubscribe token names, if its check holds.
    pub fn unsubscribe_key(&self, token: &str) -> Option<String> {
        let (key, mac) = token.trim().rsplit_once('-')?;
        if key.is_empty() || key.len() > 24 || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        let want = check(&self.key, &format!("noroshi-unsubscribe|{key}"), 16);
        same(want.as_bytes(), mac.as_bytes()).then(|| key.to_owned())
    }

    /// The one-click link token of a contact-confirmation request to organisation `org_id`,
    /// issued on `day` (days since 1970-01-01): `<org>-<day>-<check>`.
    pub fn confirm_token(&self, org_id: OrgId, day: i64) -> String {
        format!(
            "{org_id}-{day}-{}",
            check(&self.key, &format!("noroshi-confirm|{org_id}|{day}"), 16)
        )
    }

    /// The organisation a confirmation token names, if its check holds and it was issued at most
    /// `valid_days` before `today`; `Err(true)` when it is genuine but expired.
    pub fn confirm_token_org(
        &self,
        token: &str,
        today: i64,
        valid_days: i64,
    ) -> Result<OrgId, bool> {
        let mut parts = token.splitn(3, '-');
        let (Some(org), Some(day), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(false);
        };
        let (Ok(org), Ok(day)) = (org.parse::<OrgId>(), day.parse::<i64>()) else {
            return Err(false);
        };
        let want = check(&self.key, &format!("noroshi-confirm|{org}|{day}"), 16);
        if !same(want.as_bytes(), mac.as_bytes()) {
            return Err(false);
        }
        if today - day > valid_days || day > today + 1 {
            return Err(true);
        }
        Ok(org)
    }

    /// The one-click link token of a confirmation request to contact address `contact_id`,
    /// issued on `day`: `c<contact>-<day>-<check>`. One address's link confirms that address
    /// only, so a forwarded mail can vouch for nothing else.
    pub fn contact_token(&self, contact_id: i64, day: i64) -> String {
        format!(
            "c{contact_id}-{day}-{}",
            check(
                &self.key,
                &format!("noroshi-confirm-address|{contact_id}|{day}"),
                16
            )
        )
    }

    /// The contact address a token names, if its check holds and it was issued at most
    /// `valid_days` before `today`; `Err(true)` when it is genuine but expired, or an
    /// organisation-wide token of the earlier kind (answered "ask your administrator").
    pub fn contact_token_of(&self, token: &str, today: i64, valid_days: i64) -> Result<i64, bool> {
        let Some(rest) = token.strip_prefix('c') else {
            return self
                .confirm_token_org(token, today, valid_days)
                .and(Err(true));
        };
        let mut parts = rest.splitn(3, '-');
        let (Some(id), Some(day), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(false);
        };
        let (Ok(id), Ok(day)) = (id.parse::<i64>(), day.parse::<i64>()) else {
            return Err(false);
        };
        let want = check(
            &self.key,
            &format!("noroshi-confirm-address|{id}|{day}"),
            16,
        );
        if !same(want.as_bytes(), mac.as_bytes()) {
            return Err(false);
        }
        if today - day > valid_days || day > today + 1 {
            return Err(true);
        }
        Ok(id)
    }

    /// Every well-formed reply code in `text` whose check holds, as (alert, organisation).
    pub fn reply_codes_in(&self, text: &str) -> Vec<(AlertId, OrgId)> {
        let mut out = Vec::new();
        for c in REPLY_CODE.captures_iter(text) {
            let (Ok(alert), Ok(org)) = (c[1].parse::<AlertId>(), c[2].parse::<OrgId>()) else {
                continue;
            };
            let want = check(&self.key, &format!("noroshi-reply|{alert}|{org}"), 12);
            if same(want.as_bytes(), c[3].to_ascii_lowercase().as_bytes())
                && !out.contains(&(alert, org))
            {
                out.push((alert, org));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verp() -> Tokens {
        Tokens::new(
            b"0123456789abcdef0123456789abcdef",
            BounceAddress::parse("bounce@noroshi.example").unwrap(),
        )
    }

    #[test]
    fn unsubscribe_tokens_name_their_recipient_and_refuse_any_change() {
        let v = verp();
        let t = v.unsubscribe_token("s42");
        assert_eq!(v.unsubscribe_key(&t).as_deref(), Some("s42"));
        assert_ne!(t, v.unsubscribe_token("s43"));
        assert_eq!(v.unsubscribe_key(&t.replace("s42", "s43")), None);
        assert_eq!(v.unsubscribe_key(&format!("{t}x")), None);
        assert_eq!(v.unsubscribe_key("s42"), None);
        assert_eq!(v.unsubscribe_key("../etc-passwd"), None);
        let other = Tokens::new(
            b"another key another key another k",
            BounceAddress::parse("bounce@noroshi.example").unwrap(),
        );
        assert_eq!(other.unsubscribe_key(&t), None);
    }

    #[test]
    fn a_return_path_names_its_delivery_and_a_forged_one_names_none() {
        let v = verp();
        let a = v.return_path(4711);
        assert!(
            a.starts_with("bounce+4711-") && a.ends_with("@noroshi.example"),
            "{a}"
        );
        assert_eq!(v.delivery_of(&a), Some(4711));
        assert_eq!(
            v.delivery_of(&format!("<{}>", a.to_uppercase())),
            Some(4711)
        );
        let forged = a.replace("4711-", "4712-");
        assert_eq!(v.delivery_of(&forged), None);
        assert_eq!(v.delivery_of("bounce+4711@noroshi.example"), None);
        assert_eq!(
            v.delivery_of(&a.replace("noroshi.example", "evil.example")),
            None
        );
        let other = Tokens::new(
            b"another key",
            BounceAddress::parse("bounce@noroshi.example").unwrap(),
        );
        assert_eq!(other.delivery_of(&a), None);
    }

    #[test]
    fn a_notice_has_its_own_return_path_that_no_delivery_shares() {
        let v = verp();
        let n = v.notice_return_path(4711);
        assert!(
            n.starts_with("bounce+n4711-") && n.ends_with("@noroshi.example"),
            "{n}"
        );
        assert_eq!(v.returned_of(&n), Some(Returned::Notice(4711)));
        assert_eq!(
            v.returned_of(&n.to_uppercase()),
            Some(Returned::Notice(4711))
        );
        assert_eq!(v.delivery_of(&n), None);
        // The delivery with the same number has another check: neither passes for the other.
        let d = v.return_path(4711);
        assert_eq!(v.returned_of(&d), Some(Returned::Delivery(4711)));
        assert_eq!(v.returned_of(&d.replace("+4711-", "+n4711-")), None);
        assert_eq!(v.returned_of(&n.replace("+n4711-", "+4711-")), None);
        for hostile in [
            "bounce+n-abcdefghij@noroshi.example",
            "bounce+n+4711-abcdefghij@noroshi.example",
            "bounce+-4711-abcdefghij@noroshi.example",
            "bounce+nn4711-abcdefghij@noroshi.example",
        ] {
            assert_eq!(v.returned_of(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn reply_codes_are_found_in_quoted_text_and_checked() {
        let v = verp();
        let code = v.reply_code(AlertId(12), OrgId(3456));
        let text = format!("受領しました。\n\n> 返信用コード: {code}\n> 以上");
        assert_eq!(v.reply_codes_in(&text), vec![(AlertId(12), OrgId(3456))]);
        assert_eq!(
            v.reply_codes_in(&text.to_uppercase()),
            vec![(AlertId(12), OrgId(3456))]
        );
        let other_org = code.replace("-3456-", "-3457-");
        assert!(v.reply_codes_in(&other_org).is_empty());
    }

    #[test]
    fn confirmation_tokens_name_their_organisation_and_expire() {
        let v = verp();
        let t = v.confirm_token(OrgId(42), 20_000);
        assert_eq!(v.confirm_token_org(&t, 20_010, 60), Ok(OrgId(42)));
        assert_eq!(v.confirm_token_org(&t, 20_061, 60), Err(true));
        assert_eq!(
            v.confirm_token_org(&t.replacen("42-", "43-", 1), 20_010, 60),
            Err(false)
        );
        assert_eq!(v.confirm_token_org("garbage", 20_010, 60), Err(false));
    }

    #[test]
    fn a_bounce_address_must_be_plain() {
        assert!(BounceAddress::parse("bounce+x@noroshi.example").is_err());
        assert!(BounceAddress::parse("bounce").is_err());
        assert!(BounceAddress::parse("bounce@localhost").is_err());
        assert!(BounceAddress::parse("返送@noroshi.example").is_err());
    }
}
