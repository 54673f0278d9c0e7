//! Fetching upstream documents: conditional GET (ETag / If-Modified-Since), gzip, a few redirects,
//! a connect timeout and a total timeout (a server that drips a byte a second is cut off), and a
//! size limit counted after decompression (a small gzip bomb is refused).

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 3;
/// Longest wait to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client polls use: it names Noroshi in `User-Agent`, never follows a redirect from
/// https to http, and — unless `allow_private` (a source that says `allow_private_network`) —
/// never connects to a loopback, private, link-local or otherwise non-public address, whether
/// the URL names it, a redirect leads there or DNS answers with it (the check runs on the
/// resolved addresses, so a name that resolves inward is refused too). A compromised or spoofed
/// upstream cannot make the hub fetch its own Meilisearch, a cloud metadata service or the
/// intranet, nor downgrade a source to plain HTTP.
pub fn client(base_url: &url::Url, allow_private: bool) -> anyhow::Result<reqwest::Client> {
    let agent = format!(
        "Noroshi/{} (advisory hub for Japanese local governments; +{base_url})",
        env!("CARGO_PKG_VERSION")
    );
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(GuardError("more than 3 redirects".into()));
        }
        let from_https = attempt
            .previous()
            .last()
            .is_some_and(|u| u.scheme() == "https");
        if from_https && attempt.url().scheme() != "https" {
            let to = attempt.url().to_string();
            return attempt.error(GuardError(format!(
                "refused a redirect from https to {to}: no downgrade to plain HTTP"
            )));
        }
        if let Err(e) = check_target(attempt.url(), allow_private) {
            return attempt.error(GuardError(e.to_string()));
        }
        attempt.follow()
    });
    let mut builder = reqwest::Client::builder()
        .user_agent(agent)
        .gzip(true)
        .redirect(policy)
        .connect_timeout(CONNECT_TIMEOUT);
    if !allow_private {
        builder = builder.dns_resolver(std::sync::Arc::new(PublicOnly));
    }
    Ok(builder.build()?)
}

/// Why the network guard refused a URL.
#[derive(Debug)]
struct GuardError(String);

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GuardError {}

/// Whether an address is on the public internet: not loopback, private (RFC 1918, RFC 4193),
/// link-local, shared (RFC 6598), unspecified, multicast, documentation or broadcast.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Refuses a URL that is not http(s), or (unless `allow_private`) names a non-public address.
pub fn check_target(url: &url::Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Refused(format!(
            "{url}: only http and https are fetched"
        )));
    }
    if allow_private {
        return Ok(());
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            Some(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
        }
        _ => None,
    };
    match ip {
        Some(ip) if !is_public(ip) => Err(FetchError::Refused(format!(
            "{url}: {ip} is not a public address (a source that must reach one says allow_private_network = true)"
        ))),
        _ => Ok(()),
    }
}

/// A DNS resolver that keeps only public addresses, and fails when none is left.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<std::net::SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(GuardError(format!(
                    "{host} resolves only to non-public addresses ({}); refused",
                    found
                        .iter()
                        .map(|a| a.ip().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A document as received.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Where it was finally read from (after redirects), or the file path.
    pub origin: String,
}

#[derive(Debug)]
pub enum FetchOutcome {
    Fetched(Fetched),
    NotModified,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {status}{}", retry_after.map(|r| format!(" (the server asks to retry after {} s)", r.as_secs())).unwrap_or_default())]
    Status {
        status: String,
        retry_after: Option<Duration>,
    },
    #[error("the response is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("no complete answer within {0} s")]
    Timeout(u64),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("more than {MAX_REDIRECTS} redirects")]
    Redirects,
    /// The network guard refused the address or the scheme (see [`client`]).
    #[error("refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Other(String),
}

impl FetchError {
    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Every cause in a reqwest error, joined: "error sending request: connection refused".
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn classify(e: &reqwest::Error, timeout: Duration) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout(timeout.as_secs())
    } else if e.is_redirect() {
        let text = chain(e);
        if text.contains("refused") || text.contains("not a public address") {
            FetchError::Refused(text)
        } else {
            FetchError::Redirects
        }
    } else if e.is_connect() {
        FetchError::Connect(chain(e))
    } else {
        FetchError::Other(chain(e))
    }
}

/// GETs `url`, conditionally when we have validators from the last fetch.
pub async fn fetch_url(
    client: &reqwest::Client,
    url: &url::Url,
    max_bytes: u64,
    timeout: Duration,
    etag: Option<&str>,
    last_modified: Option<&str>,
) -> Result<FetchOutcome, FetchError> {
    let mut request = client.get(url.clone()).timeout(timeout);
    if let Some(tag) = etag {
        request = request.header(IF_NONE_MATCH, tag);
    }
    if let Some(date) = last_modified {
        request = request.header(IF_MODIFIED_SINCE, date);
    }
    let mut response = request.send().await.map_err(|e| classify(&e, timeout))?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(FetchOutcome::NotModified);
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    if !status.is_success() {
        let retry_after = header(RETRY_AFTER)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Err(FetchError::Status {
            status: status.to_string(),
            retry_after,
        });
    }
    let content_type = header(CONTENT_TYPE);
    let new_etag = header(ETAG);
    let new_last_modified = header(LAST_MODIFIED);
    if let Some(len) = header(CONTENT_LENGTH).and_then(|l| l.parse::<u64>().ok())
        && len > max_bytes
    {
        return Err(FetchError::TooLarge { limit: max_bytes });
    }
    let origin = response.url().to_string();
    let mut bytes = Vec::new();
    // Chunks arrive decompressed, so the limit holds for what a small gzip body expands to.
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, timeout))? {
        if (bytes.len() + chunk.len()) as u64 > max_bytes {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(FetchOutcome::Fetched(Fetched {
        bytes,
        content_type,
        etag: new_etag,
        last_modified: new_last_modified,
        origin,
    }))
}

/// Reads a local file with the same size limit.
pub async fn read_file(path: &Path, max_bytes: u64) -> Result<Fetched, FetchError> {
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| FetchError::Other(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() > max_bytes {
        return Err(FetchError::TooLarge { limit: max_bytes });
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| FetchError::Other(format!("cannot read {}: {e}", path.display())))?;
    Ok(Fetched {
        bytes,
        content_type: None,
        etag: None,
        last_modified: None,
        origin: path.display().to_string(),
    })
}

#[cfg(test)]
mod guard_tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["203.0.114.1", "8.8.8.8", "2001:4860:4860::8888"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_naming_inward_addresses_are_refused_unless_allowed() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        for bad in [
            "http://127.0.0.1:7700/indexes",
            "http://[::1]/",
            "http://localhost/",
            "http://169.254.169.254/latest/meta-data/",
            "ftp://example.jp/",
        ] {
            assert!(check_target(&url(bad), false).is_err(), "{bad}");
        }
        assert!(check_target(&url("http://127.0.0.1:7700/"), true).is_ok());
        assert!(check_target(&url("https://www.jpcert.or.jp/rss/jpcert.rdf"), false).is_ok());
    }

    #[tokio::test]
    async fn a_name_that_resolves_inward_is_refused() {
        use reqwest::dns::Resolve;
        use std::str::FromStr;
        let name = reqwest::dns::Name::from_str("localhost").unwrap();
        let answer = PublicOnly.resolve(name).await;
        assert!(
            answer.is_err_and(|e| e.to_string().contains("non-public")),
            "localhost resolves to loopback only"
        );
    }
}
