//! The header: app name and one line per feed saying how its connection stands, as a glyph,
//! a word and a colour, so it reads with colour off. Reads a [`Feed`] copy; never touches
//! the feed itself.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::format;
use super::theme::Theme;
use crate::model::{ExchangeId, FeedStatus};
use crate::store::{Feed, Snapshot};

const APP: &str = "pricewire";

/// Lines the header needs: one per feed, at least one.
pub fn height(snapshot: &Snapshot) -> u16 {
    u16::try_from(snapshot.feeds.len().clamp(1, 8)).unwrap_or(1)
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    snapshot: &Snapshot,
    rates: &BTreeMap<ExchangeId, f64>,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let pad = " ".repeat(APP.len() + 2);
    let mut lines = Vec::new();
    if snapshot.feeds.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(APP, theme.header),
            Span::raw("  "),
            Span::styled("no feed is running", theme.dim),
        ]));
    }
    for (i, feed) in snapshot.feeds.iter().enumerate() {
        let mut spans = if i == 0 {
            vec![Span::styled(APP, theme.header), Span::raw("  ")]
        } else {
            vec![Span::raw(pad.clone())]
        };
        spans.push(Span::styled(feed.exchange.as_str(), theme.header));
        spans.push(Span::raw(" "));
        spans.extend(feed_spans(
            feed,
            rates.get(&feed.exchange).copied(),
            now,
            theme,
        ));
        lines.push(Line::from(spans));
    }
    let buf = frame.buffer_mut();
    for (y, line) in (area.y..area.bottom()).zip(lines) {
        buf.set_line(
            area.x,
            y,
            &format::fit(line, usize::from(area.width)),
            area.width,
        );
    }
}

/// The state word with its glyph and style: `● LIVE`, `↻ RECONNECTING 2/5`, ...
pub fn badge(status: &FeedStatus, theme: &Theme) -> Span<'static> {
    let (text, style) = match status {
        FeedStatus::Connecting => ("◌ CONNECTING".to_string(), theme.connecting),
        FeedStatus::Connected => ("● LIVE".to_string(), theme.live),
        FeedStatus::Reconnecting {
            attempt,
            max_attempts,
            ..
        } => (
            format!("↻ RECONNECTING {attempt}/{max_attempts}"),
            theme.connecting,
        ),
        FeedStatus::Fallback { .. } => ("⇄ FALLBACK".to_string(), theme.fallback),
        FeedStatus::Offline { .. } => ("✕ OFFLINE".to_string(), theme.offline),
        FeedStatus::Stopped => ("■ STOPPED".to_string(), theme.dim),
    };
    Span::styled(text, style)
}

