//! Keys as pure functions: a key event, the current [`Mode`] and the [`Keymap`] give an
//! [`Action`]. What an action does is `App::apply`'s business; nothing here touches state,
//! feeds or files. Which key runs which command is the keymap's (`crate::keymap`, with the
//! config's `[keys]` over its defaults); the prompts (add, filter) take typed text and are
//! not remapped, and Ctrl-C always quits.
//!
//! Esc only ever closes something (help, prompt, filter, chart, a picked history line);
//! quitting is the quit key or Ctrl-C.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::keymap::{Cmd, Key, Keymap};
use crate::view::state::Mode;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing to do (and nothing to redraw).
    Ignore,
    Quit,
    /// Reconnect the selected row's feed (every feed when no row is selected).
    ReconnectSelected,
    ReconnectAll,
    /// Open the add-symbol prompt.
    OpenAdd,
    /// Unsubscribe the selected row and drop it from the watchlist.
    RemoveSelected,
    /// Move the selection by this many rows (clamped at the ends).
    Select(isize),
    /// Sort by the next column shown.
    CycleSort,
    /// The same sort the other way round.
    ReverseSort,
    /// Rank across venues, or within each venue.
    CycleGrouping,
    /// Take back the last add or drop.
    Undo,
    ToggleHistory,
    /// Move the picked history entry by this many lines (positive = older).
    ScrollHistory(isize),
    /// Move it by this many pages of the pane's height.
    PageHistory(isize),
    /// Esc on the dashboard: close the chart, clear the filter, or let go of a picked
    /// history line (never quits).
    Back,
    OpenHelp,
    CloseHelp,
    /// Open (or close) the selected row's chart.
    ToggleChart,
    /// The chart's next window: 1 h → 24 h → 7 d.
    ChartWindow,
    /// The chart as candles or a line.
    ChartStyle,
    ToggleHoldings,
    HideAmounts,
    /// Start typing a filter.
    OpenFilter,
    /// Switch to the next named watchlist.
    NextWatchlist,
    /// Suspend to the shell (Ctrl-Z); the screen is drawn again on resume.
    Suspend,
    /// Open the connection-details pane of the selected row's venue.
    OpenDetails,
    /// Open the alert prompt for the selected row.
    OpenAlert,
    /// Open the alert list.
    OpenAlertList,
    /// Prompt editing (add prompt and filter).
    Type(char),
    Backspace,
    ClearInput,
    Submit,
    Cancel,
}

/// The action for `key` in `mode`. Key releases (sent by some terminals) are ignored.
pub fn action(mode: &Mode, key: KeyEvent, keymap: &Keymap) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::Ignore;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Action::Quit;
    }
    let cmd = keymap.command(Key::from_event(&key));
    match mode {
        Mode::Normal => cmd.map_or(Action::Ignore, command),
        Mode::Help => match (key.code, cmd) {
            (KeyCode::Esc | KeyCode::Enter, _) | (_, Some(Cmd::Help | Cmd::Quit | Cmd::Back)) => {
                Action::CloseHelp
            }
            _ => Action::Ignore,
        },
        Mode::Details(_) => match (key.code, cmd) {
            (KeyCode::Esc | KeyCode::Enter, _)
            | (_, Some(Cmd::Details | Cmd::Help | Cmd::Quit | Cmd::Back)) => Action::CloseHelp,
            _ => Action::Ignore,
        },
        Mode::AlertList(_) => match (key.code, cmd) {
            (KeyCode::Esc | KeyCode::Enter, _)
            | (_, Some(Cmd::AlertList | Cmd::Help | Cmd::Quit | Cmd::Back)) => Action::CloseHelp,
            (_, Some(Cmd::Up)) => Action::Select(-1),
            (_, Some(Cmd::Down)) => Action::Select(1),
            (_, Some(Cmd::Drop)) => Action::RemoveSelected,
            _ => Action::Ignore,
        },
        Mode::Adding(_) | Mode::Alerting(_) | Mode::Filtering => match key.code {
            KeyCode::Esc => Action::Cancel,
            KeyCode::Enter => Action::Submit,
            KeyCode::Backspace => Action::Backspace,
            KeyCode::Char('u') if ctrl => Action::ClearInput,
            KeyCode::Char(c) if !ctrl && !c.is_control() => Action::Type(c),
            _ => Action::Ignore,
        },
    }
}

