//! The Lua scripts, each one atomic step inside Redis, and how they are called: `EVALSHA`
//! first, the whole text (`EVAL`) when Redis answers NOSCRIPT (after a restart its script
//! cache is empty), which loads it again. Read-only scripts go through `EVALSHA_RO` /
//! `EVAL_RO` (Redis 7.0), so a consumer whose ACL allows reading only can run them.
//!
//! Every write of a leader goes through [`PUBLISH`], which checks the lease first: a
//! leader resumed after a pause or a partition cannot write over its successor, because
//! the check happens in Redis, at the moment of the write.

use std::sync::LazyLock;

use redis::aio::ConnectionLike;
use redis::{Cmd, FromRedisValue, RedisResult, ServerErrorKind};

/// A script and its SHA1.
#[derive(Debug)]
pub struct Lua {
    code: String,
    sha: String,
    read_only: bool,
}

impl Lua {
    fn new(code: String, read_only: bool) -> Lua {
        Lua {
            sha: redis::Script::new(&code).get_hash().to_string(),
            code,
            read_only,
        }
    }

    /// Run it with `keys` and `args` (each one Redis argument). Reloaded once on NOSCRIPT:
    /// a script that was not found did not run, so sending it again is safe.
    pub async fn call<T: FromRedisValue>(
        &self,
        con: &mut impl ConnectionLike,
        keys: &[&str],
        args: &[Vec<u8>],
    ) -> RedisResult<T> {
        match self.command(true, keys, args).query_async(con).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(ServerErrorKind::NoScript) => {
                self.command(false, keys, args).query_async(con).await
            }
            other => other,
        }
    }

    fn command(&self, by_sha: bool, keys: &[&str], args: &[Vec<u8>]) -> Cmd {
        let name = match (by_sha, self.read_only) {
            (true, false) => "EVALSHA",
            (true, true) => "EVALSHA_RO",
            (false, false) => "EVAL",
            (false, true) => "EVAL_RO",
        };
        let mut cmd = redis::cmd(name);
        cmd.arg(if by_sha {
            self.sha.as_str()
        } else {
            self.code.as_str()
        })
        .arg(keys.len())
        .arg(keys);
        for a in args {
            cmd.arg(a.as_slice());
        }
        cmd
    }
}

/// Milliseconds of Redis's own clock, inside a script.
const NOW_MS: &str = "local function now_ms() local t = redis.call('TIME') return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end\n";

/// Take the lease if it is free: `SET NX PX`, then the epoch if the dataset has none, a new
/// term (never below `min_term + 1`), and the leader hash.
///
/// KEYS: lease, term, leader, epoch. ARGV: lease value, lease ms, min term, epoch
/// candidate, relay id.
/// Returns `{0, holder}` when taken by another, else `{term, epoch, previous id, previous
/// term, previous released}`.
pub static ACQUIRE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        concat_const(
            "local ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if not ok then return {0, redis.call('GET', KEYS[1]) or ''} end
redis.call('SET', KEYS[4], ARGV[4], 'NX')
local epoch = redis.call('GET', KEYS[4])
local term = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if term <= floor then term = floor + 1 redis.call('SET', KEYS[2], string.format('%d', term)) end
local prev = redis.call('HMGET', KEYS[3], 'id', 'term', 'released')
redis.call('HSET', KEYS[3], 'id', ARGV[5], 'term', string.format('%d', term), 'since_ms', string.format('%d', now_ms()), 'released', '0')
return {term, epoch, prev[1] or '', prev[2] or '', prev[3] or ''}",
        ),
        false,
    )
});

/// Extend the lease only while it is still ours; a missing key is never recreated.
///
/// KEYS: lease. ARGV: lease value, lease ms. Returns 1 when extended.
pub static EXTEND: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        String::from("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0"),
        false,
    )
});

/// Give the lease up if it is still ours, mark the leader hash released, and tell the
/// standbys.
///
/// KEYS: lease, leader. ARGV: lease value, channel, relay id. Returns 1 when released.
pub static RELEASE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        String::from(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[2], 'released', '1')
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1 end
return 0",
        ),
        false,
    )
});

