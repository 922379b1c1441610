//! pricewire-core: the engine, with no terminal, command line or config file in it.
//!
//! Data flow: venue frames become normalised [`model::Ticker`]s, which are merged into the
//! shared [`store::Store`]; readers (the dashboard, headless mode, trading code) take
//! snapshots of it. Symbols are parsed and normalised in [`symbol`]; text from the network
//! is made printable by [`sanitize`] before it reaches any reader.

pub mod model;
pub mod sanitize;
pub mod store;
pub mod symbol;
