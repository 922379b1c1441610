//! Drawing the dashboard. Every function here is pure: it takes the frame's [`ViewModel`]
//! (a [`Snapshot`](pricewire_core::store::Snapshot) copy, the view state, the rows in
//! display order and the table's lines, worked out once per frame in [`crate::view`]), a
//! fixed `now` and a [`Theme`], and writes to the frame. It shares the screen out between
//! the panes and draws them; it never orders rows or decides which are shown, never reads
//! the store, the clock or the environment, and never imports `app` or feed internals.
//!
//! ```text
//! ▶ REPLAY 2026-03-01 03:00:41 UTC · 10× · night.jsonl                 only in a replay
//! pricewire  kraken ● LIVE · for 12m03s · ping 42ms · 15.2 msg/s      header (status.rs):
//!            binance ↻ RECONNECTING 2/5 · next 4s · connect failed…   one line per feed, or
//!                                                                  per state when short
//! ┌ Prices · 6 symbols · sort: symbol ─────────────────────────────┐
//! │Symbol           Last    %24h        Bid        Ask  Trend   Age│  prices.rs; columns
//! │kraken ● LIVE                                                   │  drop by priority
//! │BTC/USD    97,123.4 ▲  +1.29%   97,123.3   97,123.4  ▁▄▃▇▆█   0s│  (columns.rs);
//! │XRP/USD   waiting for data…                                     │  group headings when
//! │binance ↻ RECONNECTING 2/5                                      │  several feeds run
//! └──────────────────────────────────────────────────── ↓ 2 more ─┘
//! ┌ Across venues · best fresh bid/ask ────────────────────────────┐  cross.rs, only when a
//! │BTC/USD   best bid 97,123.5 coinbase · best ask 97,123.6 kraken │  symbol streams from
//! └────────────────────────────────────────────────────────────────┘  several venues
//! ┌ State history · newest first · 1-4 of 6 · PgUp/PgDn ───────────┐  history.rs, h toggles
//! │11:59:58  [binance] reconnecting 1/5 → reconnecting 2/5  conne… │
//! └────────────────────────────────────────────────────────────────┘
//! ✕ dropped kraken:BTC/USD, but the watchlist was not saved: …         status line / prompt error
//! q quit  r reconnect  a add  d drop  ↑↓ select  s sort  h history  ? help   footer / add prompt
//!
//!        ? opens the key list centred over everything (prompt.rs), L the alert list
//!        (alerts.rs); a standing alert marks its row (⚑) and the header's right end
//! ```
//!
//! When lines are short, the panes around the table give way first (`plan`), so that
//! at least ten price rows stay in view.

pub mod alerts;
pub mod chart;
pub mod columns;
pub mod cross;
pub mod details;
pub mod format;
pub mod history;
pub mod prices;
pub mod prompt;
pub mod status;
pub mod theme;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::view::ViewModel;
use crate::view::state::{HistoryPane, Mode};
use status::HeaderMode;
use theme::Theme;

/// Lines of the history pane (with its borders) for a screen `height` lines tall.
/// A `w` x `h` box (at most `area`'s size) in the middle of `area`, cleared and painted with
/// the theme's base: where a pop-up draws.
fn popup(frame: &mut Frame, area: Rect, w: u16, h: u16, theme: &Theme) -> Rect {
    let popup = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    frame.render_widget(ratatui::widgets::Clear, popup);
    frame.buffer_mut().set_style(popup, theme.base);
    popup
}

fn history_height(height: u16) -> u16 {
    (height / 3).clamp(4, 14)
}

/// Entries the history pane shows on a screen `height` lines tall when it has its full
/// size; see [`history_rows_for`] for what a given screen and snapshot really show.
pub fn history_rows(height: u16) -> usize {
    usize::from(history_height(height).saturating_sub(2))
}

/// Entries the history pane shows on a screen of `area` for `model`: 0 when the layout
/// hides it to keep price rows in view. The loop pages the history by it.
pub fn history_rows_for(area: Rect, model: &ViewModel) -> usize {
    usize::from(plan(area, model).history.saturating_sub(2))
}

