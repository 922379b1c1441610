//! Messages per second per feed, for the header: sampled from the store's frame counters
//! on each tick.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use pricewire_core::model::ExchangeId;
use pricewire_core::store::Snapshot;

/// Messages per second per feed, from `frames_in` sampled on each tick.
#[derive(Debug, Default)]
pub struct RateMeter {
    last: BTreeMap<ExchangeId, (u64, DateTime<Utc>)>,
}

impl RateMeter {
    /// Record the counters in `snapshot` at `now`; returns the rates since the last sample
    /// (feeds seen for the first time, or whose counter went backwards, have none yet).
    pub fn sample(&mut self, snapshot: &Snapshot, now: DateTime<Utc>) -> BTreeMap<ExchangeId, f64> {
        let mut rates = BTreeMap::new();
        for feed in &snapshot.feeds {
            let frames = feed.counters.frames_in;
            if let Some((prev, at)) = self.last.get(&feed.exchange) {
                let secs = (now - *at).num_milliseconds() as f64 / 1000.0;
                if secs > 0.0 && frames >= *prev {
                    rates.insert(feed.exchange, (frames - prev) as f64 / secs);
                }
            }
            self.last.insert(feed.exchange, (frames, now));
        }
        rates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pricewire_core::store::{Store, StoreLimits};

    #[test]
    fn rates_come_from_counter_deltas() {
        let store = Store::new(StoreLimits::default());
        let t0 = DateTime::UNIX_EPOCH;
        store.add_feed(ExchangeId::Kraken, t0);
        let mut meter = RateMeter::default();
        assert!(meter.sample(&store.snapshot(), t0).is_empty());
        for _ in 0..30 {
            store.count_frame(ExchangeId::Kraken, 100, t0);
        }
        let rates = meter.sample(&store.snapshot(), t0 + chrono::TimeDelta::seconds(2));
        assert!((rates[&ExchangeId::Kraken] - 15.0).abs() < 1e-9);
        let rates = meter.sample(&store.snapshot(), t0 + chrono::TimeDelta::seconds(3));
        assert!(rates[&ExchangeId::Kraken].abs() < 1e-9);
    }
}
