//! REST: the venue's pair list (for validation) and the ticker poller used while the
//! WebSocket is down. Writes polled tickers to the store marked `Source::Rest`, and marks
//! the feed simulated when a reply announces the simulator.

use std::time::Duration;

use super::FeedCtx;
use super::net::{self, NetError};
use super::subs::Subs;
use chrono::{DateTime, Utc};

use crate::candle::{Candle, ChartWindow, normalise};
use crate::model::{Source, Ticker};
use crate::record::{Record, RestWhat};
use crate::symbol::{PairList, Symbol};

/// Largest REST body read (Kraken's full pair list is ~200 kB; Binance's a few MB).
const MAX_BODY: usize = 16 << 20;

/// A REST failure, with the wait the venue asked for (HTTP 429 `Retry-After`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    pub reason: String,
    pub retry_after: Option<Duration>,
}

impl From<NetError> for RestError {
    fn from(e: NetError) -> Self {
        let retry_after = match &e {
            NetError::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        RestError {
            reason: format!("REST: {e}"),
            retry_after,
        }
    }
}

/// One request; the body with the time it had arrived (a polled ticker's receive time).
async fn request(
    ctx: &FeedCtx,
    method: hyper::Method,
    path: &str,
    what: RestWhat,
) -> Result<(String, DateTime<Utc>), RestError> {
    let url = format!("{}{path}", ctx.rest_url.trim_end_matches('/'));
    let timeout = ctx.cfg.rest_timeout;
    ctx.budget.turn().await;
    let reply = net::http(ctx.connector.as_ref(), method, &url, MAX_BODY, timeout).await?;
    let at = (ctx.clock)();
    if let Some(after) = reply.retry_after.filter(|_| reply.status != 200) {
        ctx.budget.hold(tokio::time::Instant::now() + after);
    }
    // Whatever the status: a refusal from the simulator is still the simulator.
    if reply.simulated {
        ctx.store.mark_simulated(ctx.exchange.id(), at);
    }
    if let Some(tap) = ctx.store.recorder() {
        tap.put(|| Record::Rest {
            exchange: ctx.exchange.id(),
            at,
            what,
            path: path.to_string(),
            status: reply.status,
            body: reply.body.clone(),
        });
    }
    if reply.status == 200 {
        Ok((reply.body, at))
    } else {
        Err(NetError::Status {
            status: reply.status,
            retry_after: reply.retry_after,
        }
        .into())
    }
}

/// POST with an empty body (KuCoin's WebSocket token).
pub async fn post(ctx: &FeedCtx, path: &str) -> Result<String, RestError> {
    Ok(request(ctx, hyper::Method::POST, path, RestWhat::Token)
        .await?
        .0)
}

/// Fetch and parse the venue's market list.
pub async fn fetch_pairs(ctx: &FeedCtx) -> Result<PairList, RestError> {
    let path = ctx.exchange.pair_list_path();
    let (body, _) = request(ctx, hyper::Method::GET, path, RestWhat::Pairs).await?;
    parse_pairs(ctx, &body)
}

/// The market list in a pair-list body.
pub(crate) fn parse_pairs(ctx: &FeedCtx, body: &str) -> Result<PairList, RestError> {
    ctx.exchange.parse_pair_list(body).map_err(|e| RestError {
        reason: format!("pair list: {e}"),
        retry_after: None,
    })
}

/// Poll tickers for every wanted symbol once and apply them. Returns how many arrived.
pub async fn poll(ctx: &FeedCtx, subs: &Subs) -> Result<usize, RestError> {
    let rests = subs.rests();
    let refs: Vec<&str> = rests.iter().map(String::as_str).collect();
    poll_some(ctx, subs, &refs).await
}

/// Poll REST tickers for some of `subs`, by their REST names.
pub async fn poll_some(ctx: &FeedCtx, subs: &Subs, refs: &[&str]) -> Result<usize, RestError> {
    let exchange = ctx.exchange.id();
    if refs.is_empty() {
        return Ok(0);
    }
    // Names were guessed by the venue's naming rules when the pair list failed at start;
    // the reply may key tickers differently (Kraken: `XXBTZUSD` for `XBTUSD`), so the
    // list is fetched again to map them.
    let missing = ctx
        .pairs
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .is_none();
    if missing {
        match fetch_pairs(ctx).await {
            Ok(list) => {
                *ctx.pairs
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(list);
            }
            // Told to wait (429): no second request now.
            Err(e) if e.retry_after.is_some() => return Err(e),
            Err(_) => {}
        }
    }
    let mut applied = 0;
    for path in ctx.exchange.rest_ticker_paths(refs) {
        let (body, now) = request(ctx, hyper::Method::GET, &path, RestWhat::Poll).await?;
        let resolved = polled_tickers(ctx, subs, &body, now)?;
        applied += resolved.len();
        ctx.store.apply_all(resolved);
    }
    ctx.store.with_counters(exchange, |c| {
        c.rest_polls += 1;
        c.last_poll_at = Some((ctx.clock)());
    });
    Ok(applied)
}

/// The wanted symbols' tickers in a REST ticker body that arrived at `now`.
pub(crate) fn polled_tickers(
    ctx: &FeedCtx,
    subs: &Subs,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Ticker>, RestError> {
    let exchange = ctx.exchange.id();
    let tickers = ctx
        .exchange
        .parse_rest_ticker(body)
        .map_err(|e| RestError {
            reason: format!("REST ticker: {e}"),
            retry_after: None,
        })?;
    Ok(tickers
        .into_iter()
        .filter_map(|w| {
            let symbol = subs
                .by_rest(&w.symbol)
                .or_else(|| subs.by_wire(&w.symbol))
                .cloned()
                .or_else(|| listed(ctx, subs, &w.symbol))?;
            let decimals = subs.price_decimals(&symbol);
            Some(w.into_ticker(exchange, symbol, decimals, Source::Rest, now))
        })
        .collect())
}

/// A wanted symbol the pair list knows under `name`.
fn listed(ctx: &FeedCtx, subs: &Subs, name: &str) -> Option<crate::symbol::Symbol> {
    let guard = ctx
        .pairs
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let symbol = guard.as_ref()?.resolve(name).ok()?.symbol.clone();
    subs.iter().any(|(s, _)| *s == symbol).then_some(symbol)
}

/// Fetch `window`'s candles of `symbol` from the venue's public REST (under the feed's
/// budget, like every other request) and bring them to one shape ([`normalise`]). The
/// one-minute candles of the hour window also fill the row's trend before its first live
/// price, so a sparkline is not empty for its first minutes.
pub async fn candles(
    ctx: &FeedCtx,
    symbol: &Symbol,
    window: ChartWindow,
) -> Result<Vec<Candle>, RestError> {
    let rest = super::instrument(ctx, symbol).rest;
    let failed = |reason: String| RestError {
        reason,
        retry_after: None,
    };
    let path = ctx
        .exchange
        .candles_path(&rest, window, (ctx.clock)())
        .ok_or_else(|| failed(format!("{} has no public candles", ctx.exchange.id())))?;
    let (body, _) = request(ctx, hyper::Method::GET, &path, RestWhat::Candles).await?;
    let wire = ctx
        .exchange
        .parse_candles(&body)
        .map_err(|e| failed(format!("candles: {e}")))?;
    let now = (ctx.clock)();
    let candles = normalise(wire, window, now);
    if window == ChartWindow::Hour {
        ctx.store
            .seed_trend(ctx.exchange.id(), symbol, &candles, window.interval(), now);
    }
    Ok(candles)
}
