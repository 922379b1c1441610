//! Kraken's public REST routes as the simulator serves them: `AssetPairs` (the bundled
//! body, optionally filtered by `pair=`) and `Ticker` (v1-style letter keys, all strings,
//! from the same market the WebSocket side streams). Pure: no HTTP types, no scenarios.
//!
//! See docs: <https://docs.kraken.com/api/docs/rest-api/get-ticker-information>

use std::fmt::Write as _;

use chrono::{Timelike, Utc};
use rust_decimal::Decimal;

use super::candles::history;
use super::kraken::{ASSET_PAIRS, Kraken, KrakenPair};
use super::market::{Market, Quote};
use super::query::query_value;
use super::venue::{RestReply, RestRoutes};
use super::wire::{fixed, js};

const UNKNOWN_PAIR: &str = "{\"error\":[\"EQuery:Unknown asset pair\"]}";

impl RestRoutes for Kraken {
    fn rest(&self, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
        route(self, path, query, market)
    }

    fn rest_error(&self, status: u16) -> String {
        match status {
            429 => "{\"error\":[\"EGeneral:Too many requests\"]}".to_string(),
            _ => "{\"error\":[\"EService:Unavailable\"]}".to_string(),
        }
    }
}

fn route(k: &Kraken, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
    let pairs = query_value(query, "pair");
    let body = match path {
        "/0/public/AssetPairs" => asset_pairs(k, pairs.as_deref()),
        "/0/public/Ticker" => ticker(k, pairs.as_deref(), market),
        "/0/public/OHLC" => ohlc(k, query, market),
        "/0/public/SystemStatus" => format!(
            "{{\"error\":[],\"result\":{{\"status\":\"online\",\"timestamp\":\"{}\"}}}}",
            Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        ),
        _ => return None,
    };
    Some(RestReply { status: 200, body })
}

/// Resolve a client's pair name: REST key, altname, v1 wsname, or v2 name with or without
/// the slash, ignoring case, as Kraken's REST does.
fn find<'k>(k: &'k Kraken, name: &str) -> Option<(usize, &'k KrakenPair)> {
    let want = name.trim().to_ascii_uppercase();
    k.listing.entries().iter().enumerate().find(|(_, p)| {
        let names = [
            Some(p.key.as_str()),
            Some(p.altname.as_str()),
            p.wsname.as_deref(),
            p.v2.as_deref(),
        ];
        names
            .into_iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(&want))
            || p.v2
                .as_deref()
                .is_some_and(|v2| v2.replace('/', "") == want)
    })
}

/// Names from `pair=`: resolved entries in request order, duplicates dropped; `None` when
/// any name is unknown (Kraken fails the whole request).
fn resolve<'k>(k: &'k Kraken, list: &str) -> Option<Vec<(usize, &'k KrakenPair)>> {
    let mut out: Vec<(usize, &KrakenPair)> = Vec::new();
    for name in list.split(',').filter(|n| !n.trim().is_empty()) {
        let found = find(k, name)?;
        if !out.iter().any(|(i, _)| *i == found.0) {
            out.push(found);
        }
    }
    (!out.is_empty()).then_some(out)
}

fn asset_pairs(k: &Kraken, pairs: Option<&str>) -> String {
    let Some(list) = pairs else {
        return ASSET_PAIRS.trim_end().to_string();
    };
    let Some(found) = resolve(k, list) else {
        return UNKNOWN_PAIR.to_string();
    };
    let mut body = String::from("{\"error\":[],\"result\":{");
    for (n, (_, p)) in found.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        let _ = write!(body, "{}:{}", js(&p.key), p.raw);
    }
    body.push_str("}}");
    body
}

fn ticker(k: &Kraken, pairs: Option<&str>, market: &Market) -> String {
    let found: Vec<(usize, &KrakenPair)> = match pairs {
        Some(list) => match resolve(k, list) {
            Some(found) => found,
            None => return UNKNOWN_PAIR.to_string(),
        },
        None => k.listing.entries().iter().enumerate().collect(),
    };
    // Fraction of the UTC day elapsed: "today" volume and trade counts are that share of
    // the 24 h figures, so today ≤ 24 h always holds.
    let now = Utc::now();
    let day_share = Decimal::from(now.num_seconds_from_midnight().max(1)) / Decimal::from(86_400);
    let mut body = String::from("{\"error\":[],\"result\":{");
    let mut first = true;
    for (pos, p) in found {
        // Dark-pool pairs are not streamed and have no market index.
        let Some(index) = k.listing.index_of_entry(pos) else {
            if pairs.is_some() {
                return UNKNOWN_PAIR.to_string();
            }
            continue;
        };
        let Some(q) = market.quote(index) else {
            continue;
        };
        if !first {
            body.push(',');
        }
        first = false;
        let _ = write!(
            body,
            "{}:{}",
            js(&p.key),
            entry(&q, p.lot_decimals, day_share)
        );
    }
    body.push_str("}}");
    body
}

