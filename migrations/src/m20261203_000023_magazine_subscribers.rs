//! The メールマガジン's readers beyond the organisations' contact addresses: staff who subscribed
//! themselves (double opt-in), and the contact addresses that opted out.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MagazineSubscribers::Table)
                    .col(big_pk_auto(MagazineSubscribers::Id))
                    .col(string_len_uniq(MagazineSubscribers::Email, 254))
                    .col(big_integer(MagazineSubscribers::OrganisationId))
                    .col(string_len(MagazineSubscribers::Language, 8))
                    .col(string_len(MagazineSubscribers::Encoding, 16))
                    .col(string_len(MagazineSubscribers::Status, 16))
                    .col(string_len_null(MagazineSubscribers::ConfirmHash, 64))
                    .col(timestamp_with_time_zone_null(
                        MagazineSubscribers::ConfirmExpiresAt,
                    ))
                    .col(timestamp_with_time_zone(MagazineSubscribers::LastMailedAt))
                    .col(timestamp_with_time_zone(MagazineSubscribers::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        MagazineSubscribers::ConfirmedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        MagazineSubscribers::UnsubscribedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_magazine_subscribers_confirm")
                    .table(MagazineSubscribers::Table)
                    .col(MagazineSubscribers::ConfirmHash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_magazine_subscribers_status")
                    .table(MagazineSubscribers::Table)
                    .col(MagazineSubscribers::Status)
                    .col(MagazineSubscribers::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MagazineOptouts::Table)
                    .col(big_integer(MagazineOptouts::ContactId).primary_key())
                    .col(timestamp_with_time_zone(MagazineOptouts::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MagazineOptouts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MagazineSubscribers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MagazineSubscribers {
    Table,
    Id,
    Email,
    OrganisationId,
    Language,
    Encoding,
    Status,
    ConfirmHash,
    ConfirmExpiresAt,
    LastMailedAt,
    CreatedAt,
    ConfirmedAt,
    UnsubscribedAt,
}

#[derive(DeriveIden)]
enum MagazineOptouts {
    Table,
    ContactId,
    CreatedAt,
}
