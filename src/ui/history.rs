//! The state-history pane: every feed's transitions merged, newest first, as
//! `time  [venue] from → to  reason`. Scrolled by the view state; reads the snapshot's
//! bounded history and nothing else.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::theme::Theme;
use super::{format, status};
use crate::model::{FeedStatus, Transition};
use crate::store::Snapshot;

/// Transitions of all feeds, newest first (ties keep feed order).
pub fn entries(snapshot: &Snapshot) -> Vec<&Transition> {
    let mut all: Vec<&Transition> = snapshot
        .feeds
        .iter()
        .flat_map(|f| f.history.iter().map(AsRef::as_ref))
        .collect();
    all.sort_by_key(|t| std::cmp::Reverse(t.at));
    all
}

/// The scroll offset actually used: at most the last page.
pub fn clamp_scroll(scroll: usize, total: usize, height: usize) -> usize {
    scroll.min(total.saturating_sub(height))
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    snapshot: &Snapshot,
    scroll: usize,
    offset: FixedOffset,
    theme: &Theme,
) {
    let all = entries(snapshot);
    let inner_height = usize::from(area.height.saturating_sub(2));
    let scroll = clamp_scroll(scroll, all.len(), inner_height);
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
    let buf = frame.buffer_mut();
    if all.is_empty() {
        let line = Line::from(Span::styled("no state changes yet", theme.dim));
        buf.set_line(inner.x, inner.y, &line, inner.width);
        return;
    }
    for (y, t) in (inner.y..inner.bottom()).zip(all.iter().skip(scroll)) {
        let line = format::fit(line(t, offset, theme), usize::from(inner.width));
        buf.set_line(inner.x, y, &line, inner.width);
    }
}

/// `12:03:04  [kraken] connecting → connected  subscribed BTC/USD`
pub fn line(t: &Transition, offset: FixedOffset, theme: &Theme) -> Line<'static> {
    let style = status::badge(&t.to, theme).style;
    Line::from(vec![
        Span::styled(time(t.at, offset), theme.dim),
        Span::raw(format!("  [{}] {} → ", t.exchange, name(&t.from))),
        Span::styled(name(&t.to), style),
        Span::raw("  "),
        Span::raw(t.reason.clone()),
    ])
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
    use crate::model::ExchangeId;
    use crate::store::{Store, StoreLimits};

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
        .spans
        .iter()
        .map(|s| s.content.as_ref())
        .collect();
        assert_eq!(text, "23:13:23  [kraken] connected → offline  REST failing");
        assert_eq!(clamp_scroll(10, 3, 2), 1);
        assert_eq!(clamp_scroll(10, 3, 5), 0);
        assert_eq!(clamp_scroll(1, 30, 5), 1);
    }
}
