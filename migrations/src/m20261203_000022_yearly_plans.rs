//! The 年度報告's editable 次年度の計画, one per 年度 and report (the nation's or a prefecture's).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(YearlyPlans::Table)
                    .col(big_pk_auto(YearlyPlans::Id))
                    .col(integer(YearlyPlans::FiscalYear))
                    .col(big_integer(YearlyPlans::OrganisationId))
                    .col(text(YearlyPlans::Text))
                    .col(string_len(YearlyPlans::UpdatedBy, 128))
                    .col(timestamp_with_time_zone(YearlyPlans::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_yearly_plans_unique")
                    .table(YearlyPlans::Table)
                    .col(YearlyPlans::FiscalYear)
                    .col(YearlyPlans::OrganisationId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(YearlyPlans::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum YearlyPlans {
    Table,
    Id,
    FiscalYear,
    OrganisationId,
    Text,
    UpdatedBy,
    UpdatedAt,
}
