//! The 年度報告's written parts beside its 次年度の計画: はじめに, 責任部署, 総括, 重点事項の目標と
//! 評価 (a JSON object of part → text; the plan keeps its own column).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(YearlyPlans::Table)
                    .add_column(text_null(YearlyPlans::Parts))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(YearlyPlans::Table)
                    .drop_column(YearlyPlans::Parts)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum YearlyPlans {
    Table,
    Parts,
}
