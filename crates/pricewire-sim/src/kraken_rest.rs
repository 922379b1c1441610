//! Kraken's public REST routes as the simulator serves them: `AssetPairs` (the bundled
//! body, optionally filtered by `pair=`) and `Ticker` (v1-style letter keys, all strings,
//! from the same market the WebSocket side streams). Pure: no HTTP types, no scenarios.
//!
//! See docs: <https://docs.kraken.com/api/docs/rest-api/get-ticker-information>

use std::fmt::Write as _;

use chrono::{Timelike, Utc};
use rust_decimal::Decimal;

use super::kraken::{ASSET_PAIRS, Kraken, KrakenPair, js};
use super::market::{Market, Quote};
use super::venue::RestReply;

const UNKNOWN_PAIR: &str = "{\"error\":[\"EQuery:Unknown asset pair\"]}";

pub(super) fn route(
    k: &Kraken,
    path: &str,
    query: Option<&str>,
    market: &Market,
) -> Option<RestReply> {
    let pairs = query.and_then(|q| query_param(q, "pair"));
    let body = match path {
        "/0/public/AssetPairs" => asset_pairs(k, pairs.as_deref()),
        "/0/public/Ticker" => ticker(k, pairs.as_deref(), market),
        "/0/public/SystemStatus" => format!(
            "{{\"error\":[],\"result\":{{\"status\":\"online\",\"timestamp\":\"{}\"}}}}",
            Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        ),
        _ => return None,
    };
    Some(RestReply { status: 200, body })
}

/// The decoded value of `name` in a query string (`%2F` → `/`, `+` → space).
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    out.push(b);
                    i += 3;
                } else {
                    out.push(b'%');
                    i += 1;
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolve a client's pair name: REST key, altname, v1 wsname, or v2 name with or without
/// the slash, ignoring case, as Kraken's REST does.
fn find<'k>(k: &'k Kraken, name: &str) -> Option<(usize, &'k KrakenPair)> {
    let want = name.trim().to_ascii_uppercase();
    k.pairs.iter().enumerate().find(|(_, p)| {
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
        None => k.pairs.iter().enumerate().collect(),
    };
    // Fraction of the UTC day elapsed: "today" volume and trade counts are that share of
    // the 24 h figures, so today ≤ 24 h always holds.
    let now = Utc::now();
    let day_share = Decimal::from(now.num_seconds_from_midnight().max(1)) / Decimal::from(86_400);
    let mut body = String::from("{\"error\":[],\"result\":{");
    let mut first = true;
    for (pos, p) in found {
        // Dark-pool pairs are not streamed and have no market index.
        let Some(index) = k.streamable.iter().position(|&s| s == pos) else {
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

fn entry(q: &Quote, lot: u32, day_share: Decimal) -> String {
    let whole = |qty: Decimal| qty.trunc().normalize().to_string();
    let lot3 = |qty: Decimal| {
        let mut v = qty.round_dp(3);
        v.rescale(3);
        v
    };
    let mut today_vol = (q.volume * day_share).round_dp(lot);
    today_vol.rescale(lot);
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
    fn percent_decoding() {
        assert_eq!(percent_decode("BTC%2FUSD,ETH%2fUSD"), "BTC/USD,ETH/USD");
        assert_eq!(percent_decode("a+b%"), "a b%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(
            query_param("x=1&pair=XBTUSD", "pair").as_deref(),
            Some("XBTUSD")
        );
        assert_eq!(query_param("pairs=1", "pair"), None);
    }

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
