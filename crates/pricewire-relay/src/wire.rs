//! What the relay writes besides the engine's JSON lines, and reading it back: a venue's
//! connection state as hash fields, the failover line, and the pair list. Pure functions,
//! no Redis.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use pricewire_core::json;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::sanitize;
use pricewire_core::symbol::{Instrument, PairList, Symbol};

/// A venue's state as the leader's feed reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueState {
    /// The state, with its attempt count and retry times.
    pub status: FeedStatus,
    /// When it began (the leader's clock).
    pub since: DateTime<Utc>,
    /// Why, in words.
    pub reason: String,
    /// The leader's peer is the built-in simulator.
    pub simulated: bool,
}

/// The hash fields of a state: `status`, `attempt`, `max_attempts`, `next_try`, `since`,
/// `reason`, `simulated` (times RFC 3339, empty when the state has none).
pub fn state_fields(state: &VenueState) -> Vec<(String, String)> {
    let (attempt, max_attempts, next_try) = match &state.status {
        FeedStatus::Reconnecting {
            attempt,
            max_attempts,
            next_try,
        } => (*attempt, *max_attempts, Some(*next_try)),
        FeedStatus::Fallback { next_ws_try } => (0, 0, Some(*next_ws_try)),
        FeedStatus::Offline { next_try } => (0, 0, Some(*next_try)),
        _ => (0, 0, None),
    };
    vec![
        ("status".into(), state.status.name().into()),
        ("attempt".into(), attempt.to_string()),
        ("max_attempts".into(), max_attempts.to_string()),
        (
            "next_try".into(),
            next_try.map(json::ts).unwrap_or_default(),
        ),
        ("since".into(), json::ts(state.since)),
        ("reason".into(), state.reason.clone()),
        (
            "simulated".into(),
            if state.simulated { "1" } else { "0" }.into(),
        ),
    ]
}

/// Read a state back from its fields; `None` when they do not describe one (missing,
/// garbage, a state this build does not know).
pub fn read_state<S: std::hash::BuildHasher>(
    fields: &HashMap<String, String, S>,
) -> Option<VenueState> {
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    let time = |k: &str| {
        DateTime::parse_from_rfc3339(get(k))
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    let next = time("next_try");
    let status = match get("status") {
        "connecting" => FeedStatus::Connecting,
        "connected" => FeedStatus::Connected,
        "quiet" => FeedStatus::Quiet,
        "maintenance" => FeedStatus::Maintenance,
        "reconnecting" => FeedStatus::Reconnecting {
            attempt: get("attempt").parse().ok()?,
            max_attempts: get("max_attempts").parse().ok()?,
            next_try: next?,
        },
        "fallback" => FeedStatus::Fallback { next_ws_try: next? },
        "offline" => FeedStatus::Offline { next_try: next? },
        "idle" => FeedStatus::Idle,
        "stopped" => FeedStatus::Stopped,
        _ => return None,
    };
    Some(VenueState {
        status,
        since: time("since")?,
        reason: sanitize::clean(get("reason")),
        simulated: get("simulated") == "1",
    })
}

/// Why the leader before us is no longer leading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handover {
    /// No leader before us in this dataset.
    First,
    /// It gave the lease up.
    Released(String),
    /// Its lease ran out.
    Expired(String),
}

#[derive(Serialize, Deserialize)]
struct LeaderLine {
    r#type: String,
    exchange: String,
    leader: String,
    term: u64,
    message: String,
    ts: String,
}

/// The one line a new leader writes to the state stream:
/// `leader relay-b took over kraken, term 7: relay-a's lease expired`.
pub fn failover_line(
    venue: ExchangeId,
    leader: &str,
    term: u64,
    before: &Handover,
    at: DateTime<Utc>,
) -> String {
    let why = match before {
        Handover::First => "no leader before".to_string(),
        Handover::Released(id) => format!("{id} released it"),
        Handover::Expired(id) => format!("{id}'s lease expired"),
    };
    serde_json::to_string(&LeaderLine {
        r#type: "leader".into(),
        exchange: venue.as_str().into(),
        leader: leader.into(),
        term,
        message: format!("leader {leader} took over {venue}, term {term}: {why}"),
        ts: json::ts(at),
    })
    .unwrap_or_default()
}

/// A line of the state stream, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLine {
    /// A change of leader; the message says who and why.
    Leader {
        /// The new leader.
        leader: String,
        /// Its term.
        term: u64,
        /// The sentence.
        message: String,
    },
    /// A transition of the venue's connection.
    Status {
        /// The state it went to, as a reason-bearing status line said.
        to: String,
        /// Why.
        reason: String,
    },
}

