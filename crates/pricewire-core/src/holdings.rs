//! Holdings and what they are worth: amounts of a market's base currency, with optional
//! cost-basis lots, valued at a mark price in the market's quote currency. Exact decimals
//! throughout and pure: no I/O, no clock, no config format (the binary reads the config).
//!
//! Rules, each one tested below:
//! - **Mark price**: the last trade while it lies within the best bid and ask; the mid of
//!   bid and ask when the last trade is stale (the book has moved away from it: last below
//!   the bid or above the ask) or missing; the last trade alone when the venue gives no
//!   book. [`Mark::kind`] says which, so the screen can say `mid`.
//! - **Lots**: each lot is an amount bought at a price per unit, in the quote currency. A
//!   holding's amount may be left out: it is then the sum of its lots. Lots adding up to
//!   less than the amount leave the rest without a cost basis: it is valued, but P&L covers
//!   the lots only (and says `partial`). Lots adding up to more than the amount are refused
//!   ([`HoldingError::LotsExceed`]): one of the two is wrong, and neither is guessed at.
//! - **P&L** = (sum of the lots' amounts) × mark − (sum of amount × price over the lots);
//!   P&L % = P&L ÷ that cost × 100 (none when the cost is zero).
//! - **Where a holding is valued** ([`placements`]): on its venue's row when it names one;
//!   without a venue, once, on the first venue (in the order the feeds started) whose row
//!   for the symbol has a price: never once per venue.
//! - **Totals** ([`totals`]) are per quote currency: USD and USDT are different money and
//!   are never added up together.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::model::{ExchangeId, Ticker};
use crate::store::Snapshot;
use crate::symbol::Symbol;

/// Part of a holding bought at one price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    /// Base-currency amount.
    pub amount: Decimal,
    /// Price paid per unit, in the quote currency.
    pub price: Decimal,
}

/// An amount of a market's base currency the user holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    /// The market it is valued in (`BTC/USD`: BTC valued in USD).
    pub symbol: Symbol,
    /// The venue whose price values it; `None`: the first venue with a price.
    pub venue: Option<ExchangeId>,
    /// Base-currency amount held.
    pub amount: Decimal,
    /// Cost-basis lots, adding up to at most `amount`.
    pub lots: Vec<Lot>,
}

/// Why a holding cannot be taken as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HoldingError {
    /// Neither an amount nor a lot.
    #[error("needs an amount or at least one lot")]
    Empty,
    /// An amount, a lot's amount or a lot's price below zero (or a lot of nothing).
    #[error("{0}")]
    Negative(String),
    /// The lots add up to more than the amount held.
    #[error("its lots add up to {lots}, more than its amount {amount}; fix one of them")]
    LotsExceed {
        /// Sum of the lots' amounts.
        lots: Decimal,
        /// The amount given.
        amount: Decimal,
    },
}

impl Holding {
    /// A holding of `symbol`: `amount` when given, else the sum of `lots`. Refuses what
    /// cannot be right (see [`HoldingError`]).
    pub fn new(
        symbol: Symbol,
        venue: Option<ExchangeId>,
        amount: Option<Decimal>,
        lots: Vec<Lot>,
    ) -> Result<Holding, HoldingError> {
        for (i, lot) in lots.iter().enumerate() {
            if lot.amount <= Decimal::ZERO {
                return Err(HoldingError::Negative(format!(
                    "lot {} has amount {}; a lot's amount must be above zero",
                    i + 1,
                    lot.amount
                )));
            }
            if lot.price < Decimal::ZERO {
                return Err(HoldingError::Negative(format!(
                    "lot {} has price {}; a price cannot be below zero",
                    i + 1,
                    lot.price
                )));
            }
        }
        let lots_sum: Decimal = lots.iter().map(|l| l.amount).sum();
        let amount = match amount {
            Some(a) if a < Decimal::ZERO => {
                return Err(HoldingError::Negative(format!("amount {a} is below zero")));
            }
            Some(a) if lots_sum > a => {
                return Err(HoldingError::LotsExceed {
                    lots: lots_sum,
                    amount: a,
                });
            }
            Some(a) => a,
            None if lots.is_empty() => return Err(HoldingError::Empty),
            None => lots_sum,
        };
        Ok(Holding {
            symbol,
            venue,
            amount,
            lots,
        })
    }

    /// The part of the amount the lots cover.
    pub fn costed_amount(&self) -> Decimal {
        self.lots.iter().map(|l| l.amount).sum()
    }

    /// What the lots cost; `None` without lots.
    pub fn cost(&self) -> Option<Decimal> {
        (!self.lots.is_empty()).then(|| self.lots.iter().map(|l| l.amount * l.price).sum())
    }
}

/// Which price a mark is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// The last trade.
    Last,
    /// The mid of the best bid and ask (the last trade was stale or missing).
    Mid,
}

/// The price a holding is valued at, and which price it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Price per unit in the quote currency.
    pub price: Decimal,
    /// Last trade or mid.
    pub kind: MarkKind,
}

