//! One bad item must not block a feed: the items of a well-formed document that cannot be read
//! are kept aside with their reason (the document itself is already kept raw), and the source's
//! health counts them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QuarantinedItems::Table)
                    .col(big_pk_auto(QuarantinedItems::Id))
                    .col(string_len(QuarantinedItems::SourceKey, 64))
                    .col(string_len(QuarantinedItems::RawSha256, 64))
                    .col(integer(QuarantinedItems::Position))
                    .col(text_null(QuarantinedItems::UpstreamId))
                    .col(text(QuarantinedItems::Reason))
                    .col(timestamp_with_time_zone(QuarantinedItems::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_quarantined_items_source")
                    .table(QuarantinedItems::Table)
                    .col(QuarantinedItems::SourceKey)
                    .col(QuarantinedItems::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sources::Table)
                    .add_column(integer(Sources::ItemsQuarantined).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sources::Table)
                    .drop_column(Sources::ItemsQuarantined)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(QuarantinedItems::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum QuarantinedItems {
    Table,
    Id,
    SourceKey,
    RawSha256,
    Position,
    UpstreamId,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sources {
    Table,
    ItemsQuarantined,
}
