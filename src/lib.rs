//! pricewire: live crypto prices in the terminal. This crate is the binary's side: the
//! command line, the config file and its saving, logging, headless output and the dashboard
//! (`app`, `ui`).
//!
//! Data flow: `exchange` adapters turn venue frames into [`model::Ticker`]s → one `feed`
//! task per venue owns its connection (supervisor: heartbeats, watchdog, backoff, REST
//! fallback) → it writes into the shared [`store::Store`] → the dashboard (`app`, `ui`) and
//! `headless` mode read snapshots of it. `sim` plays the venues on 127.0.0.1. The engine
//! (everything up to the store) is `pricewire-core`; the simulator is `pricewire-sim`.
//!
//! As a transitional convenience, the core modules and the simulator are re-exported here
//! under their old paths (`pricewire::model`, `pricewire::store`, `pricewire::sim`, ...), so
//! the integration tests, examples, benches and fuzz targets keep compiling unchanged; new
//! code names `pricewire_core` and `pricewire_sim` directly.

pub use pricewire_core::{exchange, feed, model, sanitize, store, symbol};
pub use pricewire_sim as sim;

pub mod app;
pub mod cli;
pub mod config;
pub mod headless;
pub mod history;
pub mod logging;
pub mod notify;
pub mod recorder;
pub mod run;
pub mod ui;
pub mod webhook;
