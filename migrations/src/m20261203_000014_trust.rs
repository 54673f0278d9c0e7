//! Trust fixes from the 2026-12 security review: a password set by someone else must be changed
//! at the next login, and mail to the hub administrators about privileged account changes waits
//! in its own small queue, one row per administrator (written in the transaction of the change, sent by a worker).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::MustChangePassword).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AdminNotices::Table)
                    .col(big_pk_auto(AdminNotices::Id))
                    .col(string_len(AdminNotices::Recipient, 254))
                    .col(string_len(AdminNotices::Subject, 200))
                    .col(text(AdminNotices::Body))
                    .col(timestamp_with_time_zone(AdminNotices::CreatedAt))
                    .col(timestamp_with_time_zone_null(AdminNotices::SentAt))
                    // A worker holds a notice until then while it sends it.
                    .col(timestamp_with_time_zone_null(AdminNotices::ClaimedUntil))
                    .col(integer(AdminNotices::Attempts).default(0))
                    .col(text_null(AdminNotices::LastError))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AdminNotices::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::MustChangePassword)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    MustChangePassword,
}

#[derive(DeriveIden)]
enum AdminNotices {
    Table,
    Id,
    Recipient,
    Subject,
    Body,
    CreatedAt,
    SentAt,
    ClaimedUntil,
    Attempts,
    LastError,
}
