//! A small SMTP server that speaks the protocol over real TCP and records every transaction
//! (envelope sender, every RCPT, the raw message). The integration tests send to it, and the
//! fan-out benchmark uses it when postfix's `smtp-sink` is not installed. It stands in for an
//! external mail relay, never for Noroshi itself. A `SinkPolicy` can refuse recipients, refuse
//! messages or drop the connection mid-DATA, for fault tests.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Largest message accepted, as announced in EHLO.
const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;

/// One completed mail transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The reverse path of `MAIL FROM`, without angle brackets.
    pub mail_from: String,
    /// Every accepted `RCPT TO`, without angle brackets, in order.
    pub rcpt_to: Vec<String>,
    /// The message as received, dot-stuffing removed, lines ending in CRLF.
    pub data: Vec<u8>,
    /// When its DATA ended (a test measures the pace of a sender with it).
    pub at: std::time::Instant,
}

impl Transaction {
    pub fn data_str(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// An SMTP reply: code and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }
}

/// What happens at the end of DATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataOutcome {
    /// Answer with this reply; a 2xx reply records the transaction.
    Reply(Reply),
    /// Close the connection without answering (a relay that died mid-transaction).
    Drop,
}

/// Decides the sink's answers. The default accepts everything.
pub trait SinkPolicy: Send + Sync + 'static {
    fn on_rcpt(&self, _rcpt: &str) -> Reply {
        Reply::new(250, "2.1.5 OK")
    }
    fn on_data(&self, _txn: &Transaction) -> DataOutcome {
        DataOutcome::Reply(Reply::new(250, "2.0.0 OK queued"))
    }
    /// Whether EHLO announces PIPELINING (the sink handles pipelined commands either way).
    fn pipelining(&self) -> bool {
        true
    }
    /// How long to wait before answering DATA (a slow relay).
    fn data_delay(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

/// Accepts everything.
pub struct AcceptAll;
impl SinkPolicy for AcceptAll {}

struct Shared {
    received: Mutex<Vec<Transaction>>,
    arrived: Notify,
    policy: Mutex<Arc<dyn SinkPolicy>>,
    record: bool,
}

/// A running sink. Dropping it stops the listener.
pub struct SmtpSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: CancellationToken,
}

