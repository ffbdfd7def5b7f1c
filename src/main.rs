use clap::Parser;
use tracing_subscriber::EnvFilter;

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
