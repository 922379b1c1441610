//! The set of symbols a feed wants, with each one's wire/REST names and delivery record
//! (when it was subscribed, acked, last delivered). Survives reconnects, so everything is
//! resubscribed; never touches the network.

use std::collections::BTreeMap;

use foldhash::HashMap;

use tokio::time::Instant;

use crate::symbol::{Instrument, Symbol};

#[derive(Debug, Clone)]
pub struct Sub {
    pub wire: String,
    pub rest: String,
    pub price_decimals: Option<u32>,
    pub subscribed_at: Option<Instant>,
    pub acked_at: Option<Instant>,
    pub last_data: Option<Instant>,
    /// Resubscribes sent for this symbol while it stayed silent.
    pub resubscribes: u32,
    /// Reconnects caused by this symbol staying silent.
    pub silent_reconnects: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Subs {
    entries: BTreeMap<Symbol, Sub>,
    by_wire: HashMap<String, Symbol>,
    by_rest: HashMap<String, Symbol>,
}

impl Subs {
    pub fn insert(&mut self, inst: &Instrument) -> bool {
        if self.entries.contains_key(&inst.symbol) {
            return false;
        }
        self.by_wire.insert(inst.wire.clone(), inst.symbol.clone());
        self.by_rest.insert(inst.rest.clone(), inst.symbol.clone());
        for alias in &inst.aliases {
            self.by_rest
                .entry(alias.clone())
                .or_insert_with(|| inst.symbol.clone());
        }
        self.entries.insert(
            inst.symbol.clone(),
            Sub {
                wire: inst.wire.clone(),
                rest: inst.rest.clone(),
                price_decimals: inst.price_decimals,
                subscribed_at: None,
                acked_at: None,
                last_data: None,
                resubscribes: 0,
                silent_reconnects: 0,
            },
        );
        true
    }

    pub fn remove(&mut self, symbol: &Symbol) -> Option<Sub> {
        let sub = self.entries.remove(symbol)?;
        self.by_wire.retain(|_, s| s != symbol);
        self.by_rest.retain(|_, s| s != symbol);
        Some(sub)
    }

    pub fn get_mut(&mut self, symbol: &Symbol) -> Option<&mut Sub> {
        self.entries.get_mut(symbol)
    }

    /// The price decimals the pair list gave `symbol`.
    pub fn price_decimals(&self, symbol: &Symbol) -> Option<u32> {
        self.entries.get(symbol).and_then(|s| s.price_decimals)
    }

    pub fn by_wire(&self, wire: &str) -> Option<&Symbol> {
        self.by_wire.get(wire)
    }

    pub fn by_rest(&self, name: &str) -> Option<&Symbol> {
        self.by_rest.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Symbol, &Sub)> {
        self.entries.iter()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Symbol, &mut Sub)> {
        self.entries.iter_mut()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn wires(&self) -> Vec<String> {
        self.entries.values().map(|s| s.wire.clone()).collect()
    }

    pub fn rests(&self) -> Vec<String> {
        self.entries.values().map(|s| s.rest.clone()).collect()
    }

    /// A new connection: nothing is subscribed, acked or delivered on it yet.
    pub fn reset_session(&mut self) {
        for sub in self.entries.values_mut() {
            sub.subscribed_at = None;
            sub.acked_at = None;
            sub.last_data = None;
            sub.resubscribes = 0;
        }
    }
}
