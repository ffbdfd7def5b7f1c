//! Configuration: flags, else environment variables, else defaults.

use chrono::{DateTime, Utc};
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Database URL: sqlite://FILE or postgres://…
    #[arg(
        long,
        env = "THIDUA_DATABASE_URL",
        default_value = "sqlite://thidua.db",
        global = true
    )]
    pub database_url: String,

    /// Redis URL for the live ranking; without it ranking runs in process.
    #[arg(long, env = "THIDUA_REDIS_URL", global = true)]
    pub redis_url: Option<String>,

    /// Prefix for every Redis key and channel (to share one Redis).
    #[arg(long, env = "THIDUA_REDIS_PREFIX", default_value = "", global = true)]
    pub redis_prefix: String,

    /// Address to listen on.
    #[arg(
        long,
        env = "THIDUA_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// Start the clock at this instant (RFC 3339): rehearse a competition
    /// week outside its dates.
    #[arg(long, env = "THIDUA_NOW", global = true)]
    pub now: Option<DateTime<Utc>>,

    /// Mark session cookies Secure (behind HTTPS).
    #[arg(
        long,
        env = "THIDUA_SECURE_COOKIES",
        default_value_t = false,
        global = true
    )]
    pub secure_cookies: bool,

    /// Reports each token may post per minute.
    #[arg(
        long,
        env = "THIDUA_INGEST_PER_MINUTE",
        default_value_t = 120,
        global = true
    )]
    pub ingest_per_minute: u32,

    /// Login attempts per account and per address per minute.
    #[arg(
        long,
        env = "THIDUA_LOGIN_PER_MINUTE",
        default_value_t = 10,
        global = true
    )]
    pub login_per_minute: u32,

    /// Webhook that receives the daily reminder (JSON).
    #[arg(long, env = "THIDUA_WEBHOOK_URL", global = true)]
    pub webhook_url: Option<String>,

    /// Local time ("HH:MM") of the daily reminder of units that have not reported.
    #[arg(
        long,
        env = "THIDUA_REMINDER_AT",
        default_value = "16:00",
        global = true
    )]
    pub reminder_at: String,
}

impl Config {
    /// The defaults, as a fresh machine without environment would get them.
    pub fn for_database(url: &str) -> Config {
        Config {
            database_url: url.to_string(),
            redis_url: None,
            redis_prefix: String::new(),
            bind: "127.0.0.1:0".into(),
            now: None,
            secure_cookies: false,
            ingest_per_minute: 120,
            login_per_minute: 10,
            webhook_url: None,
            reminder_at: "16:00".into(),
        }
    }
}
