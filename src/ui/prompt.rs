//! The bottom of the screen and what floats over it: the key footer, the status line with
//! the outcome of the last action, the add-symbol prompt with its error, and the help
//! overlay. Reads the view state only.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::format;
use super::theme::Theme;
use crate::keymap::Keymap;
use crate::view::state::{Prompt, Status};

const PROMPT_LABEL: &str = "Add symbol › ";
const FILTER_LABEL: &str = "Filter › ";
const ALERT_LABEL: &str = "Alert › ";

/// The help overlay's closing lines, after every command: what the prompts take.
const PROMPT_HELP: [(&str, &str); 3] = [
    ("Add, alert", "Enter adds, Esc cancels"),
    ("Filter", "Enter keeps, Esc clears"),
    ("Prompts", "Ctrl-U clears the line"),
];

/// The key footer, from the keymap: `q quit  / filter  …  ? help`. On a narrow terminal
/// whole hints drop from the right; the last one (help) always stays.
pub fn footer(frame: &mut Frame, area: Rect, keymap: &Keymap, theme: &Theme) {
    let hints = keymap.footer();
    let hint_width = |(key, what): &(String, &str)| key.chars().count() + 1 + what.chars().count();
    let Some((last, rest)) = hints.split_last() else {
        return;
    };
    let mut budget = usize::from(area.width).saturating_sub(hint_width(last));
    let mut shown = Vec::new();
    for hint in rest {
        let need = hint_width(hint) + 2;
        if need > budget {
            break;
        }
        budget -= need;
        shown.push(hint);
    }
    shown.push(last);
    let mut spans = Vec::new();
    for (i, (key, what)) in shown.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(key.clone(), theme.key));
        spans.push(Span::styled(format!(" {what}"), theme.muted));
    }
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &Line::from(spans), area.width);
}

/// Lines the message area takes at most; a longer message ends in `…` (the log has it all).
pub const MESSAGE_LINES: u16 = 3;

/// The text of the message line for the view: the add prompt's error while the prompt is
/// open, else the outcome of the last action.
pub fn message(status: Option<&Status>, prompt: Option<&Prompt>) -> Option<String> {
    match prompt {
        Some(p) => p.error.as_ref().map(|e| format!("✕ {e}")),
        None => status.map(|s| match s {
            Status::Info(text) => text.clone(),
            Status::Warning(text) => format!("⚠ {text}"),
            Status::Error(text) => format!("✕ {text}"),
        }),
    }
}

/// Lines `text` needs at `width`, up to [`MESSAGE_LINES`].
pub fn message_height(text: &str, width: u16) -> u16 {
    let n = format::wrap(text, usize::from(width)).len();
    u16::try_from(n).unwrap_or(u16::MAX).min(MESSAGE_LINES)
}

/// The message wrapped over `area`, so a long error (a save failure with its path) reads
/// in full, in `style`.
fn draw_message(frame: &mut Frame, area: Rect, text: &str, style: Style) {
    let lines = format::wrap(text, usize::from(area.width));
    let rows = usize::from(area.height);
    for (i, text) in lines.iter().take(rows).enumerate() {
        let mut line = Line::from(Span::styled(text.clone(), style));
        if i + 1 == rows && lines.len() > rows {
            // Cut: say so rather than look complete.
            let more = format!("{text} {}", lines[rows..].join(" "));
            line = format::fit(
                Line::from(Span::styled(more, style)),
                usize::from(area.width),
            );
        }
        let y = area.y + u16::try_from(i).unwrap_or(u16::MAX);
        frame.buffer_mut().set_line(area.x, y, &line, area.width);
    }
}

/// The outcome of the last action: errors in the offline colour, warnings in the
/// connecting one.
pub fn status_line(frame: &mut Frame, area: Rect, status: &Status, theme: &Theme) {
    let style = match status {
        Status::Info(_) => Style::default(),
        Status::Warning(_) => theme.connecting,
        Status::Error(_) => theme.offline,
    };
    if let Some(text) = message(Some(status), None) {
        draw_message(frame, area, &text, style);
    }
}

/// The prompt on the footer line; the error, when any, on the line above (`error_area`).
pub fn prompt(frame: &mut Frame, area: Rect, error_area: Option<Rect>, p: &Prompt, theme: &Theme) {
    typed(
        frame,
        (area, error_area),
        (
            PROMPT_LABEL,
            "  Enter add · Esc cancel · e.g. ETH/USD, binance:BTC/USDT",
        ),
        p,
        theme,
    );
}

/// The alert prompt on the footer line, in the alert grammar; the error above it.
pub fn alert_prompt(
    frame: &mut Frame,
    area: Rect,
    error_area: Option<Rect>,
    p: &Prompt,
    theme: &Theme,
) {
    typed(
        frame,
        (area, error_area),
        (
            ALERT_LABEL,
            "  Enter add · Esc cancel · e.g. last below 3000, move 2% 5m, spread > 5bps",
        ),
        p,
        theme,
    );
}

