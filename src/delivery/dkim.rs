//! DKIM signing (RFC 6376), relaxed/relaxed, RSA-SHA256 with ring and optionally a second
//! Ed25519-SHA256 signature (RFC 8463). A signature covers the body and the headers that are the
//! same for every recipient of a group (From, Subject, Date, MIME and Noroshi headers) — not
//! To or Message-ID — so identical content is signed once, however many recipients it has
//! (signatures are cached by a hash of exactly what they cover).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use sha2::{Digest, Sha256};

use super::mime::Built;

/// Signatures kept before the cache is emptied (one alert to every organisation fits).
const CACHE_LIMIT: usize = 20_000;

pub struct DkimSigner {
    domain: String,
    rsa: Option<(String, RsaKeyPair)>,
    ed25519: Option<(String, Ed25519KeyPair)>,
    rng: SystemRandom,
    cache: Mutex<HashMap<[u8; 32], Vec<String>>>,
}

impl std::fmt::Debug for DkimSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSigner")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// DER bytes from a PEM file, with the label it had.
fn pem(text: &str) -> anyhow::Result<(String, Vec<u8>)> {
    let begin = text.find("-----BEGIN ").context("not a PEM file")?;
    let rest = &text[begin + 11..];
    let label = rest[..rest.find("-----").context("not a PEM file")?].to_owned();
    let body_start = rest.find('\n').context("not a PEM file")? + 1;
    let body_end = rest.find("-----END").context("not a PEM file")?;
    let b64: String = rest[body_start..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Ok((
        label,
        STANDARD.decode(b64).context("the PEM body is not base64")?,
    ))
}

impl DkimSigner {
    /// Loads the keys named in settings; `Ok(None)` when no RSA key is configured.
    pub fn from_files(
        domain: &str,
        rsa_selector: &str,
        rsa_key: Option<&Path>,
        ed_selector: &str,
        ed_key: Option<&Path>,
    ) -> anyhow::Result<Option<Self>> {
        let Some(rsa_path) = rsa_key else {
            if ed_key.is_some() {
                anyhow::bail!(
                    "mail.dkim_ed25519_key needs mail.dkim_rsa_key too: RSA is required, Ed25519 is in addition"
                );
            }
            return Ok(None);
        };
        let text = std::fs::read_to_string(rsa_path)
            .with_context(|| format!("mail.dkim_rsa_key: cannot read {}", rsa_path.display()))?;
        let rsa = Self::rsa_from_pem(&text)
            .with_context(|| format!("mail.dkim_rsa_key {}", rsa_path.display()))?;
        let ed = match ed_key {
            None => None,
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| {
                    format!("mail.dkim_ed25519_key: cannot read {}", p.display())
                })?;
                Some(
                    Self::ed_from_pem(&text)
                        .with_context(|| format!("mail.dkim_ed25519_key {}", p.display()))?,
                )
            }
        };
        Ok(Some(Self::new(
            domain,
            rsa_selector,
            rsa,
            ed.map(|k| (ed_selector.to_owned(), k)),
        )))
    }

    pub fn rsa_from_pem(text: &str) -> anyhow::Result<RsaKeyPair> {
        let (label, der) = pem(text)?;
        let key =
            match label.as_str() {
                "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der)
                    .map_err(|e| anyhow::anyhow!("not an RSA key: {e}"))?,
                "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der)
                    .map_err(|e| anyhow::anyhow!("not an RSA key: {e}"))?,
                other => anyhow::bail!("a PEM `{other}` is not an RSA private key"),
            };
        if key.public().modulus_len() < 256 {
            anyhow::bail!(
                "the RSA key has {} bits; DKIM here needs at least 2048",
                key.public().modulus_len() * 8
            );
        }
        Ok(key)
    }

    pub fn ed_from_pem(text: &str) -> anyhow::Result<Ed25519KeyPair> {
        let (label, der) = pem(text)?;
        anyhow::ensure!(
            label == "PRIVATE KEY",
            "a PEM `{label}` is not a PKCS#8 Ed25519 key"
        );
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| anyhow::anyhow!("not an Ed25519 key: {e}"))
    }

    pub fn new(
        domain: &str,
        selector: &str,
        rsa: RsaKeyPair,
        ed25519: Option<(String, Ed25519KeyPair)>,
    ) -> Self {
        Self {
            domain: domain.to_owned(),
            rsa: Some((selector.to_owned(), rsa)),
            ed25519,
            rng: SystemRandom::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// DKIM-Signature header values (RSA first, then Ed25519) for a message; `timestamp` is the
    /// same for every message of a revision so that the cache can work.
    pub fn sign(&self, message: &Built, timestamp: i64) -> anyhow::Result<Vec<String>> {
        let body_hash = STANDARD.encode(Sha256::digest(canonical_body(&message.body)));
        let names: Vec<String> = message
            .signed
            .iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        let mut signed_headers = String::new();
        for name in &names {
            if let Some((n, v)) = message
                .headers
                .iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                signed_headers.push_str(&canonical_header(n, v));
            }
        }
        let key: [u8; 32] =
            Sha256::digest(format!("{timestamp}\n{body_hash}\n{signed_headers}")).into();
        if let Ok(cache) = self.cache.lock()
            && let Some(found) = cache.get(&key)
        {
            return Ok(found.clone());
        }
        // Over-signing: each of these names once more than it appears (RFC 6376 §8.15), so a
        // From, Subject, Date, Reply-To, Cc or Sender prepended to a received alert breaks the
        // signature instead of being shown by the reader's client above a valid one. `To`,
        // `Message-ID` and the thread headers differ per recipient and stay unsigned: the
        // signature is shared by every recipient of a template (one signature, not 10,000).
        let mut h_names = names.clone();
        h_names.extend(OVERSIGNED.iter().map(|n| (*n).to_owned()));
        let h = h_names.join(":");
        let mut out = Vec::new();
        if let Some((selector, rsa)) = &self.rsa {
            let value = self.header_value("rsa-sha256", selector, timestamp, &h, &body_hash);
            let data = format!(
                "{signed_headers}{}",
                canonical_header("DKIM-Signature", &value).trim_end_matches("\r\n")
            );
            let mut sig = vec![0u8; rsa.public().modulus_len()];
            rsa.sign(&RSA_PKCS1_SHA256, &self.rng, data.as_bytes(), &mut sig)
                .map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
            out.push(format!("{value}{}", fold_b64(&STANDARD.encode(sig))));
        }
        if let Some((selector, ed)) = &self.ed25519 {
            let value = self.header_value("ed25519-sha256", selector, timestamp, &h, &body_hash);
            let data = format!(
                "{signed_headers}{}",
                canonical_header("DKIM-Signature", &value).trim_end_matches("\r\n")
            );
            let digest = Sha256::digest(data.as_bytes());
            out.push(format!(
                "{value}{}",
                STANDARD.encode(ed.sign(&digest).as_ref())
            ));
        }
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, out.clone());
        }
        Ok(out)
    }

    fn header_value(
        &self,
        algorithm: &str,
        selector: &str,
        timestamp: i64,
        h: &str,
        bh: &str,
    ) -> String {
        format!(
            "v=1; a={algorithm}; c=relaxed/relaxed; d={}; s={selector};\r\n\tt={timestamp}; h={h};\r\n\tbh={bh};\r\n\tb=",
            self.domain
        )
    }
}

