//! Ranking in Redis.
//!
//! Keys, all sharing the hash tag `{slug}` so that a competition lives in one
//! Redis Cluster slot:
//! - `thidua:{slug}:entries:{period}`: hash, unit code → entry (JSON)
//! - `thidua:{slug}:board:{board}:{period}`: sorted set of ranked units
//! - `thidua:{slug}:version`: counter bumped on every change
//! - `thidua:{slug}:changes`: stream of the (period, unit) pairs written,
//!   capped at [`HISTORY`]: how other instances learn what changed
//! - `thidua:{slug}:epoch`: the id of the last rebuild. Missing means Redis
//!   holds nothing trustworthy for the competition (it restarted empty):
//!   readers then rebuild from the database instead of showing a half-empty
//!   board.
//!
//! A sorted-set score is a double, exact for integers only up to 2^53, and
//! tie-breaker totals can exceed that once combined with the score. So the
//! score is only `10000 - score_bp` (ascending = best first), and the member
//! carries the rest of the order: each tie-breaker total as a fixed-width
//! complement (`u64::MAX - total`, 20 digits), then the unit code. Redis
//! orders equal scores by member bytes ascending, which is exactly "higher
//! tie-breakers first, then code ascending" — read with ZRANGE, never REV.
//!
//! A report costs one round trip: its entries, the change record, the
//! version bump with its announcement and the unit's rank go in one
//! pipeline of scripts and reads.
//!
//! On a Redis Cluster (see [`crate::redis_connection`]) a competition's keys share one slot,
//! so its scripts and pipelines run on one node. "Board changed" goes by
//! classic pub/sub, which a cluster carries to every node: a subscriber on
//! any node hears every instance (sharded pub/sub would tie subscribers to
//! the nodes owning each competition's slot, for a few messages a second).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use redis::{AsyncCommands, Client, ErrorKind, Script, ServerErrorKind, Value};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use super::{
    Backend, BoardChanged, Changes, Cursor, Entry, HISTORY, Period, Put, RankingError,
    RankingResult, new_epoch, sort_entries,
};
use crate::competition::Board;
use crate::redis_connection::{self, Connection};

/// Writes one entry unless a newer one is stored; moves its member in the
/// boards. KEYS: entries hash, `all` board, then each group's board.
/// ARGV: code, stamp, stored JSON, member ("" if unranked), zscore, group,
/// then the group codes in KEYS order. The old member leaves `all` and the
/// board of the group it was stored with (every group's, if that is not
/// known), not the boards it was never on.
const PUT_ENTRY: &str = r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local o = cjson.decode(old)
  if tonumber(o.stamp) > tonumber(ARGV[2]) then return 0 end
  if old == ARGV[3] then return 0 end
  if o.member ~= '' then
    local group = type(o.entry) == 'table' and o.entry.group or nil
    redis.call('ZREM', KEYS[2], o.member)
    for i = 7, #ARGV do
      if group == nil or ARGV[i] == group then redis.call('ZREM', KEYS[i - 4], o.member) end
    end
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

