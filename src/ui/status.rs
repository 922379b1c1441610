//! The header: app name and one line per feed saying how its connection stands, as a glyph,
//! a word and a colour, so it reads with colour off. When the screen is short of lines it
//! says less: one line per state, or all states on one line ([`HeaderMode`]). A feed whose
//! peer is the built-in simulator has `◇ SIMULATED` after its venue's name in every mode,
//! and in the window title ([`window_title`]). Reads a [`Feed`] copy; never touches the
//! feed itself.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::format;
use super::theme::Theme;
use pricewire_core::model::{ExchangeId, FeedStatus};
use pricewire_core::store::{Feed, Snapshot};

const APP: &str = "pricewire";

/// What follows the name of a venue whose feed is the simulator's: a glyph no state uses
/// and a word, so it reads the same with colour off.
pub const SIMULATED: &str = "◇ SIMULATED";

/// What marks every figure drawn from a recording played back.
pub const REPLAYED: &str = "▶ REPLAYED";

/// A replay's line atop the header: `▶ REPLAY 2026-12-07 23:40:12 UTC · 10× · r.jsonl`,
/// then how it ended once it has (`■ ended: complete at 23:41:02 …`, or `✕ stopped at
/// line 57: …` when the file was damaged). The time is the recorded time now.
pub fn replay_line(
    frame: &mut Frame,
    area: Rect,
    replay: &crate::view::state::ReplayView,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let mut spans = vec![Span::styled("▶ REPLAY", theme.simulated), Span::raw(" ")];
    if now > DateTime::UNIX_EPOCH {
        spans.push(Span::styled(
            now.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            theme.header,
        ));
    } else {
        spans.push(Span::styled("before the first record", theme.muted));
    }
    spans.push(Span::styled(
        format!(
            " · {} · {}",
            replay.speed,
            pricewire_core::sanitize::clean(&replay.file)
        ),
        theme.muted,
    ));
    match &replay.ended {
        None => {}
        Some(end) if end.damaged => {
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(
                format!("✕ damaged file, {}", end.text),
                theme.offline,
            ));
        }
        Some(end) => {
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(
                format!("■ ended: {}", end.text),
                theme.fallback,
            ));
        }
    }
    frame.buffer_mut().set_line(
        area.x,
        area.y,
        &format::fit(Line::from(spans), usize::from(area.width)),
        area.width,
    );
}

/// `⚑ 2 ALERTS` at the right end of the header's first line while alerts stand fired.
pub fn alert_mark(
    frame: &mut Frame,
    area: Rect,
    fired: &[crate::view::state::FiredMark],
    theme: &Theme,
) {
    if fired.is_empty() || area.height == 0 {
        return;
    }
    let n = fired.len();
    let text = format!(" ⚑ {n} ALERT{} ", if n == 1 { "" } else { "S" });
    let w = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
    if area.width <= w {
        return;
    }
    frame
        .buffer_mut()
        .set_string(area.right() - w, area.y, text, theme.offline);
}

/// How much the header says, from most to least room taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderMode {
    /// One line per feed with its details (duration, ping, countdown, reason).
    PerFeed,
    /// One line per state: `● LIVE kraken binance`, `✕ OFFLINE kucoin`.
    PerState,
    /// The state groups on one line, when they fit the width.
    OneLine,
}

/// Lines the header takes in `mode` at `width`; `None` when the mode does not fit.
pub fn height(snapshot: &Snapshot, mode: HeaderMode, width: u16, replay: bool) -> Option<u16> {
    let lines = match mode {
        HeaderMode::PerFeed => snapshot.feeds.len().clamp(1, 8),
        HeaderMode::PerState => groups(snapshot, &Theme::default()).len().max(1),
        HeaderMode::OneLine => {
            return (one_line(snapshot, &Theme::default(), replay).width() <= usize::from(width))
                .then_some(1);
        }
    };
    Some(u16::try_from(lines).unwrap_or(1))
}

/// Feeds grouped by the state they are in (`● LIVE`, `↻ RECONNECTING 2/5`, ...), in the
/// order the states first appear: each group is the badge and the venues (with whether
/// each is simulated).
fn groups(snapshot: &Snapshot, theme: &Theme) -> Vec<(Span<'static>, Vec<(ExchangeId, bool)>)> {
    let mut groups: Vec<(Span<'static>, Vec<(ExchangeId, bool)>)> = Vec::new();
    // When every feed is simulated the mark stands once, after the app's name.
    let once = all_simulated(snapshot);
    for feed in &snapshot.feeds {
        let b = badge(&feed.status, theme);
        let venue = (feed.exchange, feed.simulated && !once);
        match groups.iter_mut().find(|(g, _)| g.content == b.content) {
            Some((_, venues)) => venues.push(venue),
            None => groups.push((b, vec![venue])),
        }
    }
    groups
}

fn group_spans(
    badge: Span<'static>,
    venues: &[(ExchangeId, bool)],
    theme: &Theme,
) -> Vec<Span<'static>> {
    let mut spans = vec![badge];
    for (ex, simulated) in venues {
        spans.push(Span::raw(" "));
        spans.extend(venue_spans(*ex, *simulated, theme));
    }
    spans
}

