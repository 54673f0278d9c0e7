//! 差し戻し: the centre (or a prefecture) sends a submitted survey answer back to its organisation
//! with a question; the answer is a draft again until the organisation submits it anew.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            timestamp_with_time_zone_null(SurveyAnswers::ReturnedAt),
            string_len_null(SurveyAnswers::ReturnedBy, 320),
            text_null(SurveyAnswers::ReturnNote),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SurveyAnswers::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            SurveyAnswers::ReturnedAt,
            SurveyAnswers::ReturnedBy,
            SurveyAnswers::ReturnNote,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SurveyAnswers::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SurveyAnswers {
    Table,
    ReturnedAt,
    ReturnedBy,
    ReturnNote,
}
