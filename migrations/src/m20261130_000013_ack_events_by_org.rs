//! The inbox asks "has anything been reported for this organisation since?" on every view: an
//! index on the organisation's acknowledgement events answers that without a scan.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_ack_events_org")
                    .table(AckEvents::Table)
                    .col(AckEvents::OrganisationId)
                    .col(AckEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_ack_events_org")
                    .table(AckEvents::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AckEvents {
    Table,
    Id,
    OrganisationId,
}
