//! The processes the benchmark starts, pinned to cores, and what it reads
//! about them from /proc: CPU time (utime + stime, every thread) and memory
//! (VmRSS, VmHWM).
//!
//! Every process started here is stopped here, by its PID, when its handle
//! is dropped — also when the benchmark fails half-way.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::database::PgDatabase;

/// The service and the static-file reference run here, one at a time.
pub const SERVER_CORE: u32 = 0;
/// The load tools (wrk, pgbench, this benchmark's own clients) run here.
pub const LOAD_CORE: u32 = 1;

/// Pins this process to a core. Called before the runtime starts any
/// thread, so every thread of the benchmark inherits it.
pub fn pin_self(core: u32) -> anyhow::Result<()> {
    run_quiet(Command::new("taskset").args([
        "-p",
        "-c",
        &core.to_string(),
        &std::process::id().to_string(),
    ]))
}

/// Raises this process's priority a little: wrk shares the load core, and
/// this benchmark's own clients (posts, the freshness probe, event
/// streams) must not wait behind it, or their latencies would be the load
/// core's. Without the privilege to do so, the run goes on (and says so).
pub fn prioritise_self() {
    let raised = Command::new("renice")
        .args(["-n", "-5", "-p", &std::process::id().to_string()])
        .output()
        .is_ok_and(|o| o.status.success());
    if !raised {
        eprintln!(
            "note: could not raise the benchmark's priority; its clients share the load core with wrk"
        );
    }
}

/// Raises this process's open-file limit to its hard limit: row 7 holds
/// 10,000 event streams, one descriptor each.
pub fn raise_fd_limit() -> anyhow::Result<u64> {
    let hard = fd_hard_limit();
    run_quiet(Command::new("prlimit").args([
        "--pid",
        &std::process::id().to_string(),
        &format!("--nofile={hard}:{hard}"),
    ]))?;
    Ok(hard)
}

pub fn fd_hard_limit() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(4).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

