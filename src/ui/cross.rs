//! The "across venues" pane, shown only when the same market streams from several venues:
//! per symbol, the best bid and best ask over all of them, where each is, and the spread
//! between venues (negative when the books cross). Pure; reads the snapshot only.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use rust_decimal::Decimal;

use super::format;
use super::theme::Theme;
use crate::model::ExchangeId;
use crate::store::{RowState, Snapshot};
use crate::symbol::Symbol;

/// Best quotes for one symbol over every venue streaming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cross {
    pub symbol: Symbol,
    pub venues: usize,
    pub best_bid: (Decimal, ExchangeId),
    pub best_ask: (Decimal, ExchangeId),
    pub decimals: Option<u32>,
}

impl Cross {
    /// Best ask minus best bid; negative when one venue bids above another's ask.
    pub fn spread(&self) -> Decimal {
        self.best_ask.0 - self.best_bid.0
    }
}

/// Symbols with live bid and ask on two or more venues, in symbol order.
pub fn crosses(snapshot: &Snapshot) -> Vec<Cross> {
    // Keyed by symbol: one pass over the rows, whatever the watchlist's length.
    let mut by_symbol: BTreeMap<&Symbol, Cross> = BTreeMap::new();
    for row in &snapshot.rows {
        if !matches!(row.state, RowState::Subscribed) {
            continue;
        }
        let Some(t) = &row.ticker else { continue };
        let (Some(bid), Some(ask)) = (t.bid, t.ask) else {
            continue;
        };
        by_symbol
            .entry(&row.symbol)
            .and_modify(|c| {
                c.venues += 1;
                if bid > c.best_bid.0 {
                    c.best_bid = (bid, row.exchange);
                }
                if ask < c.best_ask.0 {
                    c.best_ask = (ask, row.exchange);
                }
                c.decimals = c.decimals.max(row.price_decimals);
            })
            .or_insert_with(|| Cross {
                symbol: row.symbol.clone(),
                venues: 1,
                best_bid: (bid, row.exchange),
                best_ask: (ask, row.exchange),
                decimals: row.price_decimals,
            });
    }
    by_symbol.into_values().filter(|c| c.venues > 1).collect()
}

/// Lines the pane needs (borders included), 0 when there is nothing to compare.
pub fn height(snapshot: &Snapshot) -> u16 {
    match crosses(snapshot).len() {
        0 => 0,
        n => u16::try_from(n.min(5)).unwrap_or(5) + 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, snapshot: &Snapshot, theme: &Theme) {
    let lines: Vec<Line<'static>> = crosses(snapshot)
        .into_iter()
        .map(|c| {
            let spread = c.spread();
            let spread_style = if spread.is_sign_negative() && !spread.is_zero() {
                theme.up
            } else {
                theme.dim
            };
            let line = Line::from(vec![
                Span::styled(format!("{:<10}", c.symbol.as_str()), theme.header),
                Span::raw(format!(
                    "best bid {} {}  ·  best ask {} {}  ·  ",
                    format::price(c.best_bid.0, c.decimals),
                    c.best_bid.1,
                    format::price(c.best_ask.0, c.decimals),
                    c.best_ask.1,
                )),
                Span::styled(
                    if spread.is_sign_negative() && !spread.is_zero() {
                        format!("crossed by {}", format::price(-spread, c.decimals))
                    } else {
                        format!("spread {}", format::price(spread, c.decimals))
                    },
                    spread_style,
                ),
                Span::styled(format!("  ·  {} venues", c.venues), theme.dim),
            ]);
            format::fit(line, usize::from(area.width.saturating_sub(2)))
        })
        .collect();
    let block = Block::bordered()
        .title(" Across venues · best bid/ask ")
        .border_style(theme.border);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Source, Ticker};
    use crate::store::{Store, StoreLimits};
    use chrono::DateTime;

    fn quote(store: &Store, exchange: ExchangeId, symbol: &Symbol, bid: &str, ask: &str) {
        store.add_symbol(exchange, symbol, Some(1));
        let mut t = Ticker::empty(
            exchange,
            symbol.clone(),
            Source::Stream,
            DateTime::UNIX_EPOCH,
        );
        t.bid = Some(bid.parse().unwrap());
        t.ask = Some(ask.parse().unwrap());
        t.last = t.bid;
        store.apply(t);
    }

    #[test]
    fn best_quotes_across_venues() {
        let store = Store::new(StoreLimits::default());
        let btc = Symbol::new("BTC", "USD");
        let eth = Symbol::new("ETH", "USD");
        quote(&store, ExchangeId::Kraken, &btc, "100.0", "100.4");
        quote(&store, ExchangeId::Coinbase, &btc, "100.2", "100.3");
        quote(&store, ExchangeId::Kraken, &eth, "10.0", "10.1");
        let got = crosses(&store.snapshot());
        assert_eq!(got.len(), 1, "ETH/USD is on one venue only");
        let c = &got[0];
        assert_eq!(c.best_bid, ("100.2".parse().unwrap(), ExchangeId::Coinbase));
        assert_eq!(c.best_ask, ("100.3".parse().unwrap(), ExchangeId::Coinbase));
        assert_eq!(c.spread().to_string(), "0.1");
        assert_eq!(c.venues, 2);

        quote(&store, ExchangeId::Okx, &btc, "100.5", "100.6");
        let c = &crosses(&store.snapshot())[0];
        assert_eq!(c.best_bid.1, ExchangeId::Okx);
        assert_eq!(c.spread().to_string(), "-0.2", "books cross across venues");
        assert_eq!(height(&store.snapshot()), 3);

        // Several symbols on several venues: one entry each, in symbol order.
        let ada = Symbol::new("ADA", "USD");
        quote(&store, ExchangeId::Coinbase, &eth, "10.05", "10.2");
        quote(&store, ExchangeId::Okx, &ada, "0.5", "0.6");
        quote(&store, ExchangeId::Kraken, &ada, "0.51", "0.61");
        let got = crosses(&store.snapshot());
        let order: Vec<(&str, usize)> = got.iter().map(|c| (c.symbol.as_str(), c.venues)).collect();
        assert_eq!(order, [("ADA/USD", 2), ("BTC/USD", 3), ("ETH/USD", 2)]);
        assert_eq!(height(&store.snapshot()), 5);
    }
}
