//! Where a case came from: the incident report it was made from and that report's TLP. A case
//! starts at its report's marking and may be made looser only by an explicit, audited decision
//! of the editor (review 3 N-L3: a case from a RED report started GREEN).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(big_integer_null(Cases::SourceReportId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(string_len_null(Cases::SourceTlp, 16))
                    .to_owned(),
            )
            .await?;
        // Cases already made from reports: their report's marking, from the report itself.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE cases SET source_report_id = (SELECT r.id FROM incident_reports r WHERE r.case_id = cases.id), \
                 source_tlp = (SELECT r.tlp FROM incident_reports r WHERE r.case_id = cases.id) \
                 WHERE EXISTS (SELECT 1 FROM incident_reports r WHERE r.case_id = cases.id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Cases::SourceTlp, Cases::SourceReportId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    SourceReportId,
    SourceTlp,
}
