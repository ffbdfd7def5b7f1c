//! Configuration: flags, else environment variables, else defaults.

use chrono::{DateTime, Utc};
use clap::Args;
use ipnet::IpNet;

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

    /// Addresses (CIDRs, comma-separated) of the load balancers and proxies
    /// in front of the service: only from these is `X-Forwarded-For` /
    /// `Forwarded` believed, for rate limits and audit addresses.
    #[arg(
        long,
        env = "THIDUA_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_cidr,
        global = true
    )]
    pub trusted_proxies: Vec<IpNet>,

    /// Open connections served at once (live viewers included); beyond it
    /// new connections wait in the listen queue. Kept below the open-file
    /// limit whatever is set.
    #[arg(
        long,
        env = "THIDUA_MAX_CONNECTIONS",
        default_value_t = 10_000,
        global = true
    )]
    pub max_connections: usize,

    /// Seconds a client has to send a request's headers; also how long an
    /// idle keep-alive connection stays open.
    #[arg(
        long,
        env = "THIDUA_HEADER_TIMEOUT",
        default_value_t = 20,
        global = true
    )]
    pub header_timeout: u64,

    /// Seconds a client has to send a whole request body (an import file:
    /// ten times as long).
    #[arg(long, env = "THIDUA_BODY_TIMEOUT", default_value_t = 30, global = true)]
    pub body_timeout: u64,

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
            trusted_proxies: Vec::new(),
            max_connections: 10_000,
            header_timeout: 20,
            body_timeout: 30,
            webhook_url: None,
            reminder_at: "16:00".into(),
        }
    }
}

/// A CIDR (`10.0.0.0/8`) or a single address (`10.0.0.5`).
fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a CIDR such as 10.0.0.0/8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_cidrs_or_addresses() {
        assert_eq!(parse_cidr(" 10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr("::1").unwrap().to_string(), "::1/128");
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("balancer").is_err());
    }
}
