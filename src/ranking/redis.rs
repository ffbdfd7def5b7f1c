//! Ranking in Redis.
//!
//! Keys, all sharing the hash tag `{slug}` so that a competition lives in one
//! Redis Cluster slot:
//! - `thidua:{slug}:entries:{period}`: hash, unit code → entry (JSON)
//! - `thidua:{slug}:board:{board}:{period}`: sorted set of ranked units
//! - `thidua:{slug}:version`: counter bumped on every change
//!
//! A sorted-set score is a double, exact for integers only up to 2^53, and
//! tie-breaker totals can exceed that once combined with the score. So the
//! score is only `10000 - score_bp` (ascending = best first), and the member
//! carries the rest of the order: each tie-breaker total as a fixed-width
//! complement (`u64::MAX - total`, 20 digits), then the unit code. Redis
//! orders equal scores by member bytes ascending, which is exactly "higher
//! tie-breakers first, then code ascending" — read with ZRANGE, never REV.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Client, Script};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{BoardChanged, Entry, Period, RankingResult, on_board, sort_entries};

/// Writes one entry unless a newer one is stored; moves its member in the
/// boards. KEYS: entries hash, `all` board, then each group's board.
/// ARGV: code, stamp, stored JSON, member ("" if unranked), zscore, group,
/// then the group codes in KEYS order.
const PUT_ENTRY: &str = r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local o = cjson.decode(old)
  if tonumber(o.stamp) > tonumber(ARGV[2]) then return 0 end
  if old == ARGV[3] then return 0 end
  if o.member ~= '' then
    for i = 2, #KEYS do redis.call('ZREM', KEYS[i], o.member) end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
  for i = 7, #ARGV do
    if ARGV[i] == ARGV[6] then redis.call('ZADD', KEYS[i - 4], ARGV[5], ARGV[4]) end
  end
end
return 1
";

/// Removes a unit from a period. KEYS as for PUT_ENTRY; ARGV: code.
const REMOVE_ENTRY: &str = r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
local o = cjson.decode(old)
if o.member ~= '' then
  for i = 2, #KEYS do redis.call('ZREM', KEYS[i], o.member) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
";

#[derive(Serialize, Deserialize)]
struct Stored {
    stamp: i64,
    member: String,
    entry: Entry,
}

pub struct RedisRanking {
    connection: ConnectionManager,
    prefix: String,
    events: broadcast::Sender<BoardChanged>,
    put_entry: Script,
    remove_entry: Script,
}

impl RedisRanking {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<RedisRanking> {
        let client = Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        // Lazy: the service starts (and serves from the database) while Redis is down.
        let connection = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        let events = broadcast::channel(256).0;
        let ranking = RedisRanking {
            connection,
            prefix: prefix.to_string(),
            events: events.clone(),
            put_entry: Script::new(PUT_ENTRY),
            remove_entry: Script::new(REMOVE_ENTRY),
        };
        tokio::spawn(forward_events(client, ranking.channel(), events));
        Ok(ranking)
    }

    fn channel(&self) -> String {
        format!("{}thidua:events", self.prefix)
    }

    fn key(&self, slug: &str, rest: &str) -> String {
        format!("{}thidua:{{{slug}}}:{rest}", self.prefix)
    }

    fn entries_key(&self, slug: &str, period: Period) -> String {
        self.key(slug, &format!("entries:{period}"))
    }

    fn board_key(&self, slug: &str, board: &str, period: Period) -> String {
        self.key(slug, &format!("board:{board}:{period}"))
    }

    fn board_keys(&self, slug: &str, groups: &[String], period: Period) -> Vec<String> {
        std::iter::once(self.entries_key(slug, period))
            .chain(std::iter::once(self.board_key(slug, "all", period)))
            .chain(groups.iter().map(|g| self.board_key(slug, g, period)))
            .collect()
    }

    fn stored(entry: &Entry) -> RankingResult<(String, String, u64)> {
        let (member, zscore) = match &entry.key {
            Some(key) => {
                let mut member = String::new();
                for total in &key.tie_breakers {
                    member.push_str(&format!("{:020}", u64::MAX - total));
                }
                member.push_str(&entry.code);
                (member, 10000 - u64::from(key.score_bp.min(10000)))
            }
            None => (String::new(), 0),
        };
        let json = serde_json::to_string(&Stored {
            stamp: entry.stamp,
            member: member.clone(),
            entry: entry.clone(),
        })
        .map_err(|e| super::RankingError(e.to_string()))?;
        Ok((json, member, zscore))
    }

