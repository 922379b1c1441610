//! The price table: one line per (exchange, symbol), grouped under venue headings when
//! several feeds run, or with a Venue column when the order mixes venues (a sort across
//! all of them). Columns come in the order `ui.columns` gives and drop out by priority as
//! the terminal narrows, so a line is never wrapped or garbled. With holdings shown, each
//! row valued holds its holdings columns (`holdings.rs`) and the table ends in a total line
//! per quote currency. Draws the view model's table lines (their order and which rows they
//! show are decided in [`crate::view::model`]); formats through [`super::format`] (decimals
//! only, no floats).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::columns::{
    AGE_WIDTH, Col, ColumnText, GAP, TREND_MIN, choose_columns, join, span_width,
};
use super::format;
use super::status;
use super::theme::Theme;
use crate::view::state::{RowKey, key};
use crate::view::{TableLine, ViewModel};
use pricewire_core::model::{ExchangeId, Source};
use pricewire_core::store::{Direction, Feed, Row, RowState, Snapshot};
use pricewire_core::symbol::Symbol;

/// How long a changed last price stays highlighted.
pub const FLASH: TimeDelta = TimeDelta::seconds(1);

pub(super) type Cells = [Vec<Span<'static>>; Col::COUNT];

/// One line of the table body, formatted.
enum Entry<'a> {
    /// An exchange's heading, when several feeds run.
    Group(ExchangeId),
    Data(&'a Row, Box<Cells>),
    /// A line without prices: a row pending, silent or invalid (with its venue), or a
    /// symbol several venues do not list, with what to say about it.
    Message(&'a Symbol, Option<ExchangeId>, Span<'static>),
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

/// The table for the model's lines, scrolled to keep the selected row in view. Returns the
/// screen line of each row drawn, for the mouse.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    model: &ViewModel,
    now: DateTime<Utc>,
    theme: &Theme,
) -> Vec<(u16, RowKey)> {
    let (view, snapshot) = (model.view, model.snapshot);
    let count = snapshot.rows.len();
    let mut drawn_rows = Vec::new();
    let totals = holdings::total_lines(model, now, theme);
    // The model's lines are cheap references, so that only the lines in view are
    // formatted: the cost of a frame follows the screen's height, not the watchlist's length.
    let (lines, interleaved) = (&model.table.lines, model.table.interleaved);
    let block = Block::bordered().border_style(theme.border);
    let inner = block.inner(area);
    // The totals keep the table's last lines, below the rows however they scroll.
    let total_lines = totals
        .len()
        .min(usize::from(inner.height.saturating_sub(2)));
    let height = usize::from(inner.height.saturating_sub(1)).saturating_sub(total_lines);
    let selected = model.selected;
    let offset = model.table_offset(height);
    // Say so on the border when lines are out of view, above or below; the title gives
    // way to the marker above, cut between its parts.
    let marker_at = |text: &str| {
        let w = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
        (inner.height > 0 && area.width > w.saturating_add(4)).then(|| area.right() - w - 2)
    };
    let above = (offset > 0).then(|| format!(" ↑ {offset} more "));
    let below = lines.len().saturating_sub(offset + height);
    let below = (below > 0).then(|| format!(" ↓ {below} more "));
    let room = match above.as_deref().and_then(marker_at) {
        // The title's closing space may lie under the marker's opening one.
        Some(x) => x - area.x,
        None => area.width.saturating_sub(2),
    };
    let mut parts = Vec::new();
    if view.replay.is_some() {
        parts.push(status::REPLAYED.to_string());
    }
    if view.watchlist != crate::config::DEFAULT_WATCHLIST {
        parts.push(format!("watchlist {}", view.watchlist));
    }
    if view.filter.trim().is_empty() {
        parts.push(pricewire_core::model::plural(
            u64::try_from(count).unwrap_or(u64::MAX),
            "symbol",
        ));
    } else {
        parts.push(format!(
            "filter \"{}\": {} of {count}",
            view.filter.trim(),
            count - model.table.hidden
        ));
    }
    parts.push(format!("sort: {}", view.sort.label()));
    if view.holdings_view.shown && view.holdings_view.hide_amounts {
        parts.push("amounts hidden".into());
    }
    let title = format::title(
        Span::styled(" Prices ", theme.header),
        &parts,
        Style::new(),
        usize::from(room),
    );
    frame.render_widget(block.title(title), area);
    let buf = frame.buffer_mut();
    for (text, y) in [(above, area.y), (below, area.bottom().saturating_sub(1))] {
        if let Some((text, x)) = text.as_deref().and_then(|t| Some((t, marker_at(t)?))) {
            buf.set_string(x, y, text, theme.border);
        }
    }
    if inner.height == 0 || inner.width == 0 {
        return drawn_rows;
    }
    if count == 0 {
        let hint = Line::from(Span::styled(
            format!(
                "No symbols. Press {} to add one.",
                view.keymap.shown(crate::keymap::Cmd::Add)
            ),
            theme.muted,
        ));
        buf.set_line(inner.x, inner.y, &hint, inner.width);
        return drawn_rows;
    }
    if lines.is_empty() {
        let hint = Line::from(Span::styled(
            "No row matches the filter. Esc clears it.",
            theme.muted,
        ));
        buf.set_line(inner.x, inner.y, &hint, inner.width);
        return drawn_rows;
    }

    let entries: Vec<Entry<'_>> = lines
        .iter()
        .skip(offset)
        .take(height)
        .map(|line| match line {
            TableLine::Group(ex) => Entry::Group(*ex),
            TableLine::Row(row) => row_entry(row, model, now, theme),
            TableLine::NotListed(symbol, venues) => {
                let names: Vec<&str> = venues.iter().map(|ex| ex.as_str()).collect();
                let text = format!("✕ not listed on {}", names.join(", "));
                Entry::Message(symbol, None, Span::styled(text, theme.offline))
            }
        })
        .collect();

    let mut widths = [0usize; Col::COUNT];
    for entry in &entries {
        let symbol = match entry {
            Entry::Data(row, _) => &row.symbol,
            Entry::Message(symbol, ..) => *symbol,
            Entry::Group(_) => continue,
        };
        widths[Col::Symbol as usize] = widths[Col::Symbol as usize].max(symbol.as_str().len());
        if let Entry::Data(row, cells) = entry {
            // A dash alone does not open a column: one no row has a figure for stays out.
            for (i, cell) in cells.iter().enumerate() {
                if !is_missing(cell) {
                    widths[i] = widths[i].max(span_width(cell));
                }
            }
            if !row.trend.is_empty() {
                widths[Col::Trend as usize] = TREND_MIN;
            }
            widths[Col::Age as usize] = AGE_WIDTH;
        }
    }
    for total in &totals {
        for (i, cell) in total.cells.iter().enumerate() {
            widths[i] = widths[i].max(span_width(cell));
        }
    }
    if !interleaved && !view.columns_named_venue() {
        // Venue headings say where each row is.
        widths[Col::Venue as usize] = 0;
    }
    let order: Vec<Col> = view
        .columns
        .iter()
        .copied()
        .filter(|c| !c.is_holding() || view.holdings_view.shown)
        .collect();
    let titled = |title: fn(Col) -> &'static str| {
        let mut w = widths;
        for col in Col::PRIORITY {
            if w[col as usize] > 0 {
                w[col as usize] = w[col as usize].max(title(col).len());
            }
        }
        w
    };
    let mut cols = choose_columns(&titled(Col::title), usize::from(inner.width), &order);
    let volume_dropped =
        widths[Col::Volume as usize] > 0 && !cols.iter().any(|(c, _)| *c == Col::Volume);
    if volume_dropped {
        // The short volume title may let the column in.
        cols = choose_columns(&titled(Col::short_title), usize::from(inner.width), &order);
    }
    let heading: Vec<(Col, Vec<Span<'static>>)> = cols
        .iter()
        .map(|(c, w)| {
            let title = if *w < c.title().len() {
                c.short_title()
            } else {
                c.title()
            };
            (*c, vec![Span::styled(title, theme.header)])
        })
        .collect();
    buf.set_line(inner.x, inner.y, &join(&cols, heading), inner.width);

    let body = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    for (i, entry) in entries.iter().enumerate() {
        let y = body.y + u16::try_from(i).unwrap_or(0);
        let line_area = Rect::new(body.x, y, body.width, 1);
        let line = match entry {
            Entry::Group(ex) => {
                let feed = snapshot.feed(*ex);
                let simulated = feed.is_some_and(|f| f.simulated);
                let mut spans = status::venue_spans(*ex, simulated, theme);
                spans.push(Span::raw(" "));
                if let Some(feed) = feed {
                    spans.push(status::badge(&feed.status, theme));
                }
                Line::from(spans)
            }
            Entry::Data(row, cells) => {
                let picked = cols
                    .iter()
                    .map(|(c, w)| {
                        let spans = if *c == Col::Trend {
                            let dead = matches!(
                                mark(row, snapshot.feed(row.exchange), view.stale_after, now),
                                Mark::Dead(_)
                            );
                            trend(row, *w, !dead, now, theme)
                        } else {
                            cells[*c as usize].clone()
                        };
                        (*c, spans)
                    })
                    .collect();
                join(&cols, picked)
            }
            Entry::Message(symbol, venue, message) => {
                let sym_w = cols.first().map_or(0, |(_, w)| *w);
                let mut spans = vec![
                    Span::raw(format!("{:<sym_w$}", symbol.as_str())),
                    Span::raw(" ".repeat(GAP)),
                ];
                if let Some(&(Col::Venue, w)) = cols.get(1) {
                    let name = venue.map_or("", ExchangeId::as_str);
                    spans.push(Span::raw(format!("{name:<w$}")));
                    spans.push(Span::raw(" ".repeat(GAP)));
                }
                spans.push(message.clone());
                Line::from(spans)
            }
        };
        let line = format::fit(line, usize::from(line_area.width));
        buf.set_line(line_area.x, y, &line, line_area.width);
        match entry {
            Entry::Data(row, _) => drawn_rows.push((y, key(row))),
            Entry::Message(symbol, Some(venue), _) => {
                drawn_rows.push((y, (*venue, (*symbol).clone())));
            }
            Entry::Message(_, None, _) | Entry::Group(_) => {}
        }
        // Stale rows and every row of a feed that is not live are dimmed across the line,
        // their derived figures (spread, change) included.
        if let Entry::Data(row, _) = entry
            && (matches!(
                mark(row, snapshot.feed(row.exchange), view.stale_after, now),
                Mark::Stale | Mark::Dead(_)
            ) || is_older(row, view.stale_after, now))
        {
            buf.set_style(line_area, theme.stale);
        }
        if Some(i + offset) == selected {
            buf.set_style(line_area, theme.selected);
        }
    }
    // The totals, one per quote currency, on the table's last lines.
    let top = inner.bottom() - u16::try_from(total_lines).unwrap_or(0);
    for (i, total) in totals.iter().take(total_lines).enumerate() {
        let y = top + u16::try_from(i).unwrap_or(0);
        let picked = cols
            .iter()
            .map(|(c, _)| (*c, total.cells[*c as usize].clone()))
            .collect();
        let line = format::fit(join(&cols, picked), usize::from(inner.width));
        buf.set_line(inner.x, y, &line, inner.width);
        if total.stale {
            buf.set_style(Rect::new(inner.x, y, inner.width, 1), theme.stale);
        }
    }
    drawn_rows
}

fn is_older(row: &Row, stale_after: Duration, now: DateTime<Utc>) -> bool {
    row.updated_at()
        .is_some_and(|at| format::delta(at, now) > stale_after)
}

/// How far a row's data can be trusted at `now`. Everything derived from a row (its
/// colours, its spread, the across-venues figures) follows this one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Streamed, subscribed, recent.
    Fresh,
    /// Recent, from REST polling while the feed is in fallback.
    Polled,
    /// The feed is live but this row's data is older than the stale threshold.
    Stale,
    /// Confirmed, but no data arrives.
    Silent,
    /// The feed is not live (the word says how): the data is what it was when it went.
    Dead(&'static str),
}

impl Mark {
    /// Whether the row's quotes may take part in figures across venues.
    pub fn is_fresh(self) -> bool {
        matches!(self, Mark::Fresh | Mark::Polled)
    }

    /// The Age cell's text: the plain age when fresh, else the mark and the age.
    pub fn age_text(self, age: &str) -> String {
        match self {
            Mark::Fresh => age.to_string(),
            Mark::Polled => format!("polled {age}"),
            Mark::Stale => format!("stale {age}"),
            Mark::Silent => format!("silent {age}"),
            Mark::Dead(word) => format!("{word} {age}"),
        }
    }
}

/// The [`Mark`] of `row`, whose feed (if the snapshot has it) is `feed`. A row without a
/// feed has nobody updating it and counts as stopped.
pub fn mark(row: &Row, feed: Option<&Feed>, stale_after: Duration, now: DateTime<Utc>) -> Mark {
    let dead = feed.map_or(Some("stopped"), |f| status::dead_word(&f.status));
    if let Some(word) = dead {
        Mark::Dead(word)
    } else if let RowState::Silent(_) = row.state {
        Mark::Silent
    } else if is_older(row, stale_after, now) {
        Mark::Stale
    } else if row.source() == Some(Source::Rest) {
        Mark::Polled
    } else {
        Mark::Fresh
    }
}

fn row_entry<'a>(row: &'a Row, model: &ViewModel, now: DateTime<Utc>, theme: &Theme) -> Entry<'a> {
    let (view, snapshot) = (model.view, model.snapshot);
    let message = |text: String, style: Style| {
        Entry::Message(&row.symbol, Some(row.exchange), Span::styled(text, style))
    };
    match (&row.state, &row.ticker) {
        (RowState::Invalid(why), _) => message(format!("✕ invalid: {why}"), theme.offline),
        (RowState::Silent(why), None) => message(format!("◌ no data: {why}"), theme.connecting),
        (RowState::Pending, None) => message("waiting for data…".into(), theme.muted),
        (RowState::Subscribed, None) => {
            message("subscribed · waiting for data…".into(), theme.muted)
        }
        (_, Some(_)) => {
            let mark = mark(row, snapshot.feed(row.exchange), view.stale_after, now);
            let mut cells = cells(row, mark, now, theme);
            // A standing alert marks the row before its symbol.
            if view
                .fired
                .iter()
                .any(|m| m.exchange == row.exchange && m.symbol.as_ref() == Some(&row.symbol))
            {
                cells[Col::Symbol as usize].insert(0, Span::styled("⚑ ", theme.offline));
            }
            let index = snapshot
                .rows
                .iter()
                .position(|r| std::ptr::eq(r, row))
                .and_then(|i| model.table.holdings.row(i));
            if let Some(held) = index {
                holdings::cells(&mut cells, held, row, view.holdings_view, mark, theme);
            }
            Entry::Data(row, Box::new(cells))
        }
    }
}