/// Records what was written, bumps the version and announces it.
/// KEYS: version, changes stream. ARGV: channel, slug, history length, then
/// period and unit code pairs. Returns the new version.
const BUMP: &str = r"
-- A batch of many entries is recorded as several stream entries of at most
-- 500 pairs each (Lua's unpack has a limit).
local i = 4
while i <= #ARGV do
  local fields = {}
  local last = math.min(i + 999, #ARGV)
  for j = i, last do fields[#fields + 1] = ARGV[j] end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(fields))
  i = last + 1
end
local v = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], cjson.encode({slug = ARGV[2], version = v}))
return v
";

/// What changed since a cursor, read atomically. KEYS: epoch, version,
/// changes stream. ARGV: the cursor's epoch and position, how many to read.
/// Returns `{'empty'}`, `{'reload', epoch, version, last}` or
/// `{'since', epoch, version, last, period, code, …}`.
const CHANGES: &str = r"
local epoch = redis.call('GET', KEYS[1])
if not epoch then return {'empty'} end
local version = redis.call('GET', KEYS[2]) or '0'
local last, deleted = '0-0', '0-0'
if redis.call('EXISTS', KEYS[3]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[3])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
    if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
  end
end
local function after(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  if not bm then return true end
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end
if epoch ~= ARGV[1] or after(deleted, ARGV[2]) then
  return {'reload', epoch, version, last}
end
local out = {'since', epoch, version, last}
for _, item in ipairs(redis.call('XRANGE', KEYS[3], '(' .. ARGV[2], '+', 'COUNT', ARGV[3])) do
  for j = 1, #item[2] do out[#out + 1] = item[2][j] end
end
return out
";

#[derive(Serialize, Deserialize)]
struct Stored {
    stamp: i64,
    member: String,
    entry: Entry,
}

pub struct RedisRanking {
    connection: Connection,
    prefix: String,
    events: broadcast::Sender<BoardChanged>,
    put_entry: Script,
    remove_entry: Script,
    bump: Script,
    changes: Script,
}

fn unexpected(what: &str) -> RankingError {
    RankingError(format!("unexpected reply to {what}"))
}

impl RedisRanking {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<RedisRanking> {
        let (connection, clients) = redis_connection::connect(url)?;
        let events = broadcast::channel(256).0;
        let ranking = RedisRanking {
            connection,
            prefix: prefix.to_string(),
            events: events.clone(),
            put_entry: Script::new(PUT_ENTRY),
            remove_entry: Script::new(REMOVE_ENTRY),
            bump: Script::new(BUMP),
            changes: Script::new(CHANGES),
        };
        tokio::spawn(forward_events(clients, ranking.channel(), events));
        Ok(ranking)
    }

    pub fn shared(&self) -> (Connection, String) {
        (self.connection.clone(), self.prefix.clone())
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
            .chain(std::iter::once(self.board_key(slug, Board::ALL, period)))
            .chain(groups.iter().map(|g| self.board_key(slug, g, period)))
            .collect()
    }

    /// The stored JSON, the sorted-set member ("" when unranked) and score.
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
        .map_err(|e| RankingError(e.to_string()))?;
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

    fn invoke_bump(&self, pipe: &mut redis::Pipeline, slug: &str, written: &[(Period, &str)]) {
        let mut invocation = self.bump.prepare_invoke();
        invocation
            .key(self.key(slug, "version"))
            .key(self.key(slug, "changes"))
            .arg(self.channel())
            .arg(slug)
            .arg(HISTORY);
        for (period, code) in written {
            invocation.arg(period.to_string()).arg(*code);
        }
        pipe.invoke_script(&invocation);
    }

    async fn load_scripts(&self, con: &mut Connection) -> RankingResult<()> {
        for script in [
            &self.put_entry,
            &self.remove_entry,
            &self.bump,
            &self.changes,
        ] {
            script.prepare_invoke().load_async(con).await?;
        }
        Ok(())
    }

    /// Runs a pipeline of scripts, loading them once if Redis does not know
    /// them (after a restart): scripts go by hash, not by text, each time.
    async fn query(&self, pipe: &redis::Pipeline) -> RankingResult<Vec<Value>> {
        let mut con = self.connection.clone();
        match pipe.query_async(&mut con).await {
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.load_scripts(&mut con).await?;
                Ok(pipe.query_async(&mut con).await?)
            }
            other => Ok(other?),
        }
    }

    /// The stored entries of some units in one period.
    async fn stored_entries(
        &self,
        con: &mut Connection,
        slug: &str,
        period: Period,
        codes: &[String],
    ) -> RankingResult<Vec<Entry>> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let found: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.entries_key(slug, period))
            .arg(codes)
            .query_async(con)
            .await?;
        found
            .into_iter()
            .flatten()
            .map(|json| {
                serde_json::from_str::<Stored>(&json)
                    .map(|s| s.entry)
                    .map_err(|e| RankingError(e.to_string()))
            })
            .collect()
    }
}

/// The whole-period rank of `entry` on its group's board, from the replies
/// to the ZCOUNT of better scores and (with tie-breakers) the members of
/// equal score.
fn group_rank(entry: &Entry, better: &Value, same: Option<&Value>) -> RankingResult<Option<u32>> {
    let Some(key) = &entry.key else {
        return Ok(None);
    };
    let mut rank: u64 = redis::from_redis_value_ref(better)?;
    if let Some(same) = same {
        let (_, member, _) = RedisRanking::stored(entry)?;
        let prefix = &member[..key.tie_breakers.len() * 20];
        let members: Vec<String> = redis::from_redis_value_ref(same)?;
        rank += members
            .iter()
            .filter(|m| m.get(..prefix.len()).is_some_and(|p| p < prefix))
            .count() as u64;
    }
    Ok(Some(rank as u32 + 1))
}

