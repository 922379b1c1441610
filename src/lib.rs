//! pricewire: live crypto prices in the terminal. This crate is the binary's side: the
//! command line, the config file and its saving, logging, headless output and the dashboard
//! (`app`, `view`, `ui`).
//!
//! Data flow: the engine's adapters turn venue frames into
//! [`Ticker`](pricewire_core::model::Ticker)s → one feed task per venue owns its connection
//! (supervisor: heartbeats, watchdog, backoff, REST fallback) → it writes into the shared
//! [`Store`](pricewire_core::store::Store) → the dashboard and `headless` mode read
//! snapshots of it; the dashboard works out what a frame shows (`view`) before it draws it
//! (`ui`). The `sim` subcommand plays the venues on 127.0.0.1. The engine (everything up to
//! the store, and the watchlist) is `pricewire-core`; the simulator is `pricewire-sim`.
//! Tests, benches and examples use those two crates directly; this crate exports only the
//! binary's own parts.

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod headless;
pub mod history;
pub mod keymap;
pub mod logging;
pub mod look;
pub mod notify;
pub mod recorder;
pub mod relay_cmd;
pub mod relay_http;
pub mod run;
pub mod ui;
pub mod view;
pub mod watchlist;
pub mod webhook;
