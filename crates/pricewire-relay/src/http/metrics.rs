//! `GET /metrics`: Prometheus text through `prometheus-client`, one registry per relay
//! (several relays may run in one process). Labels are the venue or the transport, never
//! a symbol or a client. Feed metrics (state, tickers, frames, reconnects, fallbacks,
//! breaker, wire → publish latency) come from the venue's leader only: a standby reports
//! `pricewire_leader{venue} 0` and nothing else of that feed. Counter names get `_total`
//! from the library.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;

use pricewire_core::FeedStatus;

use super::hub::Hub;
use super::outbox::{Pushed, Transport};
use crate::leading::{Leading, VenueLabel};
use crate::publish::Stats;

/// The `transport` label.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransportLabel {
    /// `websocket` or `sse`.
    pub transport: &'static str,
}

/// The front door's own metrics.
pub struct Metrics {
    registry: Registry,
    /// Streaming clients connected.
    pub clients: Family<TransportLabel, Gauge>,
    /// Messages written to clients.
    pub messages_out: Family<TransportLabel, Counter>,
    /// Updates replaced by a newer one of the same symbol for a slow client.
    pub coalesced: Family<TransportLabel, Counter>,
    /// Clients dropped for falling too far behind.
    pub dropped_slow: Family<TransportLabel, Counter>,
    /// Requests refused for their `Origin`.
    pub origins_rejected: Family<TransportLabel, Counter>,
    /// Client messages refused by the rate limit.
    pub rate_limited: Family<TransportLabel, Counter>,
    /// Clients refused because the relay serves its maximum.
    pub refused_full: Family<TransportLabel, Counter>,
}

/// The label of `t`.
pub fn label(t: Transport) -> TransportLabel {
    TransportLabel {
        transport: t.label(),
    }
}

impl Metrics {
    /// A registry with the front door's metrics and the feed collector over `hubs`.
    pub fn new(hubs: Vec<Arc<Hub>>, leading: Arc<Leading>, stats: Arc<Stats>) -> Self {
        let mut registry = Registry::default();
        let m = Metrics {
            clients: Family::default(),
            messages_out: Family::default(),
            coalesced: Family::default(),
            dropped_slow: Family::default(),
            origins_rejected: Family::default(),
            rate_limited: Family::default(),
            refused_full: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "pricewire_clients",
            "Streaming clients connected",
            m.clients.clone(),
        );
        registry.register(
            "pricewire_messages_out",
            "Messages written to streaming clients",
            m.messages_out.clone(),
        );
        registry.register(
            "pricewire_messages_coalesced",
            "Updates replaced by a newer one of the same symbol for a client that fell behind",
            m.coalesced.clone(),
        );
        registry.register(
            "pricewire_clients_dropped_slow",
            "Clients closed for falling too far behind (queue full or a 5 s write)",
            m.dropped_slow.clone(),
        );
        registry.register(
            "pricewire_origins_rejected",
            "Browser requests refused for their Origin",
            m.origins_rejected.clone(),
        );
        registry.register(
            "pricewire_clients_rate_limited",
            "Client messages refused by the rate limit",
            m.rate_limited.clone(),
        );
        registry.register(
            "pricewire_clients_refused_full",
            "Streaming clients refused (503) because the relay serves its maximum",
            m.refused_full.clone(),
        );
        registry.register(
            "pricewire_publish_latency_seconds",
            "Wire to publish latency of the tickers this relay wrote to Redis (leader only)",
            leading.latency.clone(),
        );
        for t in [Transport::WebSocket, Transport::Sse] {
            let _ = m.clients.get_or_create(&label(t));
            let _ = m.messages_out.get_or_create(&label(t));
        }
        registry.register_collector(Box::new(FeedCollector {
            hubs,
            leading,
            stats,
        }));
        Metrics { registry, ..m }
    }

