//! Drawing the dashboard. Every function here is pure: it takes a [`Snapshot`] copy, the
//! [`ViewState`], a fixed `now` and a [`Theme`], and writes to the frame. It never reads the
//! store, the clock or the environment, and never imports feed internals.
//!
//! ```text
//! pricewire  kraken ● LIVE · for 12m03s · ping 42ms · 15.2 msg/s      header (status.rs):
//!            binance ↻ RECONNECTING 2/5 · next 4s · connect failed…   one line per feed
//! ┌ Prices · 6 symbols · sort: symbol ─────────────────────────────┐
//! │Symbol           Last    %24h        Bid        Ask  Trend   Age│  prices.rs; columns
//! │kraken ● LIVE                                                   │  drop by priority
//! │BTC/USD    97,123.4 ▲  +1.29%   97,123.3   97,123.4  ▁▄▃▇▆█   0s│  (columns.rs);
//! │XRP/USD   waiting for data…                                     │  group headings when
//! │binance ↻ RECONNECTING 2/5                                      │  several feeds run
//! └──────────────────────────────────────────────────── ↓ 2 more ─┘
//! ┌ Across venues · best bid/ask ──────────────────────────────────┐  cross.rs, only when a
//! │BTC/USD   best bid 97,123.5 coinbase · best ask 97,123.6 kraken │  symbol streams from
//! └────────────────────────────────────────────────────────────────┘  several venues
//! ┌ State history · newest first · 1-4 of 6 · PgUp/PgDn ───────────┐  history.rs, h toggles
//! │11:59:58  [binance] reconnecting 1/5 → reconnecting 2/5  conne… │
//! └────────────────────────────────────────────────────────────────┘
//! ✕ dropped kraken:BTC/USD, but the watchlist was not saved: …         status line / prompt error
//! q quit  r reconnect  a add  d drop  ↑↓ select  s sort  h history  ? help   footer / add prompt
//!
//!        ? opens the key list centred over everything (prompt.rs)
//! ```

pub mod columns;
pub mod cross;
pub mod format;
pub mod history;
pub mod prices;
pub mod prompt;
pub mod status;
pub mod theme;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use crate::app::state::{HistoryPane, Mode, ViewState};
use crate::store::Snapshot;
use theme::Theme;

/// Lines of the history pane (with its borders) for a screen `height` lines tall.
fn history_height(height: u16) -> u16 {
    (height / 3).clamp(4, 14)
}

/// Entries the history pane shows on a screen `height` lines tall.
pub fn history_rows(height: u16) -> usize {
    usize::from(history_height(height).saturating_sub(2))
}

/// Draw the whole screen for `snapshot` as it stands at `now`.
pub fn draw(
    frame: &mut Frame,
    view: &ViewState,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let area = frame.area();
    let prompt_error = matches!(&view.mode, Mode::Adding(p) if p.error.is_some());
    let message = prompt_error || (view.status.is_some() && !matches!(view.mode, Mode::Adding(_)));
    let history = match view.history {
        HistoryPane::Shown => history_height(area.height),
        HistoryPane::Hidden => 0,
    };
    let cross = if area.height >= 20 {
        cross::height(snapshot, view.stale_after, now)
    } else {
        0
    };
    let [
        header,
        prices,
        cross_area,
        history_area,
        message_area,
        footer,
    ] = Layout::vertical([
        Constraint::Length(status::height(snapshot)),
        Constraint::Min(3),
        Constraint::Length(cross),
        Constraint::Length(history),
        Constraint::Length(u16::from(message)),
        Constraint::Length(1),
    ])
    .areas(area);

    status::draw(frame, header, snapshot, &view.rates, now, theme);
    prices::draw(frame, prices, view, snapshot, now, theme);
    if cross > 0 {
        cross::draw(frame, cross_area, snapshot, view.stale_after, now, theme);
    }
    if history > 0 {
        history::draw(
            frame,
            history_area,
            snapshot,
            view.history_scroll,
            view.utc_offset,
            theme,
        );
    }
    // On a very short terminal the layout squeezes these lines to nothing.
    let message_area = (!message_area.is_empty()).then_some(message_area);
    match &view.mode {
        Mode::Adding(p) if !footer.is_empty() => {
            prompt::prompt(frame, footer, message_area, p, theme);
        }
        Mode::Adding(_) => {}
        Mode::Normal | Mode::Help => {
            if let (Some(s), Some(area)) = (&view.status, message_area) {
                prompt::status_line(frame, area, s, theme);
            }
            if !footer.is_empty() {
                prompt::footer(frame, footer, theme);
            }
        }
    }
    if view.mode == Mode::Help {
        prompt::help(frame, area, theme);
    }
}
