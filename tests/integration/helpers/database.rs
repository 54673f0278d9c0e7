//! A fresh database per test: a temp SQLite file by default; when `DATABASE_URL` names a
//! PostgreSQL server, a new database created on it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, Database};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// The URL of a fresh, empty database, or `None` for SQLite in the test's data directory.
pub async fn fresh_database_url() -> Option<String> {
    let base = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))?;
    let name = format!("noroshi_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(base.as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL: {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = admin.close().await;
    let mut url = url::Url::parse(&base).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

pub fn on_postgres() -> bool {
    std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"))
}

/// Forwards `listen` to `upstream` until cut; a cut closes every connection and refuses new ones.
pub struct Proxy {
    pub listen: SocketAddr,
    upstream: SocketAddr,
    running: Mutex<CancellationToken>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Arc<Self> {
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
    pub fn cut(&self) {
        self.running.lock().unwrap().cancel();
    }

    /// It is back, on the same address.
    pub async fn resume(&self) {
        *self.running.lock().unwrap() = CancellationToken::new();
        let listener = TcpListener::bind(self.listen)
            .await
            .expect("the proxy's port again");
        self.serve(listener);
    }
}
