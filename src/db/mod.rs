//! The database: connecting to SQLite or PostgreSQL, applying migrations, and the sea-orm
//! entities. Only capability `store.rs` files use the entities; nothing here knows the domain.

pub mod entities;

use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use secrecy::ExposeSecret;

use crate::config::{DatabaseKind, Settings, redact_url};

/// Opens the pool. SQLite files are created on first use, in WAL mode so readers never wait for
/// the writer; the data directory is created if missing.
#[tracing::instrument(name = "Connect to the database", skip_all)]
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.database_url();
    let url = url.expose_secret();
    let kind = DatabaseKind::of_url(url).map_err(|e| anyhow::anyhow!("database.url {e}"))?;
    if kind == DatabaseKind::Sqlite {
        std::fs::create_dir_all(&settings.app.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.app.data_dir.display()
            )
        })?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.database.max_connections)
        .connect_timeout(Duration::from_secs(settings.database.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.database.connect_timeout_secs))
        .sqlx_logging(false)
        // A ping before every query doubles the round trips; only ping a connection that sat
        // idle long enough to have been dropped by a server or a firewall.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|conn, _| Box::pin(stable_plans(conn)))
        })
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
                // 64 MiB of page cache per connection (the default is 2 MiB): large feeds and
                // fan-outs touch many index pages in one transaction.
                .pragma("cache_size", "-65536")
                // Read pages straight from a memory map: a profile of feeds under load spent a
                // third of its CPU fetching pages from the page cache, serialised on its mutex.
                .pragma("mmap_size", "1073741824")
        });
    if kind == DatabaseKind::Postgres {
        options.set_application_name("noroshi");
    }
    Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to the database at {}", redact_url(url)))
}

/// Turns on SQLite's query planner stability guarantee for a new connection. Without it, any
/// statement with a bound `LIMIT` (every sea-orm `.one()`) is re-planned from its SQL text each
/// time it is used, because the planner may read the bound value: a profile of the portal under
/// load spent a quarter of its CPU in `sqlite3Reprepare`. With it, the plan is made once and the
/// statement cache works.
async fn stable_plans(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let raw = handle.as_raw_handle().as_ptr();
    let mut enabled: std::ffi::c_int = 0;
    // SAFETY: `raw` is this connection's open handle, held locked for the call;
    // SQLITE_DBCONFIG_ENABLE_QPSG takes an int and an int* that receives the new setting.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_db_config(
            raw,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            &mut enabled as *mut std::ffi::c_int,
        )
    };
    if rc != libsqlite3_sys::SQLITE_OK || enabled != 1 {
        return Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused the query planner stability option (code {rc})").into(),
        ));
    }
    Ok(())
}

/// Applies every pending migration; returns how many ran.
#[tracing::instrument(name = "Apply migrations", skip_all)]
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<usize> {
    let pending = Migrator::get_pending_migrations(db)
        .await
        .context("cannot read the migration table")?
        .len();
    Migrator::up(db, None).await.context("a migration failed")?;
    if pending > 0 {
        tracing::info!(applied = pending, "database schema is up to date");
    }
    Ok(pending)
}

/// Names of migrations that exist in this build but are not applied to the database.
pub async fn pending_migrations(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    Ok(Migrator::get_pending_migrations(db)
        .await
        .context("cannot read the migration table")?
        .iter()
        .map(|m| m.name().to_owned())
        .collect())
}

/// Every migration with whether it is applied, for `noroshi migrate --status`.
pub async fn migration_status(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, bool)>> {
    let pending = pending_migrations(db).await?;
    Ok(Migrator::migrations()
        .iter()
        .map(|m| {
            let name = m.name().to_owned();
            let applied = !pending.contains(&name);
            (name, applied)
        })
        .collect())
}