/// What a frame's layout came to, for the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// Entries the history pane showed (0: hidden); the history pages by it.
    pub history_rows: usize,
    /// Where rows and panes were drawn, for the mouse.
    pub hits: crate::view::state::Hits,
}

/// Price rows the table keeps in view before a secondary pane gives up lines.
const MIN_PRICE_ROWS: usize = 10;

/// How the screen's lines are shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    header: HeaderMode,
    header_lines: u16,
    cross: u16,
    history: u16,
    message: u16,
    chart: u16,
}

/// Share the screen out. Everything at full size when the table still shows at least
/// [`MIN_PRICE_ROWS`] rows (or has fewer); otherwise, step by step, the history shrinks to two
/// entries, the header says one line per state and then one line in all, the across-venues
/// pane shrinks to one symbol, the history goes, and last the across-venues pane goes.
fn plan(area: Rect, model: &ViewModel) -> Plan {
    let (view, snapshot) = (model.view, model.snapshot);
    let prompt = match &view.mode {
        Mode::Adding(p) | Mode::Alerting(p) => Some(p),
        Mode::Normal | Mode::Help | Mode::Filtering | Mode::Details(_) | Mode::AlertList(_) => None,
    };
    let message = prompt::message(view.status.as_ref(), prompt)
        .map_or(0, |text| prompt::message_height(&text, area.width));
    let history = match view.history {
        HistoryPane::Shown => history_height(area.height),
        HistoryPane::Hidden => 0,
    };
    let cross = cross::height(snapshot);
    let chart = if view.chart.is_some() {
        chart::height(area.height)
    } else {
        0
    };
    let totals = if view.holdings_view.shown {
        u16::try_from(model.table.holdings.totals.len()).unwrap_or(0)
    } else {
        0
    };
    // A replay's line stands atop the header in every mode.
    let replay_line = u16::from(view.replay.is_some());
    let header = |mode| {
        status::height(snapshot, mode, area.width, view.replay.is_some())
            .map(|n| n.saturating_add(replay_line))
    };
    let per_feed = header(HeaderMode::PerFeed).unwrap_or(1 + replay_line);
    let per_state = header(HeaderMode::PerState).unwrap_or(per_feed);
    // A shorter mode only when it saves lines: with one feed, its details stay.
    let shorter = |mode, lines: u16, than: (HeaderMode, u16)| {
        if lines < than.1 { (mode, lines) } else { than }
    };
    let per_state = shorter(
        HeaderMode::PerState,
        per_state,
        (HeaderMode::PerFeed, per_feed),
    );
    let lean = match header(HeaderMode::OneLine) {
        Some(n) => shorter(HeaderMode::OneLine, n, per_state),
        None => per_state,
    };
    let short_history = history.min(4);
    let candidates = [
        (HeaderMode::PerFeed, per_feed, cross, history),
        (HeaderMode::PerFeed, per_feed, cross, short_history),
        (per_state.0, per_state.1, cross, short_history),
        (lean.0, lean.1, cross, short_history),
        (lean.0, lean.1, cross.min(3), short_history),
        (lean.0, lean.1, cross.min(3), 0),
        (lean.0, lean.1, 0, 0),
    ];
    // The panes give way until the table shows every row, or MIN_PRICE_ROWS of a longer
    // one: a watchlist must never shrink to one visible row behind the panes.
    let rows = model.table.row_lines();
    let wanted = rows.min(MIN_PRICE_ROWS);
    let fits = |(_, header, cross, history): (HeaderMode, u16, u16, u16)| {
        let table = area
            .height
            .saturating_sub(header + cross + history + message + chart + 1);
        // A table's borders and column headings take three lines, the totals theirs.
        let body = usize::from(table.saturating_sub(3 + totals));
        table >= 3 && model.table.rows_within(body) >= wanted
    };
    let (header, header_lines, cross, history) = candidates
        .into_iter()
        .find(|c| fits(*c))
        .unwrap_or(candidates[candidates.len() - 1]);
    Plan {
        header,
        header_lines,
        cross,
        history,
        message,
        chart,
    }
}

