//! Indexes the mail lanes' claim walks instead of sorting the queue. The claim takes the first
//! rows by `(priority, id)` among those waiting to be sent, and separately the few rows still
//! `sending` under an expired lease; without these, each claim read and sorted every waiting
//! row — 358 ms for 48 rows with a million queued on PostgreSQL (`EXPLAIN ANALYZE`: seq scan and
//! an external merge sort), 1.4 ms with them. Both are partial: a row leaves them when it is sent.

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
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
