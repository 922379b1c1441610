//! pricewire-relay: one set of venue connections for a whole desk. A relay runs the
//! engine's feeds and publishes what they see into Redis; dashboards, headless readers and
//! bots read it from there instead of opening their own sockets to every venue. Several
//! relays may run: per venue one holds a lease and publishes, the others stand by and take
//! over when its lease runs out. Every write of a leader is fenced inside Redis by a
//! script that checks the lease, so a leader that was paused cannot write over its
//! successor.
//!
//! Modules: [`keys`] (the key schema), [`scripts`] (the Lua scripts), [`conn`] (URLs,
//! credentials, typed errors).

#![warn(missing_docs)]

pub mod conn;
pub mod consumer;
pub mod control;
pub mod http;
pub mod keys;
pub mod leading;
pub mod lease;
pub mod publish;
pub mod reader;
pub mod relay;
pub mod scripts;
#[cfg(feature = "test-util")]
pub mod testkit;
pub mod wants;
pub mod wire;

pub use conn::{LinkError, RedisTarget};
pub use keys::Keys;
pub use lease::{Elector, Held, LeaseTiming};
pub use publish::Freeze;
pub use relay::{RelaySettings, VenueSettings};
