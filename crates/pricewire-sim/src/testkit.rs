//! What every venue's table tests share: decimals from text, a recorded quote, a venue with
//! its market, a frame's events read back through the client's adapter, and `path?query`
//! split as the HTTP side splits it. Test-only; knows no venue's wire format.

use std::time::Duration;

use rust_decimal::Decimal;

use super::market::{Market, Quote};
use super::venue::Venue;
use pricewire_core::exchange::{Event, Exchange, WireTicker};
use pricewire_core::symbol::{Instrument, PairList, Symbol};

pub(super) fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// The values of a recorded Binance `24hrTicker` event; the Bybit and Coinbase tests use
/// them too, printed each venue's way.
pub(super) fn quote() -> Quote {
    Quote {
        bid: d("9338.03"),
        bid_qty: d("0.182346"),
        ask: d("9339.70"),
        ask_qty: d("0.140976"),
        last: d("9338.96"),
        last_qty: d("0.172463"),
        volume: d("72229.53692"),
        vwap: d("9058.28"),
        low: d("8862.40"),
        high: d("9373.19"),
        open: d("8917.99"),
        change: d("420.97"),
        change_pct: d("4.72"),
        trades: 600_436,
    }
}

/// A venue loaded from its bundled listing, with a market (seed 1) that stands still for
/// an hour.
pub(super) fn setup<V: Venue>(venue: Result<V, String>) -> (V, Market) {
    let venue = venue.unwrap();
    let market = Market::new(venue.pairs(), 1, Duration::from_hours(1));
    (venue, market)
}

/// For each `(BASE/QUOTE, price decimals)` of `cases`: the client reads the pair from
/// `list` with those decimals, the market walks it at that precision, and the wire name the
/// client reads leads back (`index_of`) to the same market index. Returns the client's
/// entries, in `cases` order, for the venue's own checks.
pub(super) fn assert_listed<'l>(
    list: &'l PairList,
    market: &Market,
    index_of: impl Fn(&str) -> Option<usize>,
    cases: &[(&str, u32)],
) -> Vec<&'l Instrument> {
    cases
        .iter()
        .map(|&(name, decimals)| {
            let inst = list
                .get(&Symbol::parse_separated(name).unwrap())
                .expect(name);
            assert_eq!(inst.price_decimals, Some(decimals), "{name}");
            let i = market.index_of(name).expect(name);
            assert_eq!(market.specs()[i].price_decimals, decimals);
            assert_eq!(index_of(&inst.wire), Some(i));
            inst
        })
        .collect()
}

/// The events `adapter` reads from `frame`; panics, naming the frame, when it fails.
pub(super) fn events(adapter: &dyn Exchange, frame: &str) -> Vec<Event<'static>> {
    let mut out = Vec::new();
    adapter
        .parse(frame, &mut out)
        .unwrap_or_else(|e| panic!("{frame}: {e}"));
    out.into_iter().map(owned).collect()
}

fn owned(e: Event<'_>) -> Event<'static> {
    let own = |s: Option<std::borrow::Cow<'_, str>>| s.map(|s| s.into_owned().into());
    match e {
        Event::Ticker(t) => Event::Ticker(WireTicker {
            symbol: t.symbol.into_owned().into(),
            ..t
        }),
        Event::Subscribed { symbol, req_id } => Event::Subscribed {
            symbol: own(symbol),
            req_id,
        },
        Event::Unsubscribed { symbol, req_id } => Event::Unsubscribed {
            symbol: own(symbol),
            req_id,
        },
        Event::SubscribeError {
            symbol,
            req_id,
            message,
        } => Event::SubscribeError {
            symbol: own(symbol),
            req_id,
            message,
        },
        Event::Status { status, healthy } => Event::Status { status, healthy },
        Event::Heartbeat => Event::Heartbeat,
        Event::Sequence(n) => Event::Sequence(n),
        Event::Pong { req_id } => Event::Pong { req_id },
        Event::ReconnectSoon { reason } => Event::ReconnectSoon { reason },
        Event::Ignored => Event::Ignored,
        Event::Unknown => Event::Unknown,
    }
}

/// Split `path?query` as the HTTP side does.
pub(super) fn split(path: &str) -> (&str, Option<&str>) {
    match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    }
}
