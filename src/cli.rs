//! The `thidua` command line.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use askama::Template;
use clap::{Parser, Subcommand};

use crate::audit::{Audit, AuditAction, CLI};
use crate::catalog::Selected;
use crate::competition::Competition;
use crate::config::Config;
use crate::error::AppError;
use crate::export::{self, ExportFormat};
use crate::import::{self, Upload};
use crate::progress::{Activity, Progress};
use crate::scope::Scope;
use crate::state::AppState;
use crate::store::{ApplyOutcome, Grant, Store};
use crate::{access, demo, http, integrations, password, token, units};

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
        /// Load a demo competition over the current week and keep posting
        /// figures: `--demo` (Lạng Sơn) or `--demo national` (34 provinces).
        #[arg(long, num_args = 0..=1, default_missing_value = "lang-son", value_enum)]
        demo: Option<demo::Demo>,
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
    /// Tokens of the province's information system, for batches of reports.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Export the standings (final, or provisional) as XLSX, CSV or JSON.
    Export {
        #[arg(long)]
        competition: String,
        /// xlsx, csv, json or pdf.
        #[arg(long, default_value = "xlsx")]
        format: String,
        /// For csv: vi (`;`, decimal comma, Vietnamese headers) or en
        /// (`,`, decimal point, English keys).
        #[arg(long, default_value = "vi")]
        locale: String,
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
        /// Also write the printable access letters (HTML, one A4 page per unit).
        #[arg(long)]
        letters: Option<PathBuf>,
        /// The service's public address, for the letters' QR codes and instructions.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        base_url: String,
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
pub enum IntegrationCommand {
    /// Issue a token for a system in a competition and print it (shown once).
    Token {
        #[arg(long)]
        competition: String,
        /// The system's name, e.g. "Hệ thống thông tin giải quyết TTHC tỉnh".
        name: String,
    },
    /// List a competition's integrations, revoked ones too.
    List {
        #[arg(long)]
        competition: String,
    },
    /// Revoke an integration's token.
    Revoke {
        #[arg(long)]
        competition: String,
        id: i64,
    },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Create an organiser login (or reset its password), reading it from stdin.
    /// With `--competition` (once per competition) the organiser answers for
    /// those competitions only; a new organiser without it is a
    /// deployment-wide administrator, an existing one keeps their scope.
    AddUser {
        name: String,
        #[arg(long, required = true)]
        password_stdin: bool,
        /// A competition (its code, the slug) the organiser answers for.
        #[arg(long = "competition", value_name = "CODE")]
        competitions: Vec<String>,
    },
    /// Give an organiser a competition (`--competition`, repeatable) or the
    /// whole deployment (`--deployment`).
    Grant {
        name: String,
        #[arg(
            long = "competition",
            value_name = "CODE",
            required_unless_present = "deployment"
        )]
        competitions: Vec<String>,
        #[arg(long, conflicts_with = "competitions")]
        deployment: bool,
    },
    /// Take a competition (`--competition`, repeatable) or the whole
    /// deployment (`--deployment`, leaving the competitions granted one by
    /// one) from an organiser.
    Withdraw {
        name: String,
        #[arg(
            long = "competition",
            value_name = "CODE",
            required_unless_present = "deployment"
        )]
        competitions: Vec<String>,
        #[arg(long, conflicts_with = "competitions")]
        deployment: bool,
    },
    /// List organisers and what they answer for.
    List,
    /// Print a new API token of an existing organiser.
    Token {
        name: String,
        /// What the token is for, shown in the listing (e.g. `export-script`).
        #[arg(long, default_value = "")]
        label: String,
        /// Days until the token stops working (default: until revoked).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in: Option<u32>,
    },
    /// List organiser API tokens (of one organiser, if named): name, creation,
    /// expiry, last use, whether revoked. Never the tokens themselves.
    Tokens { name: Option<String> },
    /// Revoke an organiser API token by the id the listing shows.
    Revoke { id: i64 },
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
                let written = issue_tokens(&store, &c.slug, None, true, &out, None).await?;
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
            letters,
            base_url,
        }) => {
            let store = Store::open(&config.database_url).await?;
            let letters = letters.as_deref().map(|path| (path, base_url.as_str()));
            let written =
                issue_tokens(&store, &competition, unit.as_deref(), false, &out, letters).await?;
            println!("{written} tokens written to {}", out.display());
            Ok(())
        }
        Command::Admin(AdminCommand::AddUser {
            name, competitions, ..
        }) => {
            let store = Store::open(&config.database_url).await?;
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input)?;
            let password = input.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 10 {
                bail!("the password must have at least 10 characters");
            }
            if name.trim().is_empty() || name.len() > 64 || crate::text::has_refused(&name) {
                bail!("the name must have 1 to 64 characters, none of them control characters");
            }
            let scoped = competition_ids(&store, &competitions).await?;
            let now = chrono::Utc::now();
            let existed = store
                .upsert_scoped_organizer(
                    &name,
                    &password::hash(password)?,
                    (!competitions.is_empty()).then_some(scoped.as_slice()),
                    CLI,
                    now,
                )
                .await?;
            let action = if existed {
                AuditAction::OrganizerPassword
            } else {
                AuditAction::OrganizerAdd
            };
            store
                .audit(&Audit::new(action, CLI).target(&name), now)
                .await?;
            for id in &scoped {
                store
                    .audit(
                        &Audit::new(AuditAction::OrganizerGrant, CLI)
                            .competition(*id)
                            .target(&name),
                        now,
                    )
                    .await?;
            }
            if existed {
                println!("organiser {name}: password replaced, its web sessions ended");
            } else {
                println!("organiser {name} saved");
            }
            let scope = store.organizer_scope(&name).await?;
            println!(
                "organiser {name}: {}",
                describe_scope(&scope, &competitions)
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Grant {
            name,
            competitions,
            deployment,
        }) => {
            let store = Store::open(&config.database_url).await?;
            change_scope(&store, &name, &competitions, deployment, true).await
        }
        Command::Admin(AdminCommand::Withdraw {
            name,
            competitions,
            deployment,
        }) => {
            let store = Store::open(&config.database_url).await?;
            change_scope(&store, &name, &competitions, deployment, false).await
        }
        Command::Admin(AdminCommand::List) => {
            let store = Store::open(&config.database_url).await?;
            println!("organiser\tcreated\tscope");
            for o in store.organizers().await? {
                let scope = if o.deployment_wide {
                    "deployment-wide".to_string()
                } else if o.competitions.is_empty() {
                    "no competition".to_string()
                } else {
                    o.competitions.join(", ")
                };
                println!(
                    "{}\t{}\t{scope}",
                    o.name,
                    o.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            Ok(())
        }
        Command::Admin(AdminCommand::Token {
            name,
            label,
            expires_in,
        }) => {
            let store = Store::open(&config.database_url).await?;
            if crate::text::has_refused(&label) || label.chars().count() > 100 {
                bail!(
                    "the label must have at most 100 characters, none of them control characters"
                );
            }
            let t = token::generate();
            let now = chrono::Utc::now();
            let expires_at = expires_in.map(|days| now + chrono::Duration::days(i64::from(days)));
            let Some(id) = store
                .add_organizer_token(&name, &token::hash(&t), &label, expires_at, now)
                .await?
            else {
                bail!(
                    "no organiser {name:?}: create it first with `thidua admin add-user {name} --password-stdin`"
                );
            };
            let details = serde_json::json!({"id": id, "label": label, "expires_at": expires_at});
            store
                .audit(
                    &Audit::new(AuditAction::OrganizerToken, CLI)
                        .target(&name)
                        .details(&details),
                    now,
                )
                .await?;
            println!("{t}");
            Ok(())
        }
        Command::Integration(command) => integration(config, command).await,
        Command::Admin(AdminCommand::Tokens { name }) => {
            let store = Store::open(&config.database_url).await?;
            let now = chrono::Utc::now();
            let tokens = store.organizer_tokens(name.as_deref()).await?;
            let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            println!("id\torganiser\tlabel\tcreated\texpires\tlast used\tstate");
            for t in &tokens {
                let state = match (t.revoked_at, t.is_active(now)) {
                    (Some(at), _) => format!("revoked {}", when(Some(at))),
                    (None, true) => "active".into(),
                    (None, false) => "expired".into(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.organizer,
                    if t.label.is_empty() { "-" } else { &t.label },
                    when(Some(t.created_at)),
                    when(t.expires_at),
                    when(t.last_used_at),
                );
            }
            Ok(())
        }
        Command::Admin(AdminCommand::Revoke { id }) => {
            let store = Store::open(&config.database_url).await?;
            let now = chrono::Utc::now();
            let Some(revoked) = store.revoke_organizer_token(id, now).await? else {
                bail!("no active organiser token with id {id} (see `thidua admin tokens`)");
            };
            store
                .audit(
                    &Audit::new(AuditAction::OrganizerTokenRevoke, CLI)
                        .target(&revoked.organizer)
                        .details(&serde_json::json!({"id": id, "label": revoked.label})),
                    now,
                )
                .await?;
            println!("token {id} of {} revoked", revoked.organizer);
            Ok(())
        }
        Command::Reports(ReportsCommand::Import {
            file,
            competition,
            reason,
        }) => {
            let state = AppState::from_config(config).await?;
            import_reports(&state, &competition, &file, &reason).await
        }
        Command::Export {
            competition,
            format,
            locale,
            out,
        } => {
            let state = AppState::from_config(config).await?;
            export_file(&state, &competition, &format, &locale, &out).await
        }
        Command::RebuildRanking { competition } => rebuild(config, competition).await,
    }
}

/// The ids of the competitions `slugs` name; an error naming the first
/// that does not exist.
async fn competition_ids(store: &Store, slugs: &[String]) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let record = store
            .competition(slug)
            .await?
            .with_context(|| format!("no competition {slug:?}"))?;
        ids.push(record.id);
    }
    Ok(ids)
}

