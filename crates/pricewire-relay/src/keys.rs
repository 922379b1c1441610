//! The key schema: every Redis key and channel the relay and its readers use, in one place.
//! Each venue's keys share the hash tag `{venue}` (`pricewire:{kraken}:ticks`), so they sit
//! in one cluster slot and one Lua script may touch all of them. docs/RELAY.md describes
//! what each holds; nothing here talks to Redis.

use pricewire_core::ExchangeId;

/// The prefix every key starts with.
pub const PREFIX: &str = "pricewire";

/// The names of one venue's keys and channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The venue.
    pub venue: ExchangeId,
    /// String: a random value naming this Redis dataset; a new one means the data was lost.
    pub epoch: String,
    /// String: the lease value (`relay-id:nonce`) of the current leader, with a PX expiry.
    pub lease: String,
    /// String counter: the highest leadership term handed out.
    pub term: String,
    /// Hash: the current (or last) leader: `id`, `term`, `since_ms`, `released`.
    pub leader: String,
    /// String counter: the last `seq` given to an entry of `ticks`.
    pub seq: String,
    /// Stream, capped: one entry per ticker or symbol error; entry id `<seq>-0`.
    pub ticks: String,
    /// Hash: symbol → the latest ticker (or symbol error) line.
    pub latest: String,
    /// Hash: the venue's connection state as the leader sees it.
    pub state: String,
    /// Stream, capped: every state transition and every change of leader (the audit log).
    pub states: String,
    /// Hash: the leader's heartbeat: `term`, `leader`, `at_ms` (Redis time).
    pub heartbeat: String,
    /// String: the venue's pair list as the leader loaded it (JSON).
    pub pairs: String,
    /// Sorted set: `consumer|symbol` → lease expiry (Redis time, ms).
    pub wants: String,
    /// Set: symbols carried whatever the wants say.
    pub pinned: String,
    /// Stream, capped: requests for the leader (`reconnect`).
    pub control: String,
    /// Hash of counters: `fenced` (writes refused by the lease check), `dropped` (entries
    /// a leader could not queue), `over_cap` (wants refused by the symbol cap).
    pub stats: String,
    /// Pub/Sub channel: the lease was released (standbys try at once).
    pub released_channel: String,
    /// Pub/Sub channel: a want was added (the leader reads the wants at once).
    pub wants_channel: String,
}

impl Keys {
    /// The keys of `venue`.
    pub fn new(venue: ExchangeId) -> Self {
        let k = |name: &str| format!("{PREFIX}:{{{venue}}}:{name}");
        Keys {
            venue,
            epoch: k("epoch"),
            lease: k("lease"),
            term: k("term"),
            leader: k("leader"),
            seq: k("seq"),
            ticks: k("ticks"),
            latest: k("latest"),
            state: k("state"),
            states: k("states"),
            heartbeat: k("heartbeat"),
            pairs: k("pairs"),
            wants: k("wants"),
            pinned: k("pinned"),
            control: k("control"),
            stats: k("stats"),
            released_channel: k("released"),
            wants_channel: k("wants-changed"),
        }
    }
}

/// The stream entry id of sequence number `seq`: entries are numbered by their `seq`, so a
/// reader resumes from `<seq>-0` and a range of sequence numbers is a range of ids.
pub fn entry_id(seq: u64) -> String {
    format!("{seq}-0")
}

/// The `seq` of a stream entry id (`"42-0"` → 42).
pub fn seq_of(id: &str) -> Option<u64> {
    id.split_once('-').map_or(id, |(ms, _)| ms).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_venue_shares_its_hash_tag() {
        let keys = Keys::new(ExchangeId::Kraken);
        assert_eq!(keys.ticks, "pricewire:{kraken}:ticks");
        for key in [
            &keys.epoch,
            &keys.lease,
            &keys.term,
            &keys.leader,
            &keys.seq,
            &keys.latest,
            &keys.state,
            &keys.states,
            &keys.heartbeat,
            &keys.pairs,
            &keys.wants,
            &keys.pinned,
            &keys.control,
            &keys.stats,
        ] {
            assert!(key.starts_with("pricewire:{kraken}:"), "{key}");
        }
        assert_eq!(entry_id(42), "42-0");
        assert_eq!(seq_of("42-0"), Some(42));
        assert_eq!(seq_of("nope"), None);
    }
}
