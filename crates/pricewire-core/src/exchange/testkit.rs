//! Helpers shared by the venue parse tests: recorded frames from the repository's
//! `tests/fixtures/recorded` (a missing file fails the test, naming it), exact decimal text,
//! and a parse that fails the test on error. Built for this crate's tests and, with the
//! `test-util` feature, for other crates' tests.

use rust_decimal::Decimal;

use super::{Event, Exchange};

/// The repository's `tests/fixtures`, whichever crate's tests run: this crate lives two
/// folders below the repository root.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// The folder of `venue`'s recorded frames and bodies.
pub fn recorded_dir(venue: &str) -> String {
    format!("{FIXTURES}/recorded/{venue}")
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

/// The one ticker a frame that must parse to exactly one gives.
pub fn only_ticker<'a>(exchange: &dyn Exchange, frame: &'a str) -> super::WireTicker<'a> {
    match parse(exchange, frame).as_slice() {
        [Event::Ticker(t)] => t.clone(),
        other => panic!("expected one ticker from {frame}, got {other:?}"),
    }
}

/// Milliseconds since the epoch as a time, as venues stamp events.
pub fn millis(ms: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(ms)
}

/// The row a fresh store holds after `frames` of one market were applied in order, the
/// way the feed applies them (parse, normalise, merge), and its JSON line (see
/// [`price_line`]).
pub fn merged(
    exchange: &dyn Exchange,
    symbol: &crate::symbol::Symbol,
    frames: &[&str],
) -> (crate::model::Ticker, serde_json::Value) {
    merged_with(exchange, symbol, None, frames)
}

/// [`merged`] for a row whose pair list gave it `price_decimals`.
pub fn merged_with(
    exchange: &dyn Exchange,
    symbol: &crate::symbol::Symbol,
    price_decimals: Option<u32>,
    frames: &[&str],
) -> (crate::model::Ticker, serde_json::Value) {
    use crate::model::Source;
    use crate::store::{Store, StoreLimits};
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
    let line = price_line(&ticker);
    (ticker, line)
}

/// A row's JSON line as headless output and the relay write it, through the one encoder
/// ([`crate::json::ticker_line`]), parsed back so a test can look at one field: each
/// decimal a string of its exact digits, `null` when absent, `exchange_ts` in RFC 3339
/// with microseconds.
pub fn price_line(t: &crate::model::Ticker) -> serde_json::Value {
    let line = crate::json::ticker_line(t, false);
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// A body of `venue` in the shape its documentation gives (`tests/fixtures/documented`);
/// a missing file fails the test with its path.
pub fn documented(venue: &str, file: &str) -> String {
    let path = format!("{FIXTURES}/documented/{venue}/{file}");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("documented fixture {path} cannot be read: {e}"))
}

/// Every line of every recorded `.frames` file of `venue`, as (`file:line`, frame), files
/// in name order. None at all fails the test: a check over recordings must read some.
pub fn recorded_frames(venue: &str) -> Vec<(String, String)> {
    let dir = recorded_dir(venue);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "frames"))
        .collect();
    files.sort();
    let mut frames = Vec::new();
    for path in files {
        let body = std::fs::read_to_string(&path).expect("readable fixture");
        for (i, frame) in body.lines().enumerate() {
            frames.push((format!("{}:{}", path.display(), i + 1), frame.to_string()));
        }
    }
    assert!(!frames.is_empty(), "no frames found in {dir}");
    frames
}

/// Every recorded frame of `venue` parses to exactly one event of a kind the adapter
/// knows.
pub fn assert_every_recorded_frame_known(exchange: &dyn Exchange, venue: &str) {
    for (place, frame) in recorded_frames(venue) {
        let events = parse(exchange, &frame);
        assert_eq!(events.len(), 1, "{place}");
        assert_ne!(events[0], Event::Unknown, "{place} is a known kind");
    }
}

/// A pair-list case: typed input, then the symbol, the wire name (the REST name too) and
/// the price decimals it must resolve to.
pub type Resolves<'a> = (&'a str, &'a str, &'a str, Option<u32>);

/// Each case's input resolves on `list` to its market.
pub fn assert_resolves(list: &crate::symbol::PairList, cases: &[Resolves<'_>]) {
    for &(input, symbol, wire, decimals) in cases {
        let inst = list
            .resolve(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(
            (
                inst.symbol.as_str(),
                inst.wire.as_str(),
                inst.rest.as_str(),
                inst.price_decimals
            ),
            (symbol, wire, wire, decimals),
            "{input}"
        );
    }
}

/// `input` names no market on `list` (it must not quietly become another), and each of
/// `suggested` is among the suggestions.
pub fn assert_suggests(list: &crate::symbol::PairList, input: &str, suggested: &[&str]) {
    match list.resolve(input) {
        Err(crate::symbol::SymbolError::Unknown { suggestions, .. }) => {
            for s in suggested {
                assert!(suggestions.iter().any(|x| x == s), "{s} in {suggestions:?}");
            }
        }
        other => panic!("{input} must not resolve here: {other:?}"),
    }
}
