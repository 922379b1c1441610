//! pricewire: live crypto prices in the terminal.
//!
//! Data flow: `exchange` adapters turn venue frames into [`model::Ticker`]s → one `feed`
//! task per venue owns its connection (supervisor: heartbeats, watchdog, backoff, REST
//! fallback) → it writes into the shared [`store::Store`] → the dashboard (`app`, `ui`) and
//! `headless` mode read snapshots of it. `sim` plays the venues on 127.0.0.1.

pub mod app;
pub mod cli;
pub mod config;
pub mod exchange;
pub mod feed;
pub mod headless;
pub mod logging;
pub mod model;
pub mod run;
pub mod sanitize;
pub mod sim;
pub mod store;
pub mod symbol;
pub mod ui;
