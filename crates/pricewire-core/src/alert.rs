//! Alerts: rules over prices, spreads and feed states ([`rule`], one grammar for the config
//! file and the prompt), evaluated by pure state machines ([`eval`]) that a task drives from
//! the store's events and a clock ([`driver`]). What fires is an [`AlertEvent`]; delivering
//! it (a bell, a notification, a webhook, a JSON line) is the caller's business.
//!
//! Every rule fires once when its condition comes true and re-arms with hysteresis (it
//! must go back past a band first); it is one-shot or recurring. A rule already true when
//! it is added does not fire. A polled quote older than the stale limit, and anything from
//! a feed that turns out to be the simulator (unless simulated data is expected), fires
//! nothing.

pub mod driver;
pub mod eval;
pub mod rule;

pub use driver::{AlertHandle, AlertSetup, spawn};
pub use eval::{AlertEvent, AlertKind, EvalOptions, Evaluator, RuleState, RuleStatus};
pub use rule::{AlertRule, RuleError};

#[cfg(test)]
mod tests;
