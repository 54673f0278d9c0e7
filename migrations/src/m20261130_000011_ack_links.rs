//! Acknowledgement links in mail: one per alert × organisation, random, stored hashed, expiring.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AckLinks::Table)
                    .col(big_pk_auto(AckLinks::Id))
                    .col(big_integer(AckLinks::AlertId))
                    .col(big_integer(AckLinks::OrganisationId))
                    // Random; the link's token is a keyed hash of it, so the database alone
                    // cannot make a working link.
                    .col(string_len(AckLinks::Nonce, 64))
                    // SHA-256 of the token, for lookup.
                    .col(string_len_uniq(AckLinks::TokenHash, 64))
                    .col(timestamp_with_time_zone(AckLinks::CreatedAt))
                    .col(timestamp_with_time_zone(AckLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AckLinks::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ack_links_alert_org")
                    .table(AckLinks::Table)
                    .col(AckLinks::AlertId)
                    .col(AckLinks::OrganisationId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AckLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AckLinks {
    Table,
    Id,
    AlertId,
    OrganisationId,
    Nonce,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
}
