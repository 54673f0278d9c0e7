//! `EmailAddress`: a single mailbox, checked strictly enough that it can never smuggle a second
//! recipient or a header into a message.

use std::fmt;

use serde::Serialize;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("an e-mail address is required")]
    Empty,
    #[error("`{0}` is too long for an e-mail address (at most 254 characters)")]
    TooLong(String),
    #[error("`{0}` is not an e-mail address: it needs exactly one @ with text on both sides")]
    Shape(String),
    #[error(
        "`{0}` is not an e-mail address: spaces, commas, angle brackets, quotes and control characters are not allowed"
    )]
    ForbiddenCharacter(String),
    #[error("`{0}` is not an e-mail address: the domain must be a host name such as lg.jp")]
    Domain(String),
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.len() > 254 {
            return Err(EmailError::TooLong(
                s.chars().take(40).collect::<String>() + "…",
            ));
        }
        if s.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(
                    c,
                    ',' | ';' | '<' | '>' | '"' | '(' | ')' | '[' | ']' | '\\'
                )
        }) {
            return Err(EmailError::ForbiddenCharacter(s.to_owned()));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(EmailError::Shape(s.to_owned()));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') || local.len() > 64 {
            return Err(EmailError::Shape(s.to_owned()));
        }
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !labels_ok {
            return Err(EmailError::Domain(s.to_owned()));
        }
        // Addresses are compared case-insensitively everywhere; store them lower-cased.
        Ok(Self(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_parse_lower_cased() {
        assert_eq!(
            EmailAddress::parse(" Joho@City.Chiyoda.LG.JP ").map(|e| e.to_string()),
            Ok("joho@city.chiyoda.lg.jp".into())
        );
    }

    #[test]
    fn addresses_that_could_name_a_second_recipient_are_rejected() {
        for bad in [
            "a@b.jp, c@d.jp",
            "a@b.jp\r\nBcc: c@d.jp",
            "Name <a@b.jp>",
            "a@b@c.jp",
            "@b.jp",
            "a@",
            "a@b_c.jp",
            "a b@c.jp",
            "",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
