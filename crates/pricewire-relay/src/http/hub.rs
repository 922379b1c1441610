//! One venue's feed inside the front door: one reader of the shared feed per venue per
//! relay (its Redis loop is `hub_run.rs`), however many web clients there are. Each entry
//! is rebuilt into a message once and the same bytes are pushed to every subscriber of
//! its symbol. The hub keeps the latest message of every symbol (snapshots come from
//! memory, at the same `seq` the client is registered at), the venue's state as clients
//! should see it, its recent history, the pair list (to validate and suggest) and the
//! watched symbols (live wants and pins).
//!
//! Subscribing and leaving go through the hub's own task, in order with the entries it
//! applies, so a client gets its snapshot (or the updates it missed) and then every
//! update after it, none twice and none lost.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use pricewire_core::ExchangeId;
use pricewire_core::json as lines;
use pricewire_core::symbol::{PairList, parse_without_list};

use super::clients::Clients;
use super::msg::{self, Update};
use super::outbox::{Client, Item, Position, Pushed, Transport};
use crate::keys::Keys;
use crate::wire::VenueState;

/// History lines kept per venue.
const HISTORY: usize = 50;

/// The hub's link to Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Not connected yet.
    Starting,
    /// Reading.
    Up,
    /// Lost; retrying.
    Lost {
        /// Why.
        reason: String,
        /// When the next try is.
        next_try: DateTime<Utc>,
    },
}

/// One line of a venue's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    /// When.
    pub at: DateTime<Utc>,
    /// What happened, in words.
    pub message: String,
}

/// Everything the hub knows, behind one lock held only briefly.
#[derive(Debug)]
pub struct HubState {
    /// The link to Redis.
    pub link: Link,
    /// A snapshot has been loaded since start.
    pub loaded: bool,
    /// The dataset.
    pub epoch: Arc<str>,
    /// The last `seq` applied.
    pub seq: u64,
    /// The highest term seen.
    pub term: u64,
    /// The leader's id.
    pub leader: String,
    /// The relay's venue state.
    pub relay_state: Option<VenueState>,
    /// The heartbeat's age on Redis's clock, when there is one.
    pub heartbeat_age_ms: Option<u64>,
    /// Symbol → its latest message.
    pub latest: HashMap<Arc<str>, Utf8Bytes>,
    /// Recent history, oldest first.
    pub history: VecDeque<HistoryLine>,
    /// The leader's pair list.
    pub pairs: Option<PairList>,
    /// Symbols carried: live wants and pins.
    pub watched: BTreeSet<String>,
    /// Symbol → its subscribers.
    subs: HashMap<Arc<str>, Vec<Arc<Client>>>,
    /// Client id → the client and how many of its symbols are here.
    venue_subs: HashMap<u64, (Arc<Client>, usize)>,
    /// Wants leased for clients: symbol → subscribers.
    pub client_wants: BTreeMap<String, usize>,
    /// Entries applied since start.
    pub entries: u64,
    /// Updates lost (gaps) since start.
    pub gaps: u64,
    /// Transitions to REST fallback seen while this relay led the venue.
    pub fallbacks: u64,
    /// The circuit breaker as the last transition told: 0 closed, 1 half-open, 2 open.
    pub breaker: u8,
}

/// What the hub's task is asked to do.
pub enum HubCmd {
    /// Register `client` for `symbols` (canonical), resuming from a cursor if given.
    Subscribe {
        /// Who.
        client: Arc<Client>,
        /// Canonical symbols.
        symbols: Vec<String>,
        /// The client's cursor for this venue.
        resume: Option<(String, u64)>,
    },
    /// Stop sending `symbols` to the client.
    Unsubscribe {
        /// Who.
        client: Arc<Client>,
        /// Canonical symbols.
        symbols: Vec<String>,
    },
}

/// Why a symbol was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The message.
    pub error: String,
    /// Listed markets close to it.
    pub suggestions: Vec<String>,
}

/// One venue's hub.
pub struct Hub {
    /// The venue.
    pub venue: ExchangeId,
    /// Its keys.
    pub keys: Keys,
    state: Mutex<HubState>,
    pub(super) cmds: mpsc::Sender<HubCmd>,
    pub(super) clients: Arc<Clients>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hub({})", self.venue)
    }
}