impl SmtpSink {
    /// Starts a sink on 127.0.0.1 and a free port, recording every transaction.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0".parse().map_err(std::io::Error::other)?, true).await
    }

    /// Starts a sink on `addr`. With `record` off it only counts, for benchmarks.
    pub async fn start_on(addr: SocketAddr, record: bool) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            policy: Mutex::new(Arc::new(AcceptAll)),
            record,
        });
        let stop = CancellationToken::new();
        tokio::spawn(accept_loop(listener, Arc::clone(&shared), stop.clone()));
        Ok(Self { addr, shared, stop })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Replaces the policy for transactions that start from now on.
    pub fn set_policy(&self, policy: impl SinkPolicy) {
        if let Ok(mut p) = self.shared.policy.lock() {
            *p = Arc::new(policy);
        }
    }

    /// Every transaction completed so far.
    pub fn received(&self) -> Vec<Transaction> {
        self.shared
            .received
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Forgets what arrived so far (a test's next step counts from here).
    pub fn clear(&self) {
        if let Ok(mut r) = self.shared.received.lock() {
            r.clear();
        }
    }

    /// Waits until at least `n` transactions have arrived, or `timeout` passes; returns them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Transaction> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.arrived.notified();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.received();
            }
        }
    }

    /// Stops accepting connections (the relay is down). Open connections are closed too.
    pub fn shut_down(&self) {
        self.stop.cancel();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let stop = stop.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        () = stop.cancelled() => {}
                        _ = session(stream, shared) => {}
                    }
                });
            }
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, write) = stream.into_split();
    let mut reader = BufReader::with_capacity(64 * 1024, read);
    let mut writer = BufWriter::new(write);
    writer
        .write_all(b"220 noroshi-sink ESMTP ready\r\n")
        .await?;
    writer.flush().await?;
    let policy = shared.policy.lock().map(|p| Arc::clone(&p)).ok();
    let policy: Arc<dyn SinkPolicy> = policy.unwrap_or_else(|| Arc::new(AcceptAll));
    let mut mail_from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = Vec::with_capacity(512);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: Reply = match verb.as_str() {
            "EHLO" => {
                writer
                    .write_all(
                        format!(
                            "250-noroshi-sink\r\n{}250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {MAX_MESSAGE_BYTES}\r\n",
                            if policy.pipelining() { "250-PIPELINING\r\n" } else { "" }
                        )
                        .as_bytes(),
                    )
                    .await?;
                if reader.buffer().is_empty() {
                    writer.flush().await?;
                }
                continue;
            }
            "HELO" => Reply::new(250, "noroshi-sink"),
            "MAIL" => match path_argument(command, "FROM:") {
                Some(from) => {
                    mail_from = Some(from);
                    rcpts.clear();
                    Reply::new(250, "2.1.0 OK")
                }
                None => Reply::new(501, "5.5.4 syntax: MAIL FROM:<address>"),
            },
            "RCPT" => match (&mail_from, path_argument(command, "TO:")) {
                (None, _) => Reply::new(503, "5.5.1 MAIL first"),
                (Some(_), None) => Reply::new(501, "5.5.4 syntax: RCPT TO:<address>"),
                (Some(_), Some(to)) => {
                    let reply = policy.on_rcpt(&to);
                    if reply.code / 100 == 2 {
                        rcpts.push(to);
                    }
                    reply
                }
            },
            // Refusals are answered like any other command, so pipelined clients get them.
            "DATA" => match (mail_from.take(), rcpts.is_empty()) {
                (None, _) => Reply::new(503, "5.5.1 MAIL first"),
                (Some(_), true) => Reply::new(554, "5.5.1 no valid recipients"),
                (Some(from), false) => {
                    write_reply(
                        &mut writer,
                        &Reply::new(354, "end data with <CR><LF>.<CR><LF>"),
                    )
                    .await?;
                    writer.flush().await?;
                    let Some(data) = read_data(&mut reader).await? else {
                        write_reply(&mut writer, &Reply::new(552, "5.3.4 message too big")).await?;
                        writer.flush().await?;
                        return Ok(());
                    };
                    let txn = Transaction {
                        mail_from: from,
                        rcpt_to: std::mem::take(&mut rcpts),
                        data,
                        at: std::time::Instant::now(),
                    };
                    let delay = policy.data_delay();
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    match policy.on_data(&txn) {
                        DataOutcome::Drop => return Ok(()),
                        DataOutcome::Reply(reply) => {
                            if reply.code / 100 == 2 {
                                if let Ok(mut r) = shared.received.lock() {
                                    if shared.record {
                                        r.push(txn);
                                    } else {
                                        r.push(Transaction {
                                            mail_from: String::new(),
                                            rcpt_to: Vec::new(),
                                            data: Vec::new(),
                                            at: txn.at,
                                        });
                                    }
                                }
                                shared.arrived.notify_waiters();
                            }
                            reply
                        }
                    }
                }
            },
            "RSET" => {
                mail_from = None;
                rcpts.clear();
                Reply::new(250, "2.0.0 OK")
            }
            "NOOP" => Reply::new(250, "2.0.0 OK"),
            "QUIT" => {
                write_reply(&mut writer, &Reply::new(221, "2.0.0 bye")).await?;
                writer.flush().await?;
                return Ok(());
            }
            _ => Reply::new(502, "5.5.2 command not implemented"),
        };
        write_reply(&mut writer, &reply).await?;
        // Pipelined commands are answered together; flush when the client waits for us.
        if reader.buffer().is_empty() {
            writer.flush().await?;
        }
    }
}

async fn write_reply<W: AsyncWriteExt + Unpin>(w: &mut W, reply: &Reply) -> std::io::Result<()> {
    w.write_all(format!("{} {}\r\n", reply.code, reply.text).as_bytes())
        .await
}

/// `MAIL FROM:<a@b> SIZE=10` → `a@b`.
fn path_argument(command: &str, keyword: &str) -> Option<String> {
    let upper = command.to_ascii_uppercase();
    let start = upper.find(keyword)? + keyword.len();
    let rest = command[start..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].to_owned())
}

/// Reads the message up to the lone dot, undoing dot-stuffing. `None` if it is too big.
async fn read_data<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::with_capacity(8 * 1024);
    let mut line = Vec::with_capacity(1024);
    let mut too_big = false;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed during DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(if too_big { None } else { Some(data) });
        }
        if too_big {
            continue;
        }
        let content = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(content);
        if data.len() > MAX_MESSAGE_BYTES {
            too_big = true;
            data.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::path_argument;

    #[test]
    fn paths_are_taken_from_between_angle_brackets() {
        assert_eq!(
            path_argument("MAIL FROM:<hub@noroshi.example> SIZE=100", "FROM:").as_deref(),
            Some("hub@noroshi.example")
        );
        assert_eq!(
            path_argument("rcpt to: <a@b.jp>", "TO:").as_deref(),
            Some("a@b.jp")
        );
        assert_eq!(path_argument("MAIL FROM:<>", "FROM:").as_deref(), Some(""));
        assert_eq!(path_argument("RCPT TO:a@b.jp", "TO:"), None);
    }
}
