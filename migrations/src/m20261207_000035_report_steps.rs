//! The centre answers a report: typed steps on it (受理, 追加報告の依頼, 対処指示, the approvals of
//! a 対処方針 and a 再発防止策 or their return, 再発防止状況の確認, 対処結果の確認) and the 連携 it
//! records to another body (to whom, when, which 報, reference). One table: a step's optional
//! columns are those its kind uses.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Steps::Table)
                    .col(big_pk_auto(Steps::Id))
                    .col(big_integer(Steps::ReportId))
                    .col(string_len(Steps::Kind, 32))
                    .col(big_integer(Steps::OrganisationId))
                    .col(string_len(Steps::Author, 300))
                    .col(text(Steps::Body).default(""))
                    .col(integer_null(Steps::UpdateSeq))
                    .col(timestamp_with_time_zone_null(Steps::DueAt))
                    .col(string_len_null(Steps::Partner, 32))
                    .col(string_len_null(Steps::PartnerName, 200))
                    .col(string_len_null(Steps::Stage, 32))
                    .col(string_len_null(Steps::Reference, 200))
                    .col(timestamp_with_time_zone_null(Steps::SentAt))
                    .col(timestamp_with_time_zone_null(Steps::RemindedAt))
                    .col(timestamp_with_time_zone(Steps::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_steps_report")
                    .table(Steps::Table)
                    .col(Steps::ReportId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Steps::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Steps {
    #[sea_orm(iden = "incident_report_steps")]
    Table,
    Id,
    ReportId,
    Kind,
    OrganisationId,
    Author,
    Body,
    UpdateSeq,
    DueAt,
    Partner,
    PartnerName,
    Stage,
    Reference,
    SentAt,
    RemindedAt,
    CreatedAt,
}