impl Hub {
    /// A hub for `venue` and the receiving end of its commands.
    pub fn new(venue: ExchangeId, clients: Arc<Clients>) -> (Arc<Hub>, mpsc::Receiver<HubCmd>) {
        let (tx, rx) = mpsc::channel(1024);
        let hub = Hub {
            venue,
            keys: Keys::new(venue),
            state: Mutex::new(HubState {
                link: Link::Starting,
                loaded: false,
                epoch: Arc::from(""),
                seq: 0,
                term: 0,
                leader: String::new(),
                relay_state: None,
                heartbeat_age_ms: None,
                latest: HashMap::new(),
                history: VecDeque::new(),
                pairs: None,
                watched: BTreeSet::new(),
                subs: HashMap::new(),
                venue_subs: HashMap::new(),
                client_wants: BTreeMap::new(),
                entries: 0,
                gaps: 0,
                fallbacks: 0,
                breaker: 0,
            }),
            cmds: tx,
            clients,
        };
        (Arc::new(hub), rx)
    }

    /// The state, locked (briefly: never across an await).
    pub fn lock(&self) -> MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue a command for the hub's task (waits while its queue is full).
    pub async fn send(&self, cmd: HubCmd) {
        let _ = self.cmds.send(cmd).await;
    }

    /// Resolve a typed symbol of this venue: listed (with suggestions when not), and
    /// watched unless clients may add wants (`wants_left` more).
    pub fn resolve(&self, typed: &str, client_wants: Option<usize>) -> Result<String, Refusal> {
        let st = self.lock();
        let canonical = match &st.pairs {
            Some(list) if !list.is_empty() => list
                .resolve(typed)
                .map(|i| i.symbol.to_string())
                .map_err(|e| Refusal {
                    error: e.to_string(),
                    suggestions: match e {
                        pricewire_core::SymbolError::Unknown { suggestions, .. } => suggestions,
                        pricewire_core::SymbolError::Malformed { .. } => Vec::new(),
                    },
                })?,
            _ => parse_without_list(typed)
                .map(|s| s.to_string())
                .map_err(|e| Refusal {
                    error: e.to_string(),
                    suggestions: Vec::new(),
                })?,
        };
        if st.watched.contains(&canonical) || st.client_wants.contains_key(&canonical) {
            return Ok(canonical);
        }
        match client_wants {
            Some(cap) if st.client_wants.len() < cap => Ok(canonical),
            Some(cap) => Err(Refusal {
                error: format!(
                    "{}:{canonical} is not watched and clients of this relay already added {cap} symbols of {}",
                    self.venue, self.venue
                ),
                suggestions: Vec::new(),
            }),
            None => Err(Refusal {
                error: format!(
                    "{}:{canonical} is not watched by the relay (ask its operator to add it: POST /v1/symbols)",
                    self.venue
                ),
                suggestions: st.watched.iter().take(3).cloned().collect(),
            }),
        }
    }

    /// The venue's state message as clients see it now.
    pub fn state_message(&self) -> Utf8Bytes {
        msg::text(&self.state_json(&self.lock()))
    }

    /// The venue's state as JSON: `state` is the relay's, or `link_lost` (this relay cannot
    /// read Redis) or `no_leader` (the leader's heartbeat is older than 2 s).
    pub fn state_json(&self, st: &HubState) -> serde_json::Value {
        let (state, reason, since, attempt, next_try, simulated) = effective(self.venue, st);
        json!({
            "type": "state",
            "exchange": self.venue.as_str(),
            "state": state,
            "reason": reason,
            "since": since.map(lines::ts),
            "attempt": attempt,
            "next_try": next_try.map(lines::ts),
            "simulated": simulated,
            "leader": st.leader,
            "term": st.term,
            "heartbeat_age_ms": st.heartbeat_age_ms,
            "epoch": &*st.epoch,
            "seq": st.seq,
        })
    }

    /// Tell every client the venue's state (it changed).
    pub fn broadcast_state(&self) {
        let text = self.state_message();
        self.clients.broadcast(&text);
    }

    /// Add a history line.
    pub fn note(&self, st: &mut HubState, at: DateTime<Utc>, message: String) {
        st.history.push_back(HistoryLine { at, message });
        while st.history.len() > HISTORY {
            st.history.pop_front();
        }
    }

