//! Notices by kind and priority: a flood of one kind (self-subscription confirmations, which
//! anyone can ask for) never delays incident-report mail or the notices to hub administrators
//! (review 3 N-M2: 6,856 confirmations were ahead of a 第1報's two mails in the one queue).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AdminNotices::Table)
                    .add_column(string_len(AdminNotices::Kind, 16).default("security"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AdminNotices::Table)
                    .add_column(small_integer(AdminNotices::Priority).default(0))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            "UPDATE admin_notices SET kind = 'report', priority = 1 WHERE report_id IS NOT NULL",
            "CREATE INDEX idx_admin_notices_waiting ON admin_notices (priority, id) WHERE sent_at IS NULL",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_admin_notices_waiting")
            .await?;
        for column in [AdminNotices::Priority, AdminNotices::Kind] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AdminNotices::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AdminNotices {
    Table,
    Kind,
    Priority,
}