/// One batch of a leader's writes, fenced: nothing is written unless the lease still holds
/// our value (a refusal is counted in `stats.fenced`) and the epoch is the one we lead in.
///
/// KEYS: lease, epoch, seq, ticks, latest, state, states, heartbeat, pairs, stats.
/// ARGV: lease value, epoch, term, leader id, ticks MAXLEN, states MAXLEN, then
/// `n` and n × (symbol, line, keep) — `keep` 1 for the last entry of its symbol in the
/// batch, which also goes to `latest` —, then `m` and m × (field, value) for `state`,
/// then `s` and s lines for `states`, then the heartbeat flag (0/1), then the pairs flag
/// (0/1) and, when 1, the pair list, then `r` and r × (symbol, line): when `r` ≥ 0 the
/// leader's whole picture, which replaces `latest` (−1: none).
/// Returns `{1, last seq}`, `{-1, holder}` (fenced) or `{-2, epoch}` (not our dataset).
pub static PUBLISH: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        concat_const(
            "local lease = redis.call('GET', KEYS[1])
if lease ~= ARGV[1] then
  redis.call('HINCRBY', KEYS[10], 'fenced', 1)
  return {-1, lease or ''}
end
local epoch = redis.call('GET', KEYS[2])
if epoch ~= ARGV[2] then return {-2, epoch or ''} end
local term, leader = ARGV[3], ARGV[4]
local i = 7
local n = tonumber(ARGV[i]) i = i + 1
local seq = tonumber(redis.call('GET', KEYS[3]) or '0')
if n > 0 then
  local last = redis.call('INCRBY', KEYS[3], n)
  seq = last - n
  local h = {}
  for j = 1, n do
    seq = seq + 1
    local s = string.format('%d', seq)
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], s .. '-0', 'seq', s, 'epoch', ARGV[2], 'term', term, 'leader', leader, 'line', ARGV[i + 1])
    if ARGV[i + 2] == '1' then h[#h + 1] = ARGV[i] h[#h + 1] = ARGV[i + 1] end
    i = i + 3
  end
  if #h > 0 then redis.call('HSET', KEYS[5], unpack(h)) end
end
local m = tonumber(ARGV[i]) i = i + 1
if m > 0 then
  local f = {}
  for j = 1, 2 * m do f[j] = ARGV[i] i = i + 1 end
  redis.call('HSET', KEYS[6], unpack(f))
end
local s = tonumber(ARGV[i]) i = i + 1
for j = 1, s do
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[6], '*', 'epoch', ARGV[2], 'term', term, 'leader', leader, 'line', ARGV[i])
  i = i + 1
end
if ARGV[i] == '1' then
  redis.call('HSET', KEYS[8], 'term', term, 'leader', leader, 'at_ms', string.format('%d', now_ms()))
end
i = i + 1
if ARGV[i] == '1' then redis.call('SET', KEYS[9], ARGV[i + 1]) i = i + 1 end
i = i + 1
local r = tonumber(ARGV[i]) i = i + 1
if r >= 0 then
  redis.call('DEL', KEYS[5])
  if r > 0 then
    local f = {}
    for j = 1, 2 * r do f[j] = ARGV[i] i = i + 1 end
    redis.call('HSET', KEYS[5], unpack(f))
  end
end
return {1, string.format('%d', seq)}",
        ),
        false,
    )
});

/// Everything a reader needs to start, from one moment: the epoch, the last `seq`, the
/// latest line per symbol, the venue state, the leader, the heartbeat and Redis's time.
///
/// KEYS: epoch, seq, latest, state, leader, heartbeat, states. Returns `{epoch, seq,
/// latest (flat field/value list), state (flat), leader (flat), heartbeat (flat), now ms,
/// last id of states}`.
pub static SNAPSHOT: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        concat_const(
            "local last = redis.call('XREVRANGE', KEYS[7], '+', '-', 'COUNT', 1)
local last_id = '0-0'
if #last > 0 then last_id = last[1][1] end
return {redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or '0',
redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4]), redis.call('HGETALL', KEYS[5]),
redis.call('HGETALL', KEYS[6]), string.format('%d', now_ms()), last_id}",
        ),
        true,
    )
});

/// A reader's twice-a-second look at the leader: the epoch, the heartbeat and Redis's time,
/// so the heartbeat's age is measured on one clock.
///
/// KEYS: epoch, heartbeat. Returns `{epoch, heartbeat (flat), now ms}`.
pub static POLL: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        concat_const(
            "return {redis.call('GET', KEYS[1]) or '', redis.call('HGETALL', KEYS[2]), string.format('%d', now_ms())}",
        ),
        true,
    )
});

/// Lease wants until Redis's now + ttl; tells the leader when one is new.
///
/// KEYS: wants. ARGV: ttl ms, channel, then members (`consumer|symbol`). Returns how many
/// were new.
pub static WANT: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        concat_const(
            "local exp = string.format('%d', now_ms() + tonumber(ARGV[1]))
local added = 0
for i = 3, #ARGV do added = added + redis.call('ZADD', KEYS[1], exp, ARGV[i]) end
if added > 0 then redis.call('PUBLISH', ARGV[2], added) end
return added",
        ),
        false,
    )
});

/// The leader's read of what is wanted: expired wants removed, the live ones and the
/// pinned symbols returned.
///
/// KEYS: wants, pinned. Returns `{live members, pinned members}`.
pub static WANTED: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        concat_const(
            "local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now))
return {redis.call('ZRANGEBYSCORE', KEYS[1], string.format('%d', now), '+inf'), redis.call('SMEMBERS', KEYS[2])}",
        ),
        false,
    )
});

/// A script body with the `now_ms` helper in front.
fn concat_const(body: &str) -> String {
    format!("{NOW_MS}{body}")
}
