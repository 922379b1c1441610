//! The benchmarks' watchlist, shared by the examples that `#[path]` this file in.

/// The 19 Kraken pairs the benchmarks watch (docs/BENCHMARKS.md counts on this list).
pub const SYMBOLS: &[&str] = &[
    "ADA/USD",
    "ATOM/USD",
    "AVAX/USD",
    "DOT/USD",
    "LINK/USD",
    "MATIC/USD",
    "SOL/EUR",
    "SOL/USD",
    "USDT/USD",
    "BTC/USDT",
    "DOGE/USD",
    "ETH/BTC",
    "ETH/EUR",
    "ETH/USD",
    "LTC/USD",
    "BTC/EUR",
    "BTC/GBP",
    "BTC/USD",
    "XRP/USD",
];
