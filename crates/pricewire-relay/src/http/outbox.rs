//! One streaming client's outgoing queue. Hubs push shared message bytes in; the client's
//! own task drains them to its socket. A slow client never slows anyone else and never
//! grows without bound: past `cap` queued items, updates go into a latest-value map per
//! symbol (the next drain sends each symbol's newest with a `coalesced: N` count), while
//! snapshots, state changes and errors go on in order behind them; past `cap` of those the
//! client is dropped as slow. Pushing takes one short lock and never awaits.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::sync::CancellationToken;

use pricewire_core::ExchangeId;

/// How a client is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// `GET /v1/stream`.
    WebSocket,
    /// `GET /v1/sse`.
    Sse,
}

impl Transport {
    /// Its label in metrics.
    pub fn label(self) -> &'static str {
        match self {
            Transport::WebSocket => "websocket",
            Transport::Sse => "sse",
        }
    }
}

/// Where an item stands in its venue's feed (for SSE ids and cursors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The venue.
    pub venue: ExchangeId,
    /// Its dataset.
    pub epoch: Arc<str>,
    /// The `seq` the item brings the client to.
    pub seq: u64,
}

/// One message for a client.
#[derive(Debug, Clone)]
pub struct Item {
    /// The bytes (shared by every client that gets them).
    pub text: Utf8Bytes,
    /// The symbol an update belongs to: such items may be coalesced. `None`: never.
    pub symbol: Option<Arc<str>>,
    /// The feed position it brings the client to, if any.
    pub position: Option<Position>,
}

impl Item {
    /// A message that is never coalesced away (snapshot, state, error, ack).
    pub fn control(text: Utf8Bytes) -> Self {
        Item {
            text,
            symbol: None,
            position: None,
        }
    }
}

/// What a push did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued in order.
    Queued,
    /// Replaced an older update of the same symbol.
    Coalesced,
    /// Put in the latest-value map (the queue is full).
    Held,
    /// Too much is waiting: the client is being dropped as slow.
    Overflow,
    /// The client is gone.
    Gone,
}

#[derive(Default)]
struct Outbox {
    queue: VecDeque<Item>,
    /// Symbol → its newest update and how many it replaced.
    latest: HashMap<(ExchangeId, Arc<str>), (Item, u64)>,
    /// Control items that arrived after updates were held.
    tail: VecDeque<Item>,
}

/// A connected streaming client, as the hubs see it.
pub struct Client {
    /// Unique in this relay.
    pub id: u64,
    /// WebSocket or SSE.
    pub transport: Transport,
    cap: usize,
    out: Mutex<Outbox>,
    /// Rung when something is queued.
    pub wake: Notify,
    /// Cancelled when the client must go (dropped as slow, or shut down).
    pub gone: CancellationToken,
    slow: AtomicBool,
    /// When the writer last took what was waiting.
    touched: Mutex<tokio::time::Instant>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Client({} {})", self.id, self.transport.label())
    }
}

impl Client {
    /// A client with a queue of `cap` items before coalescing starts.
    pub fn new(id: u64, transport: Transport, cap: usize) -> Arc<Self> {
        Arc::new(Client {
            id,
            transport,
            cap: cap.max(1),
            out: Mutex::new(Outbox::default()),
            wake: Notify::new(),
            gone: CancellationToken::new(),
            slow: AtomicBool::new(false),
            touched: Mutex::new(tokio::time::Instant::now()),
        })
    }

