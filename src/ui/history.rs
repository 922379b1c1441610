//! The state-history pane: every feed's transitions merged with the alerts fired and the
//! previous run's last entries (marked as earlier), newest first, as
//! `time  [venue] from → to  reason`. Draws the view model's history (merged and ordered
//! there, from the snapshot's bounded history) at its clamped scroll, and nothing else.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme::Theme;
use super::{format, status};
use crate::view::ViewModel;
use crate::view::model::HistoryItem;
use crate::view::state::{Note, NoteKind};
use pricewire_core::model::{FeedStatus, Transition};

/// The pane at the view's scroll; the entry picked with PgUp/PgDn or K/J is highlighted and,
/// when its line is wider than the pane, wrapped so it reads in full.
pub fn draw(frame: &mut Frame, area: Rect, model: &ViewModel, theme: &Theme) {
    let (all, view) = (&model.history, model.view);
    let inner_height = usize::from(area.height.saturating_sub(2));
    let scroll = model.history_scroll(inner_height);
    let position = if all.len() > inner_height {
        format!(
            "· {}-{} of {} · PgUp/PgDn ",
            scroll + 1,
            (scroll + inner_height).min(all.len()),
            all.len()
        )
    } else {
        String::new()
    };
    let title = Line::from(vec![
        Span::styled(" State history ", theme.header),
        Span::raw(format!("· newest first {position}")),
    ]);
    let block = Block::bordered().border_style(theme.border).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if all.is_empty() {
        let line = Line::from(Span::styled("no state changes yet", theme.muted));
        frame
            .buffer_mut()
            .set_line(inner.x, inner.y, &line, inner.width);
        return;
    }
    let width = usize::from(inner.width);
    let mut y = inner.y;
    for (i, t) in all.iter().enumerate().skip(scroll) {
        if y >= inner.bottom() {
            break;
        }
        let line = match t {
            HistoryItem::State(t) => line(t, view.utc_offset, theme),
            HistoryItem::Note(n) => note_line(n, view.utc_offset, theme),
        };
        if view.history_cursor == Some(i) {
            // In full: as many lines as the text needs, as far as the pane reaches.
            let need = line.width().div_ceil(width.max(1)).max(1);
            let height = u16::try_from(need)
                .unwrap_or(u16::MAX)
                .min(inner.bottom() - y);
            let at = Rect::new(inner.x, y, inner.width, height);
            frame.render_widget(
                Paragraph::new(line)
                    .wrap(Wrap { trim: false })
                    .style(theme.selected),
                at,
            );
            y += height;
        } else {
            let line = format::fit(line, width);
            frame.buffer_mut().set_line(inner.x, y, &line, inner.width);
            y += 1;
        }
    }
}

/// `12:03:04  [kraken] connecting → connected  subscribed BTC/USD`
pub fn line(t: &Transition, offset: FixedOffset, theme: &Theme) -> Line<'static> {
    let style = status::badge(&t.to, theme).style;
    let (to, change) = (name(&t.to), name(&t.from));
    // A new reason within one state (the breaker opening while offline) is not a change
    // of state, and does not read as one.
    let from = if change == to {
        "still ".to_string()
    } else {
        format!("{change} → ")
    };
    Line::from(vec![
        Span::styled(time(t.at, offset), theme.muted),
        Span::raw(format!("  [{}] {from}", t.exchange)),
        Span::styled(to, style),
        Span::raw("  "),
        Span::raw(t.reason.clone()),
    ])
}

/// `12:03:04  [kraken] ⚑ alert  kraken:BTC/USD last above 70000: …`; an entry of the
/// previous run reads `earlier 05-02 11:59:58  [kraken] …`, in the muted style.
pub fn note_line(n: &Note, offset: FixedOffset, theme: &Theme) -> Line<'static> {
    let venue = n.exchange.map(|e| format!("[{e}] ")).unwrap_or_default();
    match n.kind {
        NoteKind::Earlier => Line::from(vec![Span::styled(
            format!(
                "earlier {}  {venue}{}",
                n.at.with_timezone(&offset).format("%m-%d %H:%M:%S"),
                n.text
            ),
            theme.muted,
        )]),
        NoteKind::Alert | NoteKind::Recovered => {
            let (word, style) = if n.kind == NoteKind::Alert {
                ("⚑ alert", theme.offline)
            } else {
                ("✓ recovered", theme.live)
            };
            Line::from(vec![
                Span::styled(time(n.at, offset), theme.muted),
                Span::raw(format!("  {venue}")),
                Span::styled(word, style),
                Span::raw("  "),
                Span::raw(n.text.clone()),
            ])
        }
    }
}

fn time(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset).format("%H:%M:%S").to_string()
}

fn name(s: &FeedStatus) -> String {
    match s {
        FeedStatus::Reconnecting {
            attempt,
            max_attempts,
            ..
        } => format!("reconnecting {attempt}/{max_attempts}"),
        other => other.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::model::{clamp_scroll, history as entries};
    use pricewire_core::model::ExchangeId;
    use pricewire_core::store::{Store, StoreLimits};

    #[test]
    fn newest_first_across_feeds_and_scroll_clamped() {
        let store = Store::new(StoreLimits::default());
        let at = |s: i64| DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap();
        store.transition(ExchangeId::Kraken, FeedStatus::Connected, "up", at(1));
        store.transition(ExchangeId::Binance, FeedStatus::Connected, "up", at(2));
        store.transition(
            ExchangeId::Kraken,
            FeedStatus::Offline { next_try: at(60) },
            "REST failing",
            at(3),
        );
        let snap = store.snapshot();
        let list = entries(&snap);
        let order: Vec<(ExchangeId, &str)> =
            list.iter().map(|t| (t.exchange, t.to.name())).collect();
        assert_eq!(
            order,
            [
                (ExchangeId::Kraken, "offline"),
                (ExchangeId::Binance, "connected"),
                (ExchangeId::Kraken, "connected"),
            ]
        );
        let text: String = line(
            list[0],
            FixedOffset::east_opt(3600).unwrap(),
            &Theme::default(),
        )
        .to_string();
        assert_eq!(text, "23:13:23  [kraken] connected → offline  REST failing");
        // A new reason within one state does not read as a change of state.
        store.transition(
            ExchangeId::Kraken,
            FeedStatus::Offline { next_try: at(90) },
            "circuit breaker open",
            at(4),
        );
        let snap = store.snapshot();
        let text: String = line(
            entries(&snap)[0],
            FixedOffset::east_opt(0).unwrap(),
            &Theme::default(),
        )
        .to_string();
        assert_eq!(
            text,
            "22:13:24  [kraken] still offline  circuit breaker open"
        );
        assert_eq!(clamp_scroll(10, 3, 2), 1);
        assert_eq!(clamp_scroll(10, 3, 5), 0);
        assert_eq!(clamp_scroll(1, 30, 5), 1);
    }
}
