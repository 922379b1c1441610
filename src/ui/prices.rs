//! The price table: one line per (exchange, symbol), grouped by exchange when several feeds
//! run. Columns drop out by priority as the terminal narrows, so a line is never wrapped or
//! garbled. Reads a [`Snapshot`] copy and the view state; formats through [`super::format`]
//! (decimals only, no floats).

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::format;
use super::status;
use super::theme::Theme;
use crate::app::state::{ViewState, key, ordered};
use crate::model::{ExchangeId, Source};
use crate::store::{Direction, Row, RowState, Snapshot};

/// How long a changed last price stays highlighted.
pub const FLASH: TimeDelta = TimeDelta::seconds(1);

/// Blank columns between cells.
const GAP: usize = 2;
const TREND_MIN: usize = 6;
/// Wide enough for `stale 1m35s` and `polled 59s`: fixed, so the columns do not jump
/// about as ages grow or rows go stale.
const AGE_WIDTH: usize = 11;
const TREND_MAX: usize = 30;

/// A table column. Display order is the declaration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Symbol,
    Last,
    Change,
    Pct,
    Bid,
    Ask,
    Spread,
    High,
    Low,
    Volume,
    Trend,
    Age,
}

impl Col {
    const COUNT: usize = 12;
    /// Most important first: the last ones drop out first on a narrow terminal.
    pub const PRIORITY: [Col; Col::COUNT] = [
        Col::Symbol,
        Col::Last,
        Col::Pct,
        Col::Age,
        Col::Bid,
        Col::Ask,
        Col::Trend,
        Col::Volume,
        Col::Change,
        Col::Spread,
        Col::High,
        Col::Low,
    ];

    fn title(self) -> &'static str {
        match self {
            Col::Symbol => "Symbol",
            Col::Last => "Last",
            Col::Change => "Chg 24h",
            Col::Pct => "%24h",
            Col::Bid => "Bid",
            Col::Ask => "Ask",
            Col::Spread => "Spread",
            Col::High => "High 24h",
            Col::Low => "Low 24h",
            Col::Volume => "Vol 24h",
            Col::Trend => "Trend",
            Col::Age => "Age",
        }
    }

    fn left_aligned(self) -> bool {
        matches!(self, Col::Symbol | Col::Trend)
    }
}

