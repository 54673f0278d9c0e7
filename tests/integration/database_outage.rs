//! The database going away under a running hub (PostgreSQL restarting, a failover, a cut
//! network): pages and the API answer 503 with `Retry-After`, never 500; `/readyz` says the
//! database is unreachable; when it is back, the same process serves again without a restart.
//! The outage is a cut in a TCP proxy between the hub and PostgreSQL (a test cannot stop the
//! server others share): every open connection dropped, new ones refused. On SQLite (a file,
//! nothing to cut) the test says so and is skipped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use noroshi::auth::Role;
use reqwest::StatusCode;
use secrecy::SecretString;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::helpers::browser::Browser;
use crate::helpers::database::{fresh_database_url, on_postgres};
use crate::helpers::mail::user;
use crate::helpers::spawn_app_with;

/// Forwards `listen` to `upstream` until cut; a cut closes every connection and refuses new ones.
struct Proxy {
    listen: SocketAddr,
    upstream: SocketAddr,
    running: Mutex<CancellationToken>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Arc<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let listen = listener.local_addr().expect("its address");
        let proxy = Arc::new(Self {
            listen,
            upstream,
            running: Mutex::new(CancellationToken::new()),
        });
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let stop = self.running.lock().unwrap().clone();
        let upstream = self.upstream;
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    () = stop.cancelled() => return,
                    a = listener.accept() => a,
                };
                let Ok((mut client, _)) = accepted else {
                    continue;
                };
                let stop = stop.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        () = stop.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
    }

    /// The database is gone: open connections are dropped, new ones refused.
    fn cut(&self) {
        self.running.lock().unwrap().cancel();
    }

    /// It is back, on the same address.
    async fn resume(&self) {
        *self.running.lock().unwrap() = CancellationToken::new();
        let listener = TcpListener::bind(self.listen)
            .await
            .expect("the proxy's port again");
        self.serve(listener);
    }
}

#[tokio::test]
async fn while_the_database_is_away_pages_say_503_with_retry_after_and_the_hub_recovers_by_itself()
{
    if !on_postgres() {
        eprintln!("skipped: the database outage is a cut between the hub and PostgreSQL");
        return;
    }
    let url = fresh_database_url().await.expect("a PostgreSQL database");
    let mut via = url::Url::parse(&url).expect("a URL");
    let upstream: SocketAddr = format!(
        "{}:{}",
        via.host_str().expect("a host"),
        via.port().unwrap_or(5432)
    )
    .parse()
    .expect("DATABASE_URL names the server by address");
    let proxy = Proxy::start(upstream).await;
    via.set_port(Some(proxy.listen.port())).expect("a port");
    let app = spawn_app_with(move |s| {
        s.database.url = Some(SecretString::from(via.to_string()));
        s.database.connect_timeout_secs = 2;
    })
    .await;
    user(
        &app.ctx,
        "131016",
        Role::Member,
        "member@city.chiyoda.lg.jp",
    )
    .await;
    let mut member = Browser::new(&app.address);
    member
        .log_in("member@city.chiyoda.lg.jp", "correct horse battery staple")
        .await;
    assert_eq!(member.get("/inbox").await.status, StatusCode::OK);
    let client = reqwest::Client::new();
    let get = |path: &str, cookie: Option<String>| {
        let mut req = client.get(app.url(path));
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        req.send()
    };
    assert_eq!(
        get("/api/v1/alerts", None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    proxy.cut();
    let cut_at = Instant::now();
    // A signed-in page, a public page and the readiness probe, during the outage.
    for path in ["/inbox", "/feeds/public.atom", "/faq"] {
        let r = get(path, Some(member.cookie_header())).await.unwrap();
        let status = r.status();
        let retry = r
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {body}");
        assert_eq!(retry.as_deref(), Some("5"), "{path}");
        if path != "/feeds/public.atom" {
            assert!(
                body.contains("データベースに接続できないため、一時的に利用できません"),
                "{path}: {body}"
            );
        }
    }
    let ready = get("/readyz", None).await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        ready
            .text()
            .await
            .unwrap()
            .contains("\"database\":\"unreachable\"")
    );
    // An API call with a token: the JSON error says unavailable.
    let api = client
        .get(app.url("/api/v1/alerts"))
        .bearer_auth("nrs_0000000000000000000000000000000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        api.text()
            .await
            .unwrap()
            .contains("\"code\":\"unavailable\"")
    );
    eprintln!(
        "during the outage: 5 requests answered 503 in {:.1} s",
        cut_at.elapsed().as_secs_f64()
    );

    // Back: the same process serves the same session again, without a restart.
    proxy.resume().await;
    let back = Instant::now();
    loop {
        let page = member.get("/inbox").await;
        if page.status == StatusCode::OK {
            break;
        }
        assert_eq!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            page.body
        );
        assert!(
            back.elapsed() < Duration::from_secs(15),
            "still {} 15 s after the database came back",
            page.status
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "serving again {:.1} s after the database came back",
        back.elapsed().as_secs_f64()
    );
    assert_eq!(get("/readyz", None).await.unwrap().status(), StatusCode::OK);
}
