//! The connection-details pane (`i`): one venue's connection in full, over the screen.
//!
//! ```text
//! ┌ kraken connection · i or Esc to close ───────────────┐
//! │state       ● connected since 10:02:11 (for 5m03s)     │
//! │uptime      98.2 % since 09:58:40                      │
//! │today       2 reconnects · 1 fallback                  │
//! │breaker     closed                                     │
//! │traffic     12.0 frames/s · 3.7 KiB/s (since start)     │
//! │…                                                      │
//! └───────────────────────────────────────────────────────┘
//! ```
//!
//! Everything comes from the snapshot's feed and rows: counters the feed keeps anyway.

use chrono::{DateTime, FixedOffset, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme::Theme;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::{BreakerView, Feed, RowState, Snapshot};

fn ago(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn ms(d: std::time::Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// The pane's lines as (label, text), for `exchange` at `now` (`offset`: local time).
pub fn lines(
    snapshot: &Snapshot,
    exchange: ExchangeId,
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> Vec<(&'static str, String)> {
    let Some(feed) = snapshot.feed(exchange) else {
        return vec![("state", "no such feed".into())];
    };
    let c = &feed.counters;
    let local = |t: DateTime<Utc>| t.with_timezone(&offset).format("%H:%M:%S").to_string();
    let mut out = vec![(
        "state",
        format!(
            "{} since {} (for {}) — {}",
            feed.status.name(),
            local(feed.status_since),
            ago(now - feed.status_since),
            feed.reason
        ),
    )];
    if let (Some(up), Some(start)) = (feed.uptime(now), c.started_at) {
        out.push((
            "uptime",
            format!("{:.1} % connected since {}", up * 100.0, local(start)),
        ));
    }
    let midnight = now
        .with_timezone(&offset)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(offset).single())
        .map_or(now, |t| t.with_timezone(&Utc));
    let reconnects = feed.count_since(midnight, |t| {
        matches!(t.to, FeedStatus::Reconnecting { attempt: 1, .. })
    });
    let fallbacks = feed.count_since(midnight, |t| {
        matches!(t.to, FeedStatus::Fallback { .. })
            && !matches!(t.from, FeedStatus::Fallback { .. })
    });
    out.push((
        "today",
        format!("{reconnects} reconnects · {fallbacks} fallbacks"),
    ));
    out.push((
        "breaker",
        match c.breaker {
            BreakerView::Closed => "closed".into(),
            BreakerView::HalfOpen => "half-open: one probe connection".into(),
            BreakerView::Open { until } => format!("open until {}", local(until)),
        },
    ));
    out.push(("traffic", traffic(feed, now)));
    out.push((
        "errors",
        format!(
            "{} parse errors · {} unknown frames · {} sequence gaps",
            c.parse_errors, c.unknown_frames, c.sequence_gaps
        ),
    ));
    out.push(("ping", c.ping_rtt.map_or("no answer yet".into(), ms)));
    out.push((
        "lag",
        match (c.lag.quantile(0.5), c.lag.quantile(0.99)) {
            (Some(p50), Some(p99)) => format!(
                "p50 {} · p99 {} (venue time → received, last 1-2 min)",
                ms(p50),
                ms(p99)
            ),
            _ => "the venue stamps no frames (or none yet)".into(),
        },
    ));
    let rows = snapshot.rows.iter().filter(|r| r.exchange == exchange);
    let (mut ok, mut silent, mut invalid, mut pending) = (0, 0, 0, 0);
    for r in rows {
        match r.state {
            RowState::Subscribed => ok += 1,
            RowState::Silent(_) => silent += 1,
            RowState::Invalid(_) => invalid += 1,
            RowState::Pending => pending += 1,
        }
    }
    out.push((
        "symbols",
        format!("{ok} ok · {silent} silent · {invalid} invalid · {pending} pending"),
    ));
    out.push((
        "endpoint",
        c.endpoint
            .as_deref()
            .map_or("not connected yet".into(), |e| {
                pricewire_core::sanitize::clean(e)
            }),
    ));
    let last_error = feed.history.iter().rev().find(|t| {
        matches!(
            t.to,
            FeedStatus::Reconnecting { .. }
                | FeedStatus::Offline { .. }
                | FeedStatus::Fallback { .. }
        ) || (t.to == FeedStatus::Stopped && t.reason != "shutdown")
    });
    out.push((
        "last error",
        last_error.map_or("none".into(), |t| format!("{} {}", local(t.at), t.reason)),
    ));
    if let Some(e) = &c.last_parse_error {
        out.push(("last parse", e.to_string()));
    }
    out
}

fn traffic(feed: &Feed, now: DateTime<Utc>) -> String {
    let c = &feed.counters;
    let secs = c
        .started_at
        .and_then(|s| (now - s).to_std().ok())
        .map_or(0.0, |d| d.as_secs_f64());
    if secs < 1.0 {
        return format!("{} frames in, {} out", c.frames_in, c.messages_out);
    }
    format!(
        "{:.1} frames/s · {:.1} KiB/s in, {} sent (averages since start)",
        c.frames_in as f64 / secs,
        c.bytes_in as f64 / secs / 1024.0,
        c.messages_out
    )
}

/// Draw the pane over `area`.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    snapshot: &Snapshot,
    exchange: ExchangeId,
    now: DateTime<Utc>,
    view: &crate::view::state::ViewState,
    theme: &Theme,
) {
    let rows = lines(snapshot, exchange, now, view.utc_offset);
    let w = area.width.min(96);
    let h = area
        .height
        .min(u16::try_from(rows.len() + 6).unwrap_or(u16::MAX));
    let popup = super::popup(frame, area, w, h, theme);
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Line::from(vec![
            Span::styled(
                format!(" {exchange} connection · i or Esc to close "),
                theme.header,
            ),
            // A replay's figures are the recording's.
            if view.replay.is_some() {
                Span::styled(format!("{} ", super::status::REPLAYED), theme.simulated)
            } else {
                Span::raw("")
            },
        ]));
    let text: Vec<Line> = rows
        .into_iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<11}"), theme.header),
                Span::raw(value),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use pricewire_core::store::{Store, StoreLimits};
    use pricewire_core::symbol::Symbol;

    #[test]
    fn the_pane_tells_a_connections_story() {
        let t = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
        let store = Store::new(StoreLimits::default());
        let k = ExchangeId::Kraken;
        store.add_feed(k, t(0));
        store.transition(k, FeedStatus::Connected, "subscribing 2 symbols", t(10));
        let down = FeedStatus::Reconnecting {
            attempt: 1,
            max_attempts: 5,
            next_try: t(71),
        };
        store.transition(k, down, "connection lost (1006)", t(70));
        store.transition(k, FeedStatus::Connected, "reconnected", t(72));
        store.add_symbol(k, &Symbol::new("BTC", "USD"), None);
        store.set_row_state(
            k,
            &Symbol::new("NOPE", "USD"),
            RowState::Invalid("no".into()),
        );
        store.with_counters(k, |c| {
            c.frames_in = 1000;
            c.bytes_in = 300 * 1024;
            c.ping_rtt = Some(std::time::Duration::from_millis(42));
            c.endpoint = Some("wss://ws.kraken.com/v2".into());
        });
        let utc = FixedOffset::east_opt(0).unwrap();
        let got = lines(&store.snapshot(), k, t(100), utc);
        let text: Vec<String> = got.iter().map(|(l, v)| format!("{l}: {v}")).collect();
        let start = t(0).format("%H:%M:%S");
        assert_eq!(
            text,
            [
                format!(
                    "state: connected since {} (for 28s) — reconnected",
                    t(72).format("%H:%M:%S")
                ),
                format!("uptime: 88.0 % connected since {start}"),
                "today: 1 reconnects · 0 fallbacks".to_string(),
                "breaker: closed".to_string(),
                "traffic: 10.0 frames/s · 3.0 KiB/s in, 0 sent (averages since start)".to_string(),
                "errors: 0 parse errors · 0 unknown frames · 0 sequence gaps".to_string(),
                "ping: 42 ms".to_string(),
                "lag: the venue stamps no frames (or none yet)".to_string(),
                "symbols: 0 ok · 0 silent · 1 invalid · 1 pending".to_string(),
                "endpoint: wss://ws.kraken.com/v2".to_string(),
                format!(
                    "last error: {} connection lost (1006)",
                    t(70).format("%H:%M:%S")
                ),
            ]
        );
    }
}
