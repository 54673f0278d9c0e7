//! Every mail the hub sends has an envelope sender that names it: a notice (連絡先確認, survey
//! requests, report mails, report cards, subscription confirmations) goes out from its own VERP
//! address too, and a bounce to that address is recorded on the notice's row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            timestamp_with_time_zone_null(AdminNotices::BouncedAt),
            string_len_null(AdminNotices::BounceStatus, 16),
            text_null(AdminNotices::BounceReason),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AdminNotices::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            AdminNotices::BouncedAt,
            AdminNotices::BounceStatus,
            AdminNotices::BounceReason,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AdminNotices::Table)
                        .drop_column(col)
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
    BouncedAt,
    BounceStatus,
    BounceReason,
}
