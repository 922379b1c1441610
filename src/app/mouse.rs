//! The mouse as a pure function: an event and where the last frame drew things ([`Hits`])
//! give a [`Click`]. A click on a row selects it, the wheel moves the selection over the
//! table and picks history lines over the history, a click on a pane's title (its top
//! line) closes it. Everything else, pointer moves and drags above all, is
//! [`Click::None`]: nothing to do and nothing to redraw. Off with `ui.mouse = false`
//! (the terminal then keeps the mouse; with it on, Shift-drag still selects text in most
//! terminals).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use crate::view::state::{Hits, RowKey};

/// What a mouse event asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Click {
    /// Nothing (and nothing to redraw).
    None,
    /// Select this row.
    SelectRow(RowKey),
    /// Move the selection by this many rows (the wheel over the table).
    Move(isize),
    /// Move the picked history line by this many (the wheel over the history).
    History(isize),
    /// The history's title was clicked: hide the pane.
    ToggleHistory,
    /// The chart's title was clicked: close it.
    CloseChart,
}

/// Rows a wheel notch moves.
const WHEEL_STEP: isize = 1;

fn inside(area: Rect, x: u16, y: u16) -> bool {
    area.contains(Position::new(x, y))
}

fn on_title(area: Option<Rect>, x: u16, y: u16) -> bool {
    area.is_some_and(|a| y == a.y && (a.x..a.right()).contains(&x))
}

/// The [`Click`] for `ev` against the last frame's `hits`.
pub fn click(ev: &MouseEvent, hits: &Hits) -> Click {
    let (x, y) = (ev.column, ev.row);
    match ev.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if on_title(hits.chart, x, y) {
                return Click::CloseChart;
            }
            if on_title(hits.history, x, y) {
                return Click::ToggleHistory;
            }
            if inside(hits.table, x, y) {
                return hits
                    .rows
                    .iter()
                    .find(|(row_y, _)| *row_y == y)
                    .map_or(Click::None, |(_, k)| Click::SelectRow(k.clone()));
            }
            Click::None
        }
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let delta = if ev.kind == MouseEventKind::ScrollUp {
                -WHEEL_STEP
            } else {
                WHEEL_STEP
            };
            if inside(hits.table, x, y) {
                Click::Move(delta)
            } else if hits.history.is_some_and(|h| inside(h, x, y)) {
                Click::History(delta)
            } else {
                Click::None
            }
        }
        _ => Click::None,
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyModifiers;

    use super::*;
    use pricewire_core::model::ExchangeId;
    use pricewire_core::symbol::Symbol;

    fn at(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
        MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }
    }

    fn hits() -> Hits {
        Hits {
            rows: vec![
                (3, (ExchangeId::Kraken, Symbol::new("BTC", "USD"))),
                (4, (ExchangeId::Kraken, Symbol::new("ETH", "USD"))),
            ],
            table: Rect::new(0, 1, 80, 10),
            chart: Some(Rect::new(0, 11, 80, 8)),
            history: Some(Rect::new(0, 19, 80, 4)),
        }
    }

    #[test]
    fn clicks_select_rows_and_close_panes_by_their_title() {
        let h = hits();
        let left = MouseEventKind::Down(MouseButton::Left);
        assert_eq!(
            click(&at(left, 10, 4), &h),
            Click::SelectRow((ExchangeId::Kraken, Symbol::new("ETH", "USD")))
        );
        // The table's heading line is no row.
        assert_eq!(click(&at(left, 10, 2), &h), Click::None);
        assert_eq!(click(&at(left, 30, 11), &h), Click::CloseChart);
        assert_eq!(click(&at(left, 30, 12), &h), Click::None);
        assert_eq!(click(&at(left, 5, 19), &h), Click::ToggleHistory);
        assert_eq!(
            click(&at(MouseEventKind::Down(MouseButton::Right), 10, 4), &h),
            Click::None
        );
    }

    #[test]
    fn the_wheel_moves_what_is_under_it() {
        let h = hits();
        assert_eq!(
            click(&at(MouseEventKind::ScrollDown, 10, 5), &h),
            Click::Move(1)
        );
        assert_eq!(
            click(&at(MouseEventKind::ScrollUp, 10, 5), &h),
            Click::Move(-1)
        );
        assert_eq!(
            click(&at(MouseEventKind::ScrollDown, 10, 21), &h),
            Click::History(1)
        );
        assert_eq!(
            click(&at(MouseEventKind::ScrollDown, 10, 14), &h),
            Click::None,
            "not over the chart"
        );
    }

    #[test]
    fn pointer_moves_and_drags_do_nothing() {
        let h = hits();
        for kind in [
            MouseEventKind::Moved,
            MouseEventKind::Drag(MouseButton::Left),
            MouseEventKind::Up(MouseButton::Left),
        ] {
            assert_eq!(click(&at(kind, 10, 4), &h), Click::None, "{kind:?}");
        }
    }
}