/// `OHLC`: the pair's candles since `since` (at most 720), oldest first, the last one the
/// interval still open, under the pair's canonical key beside `last`, the newest committed
/// open time. See docs: <https://docs.kraken.com/api/docs/rest-api/get-ohlc-data>
fn ohlc(k: &Kraken, query: Option<&str>, market: &Market) -> String {
    let Some(name) = query_value(query, "pair") else {
        return "{\"error\":[\"EGeneral:Invalid arguments\"]}".to_string();
    };
    let Some((pos, p)) = find(k, &name) else {
        return UNKNOWN_PAIR.to_string();
    };
    let Some(index) = k.listing.index_of_entry(pos) else {
        return UNKNOWN_PAIR.to_string();
    };
    let minutes: i64 = query_value(query, "interval")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    if minutes < 1 {
        return "{\"error\":[\"EGeneral:Invalid arguments\"]}".to_string();
    }
    let step = minutes * 60;
    let now = Utc::now().timestamp();
    let count = query_value(query, "since")
        .and_then(|v| v.parse::<i64>().ok())
        .map_or(720, |since| ((now - since) / step + 1).clamp(1, 720));
    let candles = history(
        market,
        index,
        step,
        usize::try_from(count).unwrap_or(720),
        now,
    );
    let dp = p.price_decimals;
    let mut body = format!("{{\"error\":[],\"result\":{{{}:[", js(&p.key));
    for (n, c) in candles.iter().enumerate() {
        if n > 0 {
            body.push(',');
        }
        let vwap = fixed((c.high + c.low) / Decimal::TWO, dp);
        let _ = write!(
            body,
            "[{},\"{}\",\"{}\",\"{}\",\"{}\",\"{vwap}\",\"{}\",{}]",
            c.open_time,
            c.open,
            c.high,
            c.low,
            c.close,
            c.volume,
            1 + c.open_time.rem_euclid(97)
        );
    }
    let committed = candles.iter().rev().nth(1).map_or(now, |c| c.open_time);
    let _ = write!(body, "],\"last\":{committed}}}}}");
    body
}

fn entry(q: &Quote, lot: u32, day_share: Decimal) -> String {
    let whole = |qty: Decimal| qty.trunc().normalize().to_string();
    let lot3 = |qty: Decimal| fixed(qty, 3);
    let today_vol = fixed(q.volume * day_share, lot);
    let today_trades = (Decimal::from(q.trades) * day_share).trunc().normalize();
    format!(
        "{{\"a\":[\"{}\",\"{}\",\"{}\"],\"b\":[\"{}\",\"{}\",\"{}\"],\"c\":[\"{}\",\"{}\"],\"v\":[\"{today_vol}\",\"{}\"],\"p\":[\"{}\",\"{}\"],\"t\":[{today_trades},{}],\"l\":[\"{}\",\"{}\"],\"h\":[\"{}\",\"{}\"],\"o\":\"{}\"}}",
        q.ask,
        whole(q.ask_qty),
        lot3(q.ask_qty),
        q.bid,
        whole(q.bid_qty),
        lot3(q.bid_qty),
        q.last,
        q.last_qty,
        q.volume,
        q.vwap,
        q.vwap,
        q.trades,
        q.low,
        q.low,
        q.high,
        q.high,
        q.open
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_like_kraken_rest() {
        let k = Kraken::new().unwrap();
        for name in [
            "XXBTZUSD", "XBTUSD", "xbtusd", "XBT/USD", "BTC/USD", "BTCUSD",
        ] {
            assert_eq!(
                find(&k, name).map(|(_, p)| p.key.as_str()),
                Some("XXBTZUSD"),
                "{name}"
            );
        }
        assert_eq!(
            find(&k, "DOGEUSD").map(|(_, p)| p.key.as_str()),
            Some("XDGUSD")
        );
        assert_eq!(
            find(&k, "XBTUSD.d").map(|(_, p)| p.key.as_str()),
            Some("XXBTZUSD.d")
        );
        assert!(find(&k, "NOPEUSD").is_none());
        assert!(resolve(&k, "XBTUSD,NOPE").is_none());
        assert_eq!(
            resolve(&k, "XBTUSD,XXBTZUSD,ETHUSD").map(|v| v.len()),
            Some(2)
        );
    }
}