/// A prompt with its label and hint on the footer line, the cursor after the text.
fn typed(
    frame: &mut Frame,
    (area, error_area): (Rect, Option<Rect>),
    (label, hint): (&'static str, &'static str),
    p: &Prompt,
    theme: &Theme,
) {
    let line = Line::from(vec![
        Span::styled(label, theme.header),
        Span::raw(p.input.clone()),
        Span::styled(hint, theme.muted),
    ]);
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
    let cursor = label.chars().count() + p.input.chars().count();
    let x = area.x
        + u16::try_from(cursor)
            .unwrap_or(u16::MAX)
            .min(area.width.saturating_sub(1));
    frame.set_cursor_position(Position::new(x, area.y));
    if let (Some(err_area), Some(text)) = (error_area, message(None, Some(p))) {
        draw_message(frame, err_area, &text, theme.offline);
    }
}

/// The filter prompt on the footer line: the words typed narrow the rows as they come.
pub fn filter_prompt(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    let line = Line::from(vec![
        Span::styled(FILTER_LABEL, theme.header),
        Span::raw(text.to_string()),
        Span::styled(
            "  Enter keep · Esc clear · words match a symbol or a venue",
            theme.muted,
        ),
    ]);
    frame
        .buffer_mut()
        .set_line(area.x, area.y, &line, area.width);
    let cursor = FILTER_LABEL.chars().count() + text.chars().count();
    let x = area.x
        + u16::try_from(cursor)
            .unwrap_or(u16::MAX)
            .min(area.width.saturating_sub(1));
    frame.set_cursor_position(Position::new(x, area.y));
}

/// The help overlay, centred over `area`, listing every command with its keys (from the
/// keymap), what the prompts take and, last, where the log is. On a short screen the list
/// runs in two columns side by side when the width allows.
pub fn help(
    frame: &mut Frame,
    area: Rect,
    keymap: &Keymap,
    log_file: Option<&std::path::Path>,
    theme: &Theme,
) {
    let log = log_file.map_or_else(|| "off".to_string(), |p| p.display().to_string());
    let log = pricewire_core::sanitize::clean(&log);
    let commands = keymap.help();
    let rows: Vec<(&str, &str)> = commands
        .iter()
        .map(|(k, t)| (k.as_str(), *t))
        .chain(PROMPT_HELP.iter().copied())
        .collect();
    // Headings (a key with no text) do not widen the key column.
    let key_w = rows
        .iter()
        .filter(|(_, t)| !t.is_empty())
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let text_w = rows
        .iter()
        .map(|(_, t)| t.chars().count())
        .max()
        .unwrap_or(0);
    let column_w = key_w + text_w + 4;
    // Two columns when one would not fit the height but two fit the width.
    let fits_high = rows.len() + 2 <= usize::from(area.height);
    let columns = if !fits_high && 2 * column_w + 2 <= usize::from(area.width) {
        2
    } else {
        1
    };
    let per_column = rows.len().div_ceil(columns);
    let want_w = u16::try_from(columns * column_w + 2).unwrap_or(u16::MAX);
    let want_h = u16::try_from(per_column + 2).unwrap_or(u16::MAX);
    let w = want_w.min(area.width);
    let h = want_h.min(area.height);
    let popup = super::popup(frame, area, w, h, theme);
    let block = Block::bordered()
        .border_style(theme.border)
        .title(format::title(
            Span::styled(" Keys ", theme.header),
            &[format!(
                "{} or Esc to close",
                keymap.shown(crate::keymap::Cmd::Help)
            )],
            theme.header,
            usize::from(w.saturating_sub(2)),
        ));
    // Where the log is, on the bottom border (a long path does not widen the columns).
    let block = block.title_bottom(format::fit(
        Line::from(Span::styled(format!(" log: {log} "), theme.muted)),
        usize::from(w.saturating_sub(2)),
    ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let buf = frame.buffer_mut();
    for (c, chunk) in rows.chunks(per_column.max(1)).enumerate() {
        let x = inner.x + u16::try_from(c * column_w).unwrap_or(u16::MAX);
        if x >= inner.right() {
            break;
        }
        let width = inner.right() - x;
        for (y, (key, text)) in (inner.y..inner.bottom()).zip(chunk) {
            let line = if text.is_empty() {
                Line::from(vec![Span::raw(" "), Span::styled(*key, theme.header)])
            } else {
                Line::from(vec![
                    Span::raw(" "),
                    Span::styled(format!("{key:<key_w$}"), theme.key),
                    Span::raw("  "),
                    Span::raw(*text),
                ])
            };
            buf.set_line(x, y, &line, width);
        }
    }
}
