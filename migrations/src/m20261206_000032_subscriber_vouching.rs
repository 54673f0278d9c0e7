//! Who vouched for a self-subscribed メールマガジン reader: the reader is a portal user of the
//! organisation (subscribed while signed in, at the account's own address), or one of its
//! administrators approved them. Without that, a reader gets TLP:CLEAR items only. Readers who
//! subscribed before are not vouched for: their organisation was inferred from a mail domain.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MagazineSubscribers::Table)
                    .add_column(string_len_null(MagazineSubscribers::VouchedBy, 300))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MagazineSubscribers::Table)
                    .add_column(timestamp_with_time_zone_null(
                        MagazineSubscribers::VouchedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(MagazineSubscribers::Table)
                    .add_column(string_len(MagazineSubscribers::LimitKey, 254).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("UPDATE magazine_subscribers SET limit_key = lower(email)")
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_magazine_subscribers_limit")
                    .table(MagazineSubscribers::Table)
                    .col(MagazineSubscribers::LimitKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_magazine_subscribers_limit")
            .await?;
        for column in [
            MagazineSubscribers::LimitKey,
            MagazineSubscribers::VouchedAt,
            MagazineSubscribers::VouchedBy,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MagazineSubscribers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum MagazineSubscribers {
    Table,
    VouchedBy,
    VouchedAt,
    LimitKey,
}