    /// Queue `item` (of `venue`, for updates) and wake the writer.
    pub fn push(&self, venue: Option<ExchangeId>, item: Item) -> Pushed {
        if self.gone.is_cancelled() {
            return Pushed::Gone;
        }
        let pushed = {
            let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
            let full = out.queue.len() >= self.cap || !out.latest.is_empty();
            match (&item.symbol, venue) {
                (_, _) if !full => {
                    out.queue.push_back(item);
                    Pushed::Queued
                }
                (Some(symbol), Some(venue)) => {
                    match out.latest.entry((venue, Arc::clone(symbol))) {
                        std::collections::hash_map::Entry::Occupied(mut e) => {
                            let n = e.get().1 + 1;
                            e.insert((item, n));
                            Pushed::Coalesced
                        }
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert((item, 0));
                            Pushed::Held
                        }
                    }
                }
                _ if out.tail.len() < self.cap => {
                    out.tail.push_back(item);
                    Pushed::Queued
                }
                _ => Pushed::Overflow,
            }
        };
        if pushed == Pushed::Overflow {
            self.slow.store(true, Ordering::Relaxed);
            self.gone.cancel();
        } else {
            self.wake.notify_one();
        }
        pushed
    }

    /// Everything waiting, in the order to send: the queue, each held symbol's newest
    /// (with how many it replaced), then what came after.
    pub fn drain(&self) -> Vec<(Item, u64)> {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        let mut items: Vec<(Item, u64)> = out.queue.drain(..).map(|i| (i, 0)).collect();
        items.extend(out.latest.drain().map(|(_, v)| v));
        items.extend(out.tail.drain(..).map(|i| (i, 0)));
        // Give back what a burst took, so an idle client stays small.
        if out.queue.capacity() > 64 {
            out.queue.shrink_to(16);
        }
        if out.latest.capacity() > 64 {
            out.latest.shrink_to(0);
        }
        items
    }

    /// Whether it was dropped for falling too far behind.
    pub fn is_slow(&self) -> bool {
        self.slow.load(Ordering::Relaxed)
    }

    /// Mark it slow (a write timed out) and let it go.
    pub fn drop_as_slow(&self) {
        self.slow.store(true, Ordering::Relaxed);
        self.gone.cancel();
    }

    /// The writer took what was waiting (or found nothing).
    pub fn touch(&self) {
        *self.touched.lock().unwrap_or_else(PoisonError::into_inner) = tokio::time::Instant::now();
    }

    /// How long since the writer last took what was waiting.
    pub fn since_touch(&self) -> std::time::Duration {
        self.touched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .elapsed()
    }

    /// Items waiting now.
    pub fn pending(&self) -> usize {
        let out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        out.queue.len() + out.latest.len() + out.tail.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(symbol: &str, n: u32) -> Item {
        Item {
            text: format!("{symbol}#{n}").into(),
            symbol: Some(Arc::from(symbol)),
            position: None,
        }
    }

    #[test]
    fn past_the_cap_updates_coalesce_and_control_keeps_its_order() {
        let c = Client::new(1, Transport::WebSocket, 2);
        let k = Some(ExchangeId::Kraken);
        assert_eq!(c.push(k, update("A", 1)), Pushed::Queued);
        assert_eq!(c.push(k, update("A", 2)), Pushed::Queued);
        assert_eq!(c.push(k, update("A", 3)), Pushed::Held);
        assert_eq!(c.push(k, update("A", 4)), Pushed::Coalesced);
        assert_eq!(c.push(k, update("B", 1)), Pushed::Held);
        assert_eq!(c.push(None, Item::control("state".into())), Pushed::Queued);
        let texts: Vec<(String, u64)> = c
            .drain()
            .into_iter()
            .map(|(i, n)| (i.text.to_string(), n))
            .collect();
        assert_eq!(texts[..2], [("A#1".into(), 0), ("A#2".into(), 0)]);
        assert!(texts.contains(&("A#4".into(), 1)));
        assert!(texts.contains(&("B#1".into(), 0)));
        assert_eq!(texts[4], ("state".into(), 0));
        assert_eq!(c.pending(), 0);
        // Memory stays bounded however much arrives: a thousand symbols' worth of control
        // items past the cap drops the client instead.
        for n in 0..10_000 {
            c.push(k, update("A", n));
        }
        assert_eq!(c.pending(), 3);
        c.push(None, Item::control("1".into()));
        c.push(None, Item::control("2".into()));
        assert_eq!(c.push(None, Item::control("3".into())), Pushed::Overflow);
        assert!(c.is_slow() && c.gone.is_cancelled());
        assert_eq!(c.push(k, update("A", 1)), Pushed::Gone);
    }
}
