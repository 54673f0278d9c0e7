//! Indexes the mail lanes' claim walks instead of sorting the queue. The claim takes the first
//! rows by `(priority, id)` among those waiting to be sent, and separately the few rows still
//! `sending` under an expired lease; without these, each claim read and sorted every waiting
//! row — 358 ms for 48 rows with a million queued on PostgreSQL (`EXPLAIN ANALYZE`: seq scan and
//! an external merge sort), 1.4 ms with them. Both are partial: a row leaves them when it is sent.
//!
//! Two indexes go: `idx_deliveries_due` (status, priority, next_attempt_at), which only the old
//! claim used, and `idx_deliveries_alert` (alert_id), a prefix of `deliveries_alert_org`. Every
//! claim and every recorded outcome changes a row's status, and on PostgreSQL such an update
//! writes an entry into every index of the table: fewer indexes, cheaper sends.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX idx_deliveries_waiting ON deliveries (priority, id) \
             WHERE status IN ('queued', 'deferred')",
            "CREATE INDEX idx_deliveries_leased ON deliveries (lease_until) \
             WHERE status = 'sending'",
            "DROP INDEX IF EXISTS idx_deliveries_due",
            "DROP INDEX IF EXISTS idx_deliveries_alert",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for sql in [
            "DROP INDEX IF EXISTS idx_deliveries_waiting",
            "DROP INDEX IF EXISTS idx_deliveries_leased",
            "CREATE INDEX idx_deliveries_due ON deliveries (status, priority, next_attempt_at)",
            "CREATE INDEX idx_deliveries_alert ON deliveries (alert_id)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
