//! A prefecture's own 問合せ先: the line its alerts, drills, surveys and answers to 照会 carry
//! instead of the centre's (set by its administrator on `/settings`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisations::Table)
                    .add_column(string_len_null(Organisations::InquiryLine, 500))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organisations::Table)
                    .drop_column(Organisations::InquiryLine)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    InquiryLine,
}
