//! The "across venues" pane, shown only when the same market is quoted by several venues:
//! per symbol, the best bid and best ask over the venues whose quotes are fresh, where each
//! is, and the spread between venues (negative when the books cross). A quote from a feed
//! that is not live, or older than the stale threshold, never takes part: a dead venue's
//! last price is not an opportunity. Such quotes are named on the line with why they are
//! left out. A figure built on a simulated feed's quote says so (`◇ SIMULATED` after the
//! symbol, `◇` after each such venue), so a made-up spread never passes for a real one.
//! Pure; reads the snapshot only.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use rust_decimal::Decimal;

use super::format;
use super::prices::{self, Mark};
use super::status;
use super::theme::Theme;
use pricewire_core::model::ExchangeId;
use pricewire_core::store::{Row, RowState, Snapshot};
use pricewire_core::symbol::Symbol;

/// One venue's quote, whether it came from REST polling, and whether its feed is the
/// simulator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub price: Decimal,
    pub exchange: ExchangeId,
    pub polled: bool,
    pub simulated: bool,
}

/// Best fresh quotes for one symbol quoted by several venues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cross {
    pub symbol: Symbol,
    /// Venues whose quotes take part, in snapshot order.
    pub fresh: Vec<ExchangeId>,
    /// Best bid and best ask over the fresh quotes; `None` with fewer than two fresh
    /// venues, since one venue's own spread is not a figure across venues.
    pub best: Option<(Quote, Quote)>,
    /// Venues left out, with why and how old their quote is (`stale 37s`, `offline 3s`).
    pub excluded: Vec<(ExchangeId, String)>,
    pub decimals: Option<u32>,
}

impl Cross {
    /// Best ask minus best bid; negative when one venue bids above another's ask.
    pub fn spread(&self) -> Option<Decimal> {
        self.best.map(|(bid, ask)| ask.price - bid.price)
    }

    /// Whether the best bid or ask comes from a simulated feed.
    pub fn simulated(&self) -> bool {
        self.best.is_some_and(|(b, a)| b.simulated || a.simulated)
    }

    /// Whether a fresh bid is above a fresh ask elsewhere.
    pub fn crossed(&self) -> bool {
        self.spread()
            .is_some_and(|s| s.is_sign_negative() && !s.is_zero())
    }
}

/// Symbols with bid and ask on two or more venues, in symbol order. Only quotes whose
/// row is subscribed, whose feed is live and whose data is younger than `stale_after` take
/// part in the best bid/ask; the others are listed in [`Cross::excluded`].
pub fn crosses(snapshot: &Snapshot, stale_after: Duration, now: DateTime<Utc>) -> Vec<Cross> {
    // Keyed by symbol: one pass over the rows, whatever the watchlist's length.
    let mut by_symbol: BTreeMap<&Symbol, Cross> = BTreeMap::new();
    for row in &snapshot.rows {
        if !quoted(row) {
            continue;
        }
        let Some(t) = &row.ticker else { continue };
        let (Some(bid), Some(ask)) = (t.bid, t.ask) else {
            continue;
        };
        let cross = by_symbol.entry(&row.symbol).or_insert_with(|| Cross {
            symbol: row.symbol.clone(),
            fresh: Vec::new(),
            best: None,
            excluded: Vec::new(),
            decimals: None,
        });
        cross.decimals = cross.decimals.max(row.price_decimals);
        let feed = snapshot.feed(row.exchange);
        let mark = prices::mark(row, feed, stale_after, now);
        if !mark.is_fresh() {
            let age = format::age(t.received_ts, now);
            cross.excluded.push((row.exchange, mark.age_text(&age)));
            continue;
        }
        let quote = |price| Quote {
            price,
            exchange: row.exchange,
            polled: mark == Mark::Polled,
            simulated: feed.is_some_and(|f| f.simulated),
        };
        cross.fresh.push(row.exchange);
        let (b, a) = cross.best.get_or_insert((quote(bid), quote(ask)));
        if bid > b.price {
            *b = quote(bid);
        }
        if ask < a.price {
            *a = quote(ask);
        }
    }
    by_symbol
        .into_values()
        .filter(|c| c.fresh.len() + c.excluded.len() > 1)
        .map(|mut c| {
            if c.fresh.len() < 2 {
                c.best = None;
            }
            c
        })
        .collect()
}