    /// Apply one entry's line at `seq`: remember it, send it to its subscribers.
    pub(super) fn apply(
        &self,
        st: &mut HubState,
        line: &str,
        seq: u64,
        report: &dyn Fn(Transport, Pushed),
    ) {
        st.seq = seq;
        st.entries += 1;
        let Some(update) = msg::update(self.venue, line, &st.epoch, seq) else {
            return;
        };
        let position = Position {
            venue: self.venue,
            epoch: Arc::clone(&st.epoch),
            seq,
        };
        match update {
            Update::Ticker { symbol, text } | Update::Error { symbol, text } => {
                let symbol: Arc<str> = Arc::from(symbol);
                st.latest.insert(Arc::clone(&symbol), text.clone());
                let Some(list) = st.subs.get(&symbol) else {
                    return;
                };
                let item = Item {
                    text,
                    symbol: Some(symbol),
                    position: Some(position),
                };
                for c in list {
                    let pushed = c.push(Some(self.venue), item.clone());
                    if pushed != Pushed::Queued {
                        report(c.transport, pushed);
                    }
                }
            }
            Update::Gap { text } => {
                st.gaps += 1;
                let item = Item {
                    text,
                    symbol: None,
                    position: Some(position),
                };
                for (c, _) in st.venue_subs.values() {
                    let pushed = c.push(Some(self.venue), item.clone());
                    if pushed != Pushed::Queued {
                        report(c.transport, pushed);
                    }
                }
            }
        }
    }

    /// Register `client` for `symbols` and queue its snapshot from memory: the latest
    /// message of each, after a snapshot header at the hub's `seq` (`recovered: false`).
    pub(super) fn subscribe_fresh(
        &self,
        st: &mut HubState,
        client: &Arc<Client>,
        symbols: &[String],
    ) {
        let header = msg::snapshot(self.venue, &st.epoch, st.seq, false, symbols, 0);
        client.push(Some(self.venue), self.control(st, header));
        for s in symbols {
            if let Some(text) = st.latest.get(s.as_str()) {
                client.push(Some(self.venue), Item::control(text.clone()));
            }
        }
        Hub::register(st, client, symbols);
    }

    /// A control item at the hub's position.
    pub(super) fn control(&self, st: &HubState, text: Utf8Bytes) -> Item {
        Item {
            text,
            symbol: None,
            position: Some(Position {
                venue: self.venue,
                epoch: Arc::clone(&st.epoch),
                seq: st.seq,
            }),
        }
    }

    pub(super) fn register(st: &mut HubState, client: &Arc<Client>, symbols: &[String]) {
        if client.gone.is_cancelled() {
            return;
        }
        let mut added = 0;
        for s in symbols {
            let list = st.subs.entry(Arc::from(s.as_str())).or_default();
            if !list.iter().any(|c| c.id == client.id) {
                list.push(Arc::clone(client));
                added += 1;
                if !st.watched.contains(s) {
                    *st.client_wants.entry(s.clone()).or_default() += 1;
                }
            }
        }
        let entry = st
            .venue_subs
            .entry(client.id)
            .or_insert_with(|| (Arc::clone(client), 0));
        entry.1 += added;
    }

    /// Stop sending `symbols` (all of them: `None`) to the client.
    pub(super) fn unregister(st: &mut HubState, client_id: u64, symbols: Option<&[String]>) {
        let all: Vec<String>;
        let symbols = if let Some(s) = symbols {
            s
        } else {
            all = st
                .subs
                .iter()
                .filter(|(_, l)| l.iter().any(|c| c.id == client_id))
                .map(|(s, _)| s.to_string())
                .collect();
            &all
        };
        let mut removed = 0;
        for s in symbols {
            let Some(list) = st.subs.get_mut(s.as_str()) else {
                continue;
            };
            let before = list.len();
            list.retain(|c| c.id != client_id);
            if list.len() < before {
                removed += 1;
                if let Some(n) = st.client_wants.get_mut(s) {
                    *n -= 1;
                    if *n == 0 {
                        st.client_wants.remove(s);
                    }
                }
            }
            if list.is_empty() {
                st.subs.remove(s.as_str());
            }
        }
        if let Some(entry) = st.venue_subs.get_mut(&client_id) {
            entry.1 = entry.1.saturating_sub(removed);
            if entry.1 == 0 {
                st.venue_subs.remove(&client_id);
            }
        }
    }

    /// Subscribers of this venue now.
    pub(super) fn subscribers(st: &HubState) -> Vec<(Arc<Client>, Vec<String>)> {
        st.venue_subs
            .values()
            .map(|(c, _)| {
                let symbols = st
                    .subs
                    .iter()
                    .filter(|(_, l)| l.iter().any(|x| x.id == c.id))
                    .map(|(s, _)| s.to_string())
                    .collect();
                (Arc::clone(c), symbols)
            })
            .collect()
    }
}