/// A trivial round trip, for readiness checks.
pub async fn ping(db: &impl ConnectionTrait) -> anyhow::Result<()> {
    let stmt = sea_orm::Statement::from_string(db.get_database_backend(), "SELECT 1");
    db.execute_raw(stmt)
        .await
        .context("the database did not answer")?;
    Ok(())
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// True when a database error is a unique-constraint violation (on either back end).
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// How long a client is asked to wait (`Retry-After`) while the database cannot be reached.
pub const RETRY_AFTER_SECS: u64 = 5;

/// Whether an error means the database cannot be reached or is busy right now (a restart, a
/// failover, a network cut, SQLite's writer lock held past its timeout) rather than that the
/// request was wrong: such a request is answered 503 with `Retry-After`, never 500.
pub fn is_unavailable(err: &anyhow::Error) -> bool {
    use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, sqlx};
    let sqlx_unavailable = |e: &sqlx::Error| match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            // PostgreSQL: connection exceptions (08…), the server shutting down or starting
            // (57P01–57P03); SQLite: busy or locked.
            c.starts_with("08") || matches!(&*c, "57P01" | "57P02" | "57P03" | "5" | "6" | "517")
        }),
        _ => false,
    };
    err.chain().any(|cause| {
        if let Some(db) = cause.downcast_ref::<DbErr>() {
            return match db {
                DbErr::ConnectionAcquire(
                    ConnAcquireErr::Timeout | ConnAcquireErr::ConnectionClosed,
                )
                | DbErr::Conn(_) => true,
                DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                    sqlx_unavailable(e)
                }
                _ => false,
            };
        }
        cause
            .downcast_ref::<sqlx::Error>()
            .is_some_and(sqlx_unavailable)
    })
}

/// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, so the write lock is
/// taken up front and a concurrent writer waits (busy timeout) instead of failing later with
/// `SQLITE_BUSY_SNAPSHOT` when it upgrades from reading; on PostgreSQL it is a plain `BEGIN`.
pub async fn begin_write<C: sea_orm::TransactionTrait>(
    db: &C,
) -> Result<C::Transaction, sea_orm::DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A raw statement written with PostgreSQL's `$1, $2 …` placeholders, rewritten to SQLite's
/// numbered `?1, ?2 …`, so a placeholder may appear in any order and more than once.
pub fn statement(backend: DbBackend, sql: &str, values: Vec<sea_orm::Value>) -> sea_orm::Statement {
    if backend == DbBackend::Postgres {
        return sea_orm::Statement::from_sql_and_values(backend, sql, values);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                out.push(d);
            }
        } else {
            out.push(c);
        }
    }
    sea_orm::Statement::from_sql_and_values(backend, out, values)
}

/// A timestamp as SQLite returns it from an expression (`MAX(published_at)`): the text sqlx
/// wrote (`2026-11-30 12:00:00.123456+00:00`) or RFC 3339.
pub fn parse_sqlite_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDateTime, Utc};
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unreachable_database_is_told_from_a_wrong_request() {
        use sea_orm::{ConnAcquireErr, DbErr, RuntimeErr, sqlx};
        let away = [
            DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
            DbErr::Conn(RuntimeErr::Internal("connection refused".into())),
            DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::new(sqlx::Error::Io(
                std::io::Error::from(std::io::ErrorKind::ConnectionReset),
            )))),
            DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(
                sqlx::Error::PoolTimedOut,
            ))),
        ];
        for e in away {
            let wrapped = anyhow::Error::new(e).context("cannot read the inbox");
            assert!(is_unavailable(&wrapped), "{wrapped:#}");
        }
        let wrong = [
            DbErr::RecordNotFound("alert 7".into()),
            DbErr::Custom("a bad value".into()),
            DbErr::Query(RuntimeErr::SqlxError(std::sync::Arc::new(
                sqlx::Error::RowNotFound,
            ))),
        ];
        for e in wrong {
            assert!(!is_unavailable(&anyhow::Error::new(e)));
        }
        assert!(!is_unavailable(&anyhow::anyhow!("template: missing field")));
    }

    use super::*;

    #[test]
    fn placeholders_are_numbered_on_sqlite_so_their_order_is_free() {
        let s = statement(
            DbBackend::Sqlite,
            "b = $2 AND a = $1 AND c = $12",
            vec![1.into(), 2.into()],
        );
        assert_eq!(s.sql, "b = ?2 AND a = ?1 AND c = ?12");
        let p = statement(DbBackend::Postgres, "a = $1", vec![1.into()]);
        assert_eq!(p.sql, "a = $1");
    }
}
