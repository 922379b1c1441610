//! pricewire: live crypto prices in the terminal.
//!
//! Data flow: `exchange` adapters turn venue frames into [`model::Ticker`]s → one `feed`
//! task per venue owns its connection (supervisor: heartbeats, watchdog, backoff, REST
//! fallback) → it writes into the shared [`store::Store`] → the dashboard (`app`, `ui`) and
//! `headless` mode read snapshots of it. `sim` plays the venues on 127.0.0.1.

// Transitional convenience: the engine modules live in `pricewire-core` and the simulator
// in `pricewire-sim`; both are re-exported here under their old paths, so `pricewire::model`,
// `pricewire::sim` and friends keep working for the integration tests, examples and benches
// until they name `pricewire_core` and `pricewire_sim` directly.
pub use pricewire_core::{exchange, feed, model, sanitize, store, symbol};
pub use pricewire_sim as sim;

pub mod app;
pub mod cli;
pub mod config;
pub mod headless;
pub mod logging;
pub mod run;
pub mod ui;