/// The state clients see: (name, reason, since, attempt, next try, simulated).
type Effective = (
    String,
    String,
    Option<DateTime<Utc>>,
    u32,
    Option<DateTime<Utc>>,
    bool,
);

fn effective(venue: ExchangeId, st: &HubState) -> Effective {
    let simulated = st.relay_state.as_ref().is_some_and(|s| s.simulated);
    match &st.link {
        Link::Lost { reason, next_try } => {
            return (
                "link_lost".into(),
                format!("relay link lost: {reason}"),
                None,
                0,
                Some(*next_try),
                simulated,
            );
        }
        Link::Starting => {
            return (
                "connecting".into(),
                "connecting to Redis".into(),
                None,
                0,
                None,
                simulated,
            );
        }
        Link::Up => {}
    }
    let limit = crate::consumer::NO_LEADER_AFTER.as_millis() as u64;
    if st.epoch.is_empty() {
        return (
            "no_leader".into(),
            format!("no relay for {venue} has written to this Redis yet"),
            None,
            0,
            None,
            simulated,
        );
    }
    match st.heartbeat_age_ms {
        Some(age) if age <= limit => {}
        age => {
            return (
                "no_leader".into(),
                match age {
                    Some(a) => format!("no leader for {venue} ({}s)", a / 1000),
                    None => format!("no leader for {venue}: no heartbeat"),
                },
                None,
                0,
                None,
                simulated,
            );
        }
    }
    match &st.relay_state {
        Some(s) => {
            let (attempt, next) = match &s.status {
                pricewire_core::FeedStatus::Reconnecting {
                    attempt, next_try, ..
                } => (*attempt, Some(*next_try)),
                pricewire_core::FeedStatus::Fallback { next_ws_try } => (0, Some(*next_ws_try)),
                pricewire_core::FeedStatus::Offline { next_try } => (0, Some(*next_try)),
                _ => (0, None),
            };
            (
                s.status.name().into(),
                s.reason.clone(),
                Some(s.since),
                attempt,
                next,
                simulated,
            )
        }
        None => (
            "unknown".into(),
            "the relay's state is unreadable".into(),
            None,
            0,
            None,
            simulated,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_update_is_built_once_and_its_bytes_shared_by_every_subscriber() {
        let clients = Arc::new(Clients::new(10, 16));
        let (hub, _rx) = Hub::new(ExchangeId::Kraken, Arc::clone(&clients));
        let a = clients.admit(Transport::WebSocket).unwrap();
        let b = clients.admit(Transport::Sse).unwrap();
        let line = r#"{"type":"ticker","exchange":"kraken","symbol":"BTC/USD","last":"1.5","bid":null,"ask":null,"open_24h":null,"change_24h":null,"change_pct_24h":null,"high_24h":null,"low_24h":null,"volume_24h":null,"vwap_24h":null,"source":"stream","exchange_ts":null,"received_ts":"2026-11-21T10:00:00.000000Z"}"#;
        {
            let mut st = hub.lock();
            st.epoch = Arc::from("e1");
            st.watched.insert("BTC/USD".into());
            Hub::register(&mut st, &a, &["BTC/USD".into()]);
            Hub::register(&mut st, &b, &["BTC/USD".into()]);
            hub.apply(&mut st, line, 5, &|_, _| {});
        }
        let (x, y) = (a.drain(), b.drain());
        assert_eq!(x.len(), 1);
        assert_eq!(x[0].0.text.as_ptr(), y[0].0.text.as_ptr(), "the same bytes");
        assert_eq!(x[0].0.position.as_ref().map(|p| p.seq), Some(5));
        // Off the hub: nothing more for `a`.
        Hub::unregister(&mut hub.lock(), a.id, None);
        hub.apply(&mut hub.lock(), line, 6, &|_, _| {});
        assert!(a.drain().is_empty());
        assert_eq!(b.drain().len(), 1);
        // Symbols resolve by spelling without a pair list; unwatched ones are refused
        // unless clients may add wants.
        assert_eq!(hub.resolve("btc-usd", None), Ok("BTC/USD".into()));
        assert!(
            hub.resolve("ETH/USD", None)
                .unwrap_err()
                .error
                .contains("not watched")
        );
        assert_eq!(hub.resolve("ETH/USD", Some(1)), Ok("ETH/USD".into()));
    }
}