impl Backend for RedisRanking {
    async fn put(
        &self,
        slug: &str,
        groups: &[String],
        entries: Vec<(Period, Entry)>,
    ) -> RankingResult<Put> {
        let mut pipe = redis::pipe();
        // The keys of a period once, not per entry: a batch puts 20,000
        // entries over two periods, each naming every group's board.
        let mut keys: HashMap<Period, Vec<String>> = HashMap::new();
        for (period, entry) in &entries {
            let keys = keys
                .entry(*period)
                .or_insert_with(|| self.board_keys(slug, groups, *period));
            self.invoke_put(&mut pipe, keys, groups, entry)?;
        }
        let written: Vec<(Period, &str)> =
            entries.iter().map(|(p, e)| (*p, e.code.as_str())).collect();
        self.invoke_bump(&mut pipe, slug, &written);
        // The rank of the whole-period entry, read after the writes above.
        let whole = entries
            .iter()
            .find(|(p, e)| *p == Period::Whole && e.key.is_some())
            .map(|(_, e)| e);
        if let Some(entry) = whole {
            let (_, _, zscore) = Self::stored(entry)?;
            let board = self.board_key(slug, &entry.group, Period::Whole);
            pipe.zcount(&board, "-inf", format!("({zscore}"));
            if entry
                .key
                .as_ref()
                .is_some_and(|k| !k.tie_breakers.is_empty())
            {
                pipe.zrangebyscore(&board, zscore, zscore);
            }
        }
        let replies = self.query(&pipe).await?;
        let bump = replies
            .get(entries.len())
            .ok_or_else(|| unexpected("put"))?;
        let version: u64 = redis::from_redis_value_ref(bump)?;
        let group_rank = match whole {
            Some(entry) => {
                let better = replies
                    .get(entries.len() + 1)
                    .ok_or_else(|| unexpected("put"))?;
                group_rank(entry, better, replies.get(entries.len() + 2))?
            }
            None => None,
        };
        Ok(Put {
            version,
            group_rank,
        })
    }

    async fn replace(
        &self,
        slug: &str,
        groups: &[String],
        periods: Vec<(Period, Vec<Entry>)>,
    ) -> RankingResult<(usize, u64)> {
        let mut con = self.connection.clone();
        let mut drift = 0usize;
        for (period, entries) in &periods {
            let keys = self.board_keys(slug, groups, *period);
            let stored: Vec<String> = con.hkeys(&keys[0]).await?;
            for chunk in entries.chunks(500) {
                let mut pipe = redis::pipe();
                for entry in chunk {
                    self.invoke_put(&mut pipe, &keys, groups, entry)?;
                }
                let changed: Vec<i64> =
                    redis::from_redis_value(Value::Array(self.query(&pipe).await?))?;
                drift += changed.iter().filter(|c| **c == 1).count();
            }
            let listed: HashSet<&str> = entries.iter().map(|e| e.code.as_str()).collect();
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
                let removed: Vec<i64> =
                    redis::from_redis_value(Value::Array(self.query(&pipe).await?))?;
                drift += removed.iter().filter(|c| **c == 1).count();
            }
            // Members whose entry is gone or changed (e.g. a lost write).
            let members: Vec<String> = con.zrange(&keys[1], 0, -1).await?;
            let expected: HashSet<String> = entries
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
        // A new epoch, set last: readers of the old state read everything
        // again, and never from a state half rebuilt.
        let mut pipe = redis::pipe();
        pipe.del(self.key(slug, "changes"))
            .ignore()
            .set(self.key(slug, "epoch"), new_epoch())
            .ignore();
        self.invoke_bump(&mut pipe, slug, &[]);
        let replies = self.query(&pipe).await?;
        let version: u64 =
            redis::from_redis_value_ref(replies.first().ok_or_else(|| unexpected("replace"))?)?;
        Ok((drift, version))
    }

