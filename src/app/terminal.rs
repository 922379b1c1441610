//! Taking the terminal and giving it back: raw mode and the alternate screen (ratatui's
//! init and restore, whose panic hook restores before the program ends), mouse capture when
//! `ui.mouse` is on, and Ctrl-Z: the screen is given back to the shell, the process stops
//! itself with SIGTSTP (through `signal-hook`: no unsafe code here), and when the shell
//! resumes it (`fg`) the terminal is taken again for a full redraw.

use std::io::{self, Write};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, enable_raw_mode};

use pricewire_core::store::Store;

/// Clicks and the wheel come to the dashboard (Shift-drag still selects text in most
/// terminals).
pub fn capture_mouse() {
    let _ = execute!(io::stdout(), EnableMouseCapture);
}

/// The terminal as it was: mouse released, raw mode off, main screen back.
pub fn restore(mouse: bool) {
    if mouse {
        let _ = execute!(io::stdout(), DisableMouseCapture);
    }
    ratatui::restore();
}

/// Release the mouse before the restoring panic hook runs (it knows nothing of the mouse).
pub fn release_mouse_on_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        previous(info);
    }));
}

/// Ctrl-Z: give the screen back, stop until resumed, then take it again. The store is told
/// first, so the feeds do not take the time stopped for a silent venue. Where the process
/// cannot be stopped (no job control: the shell that started it is gone), SIGTSTP is
/// discarded and this returns at once, the screen redrawn.
pub fn suspend(store: &Store, mouse: bool) -> io::Result<()> {
    restore(mouse);
    let mut out = io::stdout();
    writeln!(out, "pricewire stopped; `fg` resumes it")?;
    out.flush()?;
    store.note_suspend();
    #[cfg(unix)]
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    tracing::info!("resumed after Ctrl-Z");
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, Clear(ClearType::All))?;
    if mouse {
        capture_mouse();
    }
    Ok(())
}
