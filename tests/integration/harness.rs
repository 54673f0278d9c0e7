//! The harness helpers work: mail sent to the SMTP sink arrives whole, fixtures are served as
//! asked.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};
use noroshi::smtp_sink::{Reply, SinkPolicy, SmtpSink};

use crate::helpers::{Fixture, FixtureServer};

fn transport(sink: &SmtpSink) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(sink.port())
        .build()
}

#[tokio::test]
async fn a_mail_sent_to_the_smtp_sink_is_received_whole() {
    let sink = SmtpSink::start().await.unwrap();
    let body =
        "千代田区 ご担当者様\r\n\r\n.この行はドットで始まります\r\n..二つのドット\r\n以上\r\n";
    let message = Message::builder()
        .from("hub@noroshi.example".parse::<Mailbox>().unwrap())
        .to("joho@city.chiyoda.lg.jp".parse::<Mailbox>().unwrap())
        .subject("[Noroshi][緊急] 試験送信")
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .unwrap();
    transport(&sink).send(message).await.unwrap();

    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].mail_from, "hub@noroshi.example");
    assert_eq!(got[0].rcpt_to, vec!["joho@city.chiyoda.lg.jp".to_owned()]);
    let parsed = mail_parser::MessageParser::default()
        .parse(&got[0].data)
        .expect("the received message parses");
    assert_eq!(parsed.subject(), Some("[Noroshi][緊急] 試験送信"));
    let text = parsed.body_text(0).unwrap();
    assert_eq!(
        text.replace("\r\n", "\n"),
        body.replace("\r\n", "\n"),
        "dot-stuffing undone exactly once"
    );
}

#[tokio::test]
async fn the_smtp_sink_records_every_rcpt_of_a_transaction() {
    let sink = SmtpSink::start().await.unwrap();
    let message = Message::builder()
        .from("hub@noroshi.example".parse::<Mailbox>().unwrap())
        .to("a@example.jp".parse::<Mailbox>().unwrap())
        .to("b@example.jp".parse::<Mailbox>().unwrap())
        .subject("two")
        .body("x".to_owned())
        .unwrap();
    transport(&sink).send(message).await.unwrap();
    let got = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(
        got[0].rcpt_to,
        vec!["a@example.jp".to_owned(), "b@example.jp".to_owned()]
    );
}

struct RefuseOne;
impl SinkPolicy for RefuseOne {
    fn on_rcpt(&self, rcpt: &str) -> Reply {
        if rcpt.starts_with("gone@") {
            Reply::new(550, "5.1.1 no such user")
        } else {
            Reply::new(250, "OK")
        }
    }
}

#[tokio::test]
async fn the_smtp_sink_refuses_what_its_policy_refuses() {
    let sink = SmtpSink::start().await.unwrap();
    sink.set_policy(RefuseOne);
    let message = Message::builder()
        .from("hub@noroshi.example".parse::<Mailbox>().unwrap())
        .to("gone@example.jp".parse::<Mailbox>().unwrap())
        .subject("x")
        .body("x".to_owned())
        .unwrap();
    let err = transport(&sink).send(message).await.unwrap_err();
    assert!(err.is_permanent(), "{err}");
    assert!(err.to_string().contains("no such user"), "{err}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn a_fixture_is_served_with_the_asked_status_and_headers() {
    let server = FixtureServer::start().await;
    server.serve(
        "/down",
        Fixture::ok("maintenance")
            .with_status(503)
            .with_header("Retry-After", "120"),
    );
    server.serve(
        "/feed.rdf",
        Fixture::ok("<rdf/>").with_header("ETag", "\"v1\""),
    );
    let client = reqwest::Client::new();

    let down = client.get(server.url("/down")).send().await.unwrap();
    assert_eq!(down.status(), 503);
    assert_eq!(down.headers()["retry-after"], "120");
    assert_eq!(down.text().await.unwrap(), "maintenance");

    let feed = client
        .get(server.url("/feed.rdf"))
        .header("If-None-Match", "\"v0\"")
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    assert_eq!(feed.headers()["etag"], "\"v1\"");
    assert_eq!(feed.text().await.unwrap(), "<rdf/>");

    let missing = client.get(server.url("/nothing")).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    let requests = server.requests();
    let feed_request = requests.iter().find(|r| r.path == "/feed.rdf").unwrap();
    assert_eq!(feed_request.header("if-none-match"), Some("\"v0\""));
}

#[tokio::test]
async fn a_corpus_file_is_served_byte_for_byte() {
    let path = "../shared/corpus/jvn/jvndb_new_2025-04-13.rdf";
    let server = FixtureServer::start().await;
    server.serve("/jvndb_new.rdf", Fixture::file(path));
    let got = reqwest::get(server.url("/jvndb_new.rdf"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(got.as_ref(), std::fs::read(path).unwrap().as_slice());
}

#[tokio::test]
async fn a_hanging_fixture_never_answers_and_a_dripping_one_is_slow() {
    let server = FixtureServer::start().await;
    server.serve("/hang", Fixture::ok("never").hanging());
    server.serve(
        "/drip",
        Fixture::ok("abcdef").dripping(Duration::from_millis(100)),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let hang = client.get(server.url("/hang")).send().await.unwrap_err();
    assert!(hang.is_timeout(), "{hang}");
    let started = std::time::Instant::now();
    let slow = reqwest::get(server.url("/drip"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(slow, "abcdef");
    assert!(started.elapsed() >= Duration::from_millis(500));
}
