//! pricewire-core: the engine, with no terminal, command line or config file in it.
//!
//! Data flow: [`exchange`] adapters turn venue frames into normalised [`model::Ticker`]s →
//! one [`feed`] task per venue owns its connection (supervisor: heartbeats, watchdog,
//! backoff, circuit breaker, REST fallback) → it writes into the shared [`store::Store`] →
//! readers (the dashboard, headless mode, trading code) take snapshots of it. Feed timings
//! are a [`config::FeedConfig`]; symbols are parsed and normalised in [`symbol`]; text from
//! the network is made printable by [`sanitize`] before it reaches any reader.

#![warn(missing_docs)]

pub mod config;
pub mod exchange;
pub mod feed;
pub mod model;
pub mod sanitize;
pub mod store;
pub mod symbol;
