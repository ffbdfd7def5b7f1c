//! Rate limits (SPEC §13): logins per account and per address, reports per
//! token. Ingest is never limited per address alone, because one provincial
//! system may post for every unit from one address.
//!
//! The limits live in each instance's memory: with several instances the
//! effective limit is a multiple of the configured one, which still stops
//! guessing and runaway clients.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;
use crate::error::{AppError, Result};

/// Keys a limiter remembers before it forgets the idle ones.
const RETAIN_ABOVE: usize = 10_000;

pub struct Limits {
    login_account: DefaultKeyedRateLimiter<String>,
    login_address: DefaultKeyedRateLimiter<String>,
    ingest: DefaultKeyedRateLimiter<String>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

fn check(limiter: &DefaultKeyedRateLimiter<String>, key: &str) -> Result<()> {
    if limiter.len() > RETAIN_ABOVE {
        limiter.retain_recent();
    }
    limiter.check_key(&key.to_string()).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        AppError::RateLimited {
            retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        }
    })
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        Limits {
            login_account: RateLimiter::keyed(per_minute(config.login_per_minute)),
            login_address: RateLimiter::keyed(per_minute(config.login_per_minute)),
            ingest: RateLimiter::keyed(per_minute(config.ingest_per_minute)),
        }
    }

    /// One login attempt for `account` (e.g. `admin:NAME`, `unit:CODE`) from
    /// `address`; either limit refuses with 429.
    pub fn check_login(&self, account: &str, address: Option<&str>) -> Result<()> {
        check(&self.login_account, &account.to_lowercase())?;
        if let Some(address) = address {
            check(&self.login_address, address)?;
        }
        Ok(())
    }

    /// One report posted with the token of `principal` (see `Principal::id`).
    pub fn check_ingest(&self, principal: &str) -> Result<()> {
        check(&self.ingest, principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_per_key_and_say_when_to_retry() {
        let mut config = Config::for_database("sqlite::memory:");
        config.login_per_minute = 2;
        config.ingest_per_minute = 1;
        let limits = Limits::new(&config);
        assert!(limits.check_login("admin:a", Some("10.0.0.1")).is_ok());
        assert!(limits.check_login("admin:a", Some("10.0.0.2")).is_ok());
        match limits.check_login("admin:a", Some("10.0.0.3")) {
            Err(AppError::RateLimited { retry_after }) => assert!((1..=60).contains(&retry_after)),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(limits.check_login("admin:b", Some("10.0.0.4")).is_ok());
        assert!(limits.check_ingest("unit:1").is_ok());
        assert!(limits.check_ingest("unit:1").is_err());
        assert!(limits.check_ingest("unit:2").is_ok());
    }
}
