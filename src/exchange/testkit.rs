//! Helpers shared by the venue parse tests: recorded frames from `tests/fixtures/recorded`
//! (a missing file fails the test, naming it), exact decimal text, and a parse that fails
//! the test on error.

use rust_decimal::Decimal;

use super::{Event, Exchange};

/// The folder of `venue`'s recorded frames and bodies.
pub fn recorded_dir(venue: &str) -> String {
    format!(
        "{}/tests/fixtures/recorded/{venue}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A recorded file of `venue`. A missing or unreadable file fails the test with its path:
/// a test over recordings never passes without reading them.
pub fn recorded(venue: &str, file: &str) -> String {
    let path = format!("{}/{file}", recorded_dir(venue));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("recorded fixture {path} cannot be read: {e}"))
}

/// Line `n` (1-based) of a recorded file.
pub fn line(text: &str, n: usize) -> &str {
    text.lines().nth(n - 1).expect("fixture line exists")
}

/// Decimal text with its scale kept, `-` when absent.
pub fn text(d: Option<Decimal>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// Parse a frame that must parse.
pub fn parse<'a>(exchange: &dyn Exchange, frame: &'a str) -> Vec<Event<'a>> {
    let mut out = Vec::new();
    exchange
        .parse(frame, &mut out)
        .unwrap_or_else(|e| panic!("{frame}: {e}"));
    out
}

/// The row a fresh store holds after `frames` of one market were applied in order, the
/// way the feed applies them (parse, normalise, merge), and its headless JSON line.
pub fn merged(
    exchange: &dyn Exchange,
    symbol: &pricewire_core::symbol::Symbol,
    frames: &[&str],
) -> (pricewire_core::model::Ticker, serde_json::Value) {
    merged_with(exchange, symbol, None, frames)
}

/// [`merged`] for a row whose pair list gave it `price_decimals`.
pub fn merged_with(
    exchange: &dyn Exchange,
    symbol: &pricewire_core::symbol::Symbol,
    price_decimals: Option<u32>,
    frames: &[&str],
) -> (pricewire_core::model::Ticker, serde_json::Value) {
    use pricewire_core::model::Source;
    use pricewire_core::store::{Store, StoreLimits};
    let store = Store::new(StoreLimits::default());
    store.add_symbol(exchange.id(), symbol, price_decimals);
    for (i, frame) in (0i64..).zip(frames) {
        let at = chrono::DateTime::from_timestamp(1_800_000_000 + i, 0).expect("time");
        for event in parse(exchange, frame) {
            if let Event::Ticker(w) = event {
                store.apply(w.into_ticker(
                    exchange.id(),
                    symbol.clone(),
                    price_decimals,
                    Source::Stream,
                    at,
                ));
            }
        }
    }
    let snap = store.snapshot();
    let ticker = snap
        .row(exchange.id(), symbol.as_str())
        .and_then(|r| r.ticker.clone())
        .expect("the frames reached the row");
    let line = serde_json::from_str(&crate::headless::ticker_line(&ticker, false)).expect("JSON");
    (ticker, line)
}
