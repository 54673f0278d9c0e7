//! メールマガジン issues: composed from a period's alerts, cases and JPCERT/CC items, edited,
//! then published through four eyes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MagazineIssues::Table)
                    .col(big_pk_auto(MagazineIssues::Id))
                    .col(integer_null(MagazineIssues::Number).unique_key())
                    .col(timestamp_with_time_zone(MagazineIssues::PeriodFrom))
                    .col(timestamp_with_time_zone(MagazineIssues::PeriodTo))
                    .col(string_len(MagazineIssues::Title, 200))
                    .col(text(MagazineIssues::Intro))
                    .col(text(MagazineIssues::Items))
                    .col(string_len(MagazineIssues::Status, 16))
                    .col(string_len(MagazineIssues::CreatedBy, 128))
                    .col(string_len_null(MagazineIssues::SubmittedBy, 128))
                    .col(timestamp_with_time_zone_null(MagazineIssues::SubmittedAt))
                    .col(string_len_null(MagazineIssues::ApprovedBy, 128))
                    .col(timestamp_with_time_zone_null(MagazineIssues::PublishedAt))
                    .col(timestamp_with_time_zone(MagazineIssues::CreatedAt))
                    .col(timestamp_with_time_zone(MagazineIssues::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MagazineIssues::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MagazineIssues {
    Table,
    Id,
    Number,
    PeriodFrom,
    PeriodTo,
    Title,
    Intro,
    Items,
    Status,
    CreatedBy,
    SubmittedBy,
    SubmittedAt,
    ApprovedBy,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}