    /// Count what a push did.
    pub fn pushed(&self, t: Transport, p: Pushed) {
        if p == Pushed::Coalesced {
            self.coalesced.get_or_create(&label(t)).inc();
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Feed metrics, read at each scrape from the leader's store and the hubs.
#[derive(Debug)]
struct FeedCollector {
    hubs: Vec<Arc<Hub>>,
    leading: Arc<Leading>,
    stats: Arc<Stats>,
}

/// The number `pricewire_venue_state` gives each state (docs/PROTOCOL.md).
pub fn state_code(s: &FeedStatus) -> i64 {
    match s {
        FeedStatus::Connecting => 1,
        FeedStatus::Connected => 2,
        FeedStatus::Quiet => 3,
        FeedStatus::Maintenance => 4,
        FeedStatus::Reconnecting { .. } => 5,
        FeedStatus::Fallback { .. } => 6,
        FeedStatus::Offline { .. } => 7,
        FeedStatus::Idle => 8,
        FeedStatus::Stopped => 9,
        _ => 0,
    }
}

type Row = (VenueLabel, i64);

fn family(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    rows: &[Row],
) -> Result<(), std::fmt::Error> {
    let mut enc = encoder.encode_descriptor(name, help, None, kind)?;
    for (labels, v) in rows {
        if kind == MetricType::Counter {
            ConstCounter::new(v.unsigned_abs()).encode(enc.encode_family(labels)?)?;
        } else {
            ConstGauge::new(*v).encode(enc.encode_family(labels)?)?;
        }
    }
    Ok(())
}

impl Collector for FeedCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut leader = Vec::new();
        let (mut state, mut tickers, mut frames, mut reconnects, mut fallbacks, mut breaker) = (
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
            Vec::new(),
        );
        for hub in &self.hubs {
            let ex = hub.venue;
            let l = VenueLabel::of(ex);
            let led = self.leading.leads(ex);
            leader.push((l.clone(), i64::from(led.is_some())));
            let Some(led) = led else { continue };
            let c = self.leading.counters(ex);
            let status = led.store.feed_status(ex).map_or(0, |s| state_code(&s));
            let (fb, br) = {
                let st = hub.lock();
                (st.fallbacks, st.breaker)
            };
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            state.push((l.clone(), status));
            tickers.push((l.clone(), n(c.tickers)));
            frames.push((l.clone(), n(c.frames_in)));
            reconnects.push((l.clone(), n(c.reconnects)));
            fallbacks.push((l.clone(), n(fb)));
            breaker.push((l, i64::from(br)));
        }
        let e = &mut encoder;
        family(
            e,
            "pricewire_leader",
            "1 while this relay leads the venue",
            MetricType::Gauge,
            &leader,
        )?;
        family(
            e,
            "pricewire_venue_state",
            "The venue connection's state (leader only): 1 connecting, 2 connected, 3 quiet, 4 maintenance, 5 reconnecting, 6 fallback, 7 offline, 8 idle, 9 stopped",
            MetricType::Gauge,
            &state,
        )?;
        family(
            e,
            "pricewire_tickers_in",
            "Tickers received from the venue (leader only)",
            MetricType::Counter,
            &tickers,
        )?;
        family(
            e,
            "pricewire_frames_in",
            "WebSocket frames received from the venue (leader only)",
            MetricType::Counter,
            &frames,
        )?;
        family(
            e,
            "pricewire_reconnects",
            "Reconnects to the venue (leader only)",
            MetricType::Counter,
            &reconnects,
        )?;
        family(
            e,
            "pricewire_fallbacks",
            "Falls back to REST polling seen while leading",
            MetricType::Counter,
            &fallbacks,
        )?;
        family(
            e,
            "pricewire_breaker_state",
            "The circuit breaker (leader only): 0 closed, 1 half-open, 2 open",
            MetricType::Gauge,
            &breaker,
        )?;
        let s = &self.stats;
        let total = |name: &str, help: &str, v: u64, e: &mut DescriptorEncoder| {
            ConstCounter::new(v).encode(e.encode_descriptor(
                name,
                help,
                None,
                MetricType::Counter,
            )?)
        };
        total(
            "pricewire_published",
            "Stream entries this relay wrote to Redis",
            s.written.load(Ordering::Relaxed),
            e,
        )?;
        total(
            "pricewire_publish_fenced",
            "Batches Redis refused because the lease was not this relay's",
            s.fenced.load(Ordering::Relaxed),
            e,
        )?;
        total(
            "pricewire_publish_dropped",
            "Entries that never reached Redis",
            s.dropped.load(Ordering::Relaxed),
            e,
        )?;
        Ok(())
    }
}
