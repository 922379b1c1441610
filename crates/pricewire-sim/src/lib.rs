//! The built-in exchange simulator: plays any venue the dashboard speaks (Kraken, Binance,
//! Coinbase, Bybit, OKX, `KuCoin`) on 127.0.0.1 or fully in memory, REST and WebSocket on
//! one port, with scripted failure [`Scenario`]s, so that the demo, the tests and the
//! benchmarks run without internet.
//!
//! ```text
//! server.rs (SimServer) ── listener task ── per connection: http.rs (hyper, REST | upgrade)
//!     │                                        └── session.rs (WebSocket loop)
//!     │                                            └── session_upkeep.rs (keep-alive,
//!     │                                                maintenance, ending)
//!     └── shared.rs (Shared: config.rs, scenario, stats) and the venue: venue.rs (traits);
//!         kraken.rs, binance.rs, coinbase.rs, bybit.rs, okx.rs, kucoin.rs (WebSocket) and
//!         each one's _rest.rs (REST routes); market.rs (random walk)
//! ```
//! No module imports one that imports it back, directly or through others.
//! Venue files never import another venue's files: what several of them need lives in a
//! module of its own (wire.rs: JSON and decimal printing; query.rs: query strings;
//! listing.rs: which listed entries stream, under which market index; testkit.rs: what
//! their tests share).
//! Owns its own sockets and tasks only; never touches the feed, the store or the UI.
//! Every task is tracked and cancelled: none outlives [`SimServer::shutdown`].

mod binance;
mod binance_rest;
#[cfg(test)]
mod binance_tests;
mod bybit;
mod bybit_rest;
#[cfg(test)]
mod bybit_tests;
mod candles;
mod cli;
mod coinbase;
mod coinbase_rest;
#[cfg(test)]
mod coinbase_tests;
mod config;
mod connector;
mod http;
mod kraken;
mod kraken_rest;
#[cfg(test)]
mod kraken_tests;
mod kucoin;
mod kucoin_rest;
#[cfg(test)]
mod kucoin_tests;
mod listing;
mod market;
mod okx;
mod okx_rest;
#[cfg(test)]
mod okx_tests;
mod query;
mod scenario;
mod server;
mod session;
mod session_upkeep;
mod shared;
#[cfg(test)]
mod testkit;
mod venue;
mod wire;

pub use cli::{SimArgs, run_cli};
pub use config::SimConfig;
pub use connector::SimConnector;
pub use scenario::Scenario;
pub use server::{SimServer, SimStats};