/// Whether there are several feeds and every one is the simulator's.
fn all_simulated(snapshot: &Snapshot) -> bool {
    snapshot.feeds.len() > 1 && snapshot.feeds.iter().all(|f| f.simulated)
}

/// `pricewire  ` before a grouped header; `pricewire ◇ SIMULATED  ` when every feed is.
fn grouped_lead(snapshot: &Snapshot, theme: &Theme, replay: bool) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(APP, theme.header)];
    if replay {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(REPLAYED, theme.simulated));
    }
    if all_simulated(snapshot) {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(SIMULATED, theme.simulated));
    }
    spans.push(Span::raw("  "));
    spans
}

/// A venue's name, followed by `◇ SIMULATED` when its feed is the simulator's.
pub fn venue_spans(exchange: ExchangeId, simulated: bool, theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(exchange.as_str(), theme.header)];
    if simulated {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(SIMULATED, theme.simulated));
    }
    spans
}

/// The terminal window's title: `pricewire — kraken (SIMULATED), binance`, so that a
/// window switcher or a tab bar tells made-up prices from real ones too.
pub fn window_title(snapshot: &Snapshot) -> String {
    let venues: Vec<String> = snapshot
        .feeds
        .iter()
        .map(|f| {
            if f.simulated {
                format!("{} (SIMULATED)", f.exchange)
            } else {
                f.exchange.to_string()
            }
        })
        .collect();
    if venues.is_empty() {
        APP.to_string()
    } else {
        format!("{APP} — {}", venues.join(", "))
    }
}

fn one_line(snapshot: &Snapshot, theme: &Theme, replay: bool) -> Line<'static> {
    let mut spans = grouped_lead(snapshot, theme, replay);
    for (i, (b, venues)) in groups(snapshot, theme).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.extend(group_spans(b, &venues, theme));
    }
    Line::from(spans)
}

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    snapshot: &Snapshot,
    mode: HeaderMode,
    view: &crate::view::state::ViewState,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    // A replay says so after the name (grouped) or after each venue (per feed).
    let (rates, replay) = (&view.rates, view.replay.is_some());
    let pad = " ".repeat(APP.len() + 2);
    let lead = |i: usize| {
        if i == 0 {
            vec![Span::styled(APP, theme.header), Span::raw("  ")]
        } else {
            vec![Span::raw(pad.clone())]
        }
    };
    let mut lines = Vec::new();
    match mode {
        _ if snapshot.feeds.is_empty() => lines.push(Line::from(vec![
            Span::styled(APP, theme.header),
            Span::raw("  "),
            Span::styled("no feed is running", theme.muted),
        ])),
        HeaderMode::PerFeed => {
            for (i, feed) in snapshot.feeds.iter().enumerate() {
                let mut spans = lead(i);
                spans.extend(venue_spans(feed.exchange, feed.simulated, theme));
                if replay {
                    spans.push(Span::raw(" "));
                    spans.push(Span::styled(REPLAYED, theme.simulated));
                }
                spans.push(Span::raw(" "));
                spans.extend(feed_spans(
                    feed,
                    rates.get(&feed.exchange).copied(),
                    now,
                    theme,
                ));
                lines.push(Line::from(spans));
            }
        }
        HeaderMode::PerState => {
            for (i, (b, venues)) in groups(snapshot, theme).into_iter().enumerate() {
                let first = grouped_lead(snapshot, theme, replay);
                let mut spans = if i == 0 {
                    first
                } else {
                    let width: usize = first.iter().map(Span::width).sum();
                    vec![Span::raw(" ".repeat(width))]
                };
                spans.extend(group_spans(b, &venues, theme));
                lines.push(Line::from(spans));
            }
        }
        HeaderMode::OneLine => lines.push(one_line(snapshot, theme, replay)),
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
        FeedStatus::Quiet => ("◐ CONNECTED · no data".to_string(), theme.connecting),
        FeedStatus::Maintenance => ("⚠ MAINTENANCE".to_string(), theme.fallback),
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
        FeedStatus::Idle => ("○ IDLE".to_string(), theme.muted),
        FeedStatus::Stopped => ("■ STOPPED".to_string(), theme.muted),
        FeedStatus::NoLeader { .. } => ("⊘ NO LEADER".to_string(), theme.offline),
        FeedStatus::LinkLost { .. } => ("✕ RELAY LINK LOST".to_string(), theme.offline),
        // A state this screen does not know yet: its name, never LIVE's colour.
        other => (format!("? {}", other.name().to_uppercase()), theme.muted),
    };
    Span::styled(text, style)
}