    async fn board(&self, slug: &str, board: &Board, period: Period) -> RankingResult<Vec<Entry>> {
        let mut con = self.connection.clone();
        let (members, stored): (Vec<String>, HashMap<String, String>) = redis::pipe()
            .zrange(self.board_key(slug, board.as_str(), period), 0, -1)
            .hgetall(self.entries_key(slug, period))
            .query_async(&mut con)
            .await?;
        let mut entries: HashMap<String, Entry> = HashMap::with_capacity(stored.len());
        for (code, json) in stored {
            let s: Stored = serde_json::from_str(&json).map_err(|e| RankingError(e.to_string()))?;
            if board.includes(&s.entry.group) {
                entries.insert(code, s.entry);
            }
        }
        let tie_breakers = entries
            .values()
            .next()
            .and_then(|e| e.key.as_ref())
            .map(|k| k.tie_breakers.len())
            .unwrap_or(0);
        let mut ordered = Vec::with_capacity(entries.len());
        for member in members {
            // The code is what follows the fixed-width tie-breaker prefix.
            let code = member.get(tie_breakers * 20..).unwrap_or(&member);
            if let Some(e) = entries.remove(code) {
                ordered.push(e);
            }
        }
        // Entries without a member: unranked, or a set not yet caught up.
        let mut rest: Vec<Entry> = entries.into_values().collect();
        sort_entries(&mut rest);
        let caught_up = rest.iter().all(|e| e.key.is_none());
        ordered.extend(rest);
        if !caught_up {
            sort_entries(&mut ordered);
        }
        Ok(ordered)
    }

    async fn changes(&self, slug: &str, cursor: &Cursor) -> RankingResult<Changes> {
        let mut invocation = self.changes.prepare_invoke();
        invocation
            .key(self.key(slug, "epoch"))
            .key(self.key(slug, "version"))
            .key(self.key(slug, "changes"))
            .arg(&cursor.epoch)
            .arg(&cursor.position)
            .arg(HISTORY);
        let mut pipe = redis::pipe();
        pipe.invoke_script(&invocation);
        let replies = self.query(&pipe).await?;
        let reply: Vec<String> =
            redis::from_redis_value_ref(replies.first().ok_or_else(|| unexpected("changes"))?)?;
        let (kind, rest) = reply.split_first().ok_or_else(|| unexpected("changes"))?;
        let [epoch, version, last, pairs @ ..] = rest else {
            return if kind == "empty" {
                Ok(Changes::Empty)
            } else {
                Err(unexpected("changes"))
            };
        };
        let cursor = Cursor {
            epoch: epoch.clone(),
            position: last.clone(),
        };
        let version = version.parse().map_err(|_| unexpected("changes"))?;
        if kind == "reload" {
            return Ok(Changes::Reload { cursor, version });
        }
        // The latest entry of each unit written, period by period.
        let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut seen = HashSet::new();
        for pair in pairs.chunks(2) {
            if let [period, code] = pair
                && seen.insert((period, code))
            {
                wanted.entry(period.clone()).or_default().push(code.clone());
            }
        }
        let mut con = self.connection.clone();
        let mut entries = Vec::new();
        for (period, codes) in wanted {
            let period = match period.as_str() {
                "total" => Period::Whole,
                day => Period::Day(crate::day::parse(day).ok_or_else(|| unexpected("changes"))?),
            };
            for entry in self.stored_entries(&mut con, slug, period, &codes).await? {
                entries.push((period, entry));
            }
        }
        Ok(Changes::Since {
            cursor,
            version,
            entries,
        })
    }

    async fn version(&self, slug: &str) -> RankingResult<u64> {
        let mut con = self.connection.clone();
        let v: Option<u64> = con.get(self.key(slug, "version")).await?;
        Ok(v.unwrap_or(0))
    }

    fn subscribe(&self) -> broadcast::Receiver<BoardChanged> {
        self.events.subscribe()
    }

    async fn ping(&self) -> bool {
        let mut con = self.connection.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut con)
            .await
            .is_ok()
    }
}

/// Carries "board changed" events from Redis pub/sub to this instance's
/// viewers, reconnecting with backoff while Redis is away — to the next node
/// of a cluster when one fails.
async fn forward_events(
    clients: Vec<Client>,
    channel: String,
    events: broadcast::Sender<BoardChanged>,
) {
    use futures_util::StreamExt;
    let mut delay = Duration::from_millis(200);
    for client in clients.iter().cycle() {
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
