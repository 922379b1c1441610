//! The body shared by every fuzz target: one venue's parsers on arbitrary text.

use pricewire_core::exchange::adapter;
use pricewire_core::model::ExchangeId;

/// Run every parser of `venue` on `data` (WebSocket frames, REST tickers, the pair list and
/// the WebSocket token reply). None may panic; errors are expected and ignored.
pub fn every_parser(venue: ExchangeId, data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(adapter) = adapter(venue) else {
        return;
    };
    let mut out = Vec::new();
    let _ = adapter.parse(text, &mut out);
    let _ = adapter.parse_rest_ticker(text);
    let _ = adapter.parse_pair_list(text);
    let _ = adapter.ws_url_from_bootstrap(text, None);
}
