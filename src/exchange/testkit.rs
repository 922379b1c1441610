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
