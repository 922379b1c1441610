//! The terminal window's title, which names the venues and says which of them are the
//! simulator's (`pricewire — kraken (SIMULATED)`), so a tab bar or a window switcher
//! tells made-up prices from real ones too. Set only when it changes; the text comes from
//! [`crate::ui::status::window_title`]. The previous title is not restored on exit: no
//! portable way to read it exists.

use std::fmt;

use crate::ui::status;
use pricewire_core::store::Snapshot;

/// Where the title goes, and what was last sent there.
pub struct WindowTitle {
    set: Box<dyn FnMut(&str) + Send>,
    shown: Option<String>,
}

impl WindowTitle {
    /// Titles handed to `set` (tests record them).
    pub fn new(set: impl FnMut(&str) + Send + 'static) -> Self {
        WindowTitle {
            set: Box::new(set),
            shown: None,
        }
    }

    /// The real terminal's title (an OSC sequence on stdout, through crossterm).
    pub fn terminal() -> Self {
        WindowTitle::new(|title| {
            // A terminal that ignores titles ignores the sequence; nothing to report.
            let _ = crossterm::execute!(std::io::stdout(), crossterm::terminal::SetTitle(title));
        })
    }

    /// Set the title for `snapshot`, unless it is already showing.
    pub fn show(&mut self, snapshot: &Snapshot) {
        let title = status::window_title(snapshot);
        if self.shown.as_ref() != Some(&title) {
            (self.set)(&title);
            self.shown = Some(title);
        }
    }
}

impl fmt::Debug for WindowTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WindowTitle")
            .field("shown", &self.shown)
            .finish_non_exhaustive()
    }
}