/// What a command does on the dashboard.
fn command(cmd: Cmd) -> Action {
    match cmd {
        Cmd::Quit => Action::Quit,
        Cmd::Reconnect => Action::ReconnectSelected,
        Cmd::ReconnectAll => Action::ReconnectAll,
        Cmd::Add => Action::OpenAdd,
        Cmd::Drop => Action::RemoveSelected,
        Cmd::Undo => Action::Undo,
        Cmd::Up => Action::Select(-1),
        Cmd::Down => Action::Select(1),
        Cmd::First => Action::Select(isize::MIN),
        Cmd::Last => Action::Select(isize::MAX),
        Cmd::Sort => Action::CycleSort,
        Cmd::ReverseSort => Action::ReverseSort,
        Cmd::Grouping => Action::CycleGrouping,
        Cmd::History => Action::ToggleHistory,
        Cmd::HistoryPageUp => Action::PageHistory(-1),
        Cmd::HistoryPageDown => Action::PageHistory(1),
        Cmd::HistoryUp => Action::ScrollHistory(-1),
        Cmd::HistoryDown => Action::ScrollHistory(1),
        Cmd::Help => Action::OpenHelp,
        Cmd::Back => Action::Back,
        Cmd::Filter => Action::OpenFilter,
        Cmd::Chart => Action::ToggleChart,
        Cmd::ChartWindow => Action::ChartWindow,
        Cmd::ChartStyle => Action::ChartStyle,
        Cmd::Holdings => Action::ToggleHoldings,
        Cmd::HideAmounts => Action::HideAmounts,
        Cmd::Watchlist => Action::NextWatchlist,
        Cmd::Suspend => Action::Suspend,
        Cmd::Details => Action::OpenDetails,
        Cmd::Alert => Action::OpenAlert,
        Cmd::AlertList => Action::OpenAlertList,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::KeyEntry;
    use crate::view::state::Prompt;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn adding() -> Mode {
        Mode::Adding(Prompt::default())
    }

    fn keys() -> Keymap {
        Keymap::default()
    }

    #[test]
    fn normal_mode_keys() {
        let cases = [
            (KeyCode::Char('q'), Action::Quit),
            (KeyCode::Esc, Action::Back),
            (KeyCode::Char('u'), Action::Undo),
            (KeyCode::Char('S'), Action::ReverseSort),
            (KeyCode::Char('r'), Action::ReconnectSelected),
            (KeyCode::Char('R'), Action::ReconnectAll),
            (KeyCode::Char('a'), Action::OpenAdd),
            (KeyCode::Char('d'), Action::RemoveSelected),
            (KeyCode::Delete, Action::RemoveSelected),
            (KeyCode::Up, Action::Select(-1)),
            (KeyCode::Char('k'), Action::Select(-1)),
            (KeyCode::Down, Action::Select(1)),
            (KeyCode::Char('j'), Action::Select(1)),
            (KeyCode::Home, Action::Select(isize::MIN)),
            (KeyCode::Char('s'), Action::CycleSort),
            (KeyCode::Char('g'), Action::CycleGrouping),
            (KeyCode::Char('h'), Action::ToggleHistory),
            (KeyCode::PageDown, Action::PageHistory(1)),
            (KeyCode::PageUp, Action::PageHistory(-1)),
            (KeyCode::Char('K'), Action::ScrollHistory(-1)),
            (KeyCode::Char('?'), Action::OpenHelp),
            (KeyCode::Char('/'), Action::OpenFilter),
            (KeyCode::Char('c'), Action::ToggleChart),
            (KeyCode::Char('w'), Action::ChartWindow),
            (KeyCode::Char('v'), Action::ChartStyle),
            (KeyCode::Char('H'), Action::ToggleHoldings),
            (KeyCode::Char('$'), Action::HideAmounts),
            (KeyCode::Char('W'), Action::NextWatchlist),
            (KeyCode::Char('i'), Action::OpenDetails),
            (KeyCode::Char('A'), Action::OpenAlert),
            (KeyCode::Char('L'), Action::OpenAlertList),
            (KeyCode::Char('x'), Action::Ignore),
        ];
        for (code, want) in cases {
            assert_eq!(
                action(&Mode::Normal, press(code), &keys()),
                want,
                "{code:?}"
            );
        }
        assert_eq!(action(&Mode::Normal, ctrl('z'), &keys()), Action::Suspend);
    }

    #[test]
    fn a_remapped_key_runs_its_command_and_the_old_one_is_free() {
        let (map, problems) = Keymap::from_entries(&[KeyEntry {
            name: "chart".into(),
            keys: vec!["C".into()],
            line: Some(1),
        }]);
        assert!(problems.is_empty());
        assert_eq!(
            action(&Mode::Normal, press(KeyCode::Char('C')), &map),
            Action::ToggleChart
        );
        assert_eq!(
            action(&Mode::Normal, press(KeyCode::Char('c')), &map),
            Action::Ignore
        );
    }

    #[test]
    fn ctrl_c_quits_from_every_mode() {
        for mode in [Mode::Normal, Mode::Help, adding(), Mode::Filtering] {
            assert_eq!(action(&mode, ctrl('c'), &keys()), Action::Quit, "{mode:?}");
        }
        assert_eq!(action(&Mode::Normal, ctrl('r'), &keys()), Action::Ignore);
    }

    #[test]
    fn esc_never_quits() {
        for mode in [Mode::Normal, Mode::Help, adding(), Mode::Filtering] {
            assert_ne!(
                action(&mode, press(KeyCode::Esc), &keys()),
                Action::Quit,
                "{mode:?}"
            );
        }
        assert_eq!(
            action(&Mode::Help, press(KeyCode::Esc), &keys()),
            Action::CloseHelp
        );
        assert_eq!(
            action(&adding(), press(KeyCode::Esc), &keys()),
            Action::Cancel
        );
    }

    #[test]
    fn prompts_take_letters_as_text() {
        for m in [adding(), Mode::Filtering] {
            let act = |code| action(&m, press(code), &keys());
            assert_eq!(act(KeyCode::Char('q')), Action::Type('q'));
            assert_eq!(act(KeyCode::Char('c')), Action::Type('c'));
            assert_eq!(act(KeyCode::Char(':')), Action::Type(':'));
            assert_eq!(act(KeyCode::Esc), Action::Cancel);
            assert_eq!(act(KeyCode::Enter), Action::Submit);
            assert_eq!(act(KeyCode::Backspace), Action::Backspace);
            assert_eq!(action(&m, ctrl('u'), &keys()), Action::ClearInput);
            assert_eq!(act(KeyCode::Up), Action::Ignore);
        }
    }

    #[test]
    fn help_closes_and_swallows_other_keys() {
        for code in [KeyCode::Char('?'), KeyCode::Esc, KeyCode::Char('q')] {
            assert_eq!(action(&Mode::Help, press(code), &keys()), Action::CloseHelp);
        }
        assert_eq!(
            action(&Mode::Help, press(KeyCode::Char('d')), &keys()),
            Action::Ignore
        );
    }

    #[test]
    fn the_alert_list_picks_deletes_and_closes_and_its_prompt_takes_text() {
        let list = Mode::AlertList(0);
        let act = |code| action(&list, press(code), &keys());
        assert_eq!(act(KeyCode::Down), Action::Select(1));
        assert_eq!(act(KeyCode::Char('k')), Action::Select(-1));
        assert_eq!(act(KeyCode::Char('d')), Action::RemoveSelected);
        assert_eq!(act(KeyCode::Delete), Action::RemoveSelected);
        for code in [
            KeyCode::Esc,
            KeyCode::Enter,
            KeyCode::Char('L'),
            KeyCode::Char('q'),
        ] {
            assert_eq!(act(code), Action::CloseHelp, "{code:?}");
        }
        assert_eq!(act(KeyCode::Char('a')), Action::Ignore);
        let prompt = Mode::Alerting(Prompt::default());
        assert_eq!(
            action(&prompt, press(KeyCode::Char('A')), &keys()),
            Action::Type('A')
        );
        assert_eq!(
            action(&prompt, press(KeyCode::Enter), &keys()),
            Action::Submit
        );
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut k = press(KeyCode::Char('q'));
        k.kind = KeyEventKind::Release;
        assert_eq!(action(&Mode::Normal, k, &keys()), Action::Ignore);
    }
}