/// How `thidua admin` says what an organiser answers for.
fn describe_scope(scope: &Scope, slugs: &[String]) -> String {
    match scope {
        Scope::Deployment => "deployment-wide administrator".into(),
        Scope::Competitions(ids) if ids.is_empty() => "no competition".into(),
        Scope::Competitions(_) if slugs.is_empty() => "scoped to some competitions".into(),
        Scope::Competitions(_) => format!("scoped to {}", slugs.join(", ")),
    }
}

/// `thidua admin grant|withdraw NAME (--competition CODE… | --deployment)`,
/// each change in the audit log.
async fn change_scope(
    store: &Store,
    name: &str,
    slugs: &[String],
    deployment: bool,
    grant: bool,
) -> anyhow::Result<()> {
    let grants: Vec<(Grant, Option<&str>)> = if deployment {
        vec![(Grant::Deployment, None)]
    } else {
        let ids = competition_ids(store, slugs).await?;
        ids.into_iter()
            .zip(slugs)
            .map(|(id, slug)| (Grant::Competition(id), Some(slug.as_str())))
            .collect()
    };
    let now = chrono::Utc::now();
    for (what, slug) in grants {
        let changed = if grant {
            store.grant_organizer(name, what, CLI, now).await?
        } else {
            store.withdraw_organizer(name, what).await?
        };
        let Some(changed) = changed else {
            bail!("no organiser {name:?} (see `thidua admin list`)");
        };
        let what_text = slug.map_or("the whole deployment".to_string(), |s| {
            format!("competition {s}")
        });
        let verb = if grant { "granted" } else { "withdrawn" };
        if !changed {
            println!("organiser {name}: {what_text} already {verb}, nothing changed");
            continue;
        }
        let action = if grant {
            AuditAction::OrganizerGrant
        } else {
            AuditAction::OrganizerWithdraw
        };
        let mut audit = Audit::new(action, CLI).target(name);
        match what {
            Grant::Competition(id) => audit = audit.competition(id),
            Grant::Deployment => {
                audit = audit.details(&serde_json::json!({"deployment": true}));
            }
        }
        store.audit(&audit, now).await?;
        println!("organiser {name}: {what_text} {verb}");
    }
    if grant && !deployment && store.organizer_scope(name).await?.is_deployment() {
        println!(
            "note: {name} is a deployment-wide administrator; `thidua admin withdraw {name} --deployment` limits them to their competitions"
        );
    }
    Ok(())
}

