//! Advisories for tests: a sample feed ingested through the real parser, then classified.

use noroshi::context::AppContext;
use noroshi::ingest::fetch::read_file;
use noroshi::ingest::ingest_document;

pub async fn ingest_sample(ctx: &AppContext, key: &str, file: &str) {
    let def = ctx.catalogue.get(key).unwrap().clone();
    let doc = read_file(
        std::path::Path::new(&format!("feeds/samples/{file}")),
        def.max_bytes,
    )
    .await
    .unwrap();
    ingest_document(&ctx.db, &def, def.format, &doc)
        .await
        .unwrap();
}

pub async fn classify_all(ctx: &AppContext) -> noroshi::jobs::classify::StepReport {
    let mut total = noroshi::jobs::classify::StepReport::default();
    loop {
        let r = noroshi::jobs::classify::step(ctx).await.unwrap();
        if r.classified == 0 {
            return total;
        }
        total.classified += r.classified;
        total.changed.extend(r.changed);
        total.drafts_created.extend(r.drafts_created);
    }
}
