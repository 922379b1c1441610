//! Every streaming client of one relay: admitted up to the total limit (the next one gets
//! 503), told of every venue's state changes, removed when it goes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::outbox::{Client, Item, Transport};

/// The registry.
pub struct Clients {
    map: Mutex<HashMap<u64, Arc<Client>>>,
    next: AtomicU64,
    max: usize,
    queue: usize,
}

impl Clients {
    /// At most `max` clients, each with a queue of `queue` items before coalescing.
    pub fn new(max: usize, queue: usize) -> Self {
        Clients {
            map: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
            max,
            queue,
        }
    }

    /// A new client, or `None` when the relay serves its maximum already.
    pub fn admit(&self, transport: Transport) -> Option<Arc<Client>> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.max {
            return None;
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let client = Client::new(id, transport, self.queue);
        map.insert(id, Arc::clone(&client));
        Some(client)
    }

    /// The client went.
    pub fn leave(&self, id: u64) {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// Queue `text` (a state change: never coalesced) for every client.
    pub fn broadcast(&self, text: &Utf8Bytes) {
        let all: Vec<Arc<Client>> = self
            .map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for c in all {
            c.push(None, Item::control(text.clone()));
        }
    }

    /// Clients served now, per transport.
    pub fn count(&self, transport: Transport) -> usize {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|c| c.transport == transport)
            .count()
    }

    /// Every client (for shutdown).
    pub fn all(&self) -> Vec<Arc<Client>> {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }
}