async fn integration(config: Config, command: IntegrationCommand) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url).await?;
    let slug = match &command {
        IntegrationCommand::Token { competition, .. }
        | IntegrationCommand::List { competition }
        | IntegrationCommand::Revoke { competition, .. } => competition,
    };
    let record = store
        .competition(slug)
        .await?
        .with_context(|| format!("no competition {slug:?}"))?;
    let now = chrono::Utc::now();
    match command {
        IntegrationCommand::Token { name, .. } => {
            let issued = integrations::issue(&store, record.id, &name, CLI, now).await?;
            eprintln!("integration #{} {:?}:", issued.id, issued.name);
            println!("{}", issued.token);
        }
        IntegrationCommand::List { .. } => {
            for i in store.integrations(record.id).await? {
                let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
                };
                println!(
                    "#{}\t{}\tcreated {} by {}\tlast used {}\t{}",
                    i.id,
                    i.name,
                    i.created_at.format("%Y-%m-%d %H:%M"),
                    i.created_by,
                    when(i.last_used_at),
                    if i.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "live"
                    },
                );
            }
        }
        IntegrationCommand::Revoke { id, .. } => {
            integrations::revoke(&store, record.id, id, CLI, now).await?;
            println!("integration #{id} revoked");
        }
    }
    Ok(())
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
    let mut progress = Progress::new("units import", rows.len() as u64);
    let summary = store
        .import_units_with_progress(record.id, &rows, chrono::Utc::now(), &mut || {
            progress.inc(1)
        })
        .await?;
    progress.finish();
    println!(
        "units: {} added, {} updated, {} unchanged",
        summary.added, summary.updated, summary.unchanged
    );
    Ok(())
}

