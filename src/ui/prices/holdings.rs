//! The holdings columns of a row (amount held, value, P&L, P&L %) and the total lines, one
//! per quote currency. Values are in the market's quote currency, at the mark price the
//! engine picked (`~` before a value: the mid of bid and ask, the last trade being stale
//! or missing); `*` after a P&L % means part of the amount has no cost basis (the P&L is the
//! lots'). With amounts hidden (screen sharing), amounts, values and P&L read `•••` and
//! only the P&L % stays. A total whose prices are stale, polled or simulated says so in its
//! Age cell, and is drawn like a stale row when any of them is not fresh.

use ratatui::style::Style;
use ratatui::text::Span;
use rust_decimal::Decimal;

use super::{Cells, MISSING, Mark, mark};
use crate::ui::columns::Col;
use crate::ui::format;
use crate::ui::theme::Theme;
use crate::view::ViewModel;
use crate::view::holdings::RowHolding;
use crate::view::state::HoldingsView;
use pricewire_core::store::Row;

/// What a hidden amount reads.
const HIDDEN: &str = "•••";

/// A value's places: a fiat or stable quote's cents, or the market's own precision when
/// finer (ETH/BTC).
fn places(price_decimals: Option<u32>) -> u32 {
    price_decimals.unwrap_or(2).max(2)
}

/// The style of a signed figure while prices move (none on a dead row).
fn signed(v: Decimal, live: bool, theme: &Theme) -> Style {
    if !live || v.is_zero() {
        Style::new()
    } else if v.is_sign_negative() {
        theme.down
    } else {
        theme.up
    }
}

/// Fill `cells`' holdings columns for what is held on `row`.
pub(super) fn cells(
    cells: &mut Cells,
    held: &RowHolding,
    row: &Row,
    view: HoldingsView,
    mark: Mark,
    theme: &Theme,
) {
    let live = !matches!(mark, Mark::Dead(_));
    let hide = view.hide_amounts;
    let dp = Some(places(row.price_decimals));
    let hidden = || vec![Span::styled(HIDDEN, theme.muted)];
    cells[Col::Amount as usize] = if hide {
        hidden()
    } else {
        vec![Span::raw(format::amount(held.amount))]
    };
    cells[Col::Value as usize] = if hide {
        hidden()
    } else {
        let approx = if held.mid { "~" } else { "" };
        vec![Span::raw(format!(
            "{approx}{}",
            format::price(held.value, dp)
        ))]
    };
    cells[Col::Pnl as usize] = match held.pnl {
        _ if hide => hidden(),
        Some(p) => vec![Span::styled(
            format::signed_price(p, dp),
            signed(p, live, theme),
        )],
        None => vec![Span::styled(MISSING, theme.muted)],
    };
    cells[Col::PnlPct as usize] = match held.pnl_pct {
        Some(p) => {
            let partial = if held.partial { "*" } else { "" };
            vec![Span::styled(
                format!("{}{partial}", format::percent(p.round_dp(2))),
                signed(p, live, theme),
            )]
        }
        None => vec![Span::styled(MISSING, theme.muted)],
    };
}

/// One total line, formatted.
pub(super) struct TotalLine {
    pub cells: Cells,
    /// A price it adds up is stale, or its feed is not live.
    pub stale: bool,
}

/// The total lines of the model: one per quote currency, while holdings are shown.
pub(super) fn total_lines(
    model: &ViewModel,
    now: chrono::DateTime<chrono::Utc>,
    theme: &Theme,
) -> Vec<TotalLine> {
    let view = model.view;
    if !view.holdings_view.shown {
        return Vec::new();
    }
    let snapshot = model.snapshot;
    model
        .table
        .holdings
        .totals
        .iter()
        .map(|qt| {
            let t = &qt.total;
            let marks: Vec<Mark> = qt
                .rows
                .iter()
                .map(|i| &snapshot.rows[*i])
                .map(|r| mark(r, snapshot.feed(r.exchange), view.stale_after, now))
                .collect();
            let simulated = qt.rows.iter().any(|i| {
                snapshot
                    .feed(snapshot.rows[*i].exchange)
                    .is_some_and(|f| f.simulated)
            });
            let stale = marks.iter().any(|m| !m.is_fresh());
            let polled = marks.contains(&Mark::Polled);
            let mut cells: Cells = Default::default();
            let hide = view.holdings_view.hide_amounts;
            cells[Col::Symbol as usize] = vec![Span::raw(format!("Total {}", t.quote))];
            cells[Col::Value as usize] = vec![Span::raw(if hide {
                HIDDEN.to_string()
            } else {
                format::price(t.value, Some(2))
            })];
            // Without a single lot there is no P&L to add up.
            let no_cost = t.cost.is_zero() && t.pnl.is_zero();
            cells[Col::Pnl as usize] = vec![Span::raw(if hide {
                HIDDEN.to_string()
            } else if no_cost {
                MISSING.to_string()
            } else {
                format::signed_price(t.pnl, Some(2))
            })];
            cells[Col::PnlPct as usize] = vec![Span::raw(t.pnl_pct.map_or_else(
                || MISSING.to_string(),
                |p| {
                    let partial = if t.partial { "*" } else { "" };
                    format!("{}{partial}", format::percent(p.round_dp(2)))
                },
            ))];
            let mut notes = Vec::new();
            if simulated {
                notes.push("◇ sim".to_string());
            }
            if stale {
                notes.push("stale".to_string());
            } else if polled {
                notes.push("polled".to_string());
            }
            if t.unpriced > 0 {
                notes.push(format!("{} no price", t.unpriced));
            }
            cells[Col::Age as usize] = vec![Span::styled(notes.join(" "), theme.muted)];
            TotalLine { cells, stale }
        })
        .collect()
}
