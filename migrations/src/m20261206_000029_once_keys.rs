//! Keys of things done at most once in a period: a 連絡先確認 campaign per scope per day, a
//! report card mailed per organisation, 年度 and day (review 3 N-L7: five clicks queued five
//! campaigns). The first insert of a key wins; the rest find it taken.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OnceKeys::Table)
                    .col(string_len(OnceKeys::Key, 200).primary_key())
                    .col(timestamp_with_time_zone(OnceKeys::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OnceKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OnceKeys {
    Table,
    Key,
    CreatedAt,
}