/// Draw the whole screen for `model` as it stands at `now`.
pub fn draw(frame: &mut Frame, model: &ViewModel, now: DateTime<Utc>, theme: &Theme) -> Drawn {
    let (view, snapshot) = (model.view, model.snapshot);
    let area = frame.area();
    // The theme's text and background under everything drawn after.
    frame.buffer_mut().set_style(area, theme.base);
    let plan = plan(area, model);
    // The add prompt is the line being typed on: it keeps the last line whatever the
    // height, and the panes share the rest. The key footer gives way to them instead.
    let (panes, prompt_line) = match &view.mode {
        Mode::Adding(_) | Mode::Alerting(_) | Mode::Filtering if area.height > 0 => {
            let [panes, line] =
                Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(area);
            (panes, Some(line))
        }
        Mode::Adding(_)
        | Mode::Alerting(_)
        | Mode::Filtering
        | Mode::Normal
        | Mode::Help
        | Mode::Details(_)
        | Mode::AlertList(_) => (area, None),
    };
    let [
        header,
        prices,
        chart_area,
        cross_area,
        history_area,
        message_area,
        footer,
    ] = Layout::vertical([
        Constraint::Length(plan.header_lines),
        Constraint::Min(3),
        Constraint::Length(plan.chart),
        Constraint::Length(plan.cross),
        Constraint::Length(plan.history),
        Constraint::Length(plan.message),
        Constraint::Length(u16::from(prompt_line.is_none())),
    ])
    .areas(panes);
    let footer = prompt_line.unwrap_or(footer);

    let header = match &view.replay {
        Some(r) if !header.is_empty() => {
            let [line, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(header);
            status::replay_line(frame, line, r, now, theme);
            rest
        }
        _ => header,
    };
    status::draw(frame, header, snapshot, plan.header, view, now, theme);
    status::alert_mark(frame, header, &view.fired, theme);
    let rows = prices::draw(frame, prices, model, now, theme);
    let chart_shown = match &view.chart {
        Some(c) if plan.chart > 0 => {
            chart::draw(frame, chart_area, model, c, now, theme);
            Some(chart_area)
        }
        _ => None,
    };
    if plan.cross > 0 {
        cross::draw(frame, cross_area, model, now, theme);
    }
    if plan.history > 0 {
        history::draw(frame, history_area, model, theme);
    }
    // On a very short terminal the layout squeezes these lines to nothing.
    let message_area = (!message_area.is_empty()).then_some(message_area);
    match &view.mode {
        Mode::Adding(p) if !footer.is_empty() => {
            prompt::prompt(frame, footer, message_area, p, theme);
        }
        Mode::Alerting(p) if !footer.is_empty() => {
            prompt::alert_prompt(frame, footer, message_area, p, theme);
        }
        Mode::Filtering if !footer.is_empty() => {
            prompt::filter_prompt(frame, footer, &view.filter, theme);
        }
        Mode::Adding(_) | Mode::Alerting(_) | Mode::Filtering => {}
        Mode::Normal | Mode::Help | Mode::Details(_) | Mode::AlertList(_) => {
            if let (Some(s), Some(area)) = (&view.status, message_area) {
                prompt::status_line(frame, area, s, theme);
            }
            if !footer.is_empty() {
                prompt::footer(frame, footer, &view.keymap, theme);
            }
        }
    }
    if view.mode == Mode::Help {
        prompt::help(frame, area, &view.keymap, view.log_file.as_deref(), theme);
    }
    if let Mode::AlertList(picked) = view.mode {
        alerts::draw(frame, area, view, picked, theme);
    }
    if let Mode::Details(exchange) = view.mode {
        details::draw(frame, area, snapshot, exchange, now, view, theme);
    }
    Drawn {
        history_rows: usize::from(plan.history.saturating_sub(2)),
        hits: crate::view::state::Hits {
            rows,
            table: prices,
            chart: chart_shown,
            history: (plan.history > 0).then_some(history_area),
        },
    }
}
