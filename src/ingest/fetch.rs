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

/// The HTTP client every poll uses: it names Noroshi in `User-Agent`.
pub fn client(base_url: &url::Url) -> anyhow::Result<reqwest::Client> {
    let agent = format!(
        "Noroshi/{} (advisory hub for Japanese local governments; +{base_url})",
        env!("CARGO_PKG_VERSION")
    );
    Ok(reqwest::Client::builder()
        .user_agent(agent)
        .gzip(true)
        .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        .connect_timeout(CONNECT_TIMEOUT)
        .build()?)
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
        FetchError::Redirects
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
