//! Helpers shared by the venue parse tests: recorded frames from `../shared/fixtures`
//! (skipped with a note when that folder is not beside the repository), exact decimal text,
//! and a parse that fails the test on error.

use rust_decimal::Decimal;

use super::{Event, Exchange};

/// A recorded file of `venue`, or `None` (with a note) when the shared fixtures are absent.
pub fn recorded(venue: &str, file: &str) -> Option<String> {
    let path = format!(
        "{}/../shared/fixtures/{venue}/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).ok();
    if text.is_none() {
        eprintln!("skipping: {path} not present");
    }
    text
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
