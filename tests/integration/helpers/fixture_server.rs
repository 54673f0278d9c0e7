//! An HTTP server for upstream fixtures, on raw TCP so it can misbehave on purpose: any status
//! and headers, a delay before answering, a body dripped a byte at a time, or no answer at all.
//! It records every request (method, path, headers) so tests can check conditional GETs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// How the server answers one path.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before sending anything.
    pub delay: Duration,
    /// Send the body one byte per interval.
    pub drip: Option<Duration>,
    /// Read the request and never answer.
    pub hang: bool,
}

impl Fixture {
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
            drip: None,
            hang: false,
        }
    }

    /// A file from `../shared/corpus` (or any path), served with status 200.
    pub fn file(path: impl AsRef<Path>) -> Self {
        let path = path.as_ref();
        Self::ok(std::fs::read(path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display())))
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn dripping(mut self, interval: Duration) -> Self {
        self.drip = Some(interval);
        self
    }

    pub fn hanging(mut self) -> Self {
        self.hang = true;
        self
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Fixture>,
    requests: Vec<RecordedRequest>,
}

pub struct FixtureServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: CancellationToken,
}

impl FixtureServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(listener, Arc::clone(&state), stop.clone()));
        Self { addr, state, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers `path` with `fixture` from now on (replacing any earlier one).
    pub fn serve(&self, path: &str, fixture: Fixture) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_owned(), fixture);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().unwrap().requests.clone()
    }
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = Arc::clone(&state);
                let stop = stop.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        () = stop.cancelled() => {}
                        _ = answer(stream, state) => {}
                    }
                });
            }
        }
    }
}

async fn answer(mut stream: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_owned();
    let path = request_line.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let fixture = {
        let mut state = state.lock().unwrap();
        state.requests.push(RecordedRequest {
            method,
            path: path.clone(),
            headers,
        });
        state.routes.get(&path).cloned()
    };
    let fixture = fixture.unwrap_or_else(|| Fixture::ok("not found").with_status(404));
    if fixture.hang {
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(fixture.delay).await;
    let mut response = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        fixture.status,
        reason(fixture.status),
        fixture.body.len()
    );
    for (k, v) in &fixture.headers {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("\r\n");
    stream.write_all(response.as_bytes()).await?;
    match fixture.drip {
        None => stream.write_all(&fixture.body).await?,
        Some(interval) => {
            for byte in &fixture.body {
                stream.write_all(std::slice::from_ref(byte)).await?;
                stream.flush().await?;
                tokio::time::sleep(interval).await;
            }
        }
    }
    stream.flush().await?;
    stream.shutdown().await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
