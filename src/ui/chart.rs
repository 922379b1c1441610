//! The chart pane (`c`): the selected row's price over 1 h, 24 h or 7 d as candles or a
//! filled line, from the venue's candles with the live ticks folded into the newest one.
//!
//! ```text
//! ┌ Chart · BTC/USD · kraken · 1h in 1m candles · candles ──────────────────┐
//! │            │                                               97,500.0   │  y axis at
//! │   │  ┃     █   │                                                      │  the venue's
//! │   █  █  │  │   █                                  ◂ 97,123.4          │  precision,
//! │   │     █                                                   96,900.0  │  last price
//! │ 11:05           11:25           11:45           12:04                 │  marked
//! └─────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Every position is worked out in decimal arithmetic (rows from prices, never floats).
//! Up candles are the `up` colour, down ones the `down` colour; without colour, up bodies
//! are drawn `░` and down ones `█`, so direction never depends on colour. A failed fetch
//! says why on the first line, and the live part still draws; a simulated feed or a stale
//! row says so in the title.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;
use rust_decimal::Decimal;

use super::format;
use super::prices::{Mark, mark};
use super::theme::Theme;
use crate::view::ViewModel;
use crate::view::state::{ChartStyle, ChartView, Fetch};
use pricewire_core::candle::{Candle, ChartWindow};

/// Lines the pane takes on a screen `height` lines tall: a third of it, 8 to 16.
pub fn height(height: u16) -> u16 {
    (height / 3).clamp(8, 16)
}

/// The row a price falls on, `0` the top, `rows - 1` the bottom, between `low` and `high`.
fn row_of(price: Decimal, low: Decimal, high: Decimal, rows: usize) -> usize {
    let span = high - low;
    if span.is_zero() || rows < 2 {
        return rows / 2;
    }
    let last = Decimal::from(rows - 1);
    let r = ((high - price) * last / span)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    usize::try_from(r.mantissa().clamp(0, i128::try_from(rows - 1).unwrap_or(0))).unwrap_or(0)
}

/// In eighths of a row from the bottom, how high `price` stands (for the line view).
fn eighths(price: Decimal, low: Decimal, high: Decimal, rows: usize) -> usize {
    let span = high - low;
    let top = Decimal::from(rows * 8 - 1);
    if span.is_zero() {
        return rows * 4;
    }
    let e = ((price - low) * top / span)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    usize::try_from(e.mantissa().clamp(0, i128::try_from(rows * 8).unwrap_or(0))).unwrap_or(0)
}

/// The time under a candle, as the window's axis names it.
fn time_label(at: DateTime<Utc>, window: ChartWindow, offset: FixedOffset) -> String {
    let local = at.with_timezone(&offset);
    match window {
        ChartWindow::Hour | ChartWindow::Day => local.format("%H:%M").to_string(),
        ChartWindow::Week => local.format("%a %d").to_string(),
    }
}

