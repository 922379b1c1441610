//! Building a feed: one venue, its symbols and settings, checked before anything connects.
//!
//! [`FeedBuilder::spawn`] returns a [`RunningFeed`]: a handle to subscribe, unsubscribe and
//! reconnect at run time, and the [`Store`] its tickers and transitions land in. Mistakes a
//! caller can fix (a malformed URL, an unusable setting) are a [`BuildError`] here, before
//! any socket opens; faults of the network are the feed's own business at run time and show
//! as states and reasons in the store.

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::command::{Command, FeedGone, FeedHandle};
use super::{Clock, FeedCtx, net::Connector};
use crate::config::FeedConfig;
use crate::exchange::{self, Exchange};
use crate::model::ExchangeId;
use crate::store::{Snapshot, Store, StoreEvent, StoreLimits};
use crate::symbol::PairList;
use crate::symbol::{Symbol, SymbolError};

/// Schemes a WebSocket URL may use.
pub const WS_SCHEMES: &[&str] = &["ws", "wss"];
/// Schemes a REST base URL may use.
pub const REST_SCHEMES: &[&str] = &["http", "https"];

/// Why a feed could not be built. Every variant is something the caller can fix; nothing
/// here is a network fault (those are retried by the running feed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A WebSocket or REST address that no connection could use.
    #[error("{which} URL {reason}")]
    BadUrl {
        /// `"WebSocket"` or `"REST"`.
        which: &'static str,
        /// What is wrong with it, naming the text as given.
        reason: String,
    },
    /// Settings that cannot be used, as ([`FeedConfig`] field, why).
    #[error("unusable feed settings: {}", .0.iter().map(|(k, why)| format!("{k} {why}")).collect::<Vec<_>>().join("; "))]
    Config(Vec<(&'static str, String)>),
}

/// A URL a feed can connect to: well formed, one of `schemes`, with a host, and readable
/// by the dialler as written.
pub fn check_url(text: &str, schemes: &[&str]) -> Result<(), String> {
    let want = schemes
        .iter()
        .map(|s| format!("{s}://"))
        .collect::<Vec<_>>()
        .join(" or ");
    let url = url::Url::parse(text)
        .map_err(|e| format!("\"{text}\" is not a URL ({e}); expected {want}"))?;
    if !schemes.contains(&url.scheme()) {
        return Err(format!("\"{text}\" must start with {want}"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("\"{text}\" has no host; expected {want}HOST"));
    }
    // Also as the dialler reads it, which is stricter (no spaces, say).
    super::net::target(text)
        .map(drop)
        .map_err(|_| format!("\"{text}\" cannot be dialled as written"))
}

/// Sets up one venue's feed. Everything but the venue has a default: the venue's public
/// URLs, [`FeedConfig::default`], a store of its own and no symbols.
///
/// ```no_run
/// # async fn demo() -> Result<(), pricewire_core::BuildError> {
/// use pricewire_core::{ExchangeId, FeedBuilder};
/// let feed = FeedBuilder::new(ExchangeId::Kraken)
///     .symbols(["BTC/USD", "ETH/USD"])
///     .spawn()?;
/// let mut events = feed.events();
/// # drop(events.recv().await); Ok(()) }
/// ```
#[must_use]
#[derive(Clone)]
pub struct FeedBuilder {
    exchange: ExchangeId,
    symbols: Vec<String>,
    cfg: FeedConfig,
    ws_url: Option<String>,
    rest_url: Option<String>,
    store: Option<Arc<Store>>,
    quote_aliases: Vec<(String, String)>,
    shutdown: Option<CancellationToken>,
    connector: Option<Arc<dyn Connector>>,
    clock: Option<Clock>,
    seed: Option<u64>,
    adapter: Option<Arc<dyn Exchange>>,
    pairs: Option<PairList>,
}

impl FeedBuilder {
    /// A feed for `exchange` with the defaults.
    pub fn new(exchange: ExchangeId) -> Self {
        FeedBuilder {
            exchange,
            symbols: Vec::new(),
            cfg: FeedConfig::default(),
            ws_url: None,
            rest_url: None,
            store: None,
            quote_aliases: Vec::new(),
            shutdown: None,
            connector: None,
            clock: None,
            seed: None,
            adapter: None,
            pairs: None,
        }
    }

    /// Start from this pair list instead of fetching one first (a standby that kept the
    /// venue's list loaded connects at once). The feed still fetches a new one when it
    /// reconnects without a list.
    pub fn pairs(mut self, list: PairList) -> Self {
        self.pairs = Some(list);
        self
    }

    /// Fetch the venue's pair list as the feed would (same REST base, timeouts and quote
    /// aliases), without starting anything. The error says why, in words.
    pub async fn fetch_pairs(&self) -> Result<PairList, String> {
        let (ctx, _, _) = self.clone().build().map_err(|e| e.to_string())?;
        super::rest::fetch_pairs(&ctx)
            .await
            .map(|mut list| {
                list.set_quote_aliases(
                    ctx.quote_aliases
                        .iter()
                        .map(|(from, to)| (from.as_str(), to.as_str())),
                );
                list
            })
            .map_err(|e| e.reason)
    }

    /// The symbols to watch from the start, as a user types them (`BTC/USD`, `eth-usd`,
    /// `XBTUSD`): each is resolved against the venue's pair list once it has loaded, and
    /// one the venue does not list gets an error row with suggestions, not a failure.
    pub fn symbols<S: Into<String>>(mut self, symbols: impl IntoIterator<Item = S>) -> Self {
        self.symbols = symbols.into_iter().map(Into::into).collect();
        self
    }

    /// Every timing and limit (see [`FeedConfig`]).
    pub fn config(mut self, cfg: FeedConfig) -> Self {
        self.cfg = cfg;
        self
    }

    /// Connect here instead of the venue's public WebSocket (a simulator, a proxy).
    pub fn ws_url(mut self, url: impl Into<String>) -> Self {
        self.ws_url = Some(url.into());
        self
    }

    /// Use this REST base instead of the venue's public one.
    pub fn rest_url(mut self, url: impl Into<String>) -> Self {
        self.rest_url = Some(url.into());
        self
    }

    /// Write into a store shared with other feeds (one screen, several venues). Without
    /// it the feed gets a store of its own, sized by the config's `history`.
    pub fn store(mut self, store: Arc<Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Read a quote currency as another on this venue (`USD` → `USDT`): opt-in, since the
    /// two are different markets.
    pub fn quote_alias(mut self, from: impl Into<String>, to: impl Into<String>) -> Self {
        self.quote_aliases.push((from.into(), to.into()));
        self
    }

    /// End the feed when `token` is cancelled (one token can stop many feeds).
    pub fn shutdown_on(mut self, token: CancellationToken) -> Self {
        self.shutdown = Some(token);
        self
    }

    /// Dial through `connector` instead of TCP (in-memory pipes for paused-time tests).
    #[cfg(feature = "test-util")]
    pub fn connector(mut self, connector: Arc<dyn Connector>) -> Self {
        self.connector = Some(connector);
        self
    }

    /// Read wall-clock time from `clock` (a test's clock that jumps).
    #[cfg(feature = "test-util")]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Seed the reconnect jitter, for a schedule a test can predict.
    #[cfg(feature = "test-util")]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Speak through `adapter` instead of the venue's own (one that misbehaves on cue).
    #[cfg(feature = "test-util")]
    pub fn adapter(mut self, adapter: Arc<dyn Exchange>) -> Self {
        self.adapter = Some(adapter);
        self
    }

    /// Check everything and put the feed's context together without starting it.
    pub(crate) fn build(self) -> Result<(FeedCtx, Vec<String>, CancellationToken), BuildError> {
        let problems = self.cfg.problems();
        if !problems.is_empty() {
            return Err(BuildError::Config(problems));
        }
        for (which, url, schemes) in [
            ("WebSocket", &self.ws_url, WS_SCHEMES),
            ("REST", &self.rest_url, REST_SCHEMES),
        ] {
            if let Some(url) = url {
                check_url(url, schemes).map_err(|reason| BuildError::BadUrl { which, reason })?;
            }
        }
        // The config's own checks cover every option the adapters read.
        let adapter = match self.adapter {
            Some(adapter) => adapter,
            None => Arc::from(
                exchange::adapter_with(self.exchange, &self.cfg)
                    .map_err(|why| BuildError::Config(vec![("feed", why)]))?,
            ),
        };
        let store = self.store.unwrap_or_else(|| {
            Store::new(StoreLimits {
                history: self.cfg.history.max(10),
                ..StoreLimits::default()
            })
        });
        let mut ctx = FeedCtx::new(adapter, store, self.cfg, self.ws_url, self.rest_url);
        ctx.quote_aliases = self.quote_aliases;
        if let Some(list) = self.pairs {
            *ctx.pairs
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(list);
        }
        if let Some(connector) = self.connector {
            ctx.connector = connector;
        }
        if let Some(clock) = self.clock {
            ctx.clock = clock;
        }
        if let Some(seed) = self.seed {
            ctx.seed = seed;
        }
        Ok((ctx, self.symbols, self.shutdown.unwrap_or_default()))
    }

    /// Check everything and start the feed on the current tokio runtime.
    pub fn spawn(self) -> Result<RunningFeed, BuildError> {
        let (ctx, symbols, shutdown) = self.build()?;
        let store = Arc::clone(&ctx.store);
        // Taken before the task exists, so the first reader misses nothing.
        let first = std::sync::Mutex::new(Some(store.events()));
        let (handle, task) = super::spawn(ctx, symbols, shutdown.clone());
        Ok(RunningFeed {
            handle,
            store,
            task,
            shutdown,
            first,
        })
    }
}

impl FeedBuilder {
    /// Check everything and start the feed, returning only its handle and task: for a
    /// program that reads the store (its snapshots and version) rather than its event
    /// stream, such as a screen. Unlike [`FeedBuilder::spawn`] it keeps no receiver of
    /// the store's events, so the store reserves no room for events nobody reads.
    pub fn spawn_parts(self) -> Result<(FeedHandle, JoinHandle<()>), BuildError> {
        let (ctx, symbols, shutdown) = self.build()?;
        Ok(super::spawn(ctx, symbols, shutdown))
    }
}

/// A running feed: what it is watching lands in [`RunningFeed::store`]; commands go through
/// [`RunningFeed::handle`] or the shortcuts here. Dropping it does not stop the task: call
/// [`RunningFeed::shutdown`] (or cancel the token given to [`FeedBuilder::shutdown_on`]).
pub struct RunningFeed {
    handle: FeedHandle,
    store: Arc<Store>,
    task: JoinHandle<()>,
    shutdown: CancellationToken,
    first: std::sync::Mutex<Option<broadcast::Receiver<StoreEvent>>>,
}

impl RunningFeed {
    /// The venue this feed connects to.
    pub fn exchange(&self) -> ExchangeId {
        self.handle.exchange
    }

    /// A cheap, cloneable handle for other tasks.
    pub fn handle(&self) -> &FeedHandle {
        &self.handle
    }

    /// The latest-value store the feed writes into.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// A copy of every row and feed state now.
    pub fn snapshot(&self) -> Snapshot {
        self.store.snapshot()
    }

    /// Tickers, transitions and symbol errors, in order: the first call's receiver has
    /// every event since [`FeedBuilder::spawn`], later calls' from the moment of the call.
    /// A receiver that falls too far behind gets `Lagged` and goes on from the newest; the
    /// store still holds the latest value of everything.
    pub fn events(&self) -> broadcast::Receiver<StoreEvent> {
        self.first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .unwrap_or_else(|| self.store.events())
    }

    /// Watch a symbol on the live connection. The text is resolved against the venue's
    /// pair list; an unknown one is an error with suggestions and changes nothing.
    pub fn subscribe(&self, input: &str) -> Result<Symbol, SubscribeError> {
        let market = self.handle.market(input)?;
        let symbol = market.symbol.clone();
        self.handle.send(Command::Add(market))?;
        Ok(symbol)
    }

    /// Stop watching a symbol and drop its row.
    pub fn unsubscribe(&self, input: &str) -> Result<Symbol, SubscribeError> {
        let symbol = self.handle.resolve(input)?;
        self.handle.send(Command::Remove(symbol.clone()))?;
        Ok(symbol)
    }

    /// Drop the connection and connect again now, resetting the attempt counter (also a
    /// feed that stopped or opened its circuit breaker tries once more).
    pub fn reconnect(&self) -> Result<(), FeedGone> {
        self.handle.send(Command::Reconnect)
    }

    /// The handle and the task, for a caller that runs many feeds and joins their tasks
    /// itself (stopping them through the token given to [`FeedBuilder::shutdown_on`]).
    pub fn into_parts(self) -> (FeedHandle, JoinHandle<()>) {
        (self.handle, self.task)
    }

    /// Close the connection and wait for the task to end.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }
}

/// Why a subscribe or unsubscribe did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    /// The venue does not list it (with the closest names it does list).
    #[error(transparent)]
    Symbol(#[from] SymbolError),
    /// The feed did not take the command.
    #[error(transparent)]
    Feed(#[from] FeedGone),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_url_is_refused_before_anything_connects() {
        let err = FeedBuilder::new(ExchangeId::Kraken)
            .ws_url("ws//nowhere")
            .build()
            .err()
            .expect("refused");
        assert!(
            matches!(&err, BuildError::BadUrl { which: "WebSocket", reason } if reason.contains("ws//nowhere")),
            "{err}"
        );
        let err = FeedBuilder::new(ExchangeId::Binance)
            .rest_url("ftp://example.com")
            .build()
            .err()
            .expect("refused");
        assert_eq!(
            err.to_string(),
            "REST URL \"ftp://example.com\" must start with http:// or https://"
        );
    }

    #[test]
    fn a_url_the_dialler_cannot_read_is_refused_too() {
        let err = FeedBuilder::new(ExchangeId::Kraken)
            .ws_url("ws://example.com/v 2")
            .build()
            .err()
            .expect("refused");
        assert_eq!(
            err.to_string(),
            "WebSocket URL \"ws://example.com/v 2\" cannot be dialled as written"
        );
    }

    /// `spawn` keeps the first events for its caller; `spawn_parts` leaves the store's
    /// event channel alone.
    #[tokio::test]
    async fn only_spawn_holds_a_reader_of_the_store_events() {
        let shutdown = CancellationToken::new();
        let start = |store: &Arc<Store>| {
            FeedBuilder::new(ExchangeId::Kraken)
                .store(Arc::clone(store))
                .ws_url("ws://127.0.0.1:1/v2")
                .rest_url("http://127.0.0.1:1")
                .shutdown_on(shutdown.clone())
        };
        let quiet = Store::new(StoreLimits::default());
        let (_handle, quiet_task) = start(&quiet).spawn_parts().expect("started");
        assert_eq!(quiet.event_readers(), 0);
        let told = Store::new(StoreLimits::default());
        let feed = start(&told).spawn().expect("started");
        assert_eq!(told.event_readers(), 1);
        shutdown.cancel();
        quiet_task.await.unwrap();
        feed.shutdown().await;
    }

    /// A malformed address met at run time (a venue's token reply can name one) is fatal:
    /// the feed stops with why and does not retry.
    #[tokio::test(start_paused = true)]
    async fn a_garbage_ws_url_at_run_time_stops_without_retrying() {
        let store = Store::new(StoreLimits::default());
        let adapter = exchange::adapter(ExchangeId::Kraken).expect("a Kraken adapter");
        let ctx = FeedCtx::new(
            Arc::from(adapter),
            Arc::clone(&store),
            FeedConfig::default(),
            Some("ws://exa mple/v2".into()),
            Some("http://127.0.0.1:1".into()),
        );
        let shutdown = CancellationToken::new();
        let (_handle, task) = super::super::spawn(ctx, vec!["BTC/USD".into()], shutdown.clone());
        let stopped = |s: &Snapshot| s.feeds[0].status == crate::model::FeedStatus::Stopped;
        while !stopped(&store.snapshot()) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_mins(5)).await;
        let history: Vec<String> = store.snapshot().feeds[0]
            .history
            .iter()
            .map(|t| format!("{} → {}: {}", t.from.name(), t.to.name(), t.reason))
            .collect();
        assert_eq!(
            history,
            ["connecting → stopped: bad URL ws://exa mple/v2: not retried; fix the address"],
            "no retry in 5 minutes"
        );
        shutdown.cancel();
        task.await.unwrap();
    }

    #[test]
    fn unusable_settings_are_named_by_key() {
        let err = FeedBuilder::new(ExchangeId::Okx)
            .config(FeedConfig {
                max_attempts: 0,
                ..FeedConfig::default()
            })
            .build()
            .err()
            .expect("refused");
        assert_eq!(
            err,
            BuildError::Config(vec![("max_attempts", "must be at least 1".into())])
        );
    }

    #[test]
    fn the_defaults_build_with_the_venues_public_urls() {
        let (ctx, symbols, _) = FeedBuilder::new(ExchangeId::Coinbase)
            .symbols(["BTC-USD"])
            .quote_alias("USD", "USDC")
            .build()
            .expect("builds");
        assert_eq!(ctx.ws_url, ctx.exchange.default_ws_url());
        assert_eq!(ctx.rest_url, ctx.exchange.default_rest_url());
        assert_eq!(symbols, ["BTC-USD"]);
        assert_eq!(ctx.quote_aliases, [("USD".into(), "USDC".into())]);
    }
}
