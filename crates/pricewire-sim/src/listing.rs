//! [`Listing`]: what a simulated venue lists and which of those entries stream, the part of
//! every venue's listing that is the same everywhere: market index `i` (pair `i` of the
//! shared market) is the `i`-th streaming entry. Also [`Instrument`], the entry of the
//! venues whose listings carry nothing more (Binance, Bybit, OKX). Parsing a venue's
//! listing body stays in its own file.

use super::market::PairSpec;

/// A listed entry as a [`Listing`] needs it.
pub trait Listed {
    /// The venue's own name for it, as stream requests and payloads spell it (`BTCUSDT`,
    /// `BTC-USD`, `BTC/USD` on Kraken's v2).
    fn wire(&self) -> &str;
    /// The pair the shared market walks for it.
    fn spec(&self) -> PairSpec;
}

/// [`Listed`] for an entry with `base`, `quote`, `price_decimals` and `lot_decimals`
/// fields, whose wire name is the field `$wire`.
macro_rules! listed_by_fields {
    ($entry:ty, wire: $wire:ident) => {
        impl $crate::listing::Listed for $entry {
            fn wire(&self) -> &str {
                &self.$wire
            }

            fn spec(&self) -> $crate::market::PairSpec {
                let (base, quote) = (&self.base, &self.quote);
                $crate::market::PairSpec::new(base, quote, self.price_decimals, self.lot_decimals)
            }
        }
    };
}
pub(crate) use listed_by_fields;

/// A venue's entries in the order of its listing body, and the ones that stream.
#[derive(Debug)]
pub struct Listing<M> {
    entries: Vec<M>,
    /// The entry behind each market index.
    streamable: Vec<usize>,
}

impl<M: Listed> Listing<M> {
    /// `entries` as listed; those `streams` keeps become the markets, in listing order.
    pub fn new(entries: Vec<M>, streams: impl Fn(&M) -> bool) -> Listing<M> {
        let streamable = (0..entries.len())
            .filter(|&i| streams(&entries[i]))
            .collect();
        Listing {
            entries,
            streamable,
        }
    }

    /// Every entry, streaming or not, in listing order.
    pub fn entries(&self) -> &[M] {
        &self.entries
    }

    /// How many entries stream: the shared market's pair count.
    pub fn len(&self) -> usize {
        self.streamable.len()
    }

    /// The entry behind market index `index`.
    pub fn streamed(&self, index: usize) -> Option<&M> {
        self.streamable
            .get(index)
            .and_then(|&i| self.entries.get(i))
    }

    /// Market index of a wire name, exact spelling as the venues require.
    pub fn index_of(&self, wire: &str) -> Option<usize> {
        (0..self.len()).find(|&i| self.streamed(i).is_some_and(|m| m.wire() == wire))
    }

    /// Market index of entry `entry` of [`Listing::entries`], if it streams.
    pub fn index_of_entry(&self, entry: usize) -> Option<usize> {
        self.streamable.iter().position(|&i| i == entry)
    }

    /// The streaming entries' pairs, by market index, for the shared market.
    pub fn pairs(&self) -> Vec<PairSpec> {
        (0..self.len())
            .filter_map(|i| self.streamed(i))
            .map(Listed::spec)
            .collect()
    }
}

/// One listed instrument of a venue whose listing needs nothing more.
#[derive(Debug, Clone)]
pub struct Instrument {
    /// The wire name: `BTCUSDT` (Binance, Bybit), `BTC-USDT` (OKX).
    pub symbol: String,
    pub base: String,
    pub quote: String,
    /// Whether it trades; only trading instruments stream.
    pub trading: bool,
    pub price_decimals: u32,
    pub lot_decimals: u32,
    /// The entry's original JSON text, served back by the venue's listing route.
    pub raw: String,
}

listed_by_fields!(Instrument, wire: symbol);

impl Listing<Instrument> {
    /// The venue's trading instruments, in listing order.
    pub fn trading(instruments: Vec<Instrument>) -> Listing<Instrument> {
        Listing::new(instruments, |i| i.trading)
    }
}