type Cells = [Vec<Span<'static>>; Col::COUNT];

/// One line of the table body.
enum Entry<'a> {
    /// An exchange's heading, when several feeds run.
    Group(ExchangeId),
    Data(&'a Row, Box<Cells>),
    /// A row without prices: pending, silent or invalid, with what to say about it.
    Message(&'a Row, Span<'static>),
}

/// Pick the columns that fit in `width`, by priority: a column that does not fit is left
/// out and narrower, less important ones may still take the room; returns them in display order with their widths. `widths[c]` is the widest content of
/// column `c` (0 = no content: the column is left out). Spare room widens the trend column.
pub fn choose_columns(widths: &[usize; Col::COUNT], width: usize) -> Vec<(Col, usize)> {
    let mut chosen: Vec<(Col, usize)> = Vec::new();
    let mut used = 0;
    for col in Col::PRIORITY {
        let w = widths[col as usize];
        if w == 0 {
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
    chosen.sort_by_key(|(c, _)| *c as usize);
    chosen
}

/// The earliest moment a flash now showing ends, so the loop can redraw then.
pub fn next_flash_end(snapshot: &Snapshot, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    snapshot
        .rows
        .iter()
        .filter_map(|r| r.last_change_at.map(|t| t + FLASH))
        .filter(|end| *end > now)
        .min()
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    view: &ViewState,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let count = snapshot.rows.len();
    let title = Line::from(vec![
        Span::styled(" Prices ", theme.header),
        Span::raw(format!("· {count} symbols · sort: {} ", view.sort.label())),
    ]);
    let block = Block::bordered().border_style(theme.border).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let buf = frame.buffer_mut();
    if count == 0 {
        let hint = Line::from(Span::styled("No symbols. Press a to add one.", theme.dim));
        buf.set_line(inner.x, inner.y, &hint, inner.width);
        return;
    }

    let rows = ordered(snapshot, view.sort);
    let grouped = snapshot.feeds.len() > 1 || rows.iter().any(|r| r.exchange != rows[0].exchange);
    let mut entries = Vec::with_capacity(rows.len() + snapshot.feeds.len());
    for row in rows {
        if grouped && !matches!(entries.last(), Some(e) if entry_exchange(e) == row.exchange) {
            entries.push(Entry::Group(row.exchange));
        }
        entries.push(row_entry(row, view, now, theme));
    }

    let mut widths = [0usize; Col::COUNT];
    for entry in &entries {
        let (Entry::Data(row, _) | Entry::Message(row, _)) = entry else {
            continue;
        };
        widths[Col::Symbol as usize] = widths[Col::Symbol as usize].max(row.symbol.as_str().len());
        if let Entry::Data(row, cells) = entry {
            for (i, cell) in cells.iter().enumerate() {
                widths[i] = widths[i].max(span_width(cell));
            }
            if !row.sparkline.is_empty() {
                widths[Col::Trend as usize] = TREND_MIN;
            }
            widths[Col::Age as usize] = AGE_WIDTH;
        }
    }
    for col in Col::PRIORITY {
        let w = &mut widths[col as usize];
        if *w > 0 {
            *w = (*w).max(col.title().len());
        }
    }
    let cols = choose_columns(&widths, usize::from(inner.width));

    let heading: Vec<(Col, Vec<Span<'static>>)> = cols
        .iter()
        .map(|(c, _)| (*c, vec![Span::styled(c.title(), theme.header)]))
        .collect();
    buf.set_line(inner.x, inner.y, &join(&cols, heading), inner.width);

    let body = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    let height = usize::from(body.height);
    let selected = entries.iter().position(|e| match e {
        Entry::Data(r, _) | Entry::Message(r, _) => view.selected.as_ref() == Some(&key(r)),
        Entry::Group(_) => false,
    });
    let offset = match selected {
        Some(s) if s >= height => s + 1 - height,
        _ => 0,
    };
    for (i, entry) in entries.iter().enumerate().skip(offset).take(height) {
        let y = body.y + u16::try_from(i - offset).unwrap_or(0);
        let line_area = Rect::new(body.x, y, body.width, 1);
        let line = match entry {
            Entry::Group(ex) => {
                let mut spans = vec![Span::styled(ex.as_str(), theme.header), Span::raw(" ")];
                if let Some(feed) = snapshot.feed(*ex) {
                    spans.push(status::badge(&feed.status, theme));
                }
                Line::from(spans)
            }
            Entry::Data(row, cells) => {
                let picked = cols
                    .iter()
                    .map(|(c, w)| {
                        let spans = if *c == Col::Trend {
                            trend(row, *w, theme)
                        } else {
                            cells[*c as usize].clone()
                        };
                        (*c, spans)
                    })
                    .collect();
                join(&cols, picked)
            }
            Entry::Message(row, message) => {
                let sym_w = cols.first().map_or(0, |(_, w)| *w);
                Line::from(vec![
                    Span::raw(format!("{:<sym_w$}", row.symbol.as_str())),
                    Span::raw(" ".repeat(GAP)),
                    message.clone(),
                ])
            }
        };
        let line = format::fit(line, usize::from(line_area.width));
        buf.set_line(line_area.x, y, &line, line_area.width);
        if let Entry::Data(row, _) = entry {
            if is_stale(row, view, now) {
                buf.set_style(line_area, theme.stale);
            }
        }
        if Some(i) == selected {
            buf.set_style(line_area, theme.selected);
        }
    }
}

fn entry_exchange(entry: &Entry<'_>) -> ExchangeId {
    match entry {
        Entry::Group(ex) => *ex,
        Entry::Data(r, _) | Entry::Message(r, _) => r.exchange,
    }
}

fn span_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// Cells padded to their column widths and joined with the gap.
fn join(cols: &[(Col, usize)], cells: Vec<(Col, Vec<Span<'static>>)>) -> Line<'static> {
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

fn is_stale(row: &Row, view: &ViewState, now: DateTime<Utc>) -> bool {
    row.updated_at()
        .is_some_and(|at| format::delta(at, now) > view.stale_after)
}

fn row_entry<'a>(row: &'a Row, view: &ViewState, now: DateTime<Utc>, theme: &Theme) -> Entry<'a> {
    let message = |text: String, style: Style| Entry::Message(row, Span::styled(text, style));
    match (&row.state, &row.ticker) {
        (RowState::Invalid(why), _) => message(format!("✕ invalid: {why}"), theme.offline),
        (RowState::Silent(why), None) => message(format!("◌ no data: {why}"), theme.connecting),
        (RowState::Pending, None) => message("waiting for data…".into(), theme.dim),
        (RowState::Subscribed, None) => message("subscribed · waiting for data…".into(), theme.dim),
        (_, Some(_)) => Entry::Data(row, Box::new(cells(row, view, now, theme))),
    }
}

fn cells(row: &Row, view: &ViewState, now: DateTime<Utc>, theme: &Theme) -> Cells {
    let mut cells: Cells = Default::default();
    let Some(t) = &row.ticker else { return cells };
    let dp = row.price_decimals;
    let px = |v: Option<rust_decimal::Decimal>| {
        v.map(|v| vec![Span::raw(format::price(v, dp))])
            .unwrap_or_default()
    };
    let signed = |v: rust_decimal::Decimal| {
        if v.is_sign_negative() && !v.is_zero() {
            theme.down
        } else if v.is_zero() {
            Style::new()
        } else {
            theme.up
        }
    };
    cells[Col::Symbol as usize] = vec![Span::raw(row.symbol.to_string())];
    if let Some(last) = t.last {
        let (arrow, dir_style) = match row.direction {
            Direction::Up => ("▲", theme.up),
            Direction::Down => ("▼", theme.down),
            Direction::Flat => (" ", Style::new()),
        };
        let flashing = row
            .last_change_at
            .is_some_and(|at| now >= at && now - at < FLASH);
        let text = format!("{} {arrow}", format::price(last, dp));
        cells[Col::Last as usize] = if flashing {
            vec![Span::styled(
                text,
                dir_style.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            )]
        } else {
            vec![Span::styled(text, dir_style)]
        };
    }
    if let Some(c) = t.change_24h {
        cells[Col::Change as usize] = vec![Span::styled(format::signed_price(c, dp), signed(c))];
    }
    if let Some(p) = t.change_pct_24h {
        cells[Col::Pct as usize] = vec![Span::styled(format::percent(p), signed(p))];
    }
    cells[Col::Bid as usize] = px(t.bid);
    cells[Col::Ask as usize] = px(t.ask);
    cells[Col::Spread as usize] = px(t.spread());
    cells[Col::High as usize] = px(t.high_24h);
    cells[Col::Low as usize] = px(t.low_24h);
    if let Some(v) = t.volume_24h {
        cells[Col::Volume as usize] = vec![Span::raw(format::volume(v))];
    }
    let age = format::age(t.received_ts, now);
    cells[Col::Age as usize] = vec![if let RowState::Silent(_) = row.state {
        Span::styled(format!("silent {age}"), theme.connecting)
    } else if is_stale(row, view, now) {
        Span::styled(format!("stale {age}"), theme.stale)
    } else if t.source == Source::Rest {
        Span::styled(format!("polled {age}"), theme.fallback)
    } else {
        Span::styled(age, theme.dim)
    }];
    cells
}

fn trend(row: &Row, width: usize, theme: &Theme) -> Vec<Span<'static>> {
    let bars = format::sparkline(row.sparkline.iter(), width);
    let first = row.sparkline.get(row.sparkline.len().saturating_sub(width));
    let last = row.sparkline.back();
    let style = match (first, last) {
        (Some(a), Some(b)) if b > a => theme.up,
        (Some(a), Some(b)) if b < a => theme.down,
        _ => Style::new(),
    };
    vec![Span::styled(bars, style)]
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // 8 + 12 + 7 + 6 = 33 plus three gaps = 39.
        assert_eq!(
            names(choose_columns(&w, 39)),
            [Col::Symbol, Col::Last, Col::Pct, Col::Age]
        );
        // Age no longer fits; the narrow spread takes the room.
        assert_eq!(
            names(choose_columns(&w, 38)),
            [Col::Symbol, Col::Last, Col::Pct, Col::Spread]
        );
        assert_eq!(
            names(choose_columns(&w, 30)),
            [Col::Symbol, Col::Last, Col::Age]
        );
        let all = choose_columns(&w, 200);
        assert_eq!(
            names(all.clone()),
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
        assert!(all.contains(&(Col::Trend, TREND_MAX)));
        assert!(choose_columns(&w, 3).is_empty());
    }
}