    fn invoke_put(
        &self,
        pipe: &mut redis::Pipeline,
        keys: &[String],
        groups: &[String],
        entry: &Entry,
    ) -> RankingResult<()> {
        let (json, member, zscore) = Self::stored(entry)?;
        let mut invocation = self.put_entry.prepare_invoke();
        for k in keys {
            invocation.key(k);
        }
        invocation
            .arg(&entry.code)
            .arg(entry.stamp)
            .arg(json)
            .arg(member)
            .arg(zscore)
            .arg(&entry.group);
        for g in groups {
            invocation.arg(g);
        }
        pipe.invoke_script(&invocation);
        Ok(())
    }

    async fn load_scripts(&self, con: &mut ConnectionManager) -> RankingResult<()> {
        self.put_entry.prepare_invoke().load_async(con).await?;
        self.remove_entry.prepare_invoke().load_async(con).await?;
        Ok(())
    }

    async fn bump(&self, con: &mut ConnectionManager, slug: &str) -> RankingResult<u64> {
        let version: u64 = con.incr(self.key(slug, "version"), 1).await?;
        let event = serde_json::to_string(&BoardChanged {
            slug: slug.to_string(),
            version,
        })
        .map_err(|e| super::RankingError(e.to_string()))?;
        let _: i64 = con.publish(self.channel(), event).await?;
        Ok(version)
    }

    pub async fn put(
        &self,
        slug: &str,
        groups: &[String],
        entries: Vec<(Period, Entry)>,
    ) -> RankingResult<u64> {
        let mut con = self.connection.clone();
        self.load_scripts(&mut con).await?;
        if !entries.is_empty() {
            let mut pipe = redis::pipe();
            for (period, entry) in &entries {
                let keys = self.board_keys(slug, groups, *period);
                self.invoke_put(&mut pipe, &keys, groups, entry)?;
            }
            let _: Vec<i64> = pipe.query_async(&mut con).await?;
        }
        self.bump(&mut con, slug).await
    }

    pub async fn replace(
        &self,
        slug: &str,
        groups: &[String],
        periods: Vec<(Period, Vec<Entry>)>,
    ) -> RankingResult<(usize, u64)> {
        let mut con = self.connection.clone();
        self.load_scripts(&mut con).await?;
        let mut drift = 0usize;
        for (period, entries) in &periods {
            let keys = self.board_keys(slug, groups, *period);
            let stored: Vec<String> = con.hkeys(&keys[0]).await?;
            for chunk in entries.chunks(500) {
                let mut pipe = redis::pipe();
                for entry in chunk {
                    self.invoke_put(&mut pipe, &keys, groups, entry)?;
                }
                let changed: Vec<i64> = pipe.query_async(&mut con).await?;
                drift += changed.iter().filter(|c| **c == 1).count();
            }
            let listed: std::collections::HashSet<&str> =
                entries.iter().map(|e| e.code.as_str()).collect();
            let gone: Vec<&String> = stored
                .iter()
                .filter(|c| !listed.contains(c.as_str()))
                .collect();
            if !gone.is_empty() {
                let mut pipe = redis::pipe();
                for code in gone {
                    let mut invocation = self.remove_entry.prepare_invoke();
                    for k in &keys {
                        invocation.key(k);
                    }
                    invocation.arg(code);
                    pipe.invoke_script(&invocation);
                }
                let removed: Vec<i64> = pipe.query_async(&mut con).await?;
                drift += removed.iter().filter(|c| **c == 1).count();
            }
            // Members whose entry is gone or changed (e.g. a lost write).
            let members: Vec<String> = con.zrange(&keys[1], 0, -1).await?;
            let expected: std::collections::HashSet<String> = entries
                .iter()
                .map(|e| Self::stored(e).map(|s| s.1))
                .collect::<RankingResult<_>>()?;
            let stray: Vec<&String> = members.iter().filter(|m| !expected.contains(*m)).collect();
            if !stray.is_empty() {
                drift += stray.len();
                let mut pipe = redis::pipe();
                for key in &keys[1..] {
                    pipe.zrem(key, &stray);
                }
                let _: Vec<i64> = pipe.query_async(&mut con).await?;
            }
        }
        let version = self.bump(&mut con, slug).await?;
        Ok((drift, version))
    }

