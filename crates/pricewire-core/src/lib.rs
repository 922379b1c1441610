//! pricewire-core: live crypto market data from real exchanges, as exact decimals, with an
//! honest account of how fresh it is. No terminal, command line or config file in it.
//!
//! One [`FeedBuilder`] per venue (Kraken, Binance, Coinbase, Bybit, OKX, KuCoin) starts a
//! task that owns that venue's connection: it subscribes, answers heartbeats, watches for
//! silence per connection and per symbol, reconnects with jittered backoff, opens a circuit
//! breaker after repeated failures and falls back to REST polling, and says why at every
//! step. What it receives lands in a latest-value [`Store`], which any number of readers
//! copy ([`Store::snapshot`]), wait on ([`Store::watch`]) or follow as [`StoreEvent`]s
//! ([`Store::events`]): tickers, state transitions with their reason, and symbol errors
//! with suggestions.
//!
//! ```
//! use pricewire_core::{ExchangeId, FeedBuilder, StoreEvent};
//! # use pricewire_sim::{SimConfig, SimServer};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // The built-in simulator stands in for Kraken here; without the two `*_url` calls
//! # // the feed connects to Kraken itself.
//! # let sim = SimServer::start("127.0.0.1:0".parse()?, SimConfig::default()).await?;
//! let feed = FeedBuilder::new(ExchangeId::Kraken)
//!     .symbols(["BTC/USD"])
//! #   .ws_url(sim.ws_url()).rest_url(sim.rest_url())
//!     .spawn()?;
//! let mut events = feed.events();
//! let mut seen = 0;
//! while seen < 3 {
//!     if let StoreEvent::Ticker(t) = events.recv().await? {
//!         // Prices are `rust_decimal::Decimal`s, exactly as the venue sent them.
//!         println!("{} {:?} bid {:?} ask {:?}", t.symbol, t.last, t.bid, t.ask);
//!         seen += 1;
//!     }
//! }
//! feed.reconnect()?; // what the dashboard's `r` does
//! feed.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Data flow: [`exchange`] adapters turn venue frames into normalised [`Ticker`]s (pure
//! parsers, no I/O) → the [`feed`] task writes them into the [`Store`] → readers take
//! snapshots. Text from the network is made printable by [`sanitize`] before any reader
//! sees it. Data from the built-in simulator is marked as such ([`Store::is_simulated`]).
//! Across feeds, a [`Watchlist`] owns which markets each venue watches: it tells the feeds
//! of every change and hands the new list to a [`WatchlistStore`] of the caller's.

#![warn(missing_docs)]

pub mod alert;
pub mod candle;
pub mod config;
pub mod exchange;
pub mod feed;
pub mod holdings;
pub mod json;
pub mod model;
pub mod record;
pub mod replay;
pub mod sanitize;
pub mod store;
pub mod symbol;
pub mod trend;
pub mod watchlist;

pub use candle::{Candle, CandleSeries, ChartWindow};
pub use config::FeedConfig;
pub use feed::command::{CandleError, FeedGone, FeedHandle};
pub use feed::{BuildError, FeedBuilder, RunningFeed, SubscribeError};
pub use model::{ExchangeId, FeedStatus, Source, Ticker, Transition};
pub use rust_decimal::Decimal;
pub use store::{Snapshot, Store, StoreEvent, StoreLimits};
pub use symbol::{Symbol, SymbolError};
pub use watchlist::{Watchlist, WatchlistStore};
