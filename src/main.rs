use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: glibc kept the memory freed
/// after the start-up rebuild (300,000 reports read and scored) — 424 MB
/// held for 87 MB in use at 10,000 units — and its allocations cost about
/// a sixth of a board read's CPU. Built without transparent huge pages
/// (Cargo.toml says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let filter = EnvFilter::try_from_env("THIDUA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = thidua::cli::Cli::parse();
    if let Err(e) = thidua::cli::run(cli).await {
        eprintln!("thidua: {e:#}");
        std::process::exit(1);
    }
}
