//! Coinbase Advanced Trade's public REST routes as the simulator serves them: the products
//! list (all, or narrowed by repeated `product_ids=`), one product, and the server time. Each
//! product is its bundled static entry plus live market fields; an alias (`BTC-USDC`) reports
//! the book it shares, and a delisted product keeps empty numbers, as Coinbase's list does.
//! Pure: no HTTP types, no scenarios.
//!
//! See docs: <https://docs.cdp.coinbase.com/advanced-trade/reference/retailbrokerageapi_getpublicproducts>

use chrono::Utc;
use rust_decimal::Decimal;

use super::candles::history;
use super::coinbase::{Coinbase, CoinbaseProduct, percent};
use super::market::Market;
use super::query::{query_pairs, query_value};
use super::venue::{RestReply, RestRoutes};
use super::wire::{fixed, plain};

const LIST: &str = "/api/v3/brokerage/market/products";

impl RestRoutes for Coinbase {
    fn rest(&self, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
        route(self, path, query, market)
    }

    fn rest_error(&self, status: u16) -> String {
        match status {
            429 => "{\"error\":\"RATE_LIMIT_EXCEEDED\",\"error_details\":\"Too many requests\",\"message\":\"Too many requests\"}".to_string(),
            _ => "{\"error\":\"INTERNAL\",\"error_details\":\"internal error\",\"message\":\"internal error\"}".to_string(),
        }
    }
}

fn route(c: &Coinbase, path: &str, query: Option<&str>, market: &Market) -> Option<RestReply> {
    if path == "/api/v3/brokerage/time" {
        let now = Utc::now();
        return Some(RestReply {
            status: 200,
            body: format!(
                "{{\"iso\":\"{}\",\"epochSeconds\":\"{}\",\"epochMillis\":\"{}\"}}",
                now.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                now.timestamp(),
                now.timestamp_millis()
            ),
        });
    }
    if path == LIST || path == "/api/v3/brokerage/market/products/" {
        let ids: Vec<String> = query_pairs(query)
            .into_iter()
            .filter_map(|(k, v)| (k == "product_ids").then_some(v))
            .collect();
        // Unknown ids are left out, not an error.
        let chosen: Vec<&CoinbaseProduct> = if ids.is_empty() {
            c.listing.entries().iter().collect()
        } else {
            ids.iter()
                .filter_map(|id| c.listing.entries().iter().find(|p| &p.id == id))
                .collect()
        };
        let entries: Vec<String> = chosen.iter().map(|p| product(c, p, market)).collect();
        return Some(RestReply {
            status: 200,
            body: format!(
                "{{\"products\":[{}], \"num_products\":{}}}",
                entries.join(", "),
                entries.len()
            ),
        });
    }
    let id = path.strip_prefix("/api/v3/brokerage/market/products/")?;
    if let Some(id) = id.strip_suffix("/candles") {
        return Some(candles(c, id, query, market));
    }
    Some(match c.listing.entries().iter().find(|p| p.id == id) {
        Some(p) => RestReply {
            status: 200,
            body: product(c, p, market),
        },
        None => RestReply {
            status: 404,
            body: "{\"error\":\"NOT_FOUND\",\"error_details\":\"ProductID is invalid\",\"message\":\"ProductID is invalid\"}".to_string(),
        },
    })
}

/// The static entry with the live fields around it, separated by `", "` as Coinbase does.
fn product(c: &Coinbase, p: &CoinbaseProduct, market: &Market) -> String {
    let quote = c.index_of(&p.id).and_then(|i| market.quote(i));
    let (live_head, live_tail) = match quote {
        Some(q) => {
            let quote_volume = fixed(q.volume * q.vwap, 2);
            (
                format!(
                    "\"price\":\"{}\", \"price_percentage_change_24h\":\"{}\", \"volume_24h\":\"{}\", \"volume_percentage_change_24h\":\"{}\"",
                    plain(q.last),
                    percent(&q),
                    plain(q.volume),
                    plain(fixed(Decimal::from(q.trades % 2_000) / Decimal::ONE_HUNDRED, 2))
                ),
                format!(
                    "\"mid_market_price\":\"\", \"approximate_quote_24h_volume\":\"{quote_volume}\", \"best_bid_price\":\"\", \"best_ask_price\":\"\", \"high_24h\":\"{}\", \"low_24h\":\"{}\"",
                    plain(q.high),
                    plain(q.low)
                ),
            )
        }
        None => (
            "\"price\":\"\", \"price_percentage_change_24h\":\"\", \"volume_24h\":\"\", \"volume_percentage_change_24h\":\"\"".to_string(),
            "\"mid_market_price\":\"\", \"approximate_quote_24h_volume\":\"0\", \"best_bid_price\":\"\", \"best_ask_price\":\"\", \"high_24h\":\"\", \"low_24h\":\"\"".to_string(),
        ),
    };
    // raw = {"product_id":"X", <static fields>}
    let head = format!("{{\"product_id\":\"{}\", ", p.id);
    let rest = p
        .raw
        .strip_prefix(&head)
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or_default();
    format!("{head}{live_head}, {rest}, {live_tail}}}")
}

/// `candles`: `granularity` candles from `start` to `end` (seconds; at most 350), newest
/// first, every field a string. See docs:
/// <https://docs.cdp.coinbase.com/api-reference/advanced-trade-api/rest-api/public/get-public-product-candles>
fn candles(c: &Coinbase, id: &str, query: Option<&str>, market: &Market) -> RestReply {
    let fail = |status: u16, error: &str, message: &str| RestReply {
        status,
        body: format!(
            "{{\"error\":\"{error}\",\"error_details\":\"{message}\",\"message\":\"{message}\"}}"
        ),
    };
    let Some(index) = c.index_of(id) else {
        return fail(404, "NOT_FOUND", "ProductID is invalid");
    };
    let step = match query_value(query, "granularity").as_deref() {
        Some("ONE_MINUTE") => 60,
        Some("FIVE_MINUTE") => 300,
        Some("FIFTEEN_MINUTE") => 900,
        Some("ONE_HOUR") => 3600,
        Some("ONE_DAY") => 86_400,
        _ => return fail(400, "INVALID_ARGUMENT", "granularity is invalid"),
    };
    let secs = |name: &str| query_value(query, name).and_then(|v| v.parse::<i64>().ok());
    let now = Utc::now().timestamp();
    let (Some(start), end) = (secs("start"), secs("end").unwrap_or(now).min(now)) else {
        return fail(400, "INVALID_ARGUMENT", "start is required");
    };
    let count = (end - start) / step + 1;
    if !(1..=350).contains(&count) {
        return fail(
            400,
            "INVALID_ARGUMENT",
            "number of candles requested should be less than 350",
        );
    }
    let rows: Vec<String> = history(market, index, step, 350, end)
        .iter()
        .rev()
        .filter(|k| k.open_time > start - step)
        .map(|k| {
            format!(
                "{{\"start\":\"{}\",\"low\":\"{}\",\"high\":\"{}\",\"open\":\"{}\",\"close\":\"{}\",\"volume\":\"{}\"}}",
                k.open_time,
                plain(k.low),
                plain(k.high),
                plain(k.open),
                plain(k.close),
                plain(k.volume)
            )
        })
        .collect();
    RestReply {
        status: 200,
        body: format!("{{\"candles\":[{}]}}", rows.join(",")),
    }
}
