//! The `thidua` command line.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::competition::Competition;
use crate::config::Config;
use crate::state::AppState;
use crate::store::{ApplyOutcome, NewAudit, Store};
use crate::{demo, http, password, standings, token, units};

#[derive(Parser)]
#[command(
    name = "thidua",
    version,
    about = "Bảng xếp hạng trực tiếp Tuần lễ thi đua dịch vụ công trực tuyến"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web service.
    Serve {
        /// Load a demo competition over the current week and keep posting figures.
        #[arg(long)]
        demo: bool,
    },
    /// Migrate the database, apply a competition and its units, issue tokens.
    Init {
        #[arg(long)]
        competition: PathBuf,
        #[arg(long)]
        units: PathBuf,
        /// Write new unit tokens here as CSV `code,token`.
        #[arg(long)]
        tokens_out: Option<PathBuf>,
    },
    /// Competitions.
    #[command(subcommand)]
    Competition(CompetitionCommand),
    /// Units and their access tokens.
    #[command(subcommand)]
    Units(UnitsCommand),
    /// Organiser logins and API tokens.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Daily reports.
    #[command(subcommand)]
    Reports(ReportsCommand),
    /// Export the standings (final, or provisional) as XLSX, CSV or JSON.
    Export {
        #[arg(long)]
        competition: String,
        /// xlsx, csv or json.
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Rebuild the live ranking from the database.
    RebuildRanking {
        #[arg(long)]
        competition: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum CompetitionCommand {
    /// Create or update a competition from its TOML file.
    Apply {
        file: PathBuf,
        /// Allow changing counters or criteria of a competition with reports.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum UnitsCommand {
    /// Load or update units from CSV `code,name,group[,active,parent]`.
    Import {
        file: PathBuf,
        #[arg(long)]
        competition: String,
    },
    /// Issue new tokens (all units, or one) and write them as CSV `code,token`.
    Tokens {
        #[arg(long)]
        competition: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum ReportsCommand {
    /// Bulk entry by the organiser from CSV or XLSX (`unit_code,day,<counter keys…>`), all or nothing.
    Import {
        file: PathBuf,
        #[arg(long)]
        competition: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an organiser login (or reset its password), reading it from stdin.
    AddUser {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Print a new admin API token.
    Token { name: String },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::Serve { demo } => serve(config, demo).await,
        Command::Init {
            competition,
            units,
            tokens_out,
        } => {
            let store = Store::open(&config.database_url).await?;
            let now = chrono::Utc::now();
            let c = load_competition(&competition)?;
            let outcome = store.apply_competition(&c, false, now).await?;
            println!("competition {}: {}", c.slug, describe(outcome));
            import_units(&store, &c.slug, &units).await?;
            if let Some(out) = tokens_out {
                let written = issue_tokens(&store, &c.slug, None, true, &out).await?;
                println!("{written} new tokens written to {}", out.display());
            }
            Ok(())
        }
        Command::Competition(CompetitionCommand::Apply { file, force }) => {
            let store = Store::open(&config.database_url).await?;
            let c = load_competition(&file)?;
            let outcome = store
                .apply_competition(&c, force, chrono::Utc::now())
                .await?;
            println!("competition {}: {}", c.slug, describe(outcome));
            if let ApplyOutcome::Updated { rescore: true } = outcome {
                rebuild(config, Some(c.slug)).await?;
            }
            Ok(())
        }
        Command::Units(UnitsCommand::Import { file, competition }) => {
            let store = Store::open(&config.database_url).await?;
            import_units(&store, &competition, &file).await
        }
        Command::Units(UnitsCommand::Tokens {
            competition,
            unit,
            out,
        }) => {
            let store = Store::open(&config.database_url).await?;
            let written = issue_tokens(&store, &competition, unit.as_deref(), false, &out).await?;
            println!("{written} tokens written to {}", out.display());
            Ok(())
        }
        Command::Admin(AdminCommand::AddUser { name, .. }) => {
            let store = Store::open(&config.database_url).await?;
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input)?;
            let password = input.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 10 {
                bail!("the password must have at least 10 characters");
            }
            if name.trim().is_empty() || name.len() > 64 {
                bail!("the name must have 1 to 64 characters");
            }
            let now = chrono::Utc::now();
            store
                .upsert_admin_user(&name, &password::hash(password)?, now)
                .await?;
            store
                .audit(
                    &NewAudit {
                        competition_id: None,
                        actor: "cli",
                        action: "admin.add_user",
                        target: Some(&name),
                        reason: None,
                        details: None,
                    },
                    now,
                )
                .await?;
            println!("organiser {name} saved");
            Ok(())
        }
        Command::Admin(AdminCommand::Token { name }) => {
            let store = Store::open(&config.database_url).await?;
            let t = token::generate();
            let now = chrono::Utc::now();
            store.add_admin_token(&name, &token::hash(&t), now).await?;
            store
                .audit(
                    &NewAudit {
                        competition_id: None,
                        actor: "cli",
                        action: "admin.token",
                        target: Some(&name),
                        reason: None,
                        details: None,
                    },
                    now,
                )
                .await?;
            println!("{t}");
            Ok(())
        }
        Command::Reports(ReportsCommand::Import {
            file,
            competition,
            reason,
        }) => {
            let state = AppState::from_config(config).await?;
            crate::import::run_file(&state, &competition, &file, &reason).await
        }
        Command::Export {
            competition,
            format,
            out,
        } => {
            let state = AppState::from_config(config).await?;
            crate::export::run_file(&state, &competition, &format, &out).await
        }
        Command::RebuildRanking { competition } => rebuild(config, competition).await,
    }
}

fn describe(outcome: ApplyOutcome) -> &'static str {
    match outcome {
        ApplyOutcome::Created => "created",
        ApplyOutcome::Updated { rescore: true } => "updated (re-scored)",
        ApplyOutcome::Updated { rescore: false } => "updated",
        ApplyOutcome::Unchanged => "unchanged",
    }
}

fn load_competition(path: &Path) -> anyhow::Result<Competition> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Competition::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

async fn import_units(store: &Store, slug: &str, path: &Path) -> anyhow::Result<()> {
    let record = store
        .competition(slug)
        .await?
        .with_context(|| format!("no competition {slug:?}"))?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let rows = units::parse_csv(&text, &record.competition).map_err(|errors| {
        anyhow::anyhow!(
            "{}: {} bad lines: {}",
            path.display(),
            errors.len(),
            errors.join("; ")
        )
    })?;
    let summary = store
        .import_units(record.id, &rows, chrono::Utc::now())
        .await?;
    println!(
        "units: {} added, {} updated, {} unchanged",
        summary.added, summary.updated, summary.unchanged
    );
    Ok(())
}

/// Issues tokens and writes them as CSV `code,token`. With `missing_only`,
/// only units without a token get one (existing tokens keep working).
pub async fn issue_tokens(
    store: &Store,
    slug: &str,
    unit: Option<&str>,
    missing_only: bool,
    out: &Path,
) -> anyhow::Result<usize> {
    let record = store
        .competition(slug)
        .await?
        .with_context(|| format!("no competition {slug:?}"))?;
    let all = store.units(record.id).await?;
    let chosen: Vec<_> = all
        .iter()
        .filter(|u| unit.is_none_or(|c| c == u.code))
        .filter(|u| !missing_only || !u.has_token)
        .collect();
    if let Some(code) = unit
        && chosen.is_empty()
    {
        bail!("no unit {code:?} in {slug}");
    }
    let issued: Vec<(String, String)> = chosen
        .iter()
        .map(|u| (u.code.clone(), token::generate()))
        .collect();
    // Write the file first: a token stored but never shown would be useless.
    let mut writer =
        csv::Writer::from_path(out).with_context(|| format!("cannot write {}", out.display()))?;
    writer.write_record(["code", "token"])?;
    for (code, t) in &issued {
        writer.write_record([code, t])?;
    }
    writer.flush()?;
    let hashes: Vec<(String, String)> = issued
        .iter()
        .map(|(code, t)| (code.clone(), token::hash(t)))
        .collect();
    let now = chrono::Utc::now();
    store.set_unit_tokens(record.id, &hashes, now).await?;
    store
        .audit(
            &NewAudit {
                competition_id: Some(record.id),
                actor: "cli",
                action: "units.tokens",
                target: unit,
                reason: None,
                details: Some(&format!("{} tokens", issued.len())),
            },
            now,
        )
        .await?;
    Ok(issued.len())
}

async fn rebuild(config: Config, competition: Option<String>) -> anyhow::Result<()> {
    let state = AppState::from_config(config).await?;
    let drift = match competition {
        Some(slug) => {
            let selected = state.competition(Some(&slug))?;
            standings::rebuild(&state, &selected).await?
        }
        None => standings::rebuild_all(&state).await?,
    };
    println!("ranking rebuilt ({drift} entries differed)");
    Ok(())
}

async fn serve(config: Config, with_demo: bool) -> anyhow::Result<()> {
    let bind = config.bind.clone();
    let state = AppState::from_config(config).await?;
    if with_demo {
        demo::load(&state).await?;
    }
    if let Err(e) = standings::rebuild_all(&state).await {
        tracing::warn!(error = %e, "initial ranking rebuild failed; serving from the database");
    }
    if with_demo {
        demo::spawn_reporter(state.clone());
    }
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(address = %listener.local_addr()?, ranking = state.ranking().kind(), "thidua serving");
    println!("thidua: http://{}", listener.local_addr()?);
    crate::jobs::spawn_scheduler(state.clone());
    http::serve(state, listener).await
}