/// Header names listed once more than they occur (see `sign`).
pub const OVERSIGNED: &[&str] = &[
    "from",
    "subject",
    "date",
    "reply-to",
    "cc",
    "sender",
    "mime-version",
    "content-type",
];

/// Long base64 folded for the header (relaxed canonicalisation ignores the folding).
fn fold_b64(b64: &str) -> String {
    b64.as_bytes()
        .chunks(72)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\r\n\t")
}

/// Relaxed header canonicalisation: lower-case name, unfolded value, runs of whitespace as one
/// space, no whitespace at either end.
pub fn canonical_header(name: &str, value: &str) -> String {
    let unfolded = value.replace("\r\n", "");
    let mut v = String::with_capacity(unfolded.len());
    let mut space = false;
    for c in unfolded.chars() {
        if c == ' ' || c == '\t' {
            space = true;
        } else {
            if space && !v.is_empty() {
                v.push(' ');
            }
            space = false;
            v.push(c);
        }
    }
    format!("{}:{v}\r\n", name.to_ascii_lowercase().trim())
}

/// Relaxed body canonicalisation: whitespace runs as one space, none at line ends, no empty
/// lines at the end, CRLF after the last line.
pub fn canonical_body(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut lines: Vec<String> = text
        .split("\r\n")
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            let mut space = false;
            for c in line.chars() {
                if c == ' ' || c == '\t' {
                    space = true;
                } else {
                    if space {
                        out.push(' ');
                    }
                    space = false;
                    out.push(c);
                }
            }
            out
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    if lines.is_empty() {
        return Vec::new();
    }
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_canonicalisation_follows_rfc_6376() {
        assert_eq!(
            canonical_header("Subject", " Hello \r\n\t  world  "),
            "subject:Hello world\r\n"
        );
        assert_eq!(canonical_body(b"a  b \t\r\nc\r\n\r\n\r\n"), b"a b\r\nc\r\n");
        assert_eq!(canonical_body(b"\r\n\r\n"), b"");
    }
}
