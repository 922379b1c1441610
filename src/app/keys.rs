//! Keys as pure functions: a key event and the current [`Mode`] give an [`Action`]. What
//! an action does is `App::apply`'s business; nothing here touches state, feeds or files.
//! The footer and the help overlay that list these keys are screen text, in `ui/prompt.rs`.
//!
//! `r` reconnects the selected row's feed (the one the trader is looking at); `R` reconnects
//! every feed. History entries are picked with PgUp/PgDn (a page: the pane's height) and
//! J/K (a line) whenever the pane is shown, so it needs no focus. Esc only ever closes
//! something (help, prompt, a picked history line); quitting is `q` or Ctrl-C.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

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
    CycleSort,
    /// The same sort the other way round.
    ReverseSort,
    /// Take back the last add or drop.
    Undo,
    ToggleHistory,
    /// Move the picked history entry by this many lines (positive = older).
    ScrollHistory(isize),
    /// Move it by this many pages of the pane's height.
    PageHistory(isize),
    /// Esc on the dashboard: let go of a picked history line (never quits).
    Back,
    OpenHelp,
    CloseHelp,
    /// Open the connection-details pane of the selected row's venue.
    OpenDetails,
    /// Prompt editing.
    Type(char),
    Backspace,
    ClearInput,
    Submit,
    Cancel,
}

/// The action for `key` in `mode`. Key releases (sent by some terminals) are ignored.
pub fn action(mode: &Mode, key: KeyEvent) -> Action {
    if key.kind == KeyEventKind::Release {
        return Action::Ignore;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Action::Quit;
    }
    match mode {
        Mode::Normal => normal(key.code, ctrl),
        Mode::Help => match key.code {
            KeyCode::Char('?' | 'q') | KeyCode::Esc | KeyCode::Enter => Action::CloseHelp,
            _ => Action::Ignore,
        },
        Mode::Details(_) => match key.code {
            KeyCode::Char('i' | 'q') | KeyCode::Esc | KeyCode::Enter => Action::CloseHelp,
            _ => Action::Ignore,
        },
        Mode::Adding(_) => match key.code {
            KeyCode::Esc => Action::Cancel,
            KeyCode::Enter => Action::Submit,
            KeyCode::Backspace => Action::Backspace,
            KeyCode::Char('u') if ctrl => Action::ClearInput,
            KeyCode::Char(c) if !ctrl && !c.is_control() => Action::Type(c),
            _ => Action::Ignore,
        },
    }
}

fn normal(code: KeyCode, ctrl: bool) -> Action {
    if ctrl {
        return Action::Ignore;
    }
    match code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('u') => Action::Undo,
        KeyCode::Char('S') => Action::ReverseSort,
        KeyCode::Char('r') => Action::ReconnectSelected,
        KeyCode::Char('R') => Action::ReconnectAll,
        KeyCode::Char('a') => Action::OpenAdd,
        KeyCode::Char('d') | KeyCode::Delete => Action::RemoveSelected,
        KeyCode::Up | KeyCode::Char('k') => Action::Select(-1),
        KeyCode::Down | KeyCode::Char('j') => Action::Select(1),
        KeyCode::Home => Action::Select(isize::MIN),
        KeyCode::End => Action::Select(isize::MAX),
        KeyCode::Char('s') => Action::CycleSort,
        KeyCode::Char('h') => Action::ToggleHistory,
        KeyCode::PageUp => Action::PageHistory(-1),
        KeyCode::PageDown => Action::PageHistory(1),
        KeyCode::Char('K') => Action::ScrollHistory(-1),
        KeyCode::Char('J') => Action::ScrollHistory(1),
        KeyCode::Char('?') => Action::OpenHelp,
        KeyCode::Char('i') => Action::OpenDetails,
        _ => Action::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            (KeyCode::Char('h'), Action::ToggleHistory),
            (KeyCode::PageDown, Action::PageHistory(1)),
            (KeyCode::PageUp, Action::PageHistory(-1)),
            (KeyCode::Char('K'), Action::ScrollHistory(-1)),
            (KeyCode::Char('?'), Action::OpenHelp),
            (KeyCode::Char('i'), Action::OpenDetails),
            (KeyCode::Char('x'), Action::Ignore),
        ];
        for (code, want) in cases {
            assert_eq!(action(&Mode::Normal, press(code)), want, "{code:?}");
        }
    }

    #[test]
    fn ctrl_c_quits_from_every_mode() {
        for mode in [Mode::Normal, Mode::Help, adding()] {
            assert_eq!(action(&mode, ctrl('c')), Action::Quit, "{mode:?}");
        }
        assert_eq!(action(&Mode::Normal, ctrl('r')), Action::Ignore);
    }

    #[test]
    fn esc_never_quits() {
        for mode in [Mode::Normal, Mode::Help, adding()] {
            assert_ne!(action(&mode, press(KeyCode::Esc)), Action::Quit, "{mode:?}");
        }
        assert_eq!(action(&Mode::Help, press(KeyCode::Esc)), Action::CloseHelp);
        assert_eq!(action(&adding(), press(KeyCode::Esc)), Action::Cancel);
    }

    #[test]
    fn prompt_takes_letters_as_text() {
        let m = adding();
        assert_eq!(action(&m, press(KeyCode::Char('q'))), Action::Type('q'));
        assert_eq!(action(&m, press(KeyCode::Char('d'))), Action::Type('d'));
        assert_eq!(action(&m, press(KeyCode::Char(':'))), Action::Type(':'));
        assert_eq!(action(&m, press(KeyCode::Esc)), Action::Cancel);
        assert_eq!(action(&m, press(KeyCode::Enter)), Action::Submit);
        assert_eq!(action(&m, press(KeyCode::Backspace)), Action::Backspace);
        assert_eq!(action(&m, ctrl('u')), Action::ClearInput);
        assert_eq!(action(&m, press(KeyCode::Up)), Action::Ignore);
    }

    #[test]
    fn help_closes_and_swallows_other_keys() {
        for code in [KeyCode::Char('?'), KeyCode::Esc, KeyCode::Char('q')] {
            assert_eq!(action(&Mode::Help, press(code)), Action::CloseHelp);
        }
        assert_eq!(
            action(&Mode::Help, press(KeyCode::Char('d'))),
            Action::Ignore
        );
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut k = press(KeyCode::Char('q'));
        k.kind = KeyEventKind::Release;
        assert_eq!(action(&Mode::Normal, k), Action::Ignore);
    }
}