/// Issues tokens and writes them as CSV `code,token` (and, with
/// `letters`, the printable access letters to that file, pointing at that
/// address). With `missing_only`, only units without a token get one
/// (existing tokens keep working).
pub async fn issue_tokens(
    store: &Store,
    slug: &str,
    unit: Option<&str>,
    missing_only: bool,
    out: &Path,
    letters: Option<(&Path, &str)>,
) -> anyhow::Result<usize> {
    let record = store
        .competition(slug)
        .await?
        .with_context(|| format!("no competition {slug:?}"))?;
    let all = store.units(record.id).await?;
    let chosen: Vec<_> = all
        .iter()
        .filter(|u| unit.is_none_or(|c| c.eq_ignore_ascii_case(&u.code)))
        .filter(|u| !missing_only || !u.has_token)
        .collect();
    if let Some(code) = unit
        && chosen.is_empty()
    {
        bail!("no unit {code:?} in {slug}");
    }
    let issued = access::issue(chosen);
    // Write the files first: a token stored but never shown would be useless.
    std::fs::write(out, access::csv(&issued)?)
        .with_context(|| format!("cannot write {}", out.display()))?;
    if let Some((path, base_url)) = letters {
        let selected = Selected {
            record: record.clone(),
            units: std::sync::Arc::new(all.clone()),
            generation: 0,
        };
        let html = crate::letters::Letters::new(&selected, &issued, base_url, chrono::Utc::now())
            .render()
            .context("cannot render the access letters")?;
        std::fs::write(path, html).with_context(|| format!("cannot write {}", path.display()))?;
        println!(
            "{} access letters written to {}",
            issued.len(),
            path.display()
        );
    }
    let mut progress = Progress::new("units tokens", issued.len() as u64);
    access::renew_with_progress(
        store,
        record.id,
        &issued,
        CLI,
        unit,
        chrono::Utc::now(),
        &mut || progress.inc(1),
    )
    .await?;
    progress.finish();
    Ok(issued.len())
}

async fn rebuild(config: Config, competition: Option<String>) -> anyhow::Result<()> {
    let state = AppState::from_config(config).await?;
    let competitions = match competition {
        Some(slug) => vec![state.catalog().competition(Some(&slug))?],
        None => state.catalog().all(),
    };
    // Counted in units: a whole province's competition is the long part.
    let units: usize = competitions.iter().map(|c| c.units.len()).sum();
    let mut progress = Progress::new("rebuild-ranking", units as u64);
    let mut drift = 0;
    for selected in &competitions {
        drift += state.sync().rebuild(selected).await?;
        progress.inc(selected.units.len() as u64);
    }
    progress.finish();
    println!("ranking rebuilt ({drift} entries differed)");
    Ok(())
}

