//! 障害・事故等報告: a report per incident with its successive 報 kept as written, the notes its
//! prefecture adds, the mail each 報 sends (on the notice ledger), and what the case library
//! gains for it: ひやり事案 (a kind, no column), a 公表 flag and date, and a synonym list for
//! search.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IncidentReports::Table)
                    .col(big_pk_auto(IncidentReports::Id))
                    .col(big_integer(IncidentReports::OrganisationId))
                    .col(string_len(IncidentReports::Tlp, 16))
                    .col(string_len(IncidentReports::Status, 16))
                    .col(timestamp_with_time_zone(IncidentReports::FoundAt))
                    .col(timestamp_with_time_zone(IncidentReports::CreatedAt))
                    .col(timestamp_with_time_zone(IncidentReports::LastUpdateAt))
                    .col(integer(IncidentReports::Updates))
                    .col(integer(IncidentReports::RemindedFor).default(0))
                    .col(timestamp_with_time_zone_null(IncidentReports::ConfirmedAt))
                    .col(string_len_null(IncidentReports::ConfirmedBy, 128))
                    .col(timestamp_with_time_zone_null(IncidentReports::ForwardedAt))
                    .col(string_len_null(IncidentReports::ForwardedBy, 128))
                    .col(timestamp_with_time_zone_null(IncidentReports::ClosedAt))
                    .col(big_integer_null(IncidentReports::CaseId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_incident_reports_org")
                    .table(IncidentReports::Table)
                    .col(IncidentReports::OrganisationId)
                    .col(IncidentReports::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentReportUpdates::Table)
                    .col(big_pk_auto(IncidentReportUpdates::Id))
                    .col(big_integer(IncidentReportUpdates::ReportId))
                    .col(integer(IncidentReportUpdates::Seq))
                    .col(boolean(IncidentReportUpdates::Final))
                    .col(text(IncidentReportUpdates::Fields))
                    .col(string_len(IncidentReportUpdates::Author, 128))
                    .col(timestamp_with_time_zone(IncidentReportUpdates::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_incident_report_updates_seq")
                    .table(IncidentReportUpdates::Table)
                    .col(IncidentReportUpdates::ReportId)
                    .col(IncidentReportUpdates::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentReportNotes::Table)
                    .col(big_pk_auto(IncidentReportNotes::Id))
                    .col(big_integer(IncidentReportNotes::ReportId))
                    .col(big_integer(IncidentReportNotes::OrganisationId))
                    .col(text(IncidentReportNotes::Body))
                    .col(string_len(IncidentReportNotes::Author, 128))
                    .col(timestamp_with_time_zone(IncidentReportNotes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AdminNotices::Table)
                    .add_column(big_integer_null(AdminNotices::ReportId))
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for col in [
            boolean(Cases::Publicised).default(false).to_owned(),
            date_null(Cases::PublicisedOn),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SearchSynonyms::Table)
                    .col(big_pk_auto(SearchSynonyms::Id))
                    .col(text(SearchSynonyms::Terms))
                    .col(string_len(SearchSynonyms::UpdatedBy, 128))
                    .col(timestamp_with_time_zone(SearchSynonyms::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SearchSynonyms::Table).to_owned())
            .await?;
        for col in [Cases::Publicised, Cases::PublicisedOn] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(AdminNotices::Table)
                    .drop_column(AdminNotices::ReportId)
                    .to_owned(),
            )
            .await?;
        for t in [
            IncidentReportNotes::Table.into_iden(),
            IncidentReportUpdates::Table.into_iden(),
            IncidentReports::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum IncidentReports {
    Table,
    Id,
    OrganisationId,
    Tlp,
    Status,
    FoundAt,
    CreatedAt,
    LastUpdateAt,
    Updates,
    RemindedFor,
    ConfirmedAt,
    ConfirmedBy,
    ForwardedAt,
    ForwardedBy,
    ClosedAt,
    CaseId,
}

#[derive(DeriveIden)]
enum IncidentReportUpdates {
    Table,
    Id,
    ReportId,
    Seq,
    Final,
    Fields,
    Author,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IncidentReportNotes {
    Table,
    Id,
    ReportId,
    OrganisationId,
    Body,
    Author,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AdminNotices {
    Table,
    ReportId,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Publicised,
    PublicisedOn,
}

#[derive(DeriveIden)]
enum SearchSynonyms {
    Table,
    Id,
    Terms,
    UpdatedBy,
    UpdatedAt,
}
