//! Rate limits (SPEC §13): logins per account and per address, reports per
//! token. Ingest is never limited per address alone, because one provincial
//! system may post for every unit from one address.
//!
//! An organiser's login from a browser where that organiser signed in before
//! (a device cookie, OWASP's "device cookies" defence) is limited per device
//! instead: strangers failing at the account, from anywhere, use up the
//! account's and their addresses' allowance, never the organiser's own.
//!
//! **Shared when Redis is configured**, so that the limits are the same
//! whether one instance or five serve the traffic: each check is one atomic
//! script on Redis implementing GCRA (the generic cell rate algorithm, as in
//! the `governor` crate): a key stores the theoretical arrival time (TAT) of
//! the next request; with an emission interval T = 60 s / n and a burst of
//! n, a request at `now` is allowed when `now ≥ TAT − (n − 1)·T`, and then
//! moves TAT to `max(TAT, now) + T`. The clock is Redis's own (`TIME`), so
//! instances with skewed clocks agree; a key expires when it no longer
//! limits anything. Without Redis — or while it does not answer, so that an
//! outage never blocks a login or a report — the same algorithm runs in this
//! instance's memory (`governor`).

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use redis::Script;

use crate::config::Config;
use crate::error::{AppError, Result};
use crate::redis_connection::Connection;

/// Keys a limiter remembers before it forgets the idle ones.
const RETAIN_ABOVE: usize = 10_000;

/// How long a check waits for Redis before this instance's own limit
/// decides: a slow Redis must not slow every login and report.
const SHARED_WAIT: std::time::Duration = std::time::Duration::from_millis(250);

/// GCRA on one key. KEYS: the key. ARGV: emission interval and burst
/// tolerance, in microseconds. Returns 0 when allowed, else how many
/// microseconds until the request would be. Times are written with `%d`:
/// Lua's default number format keeps 14 digits, and microseconds since
/// 1970 have 16.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_at = tat - tolerance
if now < allowed_at then return allowed_at - now end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return 0
";

/// What is limited, each with its own allowance per minute.
#[derive(Debug, Clone, Copy)]
enum Kind {
    LoginAccount,
    LoginAddress,
    LoginDevice,
    Ingest,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::LoginAccount => "login-account",
            Kind::LoginAddress => "login-address",
            Kind::LoginDevice => "login-device",
            Kind::Ingest => "ingest",
        }
    }
}

/// The limits of this instance's memory.
struct Local {
    login_account: DefaultKeyedRateLimiter<String>,
    login_address: DefaultKeyedRateLimiter<String>,
    login_device: DefaultKeyedRateLimiter<String>,
    ingest: DefaultKeyedRateLimiter<String>,
}

/// The limits kept in Redis, shared by every instance.
struct Shared {
    connection: Connection,
    prefix: String,
    script: Script,
}

pub struct Limits {
    local: Local,
    shared: Option<Shared>,
    login_per_minute: u32,
    ingest_per_minute: u32,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

fn refused_for(wait_ms: u64) -> AppError {
    AppError::RateLimited {
        retry_after: wait_ms.div_ceil(1000).max(1),
    }
}

fn check_local(limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<()> {
    if limiter.len() > RETAIN_ABOVE {
        limiter.retain_recent();
    }
    limiter.check_key(&key.to_string()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        refused_for(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX))
    })
}

impl Limits {
    /// Limits in this instance's memory only.
    pub fn new(config: &Config) -> Limits {
        Limits {
            local: Local {
                login_account: RateLimiter::keyed(per_minute(config.login_per_minute)),
                login_address: RateLimiter::keyed(per_minute(config.login_per_minute)),
                login_device: RateLimiter::keyed(per_minute(config.login_per_minute)),
                ingest: RateLimiter::keyed(per_minute(config.ingest_per_minute)),
            },
            shared: None,
            login_per_minute: config.login_per_minute.max(1),
            ingest_per_minute: config.ingest_per_minute.max(1),
        }
    }