fn run_quiet(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A long-running child: the service, nginx, Redis.
pub struct Proc {
    pub name: String,
    pub pid: u32,
    child: Child,
    log: PathBuf,
}

impl Proc {
    /// Starts `program args…` pinned to `core`, with the open-file limit
    /// raised to the hard limit, stdout and stderr to `log`.
    pub fn spawn(
        name: &str,
        core: u32,
        program: &Path,
        args: &[&str],
        env: &[(String, String)],
        log: &Path,
    ) -> anyhow::Result<Proc> {
        let file = std::fs::File::create(log)?;
        let hard = fd_hard_limit();
        // prlimit and taskset both exec the program: the PID is the program's.
        let child = Command::new("prlimit")
            .arg(format!("--nofile={hard}:{hard}"))
            .arg("taskset")
            .arg("-c")
            .arg(core.to_string())
            .arg(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        Ok(Proc {
            name: name.to_string(),
            pid: child.id(),
            child,
            log: log.to_path_buf(),
        })
    }

    pub fn check_running(&mut self) -> anyhow::Result<()> {
        if let Ok(Some(status)) = self.child.try_wait() {
            bail!("{} exited ({status}): {}", self.name, self.log_tail());
        }
        Ok(())
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// SIGTERM (graceful for the service, nginx and Redis alike), then
    /// SIGKILL if it has not exited within ten seconds.
    pub fn stop(&mut self) {
        if !matches!(self.child.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The children of this process (nginx's worker).
    pub fn children(&self) -> Vec<u32> {
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.pid))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

fn clock_ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// utime + stime of a process, all its threads, in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; fields are counted after its ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A line of /proc/<pid>/status in kB, as MB.
pub fn memory_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The CPU time of a server: its own processes plus, for the service, the
/// PostgreSQL backends serving its database (found anew at each sample, as
/// pools open connections).
pub struct Meter<'a> {
    pub pids: Vec<u32>,
    pub pg: Option<&'a PgDatabase>,
}

pub struct CpuSample {
    ticks: HashMap<u32, u64>,
}

impl Meter<'_> {
    pub async fn sample(&self) -> CpuSample {
        let mut pids = self.pids.clone();
        if let Some(pg) = self.pg {
            pids.extend(pg.backend_pids().await);
        }
        CpuSample {
            ticks: pids
                .into_iter()
                .filter_map(|p| cpu_ticks(p).map(|t| (p, t)))
                .collect(),
        }
    }

    /// CPU seconds between two samples. A process that appeared in between
    /// counts whole; one that ended in between is lost (PostgreSQL backends
    /// of a pool live as long as the pool).
    pub fn seconds(from: &CpuSample, to: &CpuSample) -> f64 {
        let ticks: u64 = to
            .ticks
            .iter()
            .map(|(pid, t)| t.saturating_sub(from.ticks.get(pid).copied().unwrap_or(0)))
            .sum();
        ticks as f64 / clock_ticks()
    }

    /// Waits until the processes have used less than 5% of a core for
    /// `quiet` in a row: work left over from a load (requests the load tool
    /// abandoned, ranking updates) belongs to that load's window. Returns
    /// false if they never went quiet within `limit`.
    pub async fn settle(&self, quiet: Duration, limit: Duration) -> bool {
        let step = Duration::from_millis(200);
        let started = Instant::now();
        let mut calm_since = Instant::now();
        let mut last = self.sample().await;
        while started.elapsed() < limit {
            tokio::time::sleep(step).await;
            let now = self.sample().await;
            if Meter::seconds(&last, &now) > step.as_secs_f64() * 0.05 {
                calm_since = Instant::now();
            } else if calm_since.elapsed() >= quiet {
                return true;
            }
            last = now;
        }
        false
    }
}

/// Polls `url` until it answers 200, failing early if `proc` exits.
pub async fn wait_ready(
    client: &reqwest::Client,
    url: &str,
    proc: &mut Proc,
    limit: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        proc.check_running()?;
        if let Ok(r) = client.get(url).send().await
            && r.status() == reqwest::StatusCode::OK
        {
            return Ok(());
        }
        if started.elapsed() > limit {
            bail!(
                "{} not ready at {url} after {limit:?}: {}",
                proc.name,
                proc.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Our own Redis on a free port, pinned to the server core: its CPU time
/// is part of what the service costs per request.
pub async fn start_redis(dir: &Path) -> anyhow::Result<(Proc, u16)> {
    let port = free_port()?;
    let bin = which("redis-server")?;
    let mut proc = Proc::spawn(
        "redis-server",
        SERVER_CORE,
        &bin,
        &[
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            &dir.display().to_string(),
        ],
        &[],
        &dir.join("redis.log"),
    )?;
    let started = Instant::now();
    loop {
        proc.check_running()?;
        if redis_ping(port).await {
            return Ok((proc, port));
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("redis-server did not answer: {}", proc.log_tail());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn redis_ping(port: u16) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let mut buf = [0u8; 16];
    s.write_all(b"PING\r\n").await.is_ok()
        && s.read(&mut buf)
            .await
            .is_ok_and(|n| buf[..n].starts_with(b"+PONG"))
}

/// A program on the PATH, in /usr/sbin (nginx) or in PostgreSQL's own
/// bin directory (pgbench on Debian without the wrapper).
pub fn which(program: &str) -> anyhow::Result<PathBuf> {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    let postgres: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    std::env::split_paths(&paths)
        .chain(std::iter::once(PathBuf::from("/usr/sbin")))
        .chain(postgres)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .with_context(|| format!("{program} is not installed"))
}

/// A file nginx serves: the bytes and content type the service sent.
pub struct StaticFile {
    pub path: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// nginx with one worker on the server core, serving `files` from memory
/// (open_file_cache, sendfile), keep-alive on, no access log (the service
/// writes no per-request log at its default level either).
pub async fn start_nginx(
    dir: &Path,
    files: &[StaticFile],
    client: &reqwest::Client,
) -> anyhow::Result<(Proc, u16, u32)> {
    let root = dir.join("www");
    let mut locations = String::new();
    for f in files {
        let target = root.join(f.path.trim_start_matches('/'));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, &f.body)?;
        locations.push_str(&format!(
            "    location = {} {{ types {{ }} default_type \"{}\"; add_header Cache-Control no-cache; }}\n",
            f.path, f.content_type
        ));
    }
    let port = free_port()?;
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let conf = format!(
        "{user}worker_processes 1;\ndaemon off;\npid {dir}/nginx.pid;\nerror_log {dir}/nginx-error.log warn;\n\
         worker_rlimit_nofile {limit};\nevents {{ worker_connections {conns}; }}\n\
         http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  tcp_nodelay on;\n\
         keepalive_timeout 75s;\n  keepalive_requests 10000000;\n\
         open_file_cache max=64 inactive=600s;\n  open_file_cache_valid 3600s;\n\
         client_body_temp_path {dir}/nginx-tmp;\n  proxy_temp_path {dir}/nginx-tmp;\n\
         fastcgi_temp_path {dir}/nginx-tmp;\n  uwsgi_temp_path {dir}/nginx-tmp;\n  scgi_temp_path {dir}/nginx-tmp;\n\
         server {{\n    listen 127.0.0.1:{port};\n    root {root};\n{locations}  }}\n}}\n",
        user = if root_user { "user root;\n" } else { "" },
        dir = dir.display(),
        root = root.display(),
        limit = fd_hard_limit(),
        conns = fd_hard_limit().min(16384),
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let bin = which("nginx")?;
    let mut proc = Proc::spawn(
        "nginx",
        SERVER_CORE,
        &bin,
        &[
            "-p",
            &dir.display().to_string(),
            "-e",
            &dir.join("nginx-error.log").display().to_string(),
            "-c",
            &conf_path.display().to_string(),
        ],
        &[],
        &dir.join("nginx.log"),
    )?;
    let first = files.first().context("nothing for nginx to serve")?;
    wait_ready(
        client,
        &format!("http://127.0.0.1:{port}{}", first.path),
        &mut proc,
        Duration::from_secs(20),
    )
    .await?;
    let worker = *proc.children().first().context("nginx started no worker")?;
    Ok((proc, port, worker))
}