/// The mark price of a market now (see the module docs); `None` with neither a last
/// trade nor both sides of the book.
pub fn mark(ticker: &Ticker) -> Option<Mark> {
    let mid = match (ticker.bid, ticker.ask) {
        (Some(bid), Some(ask)) if bid <= ask => Some((bid, ask, (bid + ask) / Decimal::TWO)),
        _ => None,
    };
    match (ticker.last, mid) {
        (Some(last), Some((bid, ask, _))) if (bid..=ask).contains(&last) => Some(Mark {
            price: last,
            kind: MarkKind::Last,
        }),
        (_, Some((_, _, mid))) => Some(Mark {
            price: mid.normalize(),
            kind: MarkKind::Mid,
        }),
        (Some(last), None) => Some(Mark {
            price: last,
            kind: MarkKind::Last,
        }),
        (None, None) => None,
    }
}

/// A holding valued at one mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valuation {
    /// The price used.
    pub mark: Mark,
    /// Amount × mark, in the quote currency.
    pub value: Decimal,
    /// What the lots cost; `None` without lots.
    pub cost: Option<Decimal>,
    /// Profit or loss of the lots at the mark; `None` without lots.
    pub pnl: Option<Decimal>,
    /// P&L as a percent of the cost; `None` without lots or at zero cost.
    pub pnl_pct: Option<Decimal>,
    /// The amount no lot covers: valued, without P&L.
    pub uncosted: Decimal,
}

impl Valuation {
    /// Whether P&L covers only part of the amount.
    pub fn partial(&self) -> bool {
        self.cost.is_some() && self.uncosted > Decimal::ZERO
    }
}

/// `holding` valued at `mark`.
pub fn value(holding: &Holding, mark: Mark) -> Valuation {
    let cost = holding.cost();
    let costed = holding.costed_amount();
    let pnl = cost.map(|c| costed * mark.price - c);
    let pnl_pct = match (pnl, cost) {
        (Some(p), Some(c)) if !c.is_zero() => p
            .checked_div(c)
            .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED)),
        _ => None,
    };
    Valuation {
        mark,
        value: holding.amount * mark.price,
        cost,
        pnl,
        pnl_pct,
        uncosted: holding.amount - costed,
    }
}

/// Where each holding is valued: an index into `snapshot.rows`, or `None` when no row can
/// value it (its venue does not watch the symbol, or no venue has a price for it yet).
/// A holding with a venue takes that venue's row even before it has a price; one without
/// takes the first venue (feed order) whose row has a price.
pub fn placements(holdings: &[Holding], snapshot: &Snapshot) -> Vec<Option<usize>> {
    let feed_rank = |ex: ExchangeId| {
        snapshot
            .feeds
            .iter()
            .position(|f| f.exchange == ex)
            .unwrap_or(usize::MAX)
    };
    holdings
        .iter()
        .map(|h| {
            let rows = snapshot
                .rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.symbol == h.symbol);
            match h.venue {
                Some(venue) => rows
                    .filter(|(_, r)| r.exchange == venue)
                    .map(|(i, _)| i)
                    .next(),
                None => rows
                    .filter(|(_, r)| r.ticker.as_ref().and_then(mark).is_some())
                    .min_by_key(|(_, r)| (feed_rank(r.exchange), r.exchange))
                    .map(|(i, _)| i),
            }
        })
        .collect()
}

/// One quote currency's total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Total {
    /// The quote currency (`USD`).
    pub quote: String,
    /// Sum of the valued holdings' values.
    pub value: Decimal,
    /// Sum of the lots' costs.
    pub cost: Decimal,
    /// Sum of the lots' P&L.
    pub pnl: Decimal,
    /// `pnl` as a percent of `cost`; `None` at zero cost.
    pub pnl_pct: Option<Decimal>,
    /// Holdings (or parts) without a cost basis are in `value` but not in `pnl`.
    pub partial: bool,
    /// Holdings in this currency that have no price yet: not in any sum.
    pub unpriced: usize,
}

/// Totals per quote currency, in alphabetical order of the currency: each holding's
/// valuation (`None`: no price yet) added to its own market's quote.
pub fn totals<'a>(
    items: impl IntoIterator<Item = (&'a Holding, Option<&'a Valuation>)>,
) -> Vec<Total> {
    let mut by_quote: BTreeMap<&str, Total> = BTreeMap::new();
    for (h, v) in items {
        let t = by_quote.entry(h.symbol.quote()).or_insert_with(|| Total {
            quote: h.symbol.quote().to_string(),
            value: Decimal::ZERO,
            cost: Decimal::ZERO,
            pnl: Decimal::ZERO,
            pnl_pct: None,
            partial: false,
            unpriced: 0,
        });
        let Some(v) = v else {
            t.unpriced += 1;
            continue;
        };
        t.value += v.value;
        match (v.cost, v.pnl) {
            (Some(c), Some(p)) => {
                t.cost += c;
                t.pnl += p;
                t.partial |= v.partial();
            }
            _ => t.partial = true,
        }
    }
    by_quote
        .into_values()
        .map(|mut t| {
            t.pnl_pct = (!t.cost.is_zero())
                .then(|| t.pnl.checked_div(t.cost))
                .flatten()
                .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED));
            t
        })
        .collect()
}

#[cfg(test)]
mod tests;
