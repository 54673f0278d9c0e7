use std::process::ExitCode;

use clap::Parser;
use noroshi::cli::{Cli, run};

// glibc malloc dominated the ingest profile (fragmentation on large feeds); mimalloc halves it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    run(Cli::parse()).await
}