/// Lines the pane would like (borders included), 0 when there is nothing to compare. The
/// same symbols as [`crosses`] lists, whatever their freshness.
pub fn height(snapshot: &Snapshot) -> u16 {
    let mut venues: BTreeMap<&Symbol, usize> = BTreeMap::new();
    for row in snapshot.rows.iter().filter(|r| quoted(r)) {
        *venues.entry(&row.symbol).or_default() += 1;
    }
    match venues.values().filter(|n| **n > 1).count() {
        0 => 0,
        n => u16::try_from(n.min(5)).unwrap_or(5) + 2,
    }
}

/// Whether a row has a bid and an ask to compare (fresh or not).
fn quoted(row: &Row) -> bool {
    !matches!(row.state, RowState::Invalid(_) | RowState::Pending)
        && row
            .ticker
            .as_ref()
            .is_some_and(|t| t.bid.is_some() && t.ask.is_some())
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    model: &crate::view::ViewModel,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let (snapshot, stale_after) = (model.snapshot, model.view.stale_after);
    let lines: Vec<Line<'static>> = crosses(snapshot, stale_after, now)
        .into_iter()
        .map(|c| format::fit(line(&c, theme), usize::from(area.width.saturating_sub(2))))
        .collect();
    let mut title = vec![Span::raw(" Across venues · best fresh bid/ask ")];
    if model.view.replay.is_some() {
        title.push(Span::styled(status::REPLAYED, theme.simulated));
        title.push(Span::raw(" "));
    }
    let block = Block::bordered()
        .title(Line::from(title))
        .border_style(theme.border);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// `BTC/USD   best bid 100.2 coinbase · best ask 100.3 kraken polled · spread 0.1 ·
/// binance stale 37s`; with a simulated quote in the figures,
/// `BTC/USD   ◇ SIMULATED best bid 100.2 coinbase ◇ · best ask 100.3 kraken · spread 0.1`.
pub fn line(c: &Cross, theme: &Theme) -> Line<'static> {
    let venue = |q: &Quote| {
        let polled = if q.polled { " polled" } else { "" };
        let mut spans = vec![Span::raw(format!("{}{polled}", q.exchange))];
        if q.simulated {
            spans.push(Span::styled(" ◇", theme.simulated));
        }
        spans
    };
    let mut spans = vec![Span::styled(
        format!("{:<10}", c.symbol.as_str()),
        theme.header,
    )];
    if let Some((bid, ask)) = c.best {
        let spread = ask.price - bid.price;
        if c.simulated() {
            // First, where the pane's width never cuts it off.
            spans.push(Span::styled(status::SIMULATED, theme.simulated));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::raw(format!(
            "best bid {} ",
            format::price(bid.price, c.decimals)
        )));
        spans.extend(venue(&bid));
        spans.push(Span::raw(format!(
            " · best ask {} ",
            format::price(ask.price, c.decimals)
        )));
        spans.extend(venue(&ask));
        spans.push(Span::raw(" · "));
        spans.push(if c.crossed() {
            Span::styled(
                format!("crossed by {}", format::price(-spread, c.decimals)),
                theme.up,
            )
        } else {
            Span::styled(
                format!("spread {}", format::price(spread, c.decimals)),
                theme.muted,
            )
        });
    } else {
        // Fewer than two fresh venues: no figure across venues.
        let text = match c.fresh.first() {
            None => "no fresh quotes".to_string(),
            Some(one) => format!("only {one} fresh"),
        };
        spans.push(Span::styled(text, theme.muted));
    }
    for (ex, why) in &c.excluded {
        spans.push(Span::styled(format!(" · {ex} {why}"), theme.stale));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use pricewire_core::model::{FeedStatus, Source, Ticker};
    use pricewire_core::store::{Store, StoreLimits};
    use std::sync::Arc;

    const STALE: Duration = Duration::from_secs(30);

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_100, 0).unwrap()
    }

    fn ago(secs: i64) -> DateTime<Utc> {
        now() - TimeDelta::seconds(secs)
    }

    fn feed(store: &Store, exchange: ExchangeId, status: FeedStatus) {
        store.add_feed(exchange, ago(100));
        store.transition(exchange, status, "", ago(50));
    }

    fn live(store: &Store, exchanges: &[ExchangeId]) {
        for ex in exchanges {
            feed(store, *ex, FeedStatus::Connected);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn quote_at(
        store: &Store,
        exchange: ExchangeId,
        symbol: &Symbol,
        bid: &str,
        ask: &str,
        age: i64,
        source: Source,
    ) {
        store.add_symbol(exchange, symbol, Some(2));
        let mut t = Ticker::empty(exchange, symbol.clone(), source, ago(age));
        t.bid = Some(bid.parse().unwrap());
        t.ask = Some(ask.parse().unwrap());
        t.last = t.bid;
        store.apply(t);
    }

    fn quote(store: &Store, exchange: ExchangeId, symbol: &Symbol, bid: &str, ask: &str) {
        quote_at(store, exchange, symbol, bid, ask, 1, Source::Stream);
    }

    /// BTC/USD quoted `kraken` (bid, ask) by a connected kraken, and by binance in
    /// `status`, its last quote (bid, ask, age in seconds, source) `binance`.
    fn kraken_and_binance(
        kraken: (&str, &str),
        status: FeedStatus,
        binance: (&str, &str, i64, Source),
    ) -> Arc<Store> {
        let store = Store::new(StoreLimits::default());
        let btc = Symbol::new("BTC", "USD");
        feed(&store, ExchangeId::Kraken, FeedStatus::Connected);
        feed(&store, ExchangeId::Binance, status);
        quote(&store, ExchangeId::Kraken, &btc, kraken.0, kraken.1);
        let (bid, ask, age, source) = binance;
        quote_at(&store, ExchangeId::Binance, &btc, bid, ask, age, source);
        store
    }

    fn text(c: &Cross) -> String {
        line(c, &Theme::default()).to_string()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn best_quotes_across_venues() {
        let store = Store::new(StoreLimits::default());
        live(
            &store,
            &[ExchangeId::Kraken, ExchangeId::Coinbase, ExchangeId::Okx],
        );
        let btc = Symbol::new("BTC", "USD");
        let eth = Symbol::new("ETH", "USD");
        quote(&store, ExchangeId::Kraken, &btc, "100.0", "100.4");
        quote(&store, ExchangeId::Coinbase, &btc, "100.2", "100.3");
        quote(&store, ExchangeId::Kraken, &eth, "10.0", "10.1");
        let snap = store.snapshot();
        let got = crosses(&snap, STALE, now());
        assert_eq!(got.len(), 1, "ETH/USD is on one venue only");
        let (bid, ask) = got[0].best.unwrap();
        assert_eq!(
            (bid.price, bid.exchange),
            (d("100.2"), ExchangeId::Coinbase)
        );
        assert_eq!(
            (ask.price, ask.exchange),
            (d("100.3"), ExchangeId::Coinbase)
        );
        assert_eq!(got[0].spread().unwrap().to_string(), "0.1");
        assert_eq!(got[0].fresh.len(), 2);

        quote(&store, ExchangeId::Okx, &btc, "100.5", "100.6");
        let c = &crosses(&store.snapshot(), STALE, now())[0];
        assert_eq!(c.best.unwrap().0.exchange, ExchangeId::Okx);
        assert_eq!(c.spread().unwrap().to_string(), "-0.2", "books cross");
        assert!(c.crossed());
        assert_eq!(height(&store.snapshot()), 3);

        // Several symbols on several venues: one entry each, in symbol order.
        let ada = Symbol::new("ADA", "USD");
        quote(&store, ExchangeId::Coinbase, &eth, "10.05", "10.2");
        quote(&store, ExchangeId::Okx, &ada, "0.5", "0.6");
        quote(&store, ExchangeId::Kraken, &ada, "0.51", "0.61");
        let got = crosses(&store.snapshot(), STALE, now());
        let order: Vec<(&str, usize)> = got
            .iter()
            .map(|c| (c.symbol.as_str(), c.fresh.len()))
            .collect();
        assert_eq!(order, [("ADA/USD", 2), ("BTC/USD", 3), ("ETH/USD", 2)]);
        assert_eq!(height(&store.snapshot()), 5);
    }

    #[test]
    fn offline_stale_venue_never_makes_a_cross() {
        // Binance's last quote, from before it went: its ask is far below kraken's bid.
        let store = kraken_and_binance(
            ("65112.00", "65112.60"),
            FeedStatus::Offline {
                next_try: now() + TimeDelta::seconds(20),
            },
            ("65001.00", "65001.18", 37, Source::Stream),
        );
        let snap = store.snapshot();
        let c = &crosses(&snap, STALE, now())[0];
        assert_eq!(
            c.best, None,
            "one fresh venue: no best bid/ask across venues"
        );
        assert!(!c.crossed());
        assert_eq!(c.fresh, [ExchangeId::Kraken]);
        assert_eq!(text(c), "BTC/USD   only kraken fresh · binance offline 37s");
        let l = line(c, &Theme::default());
        assert!(l.spans.iter().all(|s| s.style != Theme::default().up));
    }

    #[test]
    fn stale_quote_of_a_live_feed_is_left_out_too() {
        let store = Store::new(StoreLimits::default());
        let btc = Symbol::new("BTC", "USD");
        live(
            &store,
            &[ExchangeId::Kraken, ExchangeId::Binance, ExchangeId::Okx],
        );
        quote(&store, ExchangeId::Kraken, &btc, "100.00", "100.40");
        quote(&store, ExchangeId::Okx, &btc, "100.10", "100.30");
        quote_at(
            &store,
            ExchangeId::Binance,
            &btc,
            "101.00",
            "101.10",
            37,
            Source::Stream,
        );
        let c = &crosses(&store.snapshot(), STALE, now())[0];
        let (bid, ask) = c.best.unwrap();
        assert_eq!(
            (bid.exchange, ask.exchange),
            (ExchangeId::Okx, ExchangeId::Okx)
        );
        assert!(
            !c.crossed(),
            "the stale binance bid does not cross okx's ask"
        );
        assert_eq!(
            text(c),
            "BTC/USD   best bid 100.10 okx · best ask 100.30 okx · spread 0.20 · binance stale 37s"
        );
    }

    #[test]
    fn figures_from_a_simulated_quote_say_so() {
        let store = Store::new(StoreLimits::default());
        let btc = Symbol::new("BTC", "USD");
        live(&store, &[ExchangeId::Kraken, ExchangeId::Coinbase]);
        store.mark_simulated(ExchangeId::Kraken, ago(50));
        quote(&store, ExchangeId::Kraken, &btc, "100.00", "100.40");
        quote(&store, ExchangeId::Coinbase, &btc, "100.10", "100.50");
        let c = &crosses(&store.snapshot(), STALE, now())[0];
        assert!(c.simulated());
        assert_eq!(
            text(c),
            "BTC/USD   ◇ SIMULATED best bid 100.10 coinbase · best ask 100.40 kraken ◇ · spread 0.30"
        );
        let l = line(c, &Theme::default());
        let marked: Vec<&str> = l
            .spans
            .iter()
            .filter(|s| s.style == Theme::default().simulated)
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(marked, ["◇ SIMULATED", " ◇"]);

        // Both best quotes real again: the figure is not marked.
        quote(&store, ExchangeId::Coinbase, &btc, "100.10", "100.30");
        let c = &crosses(&store.snapshot(), STALE, now())[0];
        assert!(!c.simulated());
        assert_eq!(
            text(c),
            "BTC/USD   best bid 100.10 coinbase · best ask 100.30 coinbase · spread 0.20"
        );
    }

    #[test]
    fn fresh_polled_quote_crosses_and_says_polled() {
        let store = kraken_and_binance(
            ("100.00", "100.40"),
            FeedStatus::Fallback {
                next_ws_try: now() + TimeDelta::seconds(40),
            },
            ("100.50", "100.60", 3, Source::Rest),
        );
        let c = &crosses(&store.snapshot(), STALE, now())[0];
        assert!(c.crossed());
        assert!(c.best.unwrap().0.polled);
        assert_eq!(
            text(c),
            "BTC/USD   best bid 100.50 binance polled · best ask 100.40 kraken · crossed by 0.10"
        );
        let l = line(c, &Theme::default());
        assert!(l.spans.iter().any(|s| s.style == Theme::default().up));
    }
}
