//! Who created an account, and whether a privileged one waits for a hub administrator: an
//! account that can approve (central approver, prefecture administrator, hub administrator)
//! created in the portal stays disabled until a hub administrator — not its creator — enables
//! it, and an approver never approves what an account it created, or the account that created
//! it, wrote or submitted (review 3 N-M3: one prefecture administrator made a second one and
//! approved their own 緊急 alert).

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
                    .add_column(big_integer_null(Users::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::AwaitingEnable).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Users::AwaitingEnable, Users::CreatedBy] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    CreatedBy,
    AwaitingEnable,
}
