//! The user's holdings valued on one frame's rows, worked out once per frame for the table
//! (its holdings columns and their sort) and its total lines. The arithmetic and its rules
//! (mark price, lots, where a holding is valued, totals per quote) are the engine's
//! ([`pricewire_core::holdings`]); this only adds up what lands on the same row and
//! remembers which rows each total comes from, so the screen can mark a total whose
//! prices are stale or simulated.

use rust_decimal::Decimal;

use pricewire_core::holdings::{self, Holding, MarkKind, Total, Valuation};
use pricewire_core::store::Snapshot;

/// What the holdings valued on one row come to (several holdings of one market add up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowHolding {
    /// Base-currency amount.
    pub amount: Decimal,
    /// Amount × mark price, in the quote currency.
    pub value: Decimal,
    /// Profit or loss of the lots; `None` without lots.
    pub pnl: Option<Decimal>,
    /// P&L as a percent of the lots' cost.
    pub pnl_pct: Option<Decimal>,
    /// Valued at the mid of bid and ask (the last trade was stale or missing).
    pub mid: bool,
    /// Part of the amount has no cost basis: P&L covers the rest only.
    pub partial: bool,
}

/// One quote currency's total and the rows it adds up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteTotal {
    pub total: Total,
    /// Indexes into the snapshot's rows.
    pub rows: Vec<usize>,
}

/// See the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Valued {
    per_row: Vec<Option<RowHolding>>,
    /// One line per quote currency, in alphabetical order.
    pub totals: Vec<QuoteTotal>,
}

impl Valued {
    /// `holdings` valued on `snapshot`'s rows.
    pub fn new(holdings: &[Holding], snapshot: &Snapshot) -> Valued {
        if holdings.is_empty() {
            return Valued::default();
        }
        let places = holdings::placements(holdings, snapshot);
        let mut per_row: Vec<Option<RowHolding>> = vec![None; snapshot.rows.len()];
        let mut costs: Vec<Option<Decimal>> = vec![None; snapshot.rows.len()];
        let mut valuations: Vec<Option<Valuation>> = Vec::with_capacity(holdings.len());
        for (h, place) in holdings.iter().zip(&places) {
            let valued = place.and_then(|i| {
                let mark = snapshot.rows[i].ticker.as_ref().and_then(holdings::mark)?;
                Some((i, holdings::value(h, mark)))
            });
            if let Some((i, v)) = &valued {
                let slot = per_row[*i].get_or_insert(RowHolding {
                    amount: Decimal::ZERO,
                    value: Decimal::ZERO,
                    pnl: None,
                    pnl_pct: None,
                    mid: false,
                    partial: false,
                });
                slot.amount += h.amount;
                slot.value += v.value;
                slot.mid |= v.mark.kind == MarkKind::Mid;
                slot.partial |= v.partial() || (v.cost.is_none() && slot.pnl.is_some());
                if let (Some(p), Some(c)) = (v.pnl, v.cost) {
                    slot.pnl = Some(slot.pnl.unwrap_or_default() + p);
                    costs[*i] = Some(costs[*i].unwrap_or_default() + c);
                } else if slot.pnl.is_some() {
                    slot.partial = true;
                }
            }
            valuations.push(valued.map(|(_, v)| v));
        }
        for (slot, cost) in per_row.iter_mut().zip(&costs) {
            if let (Some(slot), Some(cost)) = (slot, cost) {
                slot.pnl_pct = (!cost.is_zero())
                    .then(|| slot.pnl.and_then(|p| p.checked_div(*cost)))
                    .flatten()
                    .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED));
            }
        }
        let totals = holdings::totals(holdings.iter().zip(valuations.iter().map(Option::as_ref)))
            .into_iter()
            .map(|total| {
                let rows = holdings
                    .iter()
                    .zip(&places)
                    .filter(|(h, _)| h.symbol.quote() == total.quote)
                    .filter_map(|(_, p)| *p)
                    .collect();
                QuoteTotal { total, rows }
            })
            .collect();
        Valued { per_row, totals }
    }

    /// What is held on the snapshot's row `i`.
    pub fn row(&self, i: usize) -> Option<&RowHolding> {
        self.per_row.get(i)?.as_ref()
    }

    /// Whether nothing is held anywhere.
    pub fn is_empty(&self) -> bool {
        self.totals.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use pricewire_core::holdings::Lot;
    use pricewire_core::model::{ExchangeId, FeedStatus, Source, Ticker};
    use pricewire_core::store::{Store, StoreLimits};
    use pricewire_core::symbol::Symbol;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn holdings_of_one_market_add_up_on_its_row() {
        let store = Store::new(StoreLimits::default());
        let t0 = DateTime::UNIX_EPOCH;
        store.add_feed(ExchangeId::Kraken, t0);
        store.transition(ExchangeId::Kraken, FeedStatus::Connected, "", t0);
        let btc = Symbol::new("BTC", "USD");
        store.add_symbol(ExchangeId::Kraken, &btc, Some(1));
        let mut t = Ticker::empty(ExchangeId::Kraken, btc.clone(), Source::Stream, t0);
        t.last = Some(d("200"));
        store.apply(t);
        let lot = |a: &str, p: &str| Lot {
            amount: d(a),
            price: d(p),
        };
        let holdings = [
            Holding::new(btc.clone(), None, None, vec![lot("1", "100")]).unwrap(),
            Holding::new(
                btc.clone(),
                Some(ExchangeId::Kraken),
                Some(d("0.5")),
                vec![],
            )
            .unwrap(),
            Holding::new(Symbol::new("ETH", "USD"), None, Some(d("2")), vec![]).unwrap(),
        ];
        let v = Valued::new(&holdings, &store.snapshot());
        let row = v.row(0).unwrap();
        assert_eq!(row.amount, d("1.5"));
        assert_eq!(row.value, d("300"));
        assert_eq!(row.pnl, Some(d("100")));
        assert_eq!(row.pnl_pct, Some(d("100")));
        assert!(row.partial, "the 0.5 has no cost basis");
        assert!(!row.mid);
        assert_eq!(v.totals.len(), 1);
        assert_eq!(v.totals[0].total.value, d("300"));
        assert_eq!(v.totals[0].total.unpriced, 1, "ETH is not watched");
        assert_eq!(v.totals[0].rows, [0, 0]);
    }
}