/// A feed's status with its details: how long it has been live, ping and message rate when
/// live; the countdown and the reason otherwise.
pub fn feed_spans(
    feed: &Feed,
    rate: Option<f64>,
    now: DateTime<Utc>,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let badge = badge(&feed.status, theme);
    let style = badge.style;
    let mut spans = vec![badge];
    let mut details: Vec<String> = Vec::new();
    let mut show_reason = true;
    match &feed.status {
        FeedStatus::Connected => {
            show_reason = false;
            details.push(format!("for {}", format::age(feed.status_since, now)));
            if let Some(rtt) = feed.counters.ping_rtt {
                details.push(format!("ping {}", format::rtt(rtt)));
            }
            details.push(match rate {
                Some(r) => format!("{r:.1} msg/s"),
                None => "– msg/s".to_string(),
            });
        }
        FeedStatus::Connecting => {
            details.push(format::age(feed.status_since, now));
        }
        FeedStatus::Reconnecting { next_try, .. } => {
            details.push(format!("next {}", format::until(*next_try, now)));
        }
        FeedStatus::Fallback { next_ws_try } => {
            let polled = match feed.counters.last_poll_at {
                Some(at) => format!("polled {} ago", format::age(at, now)),
                None => "not polled yet".to_string(),
            };
            spans.push(Span::styled(format!(" (REST, {polled})"), style));
            details.push(format!(
                "WebSocket retry in {}",
                format::until(*next_ws_try, now)
            ));
        }
        FeedStatus::Offline { next_try } => {
            details.push(format!("retry in {}", format::until(*next_try, now)));
        }
        FeedStatus::Stopped => {}
    }
    for d in details {
        spans.push(Span::styled(format!(" · {d}"), Style::new()));
    }
    if show_reason && !feed.reason.is_empty() {
        spans.push(Span::styled(format!(" · {}", feed.reason), theme.dim));
    }
    spans
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeDelta;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Modifier};
    use ratatui::widgets::Widget;

    use super::*;
    use crate::store::{Store, StoreLimits};
    use crate::ui::theme::ColorMode;

    fn line_buffer(spans: Vec<Span<'static>>, width: u16) -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 1));
        Line::from(spans).render(buf.area, &mut buf);
        buf
    }

    fn feed(status: FeedStatus, reason: &str) -> Feed {
        let store = Store::new(StoreLimits::default());
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        store.add_feed(ExchangeId::Kraken, t0);
        store.transition(ExchangeId::Kraken, status, reason, t0);
        store.with_counters(ExchangeId::Kraken, |c| {
            c.ping_rtt = Some(Duration::from_millis(42));
            c.last_poll_at = Some(t0 + TimeDelta::seconds(60));
        });
        store.snapshot().feeds[0].clone()
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_063, 0).unwrap()
    }

    #[test]
    fn live_shows_duration_ping_and_rate_in_green() {
        let theme = Theme::default();
        let f = feed(FeedStatus::Connected, "subscribed");
        let buf = line_buffer(feed_spans(&f, Some(15.25), now(), &theme), 43);
        let mut want = Buffer::with_lines(["● LIVE · for 1m03s · ping 42ms · 15.2 msg/s"]);
        want.set_style(
            Rect::new(0, 0, 6, 1),
            Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        );
        assert_eq!(buf, want);
    }

    #[test]
    fn reconnecting_shows_attempt_countdown_and_reason() {
        let theme = Theme::default();
        let f = feed(
            FeedStatus::Reconnecting {
                attempt: 2,
                max_attempts: 5,
                next_try: now() + TimeDelta::milliseconds(3500),
            },
            "connection reset",
        );
        let buf = line_buffer(feed_spans(&f, None, now(), &theme), 50);
        let mut want = Buffer::with_lines(["↻ RECONNECTING 2/5 · next 4s · connection reset   "]);
        want.set_style(
            Rect::new(0, 0, 18, 1),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        );
        want.set_style(
            Rect::new(28, 0, 19, 1),
            Style::new().add_modifier(Modifier::DIM),
        );
        assert_eq!(buf, want);
    }

    #[test]
    fn fallback_and_offline_read_without_colour() {
        let theme = Theme::new(&BTreeMap::new(), ColorMode::NoColor);
        let f = feed(
            FeedStatus::Fallback {
                next_ws_try: now() + TimeDelta::seconds(40),
            },
            "5 connects failed",
        );
        let buf = line_buffer(feed_spans(&f, None, now(), &theme), 80);
        let mut want = Buffer::with_lines([
            "⇄ FALLBACK (REST, polled 3s ago) · WebSocket retry in 40s · 5 connects failed   ",
        ]);
        want.set_style(
            Rect::new(0, 0, 32, 1),
            Style::new().add_modifier(Modifier::BOLD),
        );
        want.set_style(
            Rect::new(57, 0, 20, 1),
            Style::new().add_modifier(Modifier::DIM),
        );
        assert_eq!(buf, want);

        let f = feed(
            FeedStatus::Offline {
                next_try: now() + TimeDelta::seconds(20),
            },
            "REST failing",
        );
        let buf = line_buffer(feed_spans(&f, None, now(), &theme), 40);
        let mut want = Buffer::with_lines(["✕ OFFLINE · retry in 20s · REST failing "]);
        want.set_style(
            Rect::new(0, 0, 9, 1),
            Style::new().add_modifier(Modifier::BOLD),
        );
        want.set_style(
            Rect::new(24, 0, 15, 1),
            Style::new().add_modifier(Modifier::DIM),
        );
        assert_eq!(buf, want);
    }
}