/// Whether a feed's data counts as current: streamed (`Connected`) or polled (`Fallback`).
/// Any other state means the last quotes are leftovers: of a connection that is gone, or
/// of one that carries no data now (quiet, maintenance).
pub fn is_live(status: &FeedStatus) -> bool {
    matches!(status, FeedStatus::Connected | FeedStatus::Fallback { .. })
}

/// The short word a row's Age cell shows when its feed is not live (`offline 3s`).
pub fn dead_word(status: &FeedStatus) -> Option<&'static str> {
    match status {
        FeedStatus::Connected | FeedStatus::Fallback { .. } => None,
        FeedStatus::Connecting => Some("connect"),
        FeedStatus::Quiet => Some("no data"),
        FeedStatus::Maintenance => Some("maint"),
        FeedStatus::Reconnecting { .. } => Some("reconn"),
        FeedStatus::Offline { .. } => Some("offline"),
        FeedStatus::Idle => Some("idle"),
        FeedStatus::Stopped => Some("stopped"),
        FeedStatus::NoLeader { .. } => Some("no leader"),
        FeedStatus::LinkLost { .. } => Some("link lost"),
        other => Some(other.name()),
    }
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
        FeedStatus::Quiet | FeedStatus::Maintenance => {
            details.push(format!("for {}", format::age(feed.status_since, now)));
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
        FeedStatus::Offline { next_try } | FeedStatus::LinkLost { next_try, .. } => {
            details.push(format!("retry in {}", format::until(*next_try, now)));
        }
        FeedStatus::NoLeader { since } => {
            // Said in full where LIVE would stand: whose leader, and for how long; the
            // reason would only say it again.
            show_reason = false;
            spans[0] = Span::styled(
                format!(
                    "⊘ no leader for {} ({})",
                    feed.exchange,
                    format::age(*since, now)
                ),
                style,
            );
        }
        _ => {}
    }
    if let Some(relay) = &feed.relay {
        details.push(if relay.leader.is_empty() {
            "no relay has led yet".to_string()
        } else if matches!(feed.status, FeedStatus::NoLeader { .. }) {
            format!("last leader {} · term {}", relay.leader, relay.term)
        } else {
            format!("leader {} · term {}", relay.leader, relay.term)
        });
    }
    for d in details {
        spans.push(Span::styled(format!(" · {d}"), Style::new()));
    }
    if show_reason && !feed.reason.is_empty() {
        spans.push(Span::styled(format!(" · {}", feed.reason), theme.muted));
    }
    spans
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeDelta;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Modifier;
    use ratatui::widgets::Widget;

    use super::*;
    use crate::ui::theme::ColorMode;
    use pricewire_core::store::{Store, StoreLimits};

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
        want.set_style(Rect::new(0, 0, 6, 1), theme.live);
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
        want.set_style(Rect::new(0, 0, 18, 1), theme.connecting);
        want.set_style(Rect::new(28, 0, 19, 1), theme.muted);
        assert_eq!(buf, want);
    }

    #[test]
    fn a_relayed_feed_names_its_leader_and_says_when_there_is_none() {
        let theme = Theme::new(&std::collections::BTreeMap::new(), ColorMode::NoColor);
        let mut f = feed(FeedStatus::Connected, "subscribed");
        f.relay = Some(pricewire_core::store::RelayInfo {
            leader: "relay-a".into(),
            term: 7,
        });
        let text = |spans: Vec<Span<'static>>| {
            spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(
            text(feed_spans(&f, Some(2.0), now(), &theme)),
            "● LIVE · for 1m03s · ping 42ms · 2.0 msg/s · leader relay-a · term 7"
        );
        f.status = FeedStatus::NoLeader {
            since: now() - TimeDelta::seconds(3),
        };
        f.reason = "no leader for kraken: the last heartbeat is 3.0 s old".into();
        assert_eq!(
            text(feed_spans(&f, None, now(), &theme)),
            "⊘ no leader for kraken (3s) · last leader relay-a · term 7"
        );
        f.status = FeedStatus::LinkLost {
            attempt: 2,
            next_try: now() + TimeDelta::seconds(4),
        };
        f.reason = "relay link lost: connection refused".into();
        assert_eq!(
            text(feed_spans(&f, None, now(), &theme)),
            "✕ RELAY LINK LOST · retry in 4s · leader relay-a · term 7 · relay link lost: connection refused"
        );
        assert!(!is_live(&f.status));
    }

    #[test]
    fn fallback_and_offline_read_without_colour() {
        let theme = Theme::new(&std::collections::BTreeMap::new(), ColorMode::NoColor);
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
        want.set_style(Rect::new(57, 0, 20, 1), theme.muted);
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
        want.set_style(Rect::new(24, 0, 15, 1), theme.muted);
        assert_eq!(buf, want);
    }

    #[test]
    fn simulated_feeds_say_so_after_the_venue_in_every_mode() {
        let store = Store::new(StoreLimits::default());
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        for ex in [ExchangeId::Kraken, ExchangeId::Binance] {
            store.add_feed(ex, t0);
            store.transition(ex, FeedStatus::Connected, "", t0);
        }
        store.mark_simulated(ExchangeId::Kraken, t0);
        let snap = store.snapshot();
        let theme = Theme::default();
        let text = |line: &Line<'_>| line.to_string();
        assert_eq!(
            text(&one_line(&snap, &theme, false)),
            "pricewire  ● LIVE kraken ◇ SIMULATED binance"
        );
        assert_eq!(
            window_title(&snap),
            "pricewire — kraken (SIMULATED), binance"
        );
        let mut buf = Buffer::empty(Rect::new(0, 0, 60, 2));
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(60, 2)).unwrap();
        term.draw(|f| {
            draw(
                f,
                f.area(),
                &snap,
                HeaderMode::PerFeed,
                &crate::view::state::ViewState::default(),
                now(),
                &theme,
            );
            buf = f.buffer_mut().clone();
        })
        .unwrap();
        let row = |y: u16| -> String { (0..60).map(|x| buf[(x, y)].symbol()).collect() };
        assert!(
            row(0).starts_with("pricewire  kraken ◇ SIMULATED ● LIVE"),
            "{}",
            row(0)
        );
        assert!(
            row(1).starts_with("           binance ● LIVE"),
            "{}",
            row(1)
        );
        assert_eq!(Some(buf[(18, 0)].fg), Theme::default().simulated.fg);
        assert_ne!(buf[(18, 0)].fg, buf[(30, 0)].fg, "not LIVE's colour");

        let empty = Store::new(StoreLimits::default()).snapshot();
        assert_eq!(window_title(&empty), "pricewire");
    }

    #[test]
    fn when_every_feed_is_simulated_a_grouped_header_says_it_once() {
        let store = Store::new(StoreLimits::default());
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        for ex in [ExchangeId::Kraken, ExchangeId::Binance, ExchangeId::Okx] {
            store.add_feed(ex, t0);
            store.transition(ex, FeedStatus::Connected, "", t0);
            store.mark_simulated(ex, t0);
        }
        store.transition(ExchangeId::Okx, FeedStatus::Connecting, "", t0);
        let snap = store.snapshot();
        let theme = Theme::default();
        let text = |line: &Line<'_>| line.to_string();
        assert_eq!(
            text(&one_line(&snap, &theme, false)),
            "pricewire ◇ SIMULATED  ● LIVE kraken binance · ◌ CONNECTING okx"
        );
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(60, 2)).unwrap();
        term.draw(|f| {
            draw(
                f,
                f.area(),
                &snap,
                HeaderMode::PerState,
                &crate::view::state::ViewState::default(),
                now(),
                &theme,
            );
        })
        .unwrap();
        let buf = term.backend().buffer().clone();
        let row = |y: u16| -> String { (0..60).map(|x| buf[(x, y)].symbol()).collect() };
        assert_eq!(
            row(0).trim_end(),
            "pricewire ◇ SIMULATED  ● LIVE kraken binance"
        );
        assert_eq!(row(1).trim_end(), "                       ◌ CONNECTING okx");
    }

    #[test]
    fn short_header_groups_feeds_by_state() {
        let store = Store::new(StoreLimits::default());
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        for ex in ExchangeId::ALL {
            store.add_feed(ex, t0);
            store.transition(ex, FeedStatus::Connected, "", t0);
        }
        let reconnecting = FeedStatus::Reconnecting {
            attempt: 2,
            max_attempts: 5,
            next_try: now(),
        };
        store.transition(ExchangeId::Okx, reconnecting, "", t0);
        let offline = FeedStatus::Offline { next_try: now() };
        store.transition(ExchangeId::Kucoin, offline, "", t0);
        let snap = store.snapshot();
        let text: String = one_line(&snap, &Theme::default(), false).to_string();
        assert_eq!(
            text,
            "pricewire  ● LIVE kraken binance coinbase bybit · ↻ RECONNECTING 2/5 okx · ✕ OFFLINE kucoin"
        );
        assert_eq!(height(&snap, HeaderMode::PerFeed, 80, false), Some(6));
        assert_eq!(height(&snap, HeaderMode::PerState, 80, false), Some(3));
        assert_eq!(
            height(&snap, HeaderMode::OneLine, 80, false),
            None,
            "too wide"
        );
        assert_eq!(height(&snap, HeaderMode::OneLine, 100, false), Some(1));
    }
}
