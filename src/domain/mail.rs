//! The mail vocabulary every capability shares: a mailbox with its display name, how a message
//! is encoded, the bounce address and the relay's URL. Parsing only, no I/O.

use secrecy::SecretString;
use serde::Serialize;

crate::string_enum! {
    /// How a message to this address is encoded.
    #[derive(Serialize)]
    pub enum MailEncoding ("mail encoding") {
        Utf8 = "utf-8",
        /// For old mail systems that only read ISO-2022-JP.
        Iso2022Jp = "iso-2022-jp",
    }
}

impl MailEncoding {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "iso-2022-jp" | "jis" => Ok(Self::Iso2022Jp),
            other => Err(format!(
                "`{other}` is not a mail encoding: expected utf-8 or iso-2022-jp"
            )),
        }
    }
}

/// A display name and an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    /// `Name <address>` or `address`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (name, address) = match (s.rfind('<'), s.ends_with('>')) {
            (Some(open), true) => (
                Some(s[..open].trim().trim_matches('"').to_owned()).filter(|n| !n.is_empty()),
                &s[open + 1..s.len() - 1],
            ),
            _ => (None, s),
        };
        let address = super::EmailAddress::parse(address)
            .map_err(|e| e.to_string())?
            .to_string();
        if name
            .as_deref()
            .is_some_and(|n| n.chars().any(char::is_control))
        {
            return Err("the display name has control characters".into());
        }
        Ok(Self { name, address })
    }

    pub fn domain(&self) -> &str {
        self.address
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("localhost")
    }
}

/// `local@domain` of the bounce address, split once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BounceAddress {
    pub local: String,
    pub domain: String,
}

impl BounceAddress {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (local, domain) = s
            .rsplit_once('@')
            .ok_or_else(|| format!("`{s}` is not an address (local@domain)"))?;
        let ok = |p: &str| {
            !p.is_empty()
                && p.len() <= 64
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if !ok(local) || !ok(domain) || !domain.contains('.') {
            return Err(format!(
                "`{s}` must be a plain ASCII address without `+` (the hub adds one per delivery)"
            ));
        }
        Ok(Self {
            local: local.to_owned(),
            domain: domain.to_owned(),
        })
    }
}

/// How a relay wants TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    None,
    StartTls,
    Implicit,
}

/// A parsed `mail.smtp_url`.
#[derive(Clone, Debug)]
pub struct RelayUrl {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<SecretString>,
}

impl RelayUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        let url = url::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
        let (default_port, mut tls) = match url.scheme() {
            "smtp" => (25, TlsMode::None),
            "smtps" => (465, TlsMode::Implicit),
            other => return Err(format!("the scheme must be smtp or smtps, not {other}")),
        };
        for (k, v) in url.query_pairs() {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "starttls") => tls = TlsMode::StartTls,
                ("tls", "none") => tls = TlsMode::None,
                (k, v) => {
                    return Err(format!(
                        "unknown option {k}={v}: only tls=starttls or tls=none"
                    ));
                }
            }
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("it has no host")?
            .to_owned();
        let user = Some(url.username().to_owned()).filter(|u| !u.is_empty());
        let password = url.password().map(|p| SecretString::from(p.to_owned()));
        // AUTH PLAIN and LOGIN are the password in base64: never over a connection anyone on
        // the path can read.
        if (user.is_some() || password.is_some()) && tls == TlsMode::None {
            return Err(
                "a relay's user and password are sent only over TLS: use smtps://… or add ?tls=starttls"
                    .into(),
            );
        }
        Ok(Self {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            user,
            password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relays_password_goes_only_over_tls() {
        let e = RelayUrl::parse("smtp://noroshi:secret@relay.example.lg.jp:25").unwrap_err();
        assert!(e.contains("only over TLS"), "{e}");
        assert!(RelayUrl::parse("smtp://noroshi@relay.example.lg.jp").is_err());
        let starttls =
            RelayUrl::parse("smtp://noroshi:secret@relay.example.lg.jp:587?tls=starttls").unwrap();
        assert_eq!(starttls.tls, TlsMode::StartTls);
        assert_eq!(starttls.user.as_deref(), Some("noroshi"));
        let implicit = RelayUrl::parse("smtps://noroshi:secret@relay.example.lg.jp").unwrap();
        assert_eq!((implicit.port, implicit.tls), (465, TlsMode::Implicit));
        // Without credentials a plain relay is fine (LGWAN's internal relay).
        let plain = RelayUrl::parse("smtp://relay.example.lg.jp").unwrap();
        assert_eq!((plain.port, plain.tls), (25, TlsMode::None));
    }
}