    pub async fn board(
        &self,
        slug: &str,
        board: &str,
        period: Period,
    ) -> RankingResult<Vec<Entry>> {
        let mut con = self.connection.clone();
        let (members, stored): (Vec<String>, HashMap<String, String>) = redis::pipe()
            .zrange(self.board_key(slug, board, period), 0, -1)
            .hgetall(self.entries_key(slug, period))
            .query_async(&mut con)
            .await?;
        let mut entries: HashMap<String, Entry> = HashMap::with_capacity(stored.len());
        for (code, json) in stored {
            let s: Stored =
                serde_json::from_str(&json).map_err(|e| super::RankingError(e.to_string()))?;
            if on_board(&s.entry, board) {
                entries.insert(code, s.entry);
            }
        }
        let mut ordered = Vec::with_capacity(entries.len());
        for member in members {
            // The code is what follows the fixed-width tie-breaker prefix.
            let tie_breakers = entries
                .values()
                .next()
                .and_then(|e| e.key.as_ref())
                .map(|k| k.tie_breakers.len())
                .unwrap_or(0);
            let code = member.get(tie_breakers * 20..).unwrap_or(&member);
            if let Some(e) = entries.remove(code) {
                ordered.push(e);
            }
        }
        // Entries without a member: unranked, or a set not yet caught up.
        let mut rest: Vec<Entry> = entries.into_values().collect();
        sort_entries(&mut rest);
        if rest.iter().any(|e| e.key.is_some()) {
            ordered.extend(rest);
            sort_entries(&mut ordered);
        } else {
            ordered.extend(rest);
        }
        Ok(ordered)
    }

    pub async fn rank(
        &self,
        slug: &str,
        board: &str,
        period: Period,
        entry: &Entry,
    ) -> RankingResult<Option<u32>> {
        let Some(key) = &entry.key else {
            return Ok(None);
        };
        let (_, member, zscore) = Self::stored(entry)?;
        let board_key = self.board_key(slug, board, period);
        let mut con = self.connection.clone();
        let better_score: u64 = con.zcount(&board_key, "-inf", format!("({zscore}")).await?;
        let mut better = better_score;
        if !key.tie_breakers.is_empty() {
            // Same score: better when the tie-breaker prefix sorts first.
            let prefix = &member[..key.tie_breakers.len() * 20];
            let same: Vec<String> = con.zrangebyscore(&board_key, zscore, zscore).await?;
            better += same
                .iter()
                .filter(|m| m.get(..prefix.len()).is_some_and(|p| p < prefix))
                .count() as u64;
        }
        Ok(Some(better as u32 + 1))
    }

    pub async fn version(&self, slug: &str) -> RankingResult<u64> {
        let mut con = self.connection.clone();
        let v: Option<u64> = con.get(self.key(slug, "version")).await?;
        Ok(v.unwrap_or(0))
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BoardChanged> {
        self.events.subscribe()
    }

    pub async fn ping(&self) -> bool {
        let mut con = self.connection.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut con)
            .await
            .is_ok()
    }
}

/// Carries "board changed" events from Redis pub/sub to this instance's
/// viewers, reconnecting with backoff while Redis is away.
async fn forward_events(client: Client, channel: String, events: broadcast::Sender<BoardChanged>) {
    use futures_util::StreamExt;
    let mut delay = Duration::from_millis(200);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if pubsub.subscribe(&channel).await.is_ok() {
                    delay = Duration::from_millis(200);
                    let mut messages = pubsub.into_on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(payload) = message.get_payload::<String>() else {
                            continue;
                        };
                        if let Ok(event) = serde_json::from_str::<BoardChanged>(&payload) {
                            let _ = events.send(event);
                        }
                    }
                }
                tracing::warn!("redis event subscription ended; reconnecting");
            }
            Err(e) => tracing::debug!(error = %e, "redis pub/sub unavailable"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
