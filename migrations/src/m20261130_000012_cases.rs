//! The incident-case library (事故事例・取組事例): cases, their history, and the outbox that feeds
//! the search index in the same transaction as every change.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Cases::Table)
                    .col(big_pk_auto(Cases::Id))
                    // incident (事故事例) or practice (取組事例).
                    .col(string_len(Cases::Kind, 16))
                    // submitted → reviewing → published → withdrawn.
                    .col(string_len(Cases::Status, 16))
                    .col(integer(Cases::Revision))
                    .col(text(Cases::Title))
                    .col(text(Cases::Summary))
                    .col(text(Cases::Body))
                    .col(text(Cases::Measures))
                    .col(text(Cases::Lessons))
                    // JSON arrays of ids.
                    .col(text(Cases::Categories))
                    .col(text(Cases::Causes))
                    .col(text(Cases::AlertIds))
                    .col(text(Cases::AdvisoryIds))
                    .col(string_len(Cases::OrgKind, 16))
                    .col(string_len(Cases::SizeBand, 16))
                    .col(small_integer_null(Cases::PrefectureCode))
                    // Who submitted it; never shown unless `named` (the organisation agreed).
                    .col(big_integer_null(Cases::OrganisationId))
                    .col(boolean(Cases::Named))
                    .col(date_null(Cases::OccurredOn))
                    .col(date_null(Cases::FoundOn))
                    .col(date_null(Cases::ReportedOn))
                    .col(big_integer_null(Cases::RecordsAffected))
                    .col(text(Cases::SystemsAffected))
                    .col(string_len(Cases::Tlp, 16))
                    .col(text(Cases::Source))
                    .col(string_len(Cases::SubmittedBy, 128))
                    .col(timestamp_with_time_zone(Cases::CreatedAt))
                    .col(timestamp_with_time_zone(Cases::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Cases::PublishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cases_status")
                    .table(Cases::Table)
                    .col(Cases::Status)
                    .col(Cases::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cases_organisation")
                    .table(Cases::Table)
                    .col(Cases::OrganisationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CaseRevisions::Table)
                    .col(big_pk_auto(CaseRevisions::Id))
                    .col(big_integer(CaseRevisions::CaseId))
                    .col(integer(CaseRevisions::Revision))
                    // submit, edit, publish, revise, withdraw.
                    .col(string_len(CaseRevisions::Action, 16))
                    // The whole case after the change, as JSON.
                    .col(text(CaseRevisions::Snapshot))
                    .col(text_null(CaseRevisions::Note))
                    .col(string_len(CaseRevisions::Author, 128))
                    .col(timestamp_with_time_zone(CaseRevisions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_case_revisions_case")
                    .table(CaseRevisions::Table)
                    .col(CaseRevisions::CaseId)
                    .col(CaseRevisions::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SearchOutbox::Table)
                    .col(big_pk_auto(SearchOutbox::Id))
                    .col(big_integer(SearchOutbox::CaseId))
                    .col(timestamp_with_time_zone(SearchOutbox::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            SearchOutbox::Table.into_iden(),
            CaseRevisions::Table.into_iden(),
            Cases::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Kind,
    Status,
    Revision,
    Title,
    Summary,
    Body,
    Measures,
    Lessons,
    Categories,
    Causes,
    AlertIds,
    AdvisoryIds,
    OrgKind,
    SizeBand,
    PrefectureCode,
    OrganisationId,
    Named,
    OccurredOn,
    FoundOn,
    ReportedOn,
    RecordsAffected,
    SystemsAffected,
    Tlp,
    Source,
    SubmittedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum CaseRevisions {
    Table,
    Id,
    CaseId,
    Revision,
    Action,
    Snapshot,
    Note,
    Author,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SearchOutbox {
    Table,
    Id,
    CaseId,
    CreatedAt,
}