/// What a cell holds when its figure is missing.
pub(super) const MISSING: &str = "—";

fn is_missing(cell: &[Span<'_>]) -> bool {
    matches!(cell, [only] if only.content == MISSING)
}

fn cells(row: &Row, mark: Mark, now: DateTime<Utc>, theme: &Theme) -> Cells {
    // Up/down colours and the flash say "this is moving now": only while the feed is live.
    let live = !matches!(mark, Mark::Dead(_));
    let mut cells: Cells = Default::default();
    let Some(t) = &row.ticker else { return cells };
    let dp = row.price_decimals;
    // A figure the venue does not give (or gave as empty: a book side with nothing on
    // it) reads as a dash, so "no value" never looks like a value not drawn yet.
    let none = || vec![Span::styled(MISSING, theme.muted)];
    let px = |v: Option<rust_decimal::Decimal>| {
        v.map_or_else(none, |v| vec![Span::raw(format::price(v, dp))])
    };
    let signed = |v: rust_decimal::Decimal| {
        if !live {
            Style::new()
        } else if v.is_sign_negative() && !v.is_zero() {
            theme.down
        } else if v.is_zero() {
            Style::new()
        } else {
            theme.up
        }
    };
    cells[Col::Symbol as usize] = vec![Span::raw(row.symbol.to_string())];
    cells[Col::Venue as usize] = vec![Span::raw(row.exchange.as_str())];
    cells[Col::Last as usize] = none();
    cells[Col::Change as usize] = none();
    cells[Col::Pct as usize] = none();
    cells[Col::Volume as usize] = none();
    if let Some(last) = t.last {
        let (arrow, dir_style) = match row.direction {
            Direction::Up => ("▲", theme.up),
            Direction::Down => ("▼", theme.down),
            Direction::Flat => (" ", Style::new()),
        };
        let dir_style = if live { dir_style } else { Style::new() };
        let flashing = live
            && row
                .last_change_at
                .is_some_and(|at| now >= at && now - at < FLASH);
        let text = format!("{} {arrow}", format::price(last, dp));
        cells[Col::Last as usize] = if flashing {
            vec![Span::styled(text, dir_style.add_modifier(theme.flash))]
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
    let age_style = match mark {
        Mark::Fresh => theme.muted,
        Mark::Polled => theme.fallback,
        Mark::Silent => theme.connecting,
        Mark::Stale | Mark::Dead(_) => theme.stale,
    };
    cells[Col::Age as usize] = vec![Span::styled(mark.age_text(&age), age_style)];
    cells
}

/// The row's trend window ending at `now` in `width` columns, coloured by which way it went
/// while the feed is live.
fn trend(
    row: &Row,
    width: usize,
    live: bool,
    now: DateTime<Utc>,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let columns = row.trend.columns(now, width);
    let bars = format::sparkline(&columns);
    let ends = columns.iter().flatten();
    let style = match (ends.clone().next(), ends.last()) {
        (Some(a), Some(b)) if live && b > a => theme.up,
        (Some(a), Some(b)) if live && b < a => theme.down,
        _ => Style::new(),
    };
    vec![Span::styled(bars, style)]
}

mod holdings;
#[cfg(test)]
mod tests;
