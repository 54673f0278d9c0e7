//! One SMTP transaction on the wire: the envelope, dot-stuffed content and the relay's replies, pipelined when the relay offers it; and the TLS stream lettre's connection runs over.

#[allow(unused_imports)]
use super::*;

/// Where a transaction failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Failed {
    /// At MAIL, before any of the message could have been accepted.
    AtMail,
    /// At RCPT or DATA: the content never went.
    BeforeContent,
    /// While the content went or its final reply was awaited: it may have been delivered.
    AfterContent,
}

/// MAIL, RCPT, DATA and the message; the first negative reply ends it, and the error says where.
/// With PIPELINING the three commands go in one write and their three replies are read in order,
/// so a message costs two round trips instead of four.
pub(super) async fn transaction(
    c: &mut Connection,
    from: &Address,
    to: &Address,
    message: &[u8],
) -> Result<Response, (Failed, lettre::transport::smtp::Error)> {
    let mail = Mail::new(Some(from.clone()), vec![]);
    let rcpt = Rcpt::new(to.clone(), vec![]);
    let c = if c.pipelining {
        let group = format!("{mail}{rcpt}{Data}");
        let mail_reply = match c.inner.command(group).await {
            // No reply at all: the connection is gone and nothing was accepted.
            Err(e) if !e.is_permanent() && !e.is_transient() => return Err((Failed::AtMail, e)),
            other => other,
        };
        // Every reply is read, whatever came before, so the session stays in step.
        let rcpt_reply = c.inner.read_response().await;
        let data_reply = c.inner.read_response().await;
        let first_error = mail_reply
            .err()
            .or(rcpt_reply.err())
            .map(|e| (Failed::BeforeContent, e));
        return match (first_error, data_reply) {
            (None, Ok(_)) => c
                .inner
                .message(message)
                .await
                .map_err(|e| (Failed::AfterContent, e)),
            (Some(e), Ok(_)) => {
                // A relay that took DATA after refusing the envelope: end it with an empty
                // message, which it must refuse.
                let _ = c.inner.message(b"").await;
                Err(e)
            }
            (Some(e), Err(_)) => Err(e),
            (None, Err(e)) => Err((Failed::BeforeContent, e)),
        };
    } else {
        &mut c.inner
    };
    c.command(mail).await.map_err(|e| (Failed::AtMail, e))?;
    c.command(rcpt)
        .await
        .map_err(|e| (Failed::BeforeContent, e))?;
    c.command(Data)
        .await
        .map_err(|e| (Failed::BeforeContent, e))?;
    c.message(message)
        .await
        .map_err(|e| (Failed::AfterContent, e))
}

/// One step of a stream of messages on a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The relay accepted the envelope and DATA: the content goes with the next step.
    Accepted,
    /// Finished: refused, or sent whole.
    Done(SendOutcome),
    /// The connection broke while the previous message's content was answered, before this
    /// message's envelope was: none of it reached the relay, so it may go at once on a new
    /// connection.
    NotSent,
}

/// MAIL, RCPT and DATA in one write (the relay announced PIPELINING), then their replies.
pub(super) async fn envelope(
    c: &mut Connection,
    from: &Address,
    to: &Address,
) -> Result<(), (bool, lettre::transport::smtp::Error)> {
    let group = format!(
        "{}{}{Data}",
        Mail::new(Some(from.clone()), vec![]),
        Rcpt::new(to.clone(), vec![])
    );
    let mail_reply = match c.inner.command(group).await {
        // No reply at all: the connection is gone and nothing was accepted.
        Err(e) if !e.is_permanent() && !e.is_transient() => return Err((true, e)),
        other => other,
    };
    envelope_replies(c, Some(mail_reply)).await
}

/// The replies to MAIL, RCPT and DATA, read in order whatever came before so the session stays
/// in step (`mail_reply` when the MAIL reply was read already). A relay that took DATA after
/// refusing the envelope gets an empty message, which it must refuse.
pub(super) async fn envelope_replies(
    c: &mut Connection,
    mail_reply: Option<Result<Response, lettre::transport::smtp::Error>>,
) -> Result<(), (bool, lettre::transport::smtp::Error)> {
    let mail_reply = match mail_reply {
        Some(r) => r,
        None => match c.inner.read_response().await {
            Err(e) if !e.is_permanent() && !e.is_transient() => return Err((false, e)),
            other => other,
        },
    };
    let rcpt_reply = c.inner.read_response().await;
    let data_reply = c.inner.read_response().await;
    let first_error = mail_reply.err().or(rcpt_reply.err()).map(|e| (false, e));
    match (first_error, data_reply) {
        (None, Ok(_)) => Ok(()),
        (Some(e), Ok(_)) => {
            let _ = c.inner.message(b"").await;
            Err(e)
        }
        (Some(e), Err(_)) => Err(e),
        (None, Err(e)) => Err((false, e)),
    }
}

/// SMTP transparency (RFC 5321 4.5.2): a line that starts with a dot gets another.
pub(super) fn dot_stuff(text: &str, out: &mut String) {
    // Line by line (`find` is a memchr), not character by character: this runs over every byte
    // of every message sent with the next one's envelope.
    let mut rest = text;
    loop {
        if rest.starts_with('.') {
            out.push('.');
        }
        match rest.find('\n') {
            Some(end) => {
                out.push_str(&rest[..=end]);
                rest = &rest[end + 1..];
            }
            None => {
                out.push_str(rest);
                return;
            }
        }
    }
}

/// A negative reply as the relay gave it: "451 4.7.1 greylisted, try again later".
pub(super) fn reply_text(e: &lettre::transport::smtp::Error) -> String {
    let shown = e.to_string();
    match e.status() {
        Some(code) => {
            let text = shown.split_once("): ").map_or(shown.as_str(), |(_, t)| t);
            format!("{code} {text}")
        }
        None => shown,
    }
}

pub(super) fn describe_response(r: &Response) -> String {
    let text = r.message().collect::<Vec<_>>().join(" ");
    format!("{} {text}", r.code())
}

/// A TLS stream lettre already encrypted, handed back to it as a plain transport.
#[derive(Debug)]
pub(super) struct Encrypted(pub(super) Compat<AsyncNetworkStream>);

impl tokio::io::AsyncRead for Encrypted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Encrypted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Encrypted {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().peer_addr()
    }
}
