//! [`SimConfig`]: how one simulator behaves (venue, scenario, pace, seed and the
//! per-request refusals and losses). Plain data with defaults; read by every task of the
//! simulator, changed by none.

use std::time::Duration;

use pricewire_core::model::ExchangeId;

use super::scenario::Scenario;

/// How a simulator behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    pub exchange: ExchangeId,
    pub scenario: Scenario,
    /// Per-symbol update period in the steady scenario, and the random walk's step.
    pub tick_interval: Duration,
    pub heartbeat_interval: Duration,
    /// The ping period a token reply prescribes (KuCoin's `bullet-public` `pingInterval`;
    /// documented value 18 s). Clients that follow it ping at this pace.
    pub prescribed_ping: Duration,
    /// How long a connection waits before its welcome (or status) frame; a request that
    /// arrives before it is refused, as a venue that is not ready would.
    pub welcome_delay: Duration,
    /// Seeds the random walk and the garbage scenario: same seed, same prices.
    pub seed: u64,
    /// Wire names (`ETH-USDT`) whose subscribe requests are refused as a whole: a request
    /// frame naming one gets the venue's error for a refused request, echoing the request
    /// id where the venue does, and subscribes nothing (venues that model it: Bybit and
    /// `KuCoin`).
    pub refuse: Vec<String>,
    /// Message numbers every connection skips (Coinbase's `sequence_num`), as if those
    /// messages were lost on the way.
    pub lose_sequence: Vec<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            exchange: ExchangeId::Kraken,
            scenario: Scenario::Steady,
            tick_interval: Duration::from_millis(200),
            heartbeat_interval: Duration::from_secs(1),
            prescribed_ping: Duration::from_secs(18),
            welcome_delay: Duration::ZERO,
            seed: 1,
            refuse: Vec::new(),
            lose_sequence: Vec::new(),
        }
    }
}
