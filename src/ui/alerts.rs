//! The alert list, centred over the screen: every rule in its canonical spelling with where
//! it stands (waiting for a value, armed, re-arming, fired, done), how often it fired in
//! this run and when last; the picked one highlighted, and the keys that delete it and
//! close the list on the border. Reads the view state only.

use chrono::FixedOffset;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::format;
use super::theme::Theme;
use crate::keymap::Cmd;
use crate::view::state::ViewState;
use pricewire_core::alert::{RuleState, RuleStatus};

/// A rule's state as a word with its glyph and style.
fn state(s: &RuleStatus, theme: &Theme) -> Span<'static> {
    match s.state {
        RuleState::Waiting => Span::styled("… waiting", theme.muted),
        RuleState::Armed => Span::styled("● armed", theme.live),
        RuleState::Rearming => Span::styled("↺ re-arming", theme.connecting),
        RuleState::Fired => Span::styled("⚑ FIRED", theme.offline),
        RuleState::Done => Span::styled("⚑ fired (once)", theme.fallback),
    }
}

/// One line of the list: `● armed        kraken:BTC/USD last above 70000  · fired 2× · last 12:03:04`.
fn line(s: &RuleStatus, offset: FixedOffset, theme: &Theme) -> Line<'static> {
    let word = state(s, theme);
    let pad = 16usize.saturating_sub(word.content.chars().count());
    let mut spans = vec![
        Span::raw(" "),
        word,
        Span::raw(" ".repeat(pad)),
        Span::raw(s.rule.clone()),
    ];
    if s.fired > 0 {
        spans.push(Span::styled(format!(" · fired {}×", s.fired), theme.muted));
    }
    if let Some(at) = s.last_fired {
        spans.push(Span::styled(
            format!(
                " · last {}",
                at.with_timezone(&offset).format("%m-%d %H:%M:%S")
            ),
            theme.muted,
        ));
    }
    Line::from(spans)
}

/// The list over `area`, the rule at `picked` highlighted.
pub fn draw(frame: &mut Frame, area: Rect, view: &ViewState, picked: usize, theme: &Theme) {
    let keymap = &view.keymap;
    let lines: Vec<Line<'static>> = if view.alerts.is_empty() {
        vec![Line::from(Span::styled(
            format!(
                " no alerts · {} on a row makes one, or add [[alerts]] to the config file",
                keymap.shown(Cmd::Alert)
            ),
            theme.muted,
        ))]
    } else {
        view.alerts
            .iter()
            .map(|s| line(s, view.utc_offset, theme))
            .collect()
    };
    let want_w = lines.iter().map(Line::width).max().unwrap_or(0) + 3;
    let w = u16::try_from(want_w.max(60))
        .unwrap_or(u16::MAX)
        .min(area.width);
    let h = u16::try_from(lines.len() + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let popup = super::popup(frame, area, w, h, theme);
    let room = usize::from(w.saturating_sub(2));
    let block = Block::bordered()
        .border_style(theme.border)
        .title(format::title(
            Span::styled(" Alerts ", theme.header),
            &[pricewire_core::model::plural(
                u64::try_from(view.alerts.len()).unwrap_or(u64::MAX),
                "rule",
            )],
            theme.header,
            room,
        ))
        .title_bottom(format::fit(
            Line::from(Span::styled(
                format!(
                    " {} delete · {} close ",
                    keymap.shown(Cmd::Drop),
                    keymap.shown(Cmd::AlertList)
                ),
                theme.muted,
            )),
            room,
        ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    // The picked line stays in view on a short screen.
    let rows = usize::from(inner.height);
    let skip = (picked + 1).saturating_sub(rows);
    for (i, (y, l)) in (inner.y..inner.bottom())
        .zip(lines.into_iter().skip(skip))
        .enumerate()
    {
        let l = format::fit(l, usize::from(inner.width));
        frame.buffer_mut().set_line(inner.x, y, &l, inner.width);
        if i + skip == picked && !view.alerts.is_empty() {
            frame
                .buffer_mut()
                .set_style(Rect::new(inner.x, y, inner.width, 1), theme.selected);
        }
    }
}
