//! 調査・点検: surveys (緊急点検, 重点検査 / 自己点検) with their questions, the organisations each
//! was addressed to, each organisation's answers (with every saved version kept, late ones
//! marked) and its 改善方針.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Surveys::Table)
                    .col(big_pk_auto(Surveys::Id))
                    .col(string_len(Surveys::Kind, 32))
                    .col(string_len(Surveys::Status, 16))
                    .col(text(Surveys::Title))
                    .col(text(Surveys::Definition))
                    .col(text(Surveys::Audience))
                    .col(timestamp_with_time_zone(Surveys::Deadline))
                    .col(big_integer_null(Surveys::OwnerOrganisationId))
                    .col(big_integer_null(Surveys::PreviousId))
                    .col(string_len(Surveys::CreatedBy, 128))
                    .col(string_len_null(Surveys::SubmittedBy, 128))
                    .col(string_len_null(Surveys::ApprovedBy, 128))
                    .col(timestamp_with_time_zone(Surveys::CreatedAt))
                    .col(timestamp_with_time_zone_null(Surveys::PublishedAt))
                    .col(timestamp_with_time_zone_null(Surveys::RemindedAt))
                    .col(timestamp_with_time_zone_null(Surveys::EscalatedAt))
                    .col(timestamp_with_time_zone_null(Surveys::ResultsSentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyTargets::Table)
                    .col(big_pk_auto(SurveyTargets::Id))
                    .col(big_integer(SurveyTargets::SurveyId))
                    .col(big_integer(SurveyTargets::OrganisationId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_survey_targets_unique")
                    .table(SurveyTargets::Table)
                    .col(SurveyTargets::SurveyId)
                    .col(SurveyTargets::OrganisationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyAnswers::Table)
                    .col(big_pk_auto(SurveyAnswers::Id))
                    .col(big_integer(SurveyAnswers::SurveyId))
                    .col(big_integer(SurveyAnswers::OrganisationId))
                    .col(text(SurveyAnswers::Answers))
                    .col(boolean(SurveyAnswers::Submitted))
                    .col(timestamp_with_time_zone_null(SurveyAnswers::SubmittedAt))
                    .col(boolean(SurveyAnswers::Late).default(false))
                    .col(timestamp_with_time_zone(SurveyAnswers::UpdatedAt))
                    .col(string_len(SurveyAnswers::UpdatedBy, 128))
                    .col(text_null(SurveyAnswers::Plan))
                    .col(integer_null(SurveyAnswers::PlanFiscalYear))
                    .col(timestamp_with_time_zone_null(SurveyAnswers::PlanAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_survey_answers_unique")
                    .table(SurveyAnswers::Table)
                    .col(SurveyAnswers::SurveyId)
                    .col(SurveyAnswers::OrganisationId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SurveyAnswerVersions::Table)
                    .col(big_pk_auto(SurveyAnswerVersions::Id))
                    .col(big_integer(SurveyAnswerVersions::SurveyId))
                    .col(big_integer(SurveyAnswerVersions::OrganisationId))
                    .col(text(SurveyAnswerVersions::Answers))
                    .col(boolean(SurveyAnswerVersions::Submitted))
                    .col(boolean(SurveyAnswerVersions::Late))
                    .col(string_len(SurveyAnswerVersions::SavedBy, 128))
                    .col(timestamp_with_time_zone(SurveyAnswerVersions::SavedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            SurveyAnswerVersions::Table.into_iden(),
            SurveyAnswers::Table.into_iden(),
            SurveyTargets::Table.into_iden(),
            Surveys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    Id,
    Kind,
    Status,
    Title,
    Definition,
    Audience,
    Deadline,
    OwnerOrganisationId,
    PreviousId,
    CreatedBy,
    SubmittedBy,
    ApprovedBy,
    CreatedAt,
    PublishedAt,
    RemindedAt,
    EscalatedAt,
    ResultsSentAt,
}

#[derive(DeriveIden)]
enum SurveyTargets {
    Table,
    Id,
    SurveyId,
    OrganisationId,
}

#[derive(DeriveIden)]
enum SurveyAnswers {
    Table,
    Id,
    SurveyId,
    OrganisationId,
    Answers,
    Submitted,
    SubmittedAt,
    Late,
    UpdatedAt,
    UpdatedBy,
    Plan,
    PlanFiscalYear,
    PlanAt,
}

#[derive(DeriveIden)]
enum SurveyAnswerVersions {
    Table,
    Id,
    SurveyId,
    OrganisationId,
    Answers,
    Submitted,
    Late,
    SavedBy,
    SavedAt,
}
