//! What this relay leads right now, for its own reports (the front door's `/metrics` and
//! `/v1/status`): per venue the leader's feed store (frames, tickers, reconnects) and term
//! while the lease is held, the counters of leaderships that ended (so the totals never go
//! back), and the wire → publish latency of every ticker written. The leader's code tells
//! it three things: a leadership began, a batch was written, a leadership ended. Nothing
//! here talks to Redis or reads a socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, NaiveDate, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;

use pricewire_core::store::Counters;
use pricewire_core::{ExchangeId, Store};

/// The `venue` label, the only label a feed metric carries.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VenueLabel {
    /// The venue's name (`kraken`).
    pub venue: String,
}

impl VenueLabel {
    /// The label of `ex`.
    pub fn of(ex: ExchangeId) -> Self {
        VenueLabel {
            venue: ex.as_str().to_string(),
        }
    }
}

/// Upper bounds of the latency buckets, in seconds: 0.1 ms to 5 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

type HistogramMaker = fn() -> Histogram;

/// One venue led now.
#[derive(Clone)]
pub struct Led {
    /// The leader's own feed store.
    pub store: Arc<Store>,
    /// The term it leads in.
    pub term: u64,
}

/// This relay's leaderships; shared by the leader's tasks and the reporters.
pub struct Leading {
    now: Mutex<HashMap<ExchangeId, Led>>,
    /// Counters of leaderships that ended, per venue.
    ended: Mutex<HashMap<ExchangeId, Counters>>,
    /// Wire → publish latency of the tickers this relay wrote, per venue (seconds).
    pub latency: Family<VenueLabel, Histogram, HistogramMaker>,
}

impl std::fmt::Debug for Leading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leading")
            .field("venues", &self.venues())
            .finish_non_exhaustive()
    }
}

impl Default for Leading {
    fn default() -> Self {
        Leading {
            now: Mutex::new(HashMap::new()),
            ended: Mutex::new(HashMap::new()),
            latency: Family::new_with_constructor(latency_histogram),
        }
    }
}

impl Leading {
    /// A leadership of `ex` began, in `term`, with the feed writing into `store`.
    pub fn began(&self, ex: ExchangeId, store: &Arc<Store>, term: u64) {
        self.now
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                ex,
                Led {
                    store: Arc::clone(store),
                    term,
                },
            );
    }

    /// The leadership of `ex` ended: its counters are kept in the totals.
    pub fn ended(&self, ex: ExchangeId) {
        let led = self
            .now
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&ex);
        if let Some(led) = led
            && let Some(feed) = led.store.snapshot().feed(ex).cloned()
        {
            let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
            let total = ended.entry(ex).or_default();
            add(total, &feed.counters);
        }
    }

    /// The venues led now, with their terms.
    pub fn venues(&self) -> Vec<(ExchangeId, u64)> {
        let mut v: Vec<(ExchangeId, u64)> = self
            .now
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(ex, led)| (*ex, led.term))
            .collect();
        v.sort();
        v
    }

    /// Whether `ex` is led by this relay now.
    pub fn leads(&self, ex: ExchangeId) -> Option<Led> {
        self.now
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&ex)
            .cloned()
    }

    /// The feed counters of `ex` over every leadership of this process, with the current
    /// leader's state and transitions when leading now.
    pub fn counters(&self, ex: ExchangeId) -> Counters {
        let mut total = self
            .ended
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&ex)
            .cloned()
            .unwrap_or_default();
        if let Some(led) = self.leads(ex)
            && let Some(feed) = led.store.snapshot().feed(ex)
        {
            add(&mut total, &feed.counters);
        }
        total
    }

    /// A batch of lines was written to Redis at `now`: each ticker line's wire → publish
    /// latency goes into the histogram (its `received_ts` is when the frame arrived).
    pub fn published<'a>(
        &self,
        ex: ExchangeId,
        lines: impl IntoIterator<Item = &'a str>,
        now: DateTime<Utc>,
    ) {
        let h = self.latency.get_or_create(&VenueLabel::of(ex));
        for line in lines {
            if let Some(at) = received_ts(line) {
                let secs = (now - at).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6;
                h.observe(secs);
            }
        }
    }
}

fn add(total: &mut Counters, c: &Counters) {
    total.frames_in += c.frames_in;
    total.bytes_in += c.bytes_in;
    total.tickers += c.tickers;
    total.reconnects += c.reconnects;
    total.parse_errors += c.parse_errors;
    total.rest_polls += c.rest_polls;
    total.sequence_gaps += c.sequence_gaps;
    total.last_frame_at = total.last_frame_at.max(c.last_frame_at);
}

/// The `received_ts` of a ticker line, read from its fixed place in the text
/// (`"received_ts":"2026-11-21T10:00:00.123456Z"`, as `pricewire_core::json` writes it);
/// `None` for other lines.
pub fn received_ts(line: &str) -> Option<DateTime<Utc>> {
    const KEY: &str = "\"received_ts\":\"";
    let at = line.rfind(KEY)? + KEY.len();
    let t = line.get(at..at + 27)?.as_bytes();
    let num = |from: usize, to: usize| -> Option<u32> {
        t[from..to].iter().try_fold(0u32, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    if t[4] != b'-' || t[10] != b'T' || t[19] != b'.' || t[26] != b'Z' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)?.cast_signed(), num(5, 7)?, num(8, 10)?)?;
    let time = date.and_hms_micro_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 26)?)?;
    Some(time.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_receive_time_is_read_from_a_ticker_line() {
        let line = r#"{"type":"ticker","exchange":"kraken","symbol":"BTC/USD","last":"1.0","received_ts":"2026-11-21T10:00:00.123456Z"}"#;
        let t = received_ts(line).unwrap();
        assert_eq!(pricewire_core::json::ts(t), "2026-11-21T10:00:00.123456Z");
        assert_eq!(received_ts(r#"{"type":"gap","skipped":3}"#), None);
        assert_eq!(
            received_ts(r#"{"received_ts":"2026-13-21T10:00:00.123456Z"}"#),
            None
        );
        assert_eq!(received_ts(r#"{"received_ts":"short"}"#), None);
    }
}
