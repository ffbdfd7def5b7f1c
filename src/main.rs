use clap::Parser;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: glibc kept the memory freed
/// after the start-up rebuild (300,000 reports read and scored) — 424 MB
/// held for 87 MB in use at 10,000 units — and its allocations cost about
/// a sixth of a board read's CPU. Built without transparent huge pages
/// (Cargo.toml says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e`.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

#[tokio::main]
async fn main() {
    purge_at_once();
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

/// Memory freed is handed back to the system at once. mimalloc's default
/// waits and then purges only when it is next called, which an idle service
/// is not: after its start-up rebuild at 10,000 units it held 248 MB,
/// against 86 MB purging at once.
#[allow(unsafe_code)]
fn purge_at_once() {
    // SAFETY: sets a process-wide option, which mimalloc allows at any time
    // from any thread; no pointer crosses.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}
