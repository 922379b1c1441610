//! Set-up shared by the fault-matrix tests: a feed with a context the test shapes (clock,
//! connector, adapter), a connector that takes the WebSocket host down while REST stays up,
//! a Kraken adapter that panics on a chosen frame, and a tiny scripted WebSocket venue.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pricewire_core::config::FeedConfig;
use pricewire_core::exchange::kraken::Kraken;
use pricewire_core::exchange::{Event, Exchange, ParseError, Request, RequestIds, WireTicker};
use pricewire_core::feed::FeedBuilder;
use pricewire_core::feed::net::{BoxFuture, BoxIo, Connector, NetError};
use pricewire_core::model::ExchangeId;
use pricewire_core::store::{Store, StoreLimits};
use pricewire_core::symbol::{Instrument, PairList, Symbol};
use pricewire_sim::{Scenario, SimConnector, SimServer};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::common::sim_config;

/// Host name the in-memory WebSocket is dialled under (REST uses another one).
pub const WS_HOST: &str = "ws.sim.invalid";

/// An in-memory Kraken simulator and a store; the feed is spawned by [`start`].
pub fn sim(scenario: Scenario) -> Arc<SimServer> {
    Arc::new(SimServer::in_memory(sim_config(
        ExchangeId::Kraken,
        scenario,
    )))
}

pub fn store() -> Arc<Store> {
    Store::new(StoreLimits::default())
}

/// A feed for `adapter` over the in-memory simulator, WebSocket dialled as [`WS_HOST`],
/// writing into `store`; the test shapes the rest (clock, connector) before [`start`].
pub fn ctx(
    sim: &Arc<SimServer>,
    store: &Arc<Store>,
    adapter: Arc<dyn Exchange>,
    cfg: FeedConfig,
) -> FeedBuilder {
    FeedBuilder::new(adapter.id())
        .adapter(adapter)
        .store(Arc::clone(store))
        .config(cfg)
        .ws_url(format!("ws://{WS_HOST}/v2"))
        .rest_url("http://rest.sim.invalid")
        .seed(7)
        .connector(Arc::new(SimConnector::new(Arc::clone(sim))))
}

/// Refuses connections to [`WS_HOST`] while `ws_down` is set, as a firewall in front of the
/// venue's WebSocket endpoint would; everything else goes to the inner connector.
pub struct SplitConnector {
    pub inner: SimConnector,
    pub ws_down: Arc<AtomicBool>,
}

impl Connector for SplitConnector {
    fn dial<'a>(&'a self, host: &'a str, port: u16) -> BoxFuture<'a, Result<BoxIo, NetError>> {
        if host == WS_HOST && self.ws_down.load(Ordering::SeqCst) {
            return Box::pin(async { Err(NetError::Refused) });
        }
        self.inner.dial(host, port)
    }
}

/// Kraken, except that `parse` panics on frame number `panic_at` (counted from 1).
pub struct PanickyKraken {
    pub inner: Kraken,
    pub frames: AtomicU64,
    pub panic_at: u64,
}

impl Exchange for PanickyKraken {
    fn id(&self) -> ExchangeId {
        self.inner.id()
    }
    fn default_ws_url(&self) -> &'static str {
        self.inner.default_ws_url()
    }
    fn default_rest_url(&self) -> &'static str {
        self.inner.default_rest_url()
    }
    fn asset_aliases(&self) -> &'static [(&'static str, &'static str)] {
        self.inner.asset_aliases()
    }
    fn pair_list_path(&self) -> &'static str {
        self.inner.pair_list_path()
    }
    fn parse_pair_list(&self, body: &str) -> Result<PairList, ParseError> {
        self.inner.parse_pair_list(body)
    }
    fn instrument_for(&self, symbol: &Symbol) -> Instrument {
        self.inner.instrument_for(symbol)
    }
    fn subscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        self.inner.subscribe_requests(wire, ids)
    }
    fn unsubscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request> {
        self.inner.unsubscribe_requests(wire, ids)
    }
    fn ping(&self, req_id: u64) -> Option<String> {
        self.inner.ping(req_id)
    }
    fn ping_interval(&self) -> Duration {
        self.inner.ping_interval()
    }
    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        let n = self.frames.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(n != self.panic_at, "injected parse failure at frame {n}");
        self.inner.parse(frame, out)
    }
    fn rest_ticker_paths(&self, rest: &[&str]) -> Vec<String> {
        self.inner.rest_ticker_paths(rest)
    }
    fn parse_rest_ticker<'a>(&self, body: &'a str) -> Result<Vec<WireTicker<'a>>, ParseError> {
        self.inner.parse_rest_ticker(body)
    }
}

/// What a scripted venue does on one connection, after reading the first client frame.
#[derive(Debug, Clone)]
pub enum Step {
    Send(String),
    Close(u16, String),
    Pause(Duration),
}

/// A WebSocket venue on 127.0.0.1 that plays `scripts[i]` on its i-th WebSocket session
/// (the last script again for any later one), then keeps reading until the client leaves.
/// Anything that is not a WebSocket upgrade (a REST request) is dropped unanswered.
pub struct ScriptedVenue {
    pub url: String,
    /// WebSocket sessions so far.
    pub connections: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedVenue {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn scripted_venue(scripts: Vec<Vec<Step>>) -> ScriptedVenue {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/v2", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&connections);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let count = Arc::clone(&count);
            let scripts = scripts.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let i = count.fetch_add(1, Ordering::SeqCst) as usize;
                let script = scripts[i.min(scripts.len() - 1)].clone();
                // Wait for the subscribe request.
                let _ = ws.next().await;
                for step in script {
                    match step {
                        Step::Send(text) => {
                            if ws.send(Message::text(text)).await.is_err() {
                                return;
                            }
                        }
                        Step::Close(code, reason) => {
                            let frame = CloseFrame {
                                code: CloseCode::from(code),
                                reason: reason.into(),
                            };
                            let _ = ws.close(Some(frame)).await;
                            while ws.next().await.is_some() {}
                            return;
                        }
                        Step::Pause(d) => tokio::time::sleep(d).await,
                    }
                }
                while ws.next().await.is_some() {}
            });
        }
    });
    ScriptedVenue {
        url,
        connections,
        task,
    }
}

/// A Kraken v2 ticker update for `symbol` at `last`, stamped `ts` (RFC 3339).
pub fn kraken_ticker(symbol: &str, last: &str, ts: &str) -> String {
    format!(
        "{{\"channel\":\"ticker\",\"type\":\"update\",\"data\":[{{\"symbol\":\"{symbol}\",\"bid\":{last},\"bid_qty\":1.0,\"ask\":{last},\"ask_qty\":1.0,\"last\":{last},\"volume\":10.0,\"vwap\":{last},\"low\":{last},\"high\":{last},\"change\":0.0,\"change_pct\":0.0,\"timestamp\":\"{ts}\"}}]}}"
    )
}

/// This process's resident set size in kB (Linux), if readable.
pub fn rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