    /// Limits shared through Redis (keys under `prefix`), with this
    /// instance's memory as the fallback.
    pub fn shared(config: &Config, connection: Connection, prefix: &str) -> Limits {
        Limits {
            shared: Some(Shared {
                connection,
                prefix: prefix.to_string(),
                script: Script::new(GCRA),
            }),
            ..Limits::new(config)
        }
    }

    /// Whether the limits are shared by every instance.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    async fn check(&self, kind: Kind, key: &str) -> Result<()> {
        if let Some(shared) = &self.shared {
            let per_minute = match kind {
                Kind::Ingest => self.ingest_per_minute,
                _ => self.login_per_minute,
            };
            let interval = 60_000_000 / u64::from(per_minute);
            let tolerance = interval * u64::from(per_minute - 1);
            let mut connection = shared.connection.clone();
            let mut invocation = shared.script.prepare_invoke();
            invocation
                .key(format!(
                    "{}thidua:limit:{}:{key}",
                    shared.prefix,
                    kind.name()
                ))
                .arg(interval.max(1))
                .arg(tolerance);
            let answer =
                tokio::time::timeout(SHARED_WAIT, invocation.invoke_async::<u64>(&mut connection))
                    .await;
            match answer {
                Ok(Ok(0)) => return Ok(()),
                Ok(Ok(wait_us)) => return Err(refused_for(wait_us.div_ceil(1000))),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "shared rate limit unavailable; this instance's own applies");
                }
                Err(_) => {
                    tracing::debug!("shared rate limit too slow; this instance's own applies");
                }
            }
        }
        let local = match kind {
            Kind::LoginAccount => &self.local.login_account,
            Kind::LoginAddress => &self.local.login_address,
            Kind::LoginDevice => &self.local.login_device,
            Kind::Ingest => &self.local.ingest,
        };
        check_local(local, key)
    }

    /// One login attempt for `account` (e.g. `admin:NAME`, `unit:CODE`) from
    /// `address`; either limit refuses with 429.
    pub async fn check_login(&self, account: &str, address: Option<&str>) -> Result<()> {
        self.check(Kind::LoginAccount, &account.to_lowercase())
            .await?;
        if let Some(address) = address {
            self.check(Kind::LoginAddress, address).await?;
        }
        Ok(())
    }

    /// One login attempt from a browser known to belong to the account it
    /// tries (see the module's note); `device` is the device key's hash.
    pub async fn check_login_device(&self, device: &str) -> Result<()> {
        self.check(Kind::LoginDevice, device).await
    }

    /// One report (or batch) posted with the token of `principal` (see
    /// `Principal::id`).
    pub async fn check_ingest(&self, principal: &str) -> Result<()> {
        self.check(Kind::Ingest, principal).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_are_per_key_and_say_when_to_retry() {
        let mut config = Config::for_database("sqlite::memory:");
        config.login_per_minute = 2;
        config.ingest_per_minute = 1;
        let limits = Limits::new(&config);
        assert!(!limits.is_shared());
        assert!(
            limits
                .check_login("admin:a", Some("10.0.0.1"))
                .await
                .is_ok()
        );
        assert!(
            limits
                .check_login("admin:a", Some("10.0.0.2"))
                .await
                .is_ok()
        );
        match limits.check_login("admin:a", Some("10.0.0.3")).await {
            Err(AppError::RateLimited { retry_after }) => assert!((1..=60).contains(&retry_after)),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(
            limits
                .check_login("admin:b", Some("10.0.0.4"))
                .await
                .is_ok()
        );
        assert!(limits.check_ingest("unit:1").await.is_ok());
        assert!(limits.check_ingest("unit:1").await.is_err());
        assert!(limits.check_ingest("unit:2").await.is_ok());
        // The account is spent, but its organiser's own browser still gets in.
        assert!(limits.check_login("admin:a", None).await.is_err());
        assert!(limits.check_login_device("device-of-a").await.is_ok());
    }
}
