//! The price table's columns: their titles, alignment and priority, which of them fit a
//! given width, and how cells are padded and joined into one line. Knows nothing of rows
//! or the store.

use ratatui::text::{Line, Span};

/// Blank columns between cells.
pub const GAP: usize = 2;
pub const TREND_MIN: usize = 6;
/// Wide enough for `offline 1m35s`, `reconn 12m03s` and `polled 59s`: fixed, so the
/// columns do not jump about as ages grow, rows go stale or feeds drop.
pub const AGE_WIDTH: usize = 13;
pub const TREND_MAX: usize = 30;

/// A table column (the view's: which exist, their names, priority and sort).
pub use crate::view::columns::Column as Col;

/// How a column is drawn: its heading and which side it keeps to.
pub trait ColumnText {
    fn title(self) -> &'static str;
    /// The title when room is short: only the volume has a shorter one.
    fn short_title(self) -> &'static str;
    fn left_aligned(self) -> bool;
}

impl ColumnText for Col {
    fn title(self) -> &'static str {
        match self {
            Col::Symbol => "Symbol",
            Col::Venue => "Venue",
            Col::Last => "Last",
            Col::Change => "Chg 24h",
            Col::Pct => "%24h",
            Col::Bid => "Bid",
            Col::Ask => "Ask",
            Col::Spread => "Spread",
            Col::High => "High 24h",
            Col::Low => "Low 24h",
            // Every venue's `volume_24h` is in the base currency (BTC for BTC/USD).
            Col::Volume => "Vol 24h (base)",
            Col::Amount => "Held",
            Col::Value => "Value",
            Col::Pnl => "P&L",
            Col::PnlPct => "P&L %",
            // The store's trend window (a test keeps the two in step).
            Col::Trend => "Trend 5m",
            Col::Age => "Age",
        }
    }

    fn short_title(self) -> &'static str {
        match self {
            Col::Volume => "Vol (base)",
            other => other.title(),
        }
    }

    fn left_aligned(self) -> bool {
        matches!(self, Col::Symbol | Col::Venue | Col::Trend)
    }
}

/// Pick the columns that fit in `width`, by priority: a column that does not fit is left
/// out and narrower, less important ones may still take the room; returns them in the
/// display `order` with their widths. `widths[c]` is the widest content of column `c`
/// (0 = no content: the column is left out); a column not in `order` is never shown.
/// Spare room widens the trend column.
pub fn choose_columns(
    widths: &[usize; Col::COUNT],
    width: usize,
    order: &[Col],
) -> Vec<(Col, usize)> {
    let mut chosen: Vec<(Col, usize)> = Vec::new();
    let mut used = 0;
    for col in Col::PRIORITY {
        let w = widths[col as usize];
        if w == 0 || !order.contains(&col) {
            continue;
        }
        let need = if chosen.is_empty() { w } else { w + GAP };
        if used + need > width {
            continue;
        }
        used += need;
        chosen.push((col, w));
    }
    if let Some(trend) = chosen.iter_mut().find(|(c, _)| *c == Col::Trend) {
        let grow = (width - used).min(TREND_MAX.saturating_sub(trend.1));
        trend.1 += grow;
    }
    chosen.sort_by_key(|(c, _)| order.iter().position(|o| o == c));
    chosen
}

pub fn span_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// Cells padded to their column widths and joined with the gap.
pub fn join(cols: &[(Col, usize)], cells: Vec<(Col, Vec<Span<'static>>)>) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, ((col, width), (_, cell))) in cols.iter().zip(cells).enumerate() {
        if i > 0 {
            spans.push(Span::raw(" ".repeat(GAP)));
        }
        let pad = width.saturating_sub(span_width(&cell));
        if !col.left_aligned() {
            spans.push(Span::raw(" ".repeat(pad)));
        }
        spans.extend(cell);
        if col.left_aligned() && i + 1 < cols.len() {
            spans.push(Span::raw(" ".repeat(pad)));
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trend_heading_names_the_stores_window() {
        let limits = pricewire_core::store::StoreLimits::default();
        let trend = pricewire_core::trend::Trend::new(limits.trend_window, limits.trend_buckets);
        assert_eq!(Col::Trend.title(), format!("Trend {}", trend.label()));
    }

    fn widths(pairs: &[(Col, usize)]) -> [usize; Col::COUNT] {
        let mut w = [0; Col::COUNT];
        for (c, n) in pairs {
            w[*c as usize] = *n;
        }
        w
    }

    #[test]
    fn columns_drop_by_priority_and_keep_display_order() {
        let w = widths(&[
            (Col::Symbol, 8),
            (Col::Last, 12),
            (Col::Change, 9),
            (Col::Pct, 7),
            (Col::Bid, 10),
            (Col::Ask, 10),
            (Col::Spread, 4),
            (Col::Age, 6),
            (Col::Trend, 8),
        ]);
        let names = |cols: Vec<(Col, usize)>| cols.into_iter().map(|(c, _)| c).collect::<Vec<_>>();
        let all = Col::ALL;
        // 8 + 12 + 7 + 6 = 33 plus three gaps = 39.
        assert_eq!(
            names(choose_columns(&w, 39, &all)),
            [Col::Symbol, Col::Last, Col::Pct, Col::Age]
        );
        // Age no longer fits; the narrow spread takes the room.
        assert_eq!(
            names(choose_columns(&w, 38, &all)),
            [Col::Symbol, Col::Last, Col::Pct, Col::Spread]
        );
        assert_eq!(
            names(choose_columns(&w, 30, &all)),
            [Col::Symbol, Col::Last, Col::Age]
        );
        let chosen = choose_columns(&w, 200, &all);
        assert_eq!(
            names(chosen.clone()),
            [
                Col::Symbol,
                Col::Last,
                Col::Change,
                Col::Pct,
                Col::Bid,
                Col::Ask,
                Col::Spread,
                Col::Trend,
                Col::Age
            ]
        );
        assert!(chosen.contains(&(Col::Trend, TREND_MAX)));
        // A configured order is kept, and a column left out of it never shows.
        let mine = [Col::Age, Col::Symbol, Col::Last];
        assert_eq!(
            names(choose_columns(&w, 200, &mine)),
            [Col::Age, Col::Symbol, Col::Last]
        );
        assert!(choose_columns(&w, 3, &all).is_empty());
    }
}