/// Draw the chart pane for `chart` in `area`.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    model: &ViewModel,
    chart: &ChartView,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let (view, snapshot) = (model.view, model.snapshot);
    let (venue, symbol) = (&chart.row.0, &chart.row.1);
    let row = snapshot.row(*venue, symbol.as_str());
    let feed = snapshot.feed(*venue);
    let data = model.chart;
    let mut parts = vec![
        format!("{symbol} · {venue}"),
        format!(
            "{} in {} candles",
            chart.window.label(),
            chart.window.interval_label()
        ),
        match chart.style {
            ChartStyle::Candles => "candles".to_string(),
            ChartStyle::Line => "line".to_string(),
        },
    ];
    let mut marks = Vec::new();
    if feed.is_some_and(|f| f.simulated) {
        marks.push(Span::styled(" ◇ SIMULATED ", theme.simulated));
    }
    if view.replay.is_some() {
        marks.push(Span::styled(
            format!(" {} ", super::status::REPLAYED),
            theme.simulated,
        ));
    }
    if let Some(r) = row {
        let m = mark(r, feed, view.stale_after, now);
        if !matches!(m, Mark::Fresh) {
            let age = r
                .ticker
                .as_ref()
                .map(|t| format::age(t.received_ts, now))
                .unwrap_or_default();
            parts.push(m.age_text(&age));
        }
    }
    if let Some(d) = data
        && d.fetch == Fetch::Loading
    {
        parts.push("loading…".into());
    }
    let mut title = format::title(
        Span::styled(" Chart ", theme.header),
        &parts,
        Style::new(),
        usize::from(area.width.saturating_sub(2)),
    );
    title.spans.extend(marks);
    let block = Block::bordered().border_style(theme.border).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 3 || inner.width < 10 {
        return;
    }
    let buf = frame.buffer_mut();
    let candles: &[Candle] = data.map_or(&[], |d| d.series.candles.as_slice());
    // The first line carries a failure's reason; the live part still draws below it.
    let mut plot = Rect::new(inner.x, inner.y, inner.width, inner.height - 1);
    if let Some(Fetch::Failed(why)) = data.map(|d| &d.fetch) {
        let text = format!("✕ no candles from {venue}: {why} · live prices only");
        let line = format::fit(
            Line::from(Span::styled(text, theme.offline)),
            usize::from(inner.width),
        );
        buf.set_line(inner.x, inner.y, &line, inner.width);
        plot.y += 1;
        plot.height = plot.height.saturating_sub(1);
    }
    if candles.is_empty() {
        let text = match data.map(|d| &d.fetch) {
            Some(Fetch::Failed(_)) => "waiting for a live price…",
            _ => "waiting for candles…",
        };
        let line = Line::from(Span::styled(text, theme.muted));
        buf.set_line(plot.x, plot.y, &line, plot.width);
        return;
    }
    let dp = row.and_then(|r| r.price_decimals);
    // The y axis on the right, wide enough for the widest label.
    let (low, high) = (
        candles.iter().map(|c| c.low).min().unwrap_or_default(),
        candles.iter().map(|c| c.high).max().unwrap_or_default(),
    );
    let labels = [high, (high + low) / Decimal::TWO, low].map(|p| format::price(p, dp));
    let last = candles.last().map(|c| c.close).unwrap_or_default();
    let last_label = format!("◂ {}", format::price(last, dp));
    let axis_w = labels
        .iter()
        .map(|l| l.chars().count())
        .chain([last_label.chars().count()])
        .max()
        .unwrap_or(0)
        + 1;
    let axis_w = u16::try_from(axis_w).unwrap_or(u16::MAX);
    if plot.width <= axis_w + 4 || plot.height < 2 {
        return;
    }
    let body = Rect::new(plot.x, plot.y, plot.width - axis_w, plot.height);
    let rows = usize::from(body.height);
    // One column per candle, spread over the width (gaps between them where there is
    // room); the newest that fit when there is not.
    let fit = usize::from(body.width).min(candles.len());
    let shown = &candles[candles.len() - fit..];
    let column = |i: usize| body.x + u16::try_from(i * usize::from(body.width) / fit).unwrap_or(0);
    let (low, high) = (
        shown.iter().map(|c| c.low).min().unwrap_or(low),
        shown.iter().map(|c| c.high).max().unwrap_or(high),
    );
    let colour_free = theme.up.fg.is_none() && theme.down.fg.is_none();
    for (i, c) in shown.iter().enumerate() {
        let x = column(i);
        let up = c.close >= c.open;
        let style = if up { theme.up } else { theme.down };
        match chart.style {
            ChartStyle::Candles => {
                let (top, bottom) = (
                    row_of(c.high, low, high, rows),
                    row_of(c.low, low, high, rows),
                );
                let body_top = row_of(c.open.max(c.close), low, high, rows);
                let body_bottom = row_of(c.open.min(c.close), low, high, rows);
                for r in top..=bottom {
                    let glyph = if (body_top..=body_bottom).contains(&r) {
                        if up && colour_free { "░" } else { "█" }
                    } else {
                        "│"
                    };
                    let y = body.y + u16::try_from(r).unwrap_or(0);
                    buf.set_string(x, y, glyph, style);
                }
            }
            ChartStyle::Line => {
                const PART: [&str; 8] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇"];
                let level = eighths(c.close, low, high, rows);
                let overall = if last >= shown[0].open {
                    theme.up
                } else {
                    theme.down
                };
                for r in 0..rows {
                    let from_bottom = rows - 1 - r;
                    let glyph = match level.saturating_sub(from_bottom * 8) {
                        0 => continue,
                        n if n >= 8 => "█",
                        n => PART[n],
                    };
                    let y = body.y + u16::try_from(r).unwrap_or(0);
                    buf.set_string(x, y, glyph, overall);
                }
            }
        }
    }
    // The axis: high, middle, low at the venue's precision; the last price where it stands.
    let axis_x = body.right() + 1;
    let last_row = row_of(last, low, high, rows);
    for (label, r) in labels.iter().zip([0, rows / 2, rows - 1]) {
        if r.abs_diff(last_row) < 1 {
            continue;
        }
        let y = body.y + u16::try_from(r).unwrap_or(0);
        buf.set_string(axis_x, y, label, theme.muted);
    }
    let y = body.y + u16::try_from(last_row).unwrap_or(0);
    buf.set_string(axis_x - 1, y, &last_label, theme.header);
    // Times under the first, middle and last candle shown.
    let time_y = plot.bottom();
    if time_y < inner.bottom() {
        let mut marks = vec![0, shown.len() / 2, shown.len() - 1];
        marks.dedup();
        let mut free_from = body.x;
        for i in marks {
            let label = time_label(shown[i].open_time, chart.window, view.utc_offset);
            let w = u16::try_from(label.chars().count()).unwrap_or(u16::MAX);
            let x = column(i).max(free_from).min(body.right().saturating_sub(w));
            if x < free_from {
                continue;
            }
            buf.set_string(x, time_y, &label, theme.muted);
            free_from = x + w + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn prices_map_to_rows_in_decimal_arithmetic() {
        // Ten rows from 90 (bottom) to 100 (top).
        assert_eq!(row_of(d("100"), d("90"), d("100"), 10), 0);
        assert_eq!(row_of(d("90"), d("90"), d("100"), 10), 9);
        assert_eq!(row_of(d("95"), d("90"), d("100"), 10), 5);
        // Out of range is kept on the pane; a flat range sits in the middle.
        assert_eq!(row_of(d("120"), d("90"), d("100"), 10), 0);
        assert_eq!(row_of(d("7"), d("7"), d("7"), 10), 5);
        assert_eq!(eighths(d("100"), d("90"), d("100"), 2), 15);
        assert_eq!(eighths(d("90"), d("90"), d("100"), 2), 0);
    }
}
