//! A fresh database per test: a temp SQLite file by default; when `DATABASE_URL` names a
//! PostgreSQL server, a new database created on it.

use sea_orm::{ConnectionTrait, Database};

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