/// `thidua reports import FILE --competition SLUG --reason TEXT`: every bad
/// line on stderr, then a one-line reason; or a summary on stdout.
async fn import_reports(
    state: &AppState,
    slug: &str,
    path: &Path,
    reason: &str,
) -> anyhow::Result<()> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let selected = state.catalog().competition(Some(slug))?;
    eprintln!("{}: validating…", path.display());
    let upload = Upload {
        bytes: &bytes,
        actor: CLI,
        reason,
        address: None,
    };
    let mut progress: Option<Progress> = None;
    let outcome = import::import_with_progress(
        state.submitter(),
        state.store(),
        &selected,
        upload,
        state.now(),
        &mut |step| match step {
            import::Progress::Total(n) => {
                progress = Some(Progress::new("reports import", n as u64))
            }
            import::Progress::Written => {
                if let Some(p) = progress.as_mut() {
                    p.inc(1);
                }
            }
        },
    )
    .await;
    if let Some(p) = progress {
        p.finish();
    }
    match outcome {
        Ok(s) => {
            println!(
                "{} lines imported: {} new, {} updated, {} unchanged ({} late)",
                s.lines, s.created, s.updated, s.unchanged, s.late
            );
            Ok(())
        }
        Err(AppError::Validation { message, fields }) => {
            let mut lines: Vec<(usize, &String, &String)> = fields
                .iter()
                .map(|(k, v)| {
                    let n = k.strip_prefix("line.").and_then(|n| n.parse().ok());
                    (n.unwrap_or(0), k, v)
                })
                .collect();
            lines.sort();
            for (n, key, problem) in lines {
                if n > 0 {
                    eprintln!("line {n}: {problem}");
                } else {
                    eprintln!("{key}: {problem}");
                }
            }
            bail!("{}: {message}", path.display())
        }
        Err(e) => bail!("{}: {}", path.display(), e.public_message()),
    }
}

/// `thidua export --competition SLUG --format xlsx|csv|json|pdf --out FILE`.
async fn export_file(
    state: &AppState,
    slug: &str,
    format: &str,
    locale: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let format = ExportFormat::parse(format)
        .ok_or_else(|| anyhow::anyhow!("--format must be xlsx, csv, json or pdf, not {format:?}"))?
        .with_locale(Some(locale))
        .ok_or_else(|| anyhow::anyhow!("--locale must be vi or en, not {locale:?}"))?;
    let selected = state.catalog().competition(Some(slug))?;
    let activity = Activity::start("export");
    let file = export::export(state.boards(), state.store(), &selected, format)
        .await
        .map_err(|e| anyhow::anyhow!("export failed: {}", e.public_message()))?;
    activity.finish(&format!("{} bytes", file.bytes.len()));
    std::fs::write(out, &file.bytes)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    let kind = if selected.record.is_final() {
        "final"
    } else {
        "provisional"
    };
    println!(
        "{} standings of {slug} written to {} ({} bytes)",
        kind,
        out.display(),
        file.bytes.len()
    );
    Ok(())
}

async fn serve(config: Config, with_demo: Option<demo::Demo>) -> anyhow::Result<()> {
    let bind = config.bind.clone();
    let state = AppState::from_config(config).await?;
    let mut demo_slug = None;
    if let Some(kind) = with_demo {
        demo_slug =
            Some(demo::load(kind, state.store(), state.catalog(), state.submitter()).await?);
    }
    if let Err(e) = state.sync().rebuild_all().await {
        tracing::warn!(error = %e, "initial ranking rebuild failed; serving from the database");
    }
    if let Some(slug) = demo_slug {
        demo::spawn_reporter(state.catalog().clone(), state.submitter().clone(), slug);
    }
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(address = %listener.local_addr()?, ranking = state.ranking().kind(), "thidua serving");
    println!("thidua: http://{}", listener.local_addr()?);
    crate::jobs::spawn_scheduler(state.clone());
    http::log_panics();
    http::serve(state, listener).await
}