/// Read a state stream line (cleaned); `None` for garbage.
pub fn read_state_line(text: &str) -> Option<StateLine> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let s = |k: &str| sanitize::clean(v.get(k).and_then(|x| x.as_str()).unwrap_or_default());
    match v.get("type")?.as_str()? {
        "leader" => Some(StateLine::Leader {
            leader: s("leader"),
            term: v.get("term")?.as_u64()?,
            message: s("message"),
        }),
        "status" => Some(StateLine::Status {
            to: s("to"),
            reason: s("reason"),
        }),
        _ => None,
    }
}

#[derive(Serialize, Deserialize)]
struct PairsDoc {
    venue: String,
    asset_aliases: Vec<(String, String)>,
    instruments: Vec<InstrumentDoc>,
}

#[derive(Serialize, Deserialize)]
struct InstrumentDoc {
    symbol: String,
    wire: String,
    rest: String,
    price_decimals: Option<u32>,
    aliases: Vec<String>,
}

/// The pair list as the leader publishes it (JSON).
pub fn pairs_json(list: &PairList) -> String {
    serde_json::to_string(&PairsDoc {
        venue: list.venue().into(),
        asset_aliases: list.asset_aliases(),
        instruments: list
            .instruments()
            .iter()
            .map(|i| InstrumentDoc {
                symbol: i.symbol.to_string(),
                wire: i.wire.clone(),
                rest: i.rest.clone(),
                price_decimals: i.price_decimals,
                aliases: i.aliases.clone(),
            })
            .collect(),
    })
    .unwrap_or_default()
}

/// The pair list back from its JSON, with the reader's own quote aliases; `None` for
/// garbage.
pub fn read_pairs(text: &str, quote_aliases: &[(String, String)]) -> Option<PairList> {
    let doc: PairsDoc = serde_json::from_str(text).ok()?;
    let instruments = doc
        .instruments
        .into_iter()
        .filter_map(|i| {
            let (base, quote) = i.symbol.split_once('/')?;
            Some(Instrument {
                symbol: Symbol::new(base, quote),
                wire: sanitize::clean(&i.wire),
                rest: sanitize::clean(&i.rest),
                price_decimals: i.price_decimals.filter(|d| *d <= 28),
                aliases: i.aliases.iter().map(|a| sanitize::clean(a)).collect(),
            })
        })
        .collect();
    let aliases: Vec<(&str, &str)> = doc
        .asset_aliases
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut list = PairList::new(&sanitize::clean(&doc.venue), instruments, &aliases);
    list.set_quote_aliases(quote_aliases.iter().map(|(a, b)| (a.as_str(), b.as_str())));
    Some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_fields() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        for status in [
            FeedStatus::Connected,
            FeedStatus::Reconnecting {
                attempt: 2,
                max_attempts: 5,
                next_try: at,
            },
            FeedStatus::Fallback { next_ws_try: at },
            FeedStatus::Offline { next_try: at },
            FeedStatus::Idle,
        ] {
            let state = VenueState {
                status,
                since: at,
                reason: "why".into(),
                simulated: true,
            };
            let fields: HashMap<String, String> = state_fields(&state).into_iter().collect();
            assert_eq!(read_state(&fields), Some(state));
        }
        let mut garbage: HashMap<String, String> = HashMap::new();
        garbage.insert("status".into(), "reconnecting".into());
        assert_eq!(read_state(&garbage), None);
    }

    #[test]
    fn the_failover_line_names_both_leaders_and_why() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let line = failover_line(
            ExchangeId::Kraken,
            "relay-b",
            7,
            &Handover::Expired("relay-a".into()),
            at,
        );
        assert_eq!(
            read_state_line(&line),
            Some(StateLine::Leader {
                leader: "relay-b".into(),
                term: 7,
                message: "leader relay-b took over kraken, term 7: relay-a's lease expired".into()
            })
        );
        let line = failover_line(
            ExchangeId::Kraken,
            "relay-b",
            8,
            &Handover::Released("relay-a".into()),
            at,
        );
        assert!(line.contains("relay-a released it"), "{line}");
    }

    #[test]
    fn pair_lists_round_trip() {
        let list = PairList::new(
            "kraken",
            vec![Instrument {
                symbol: Symbol::new("BTC", "USD"),
                wire: "BTC/USD".into(),
                rest: "XBTUSD".into(),
                price_decimals: Some(1),
                aliases: vec!["XXBTZUSD".into()],
            }],
            &[("XBT", "BTC")],
        );
        let back = read_pairs(&pairs_json(&list), &[]).unwrap();
        assert_eq!(back.instruments(), list.instruments());
        assert_eq!(back.resolve("XBT/USD").unwrap().symbol.as_str(), "BTC/USD");
        assert!(read_pairs("garbage", &[]).is_none());
    }
}
