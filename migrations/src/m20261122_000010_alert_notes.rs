//! 補足: notes a prefecture adds to an alert for its municipalities.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertNotes::Table)
                    .col(big_pk_auto(AlertNotes::Id))
                    .col(big_integer(AlertNotes::AlertId))
                    .col(big_integer(AlertNotes::OrganisationId))
                    .col(text(AlertNotes::Body))
                    .col(string_len(AlertNotes::Author, 128))
                    .col(timestamp_with_time_zone(AlertNotes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_notes_alert")
                    .table(AlertNotes::Table)
                    .col(AlertNotes::AlertId)
                    .col(AlertNotes::OrganisationId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AlertNotes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AlertNotes {
    Table,
    Id,
    AlertId,
    OrganisationId,
    Body,
    Author,
    CreatedAt,
}
