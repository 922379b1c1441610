//! One WebSocket session: subscribe everything, then read frames into the store while
//! watching for silence, unanswered pings, silent subscriptions and commands. Returns why it
//! ended; the supervisor decides what happens next. Never sleeps between sessions.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::FeedCtx;
use super::command::Command;
use super::net::Ws;
use super::subs::Subs;
use crate::config::secs;
use crate::exchange::Event;
use crate::model::{FeedStatus, Source, Ticker};
use crate::store::RowState;
use crate::symbol::Symbol;

mod end;

pub use end::SessionEnd;
use end::{close_text, read_error_text};

/// Per-session bookkeeping.
struct Session<'a> {
    ctx: &'a FeedCtx,
    ws: Ws,
    subs: &'a mut Subs,
    req_id: u64,
    /// Last status the venue announced (`online` until told otherwise).
    venue_status: String,
    /// Whether that status lets data flow. While it does not (maintenance), silent
    /// subscriptions are expected: neither resubscribed nor reconnected for.
    venue_healthy: bool,
    tickers: Vec<Ticker>,
    /// Events of the frame being handled; kept between frames for its allocation.
    events: Vec<Event<'static>>,
    parse_errors_logged: u64,
}

/// An empty event vector for another frame's lifetime, keeping the allocation (the
/// in-place `collect` reuses the buffer: same element type, nothing left to convert).
fn recycle<'b>(mut events: Vec<Event<'_>>) -> Vec<Event<'b>> {
    events.clear();
    events.into_iter().map(|_| Event::Unknown).collect()
}

impl Session<'_> {
    async fn send(&mut self, frames: Vec<String>) -> Result<(), SessionEnd> {
        let n = frames.len() as u64;
        for frame in frames {
            self.ws.feed(Message::text(frame)).await.map_err(|e| {
                SessionEnd::Closed(read_error_text(&e, self.ctx.cfg.max_frame_bytes))
            })?;
        }
        self.ws
            .flush()
            .await
            .map_err(|e| SessionEnd::Closed(read_error_text(&e, self.ctx.cfg.max_frame_bytes)))?;
        self.ctx
            .store
            .with_counters(self.ctx.exchange.id(), |c| c.messages_out += n);
        Ok(())
    }

    fn next_id(&mut self) -> u64 {
        self.req_id += 1;
        self.req_id
    }

    async fn subscribe(&mut self, wires: &[String]) -> Result<(), SessionEnd> {
        if wires.is_empty() {
            return Ok(());
        }
        let refs: Vec<&str> = wires.iter().map(String::as_str).collect();
        let id = self.next_id();
        let frames = self.ctx.exchange.subscribe(&refs, id);
        self.send(frames).await
    }

    async fn unsubscribe(&mut self, wires: &[String]) -> Result<(), SessionEnd> {
        let refs: Vec<&str> = wires.iter().map(String::as_str).collect();
        let id = self.next_id();
        let frames = self.ctx.exchange.unsubscribe(&refs, id);
        self.send(frames).await
    }

    /// Count one text frame of `len` bytes, parse it and apply it. Returns whether it was
    /// data for the watchdog (anything but a lone pong) and, for a pong, the request id.
    fn handle_text(
        &mut self,
        text: &str,
        len: usize,
        now_utc: DateTime<Utc>,
        now: Instant,
    ) -> Handled {
        let ctx = self.ctx;
        let exchange = ctx.exchange.id();
        let mut events: Vec<Event<'_>> = recycle(std::mem::take(&mut self.events));
        let mut handled = Handled::default();
        if let Err(e) = ctx.exchange.parse(text, &mut events) {
            ctx.store.with_counters(exchange, |c| c.parse_errors += 1);
            self.parse_errors_logged += 1;
            if self.parse_errors_logged <= 10 || self.parse_errors_logged.is_multiple_of(1000) {
                let sample: String = text.chars().take(120).collect();
                tracing::warn!(%exchange, error = %e, frame = %sample, "skipped a malformed frame");
            }
            handled.data = true;
        }
        for event in events.drain(..) {
            match event {
                Event::Ticker(w) => {
                    handled.data = true;
                    let Some(symbol) = self.subs.by_wire(&w.symbol).cloned() else {
                        continue;
                    };
                    if let Some(sub) = self.subs.get_mut(&symbol) {
                        sub.last_data = Some(now);
                    }
                    self.tickers
                        .push(w.into_ticker(exchange, symbol, Source::Stream, now_utc));
                }
                Event::Subscribed { symbol } => {
                    handled.data = true;
                    let symbols: Vec<Symbol> = match symbol {
                        Some(w) => self.subs.by_wire(&w).cloned().into_iter().collect(),
                        None => self.subs.iter().map(|(s, _)| s.clone()).collect(),
                    };
                    for s in symbols {
                        if let Some(sub) = self.subs.get_mut(&s)
                            && sub.acked_at.is_none()
                        {
                            sub.acked_at = Some(now);
                            if sub.last_data.is_none() {
                                ctx.store.set_row_state(exchange, &s, RowState::Pending);
                            }
                        }
                    }
                }
                Event::SubscribeError { symbol, message } => {
                    handled.data = true;
                    let target = symbol
                        .as_deref()
                        .and_then(|w| self.subs.by_wire(w).cloned());
                    if let Some(s) = target {
                        self.subs.remove(&s);
                        ctx.store
                            .set_row_state(exchange, &s, RowState::Invalid(message));
                    } else {
                        tracing::warn!(%exchange, %message, "request rejected by the venue");
                        handled.rejected = Some(message);
                    }
                }
                Event::Status { status, healthy } => {
                    handled.data = true;
                    handled.status = Some((status, healthy));
                }
                Event::Pong { req_id } => {
                    handled.pong = true;
                    handled.pong_id = req_id;
                }
                Event::ReconnectSoon { reason } => {
                    handled.data = true;
                    handled.planned = Some(reason);
                }
                Event::Heartbeat | Event::Ignored | Event::Unsubscribed { .. } => {
                    handled.data = true;
                }
                Event::Unknown => {
                    handled.data = true;
                    ctx.store.with_counters(exchange, |c| c.unknown_frames += 1);
                    tracing::debug!(%exchange, frame = %text.chars().take(120).collect::<String>(), "unknown message type");
                }
            }
        }
        self.events = recycle(events);
        if self.tickers.is_empty() {
            ctx.store.count_frame(exchange, len, now_utc);
        } else {
            // Counting and applying under one lock.
            ctx.store
                .apply_frame(exchange, len, now_utc, self.tickers.drain(..));
        }
        handled
    }
}

#[derive(Default)]
struct Handled {
    data: bool,
    /// A pong arrived; with the request id it echoed, if any.
    pong: bool,
    pong_id: Option<u64>,
    status: Option<(String, bool)>,
    planned: Option<String>,
    rejected: Option<String>,
}

/// Run a connected session until it ends.
pub async fn run(
    ctx: &FeedCtx,
    ws: Ws,
    subs: &mut Subs,
    commands: &mut mpsc::Receiver<Command>,
) -> SessionEnd {
    let exchange = ctx.exchange.id();
    let cfg = &ctx.cfg;
    let silence = secs(cfg.silence_secs);
    let pong_timeout = secs(cfg.pong_timeout_secs);
    let symbol_silence = secs(cfg.symbol_silence_secs);
    let ping_every = if cfg.ping_interval_secs > 0.0 {
        secs(cfg.ping_interval_secs)
    } else {
        ctx.exchange.ping_interval()
    };
    let started = Instant::now();
    let age_limit = ctx
        .exchange
        .max_connection_age()
        .map(|age| started + age.saturating_sub(Duration::from_secs(300)));

    subs.reset_session();
    let mut s = Session {
        ctx,
        ws,
        subs,
        req_id: 0,
        venue_status: "online".into(),
        venue_healthy: true,
        tickers: Vec::new(),
        events: Vec::new(),
        parse_errors_logged: 0,
    };
    let wires = s.subs.wires();
    if let Err(end) = s.subscribe(&wires).await {
        return end;
    }
    for (_, sub) in s.subs.iter_mut() {
        sub.subscribed_at = Some(started);
    }

    let mut silence_deadline = started + silence;
    let mut next_ping = started + ping_every;
    let mut pong_deadline: Option<(Instant, u64, Instant)> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut wall_at_tick = (ctx.clock)();
    let mut mono_at_tick = Instant::now();

    loop {
        let pong_at = pong_deadline.map_or(silence_deadline + silence, |(at, _, _)| at);
        tokio::select! {
            frame = s.ws.next() => {
                let now = Instant::now();
                let msg = match frame {
                    Some(Ok(msg)) => msg,
                    Some(Err(e)) => return SessionEnd::Closed(read_error_text(&e, cfg.max_frame_bytes)),
                    None => return SessionEnd::Closed("connection lost (1006): closed without a close frame".into()),
                };
                let len = msg.len();
                let now_utc = (ctx.clock)();
                if !matches!(msg, Message::Text(_)) {
                    ctx.store.count_frame(exchange, len, now_utc);
                }
                match msg {
                    Message::Text(text) => {
                        let handled = s.handle_text(text.as_str(), len, now_utc, now);
                        if handled.data {
                            silence_deadline = now + silence;
                        }
                        if handled.pong
                            && let Some((_, want, sent)) = pong_deadline
                            && handled.pong_id.is_none_or(|id| id == want)
                        {
                            let rtt = now - sent;
                            ctx.store.with_counters(exchange, |c| c.ping_rtt = Some(rtt));
                            pong_deadline = None;
                        }
                        if let Some((status, healthy)) = handled.status {
                            if healthy && !s.venue_healthy {
                                // Subscriptions get their full grace period from now.
                                for (_, sub) in s.subs.iter_mut() {
                                    if sub.last_data.is_none() {
                                        sub.subscribed_at = Some(now);
                                    }
                                }
                            }
                            s.venue_healthy = healthy;
                            if status != s.venue_status {
                                s.venue_status.clone_from(&status);
                                let reason = format!("exchange status: {status}");
                                ctx.store.transition(exchange, FeedStatus::Connected, &reason, (ctx.clock)());
                            }
                        }
                        if let Some(reason) = handled.planned {
                            return SessionEnd::Planned(reason);
                        }
                        if let Some(message) = handled.rejected {
                            let reason = format!("subscribe rejected: {message}");
                            ctx.store.transition(exchange, FeedStatus::Connected, &reason, (ctx.clock)());
                        }
                    }
                    Message::Pong(_) => {
                        if let Some((_, _, sent)) = pong_deadline.take() {
                            ctx.store.with_counters(exchange, |c| c.ping_rtt = Some(now - sent));
                        }
                    }
                    Message::Close(frame) => return SessionEnd::Closed(close_text(frame.as_ref())),
                    // Binary frames carry nothing from these venues; pings are answered
                    // by the library. Both count as life on the wire.
                    _ => silence_deadline = now + silence,
                }
            }
            () = sleep_until(silence_deadline) => return SessionEnd::Silence(silence),
            () = sleep_until(pong_at), if pong_deadline.is_some() => return SessionEnd::PongTimeout(pong_timeout),
            () = sleep_until(next_ping) => {
                let now = Instant::now();
                next_ping = now + ping_every;
                if pong_deadline.is_none() {
                    let id = s.next_id();
                    let sent = match ctx.exchange.ping(id) {
                        Some(frame) => s.send(vec![frame]).await,
                        None => s.ws.send(Message::Ping(Vec::new().into())).await
                            .map_err(|e| SessionEnd::Closed(read_error_text(&e, cfg.max_frame_bytes))),
                    };
                    if let Err(end) = sent {
                        return end;
                    }
                    pong_deadline = Some((now + pong_timeout, id, now));
                }
            }
            () = async { sleep_until(age_limit.unwrap_or(started)).await }, if age_limit.is_some() => {
                return SessionEnd::Planned("connection-age limit of the venue".into());
            }
            _ = tick.tick() => {
                let now = Instant::now();
                let wall = (ctx.clock)();
                let wall_elapsed = (wall - wall_at_tick).to_std().unwrap_or_default();
                let mono_elapsed = now - mono_at_tick;
                wall_at_tick = wall;
                mono_at_tick = now;
                if let Some(jump) = wall_elapsed.checked_sub(mono_elapsed)
                    && jump > Duration::from_secs(5)
                {
                    return SessionEnd::ClockJump(jump);
                }
                if !s.venue_healthy {
                    continue;
                }
                if let Some(end) = check_silent_symbols(&mut s, now, symbol_silence).await {
                    return end;
                }
            }
            cmd = commands.recv() => match cmd {
                None | Some(Command::Shutdown) => {
                    let _ = s.ws.close(None).await;
                    return SessionEnd::Shutdown;
                }
                Some(Command::Reconnect) => {
                    let _ = s.ws.close(None).await;
                    return SessionEnd::Manual;
                }
                Some(Command::Add(symbol)) => {
                    if let Some(wire) = super::add_symbol(ctx, s.subs, &symbol) {
                        if let Err(end) = s.subscribe(std::slice::from_ref(&wire)).await {
                            return end;
                        }
                        if let Some(sub) = s.subs.get_mut(&symbol) {
                            sub.subscribed_at = Some(Instant::now());
                        }
                    }
                }
                Some(Command::Remove(symbol)) => {
                    if let Some(sub) = super::remove_symbol(ctx, s.subs, &symbol)
                        && let Err(end) = s.unsubscribe(&[sub.wire]).await
                    {
                        return end;
                    }
                }
            },
        }
    }
}

/// Acked-but-silent subscriptions: resubscribe once; if still silent, reconnect once; after
/// that keep the row marked silent rather than reconnecting forever.
async fn check_silent_symbols(
    s: &mut Session<'_>,
    now: Instant,
    limit: Duration,
) -> Option<SessionEnd> {
    let exchange = s.ctx.exchange.id();
    let mut resubscribe = Vec::new();
    let mut give_up = None;
    for (symbol, sub) in s.subs.iter_mut() {
        let (Some(since), None) = (sub.subscribed_at, sub.last_data) else {
            continue;
        };
        if now.duration_since(since) < limit {
            continue;
        }
        if sub.resubscribes == 0 {
            sub.resubscribes = 1;
            sub.subscribed_at = Some(now);
            resubscribe.push((symbol.clone(), sub.wire.clone()));
        } else if sub.silent_reconnects == 0 {
            sub.silent_reconnects = 1;
            give_up = Some(symbol.to_string());
        } else if sub.resubscribes == 1 {
            sub.resubscribes = 2;
            s.ctx.store.set_row_state(
                exchange,
                symbol,
                RowState::Silent("subscribed, but the venue sends no data for it".into()),
            );
        }
    }
    if let Some(symbol) = give_up {
        return Some(SessionEnd::SymbolSilent(symbol));
    }
    for (symbol, wire) in resubscribe {
        s.ctx.store.set_row_state(
            exchange,
            &symbol,
            RowState::Silent(format!(
                "no data {} s after subscribing; resubscribing",
                limit.as_secs()
            )),
        );
        tracing::warn!(%exchange, %symbol, "subscription silent; resubscribing");
        let wires = [wire];
        if let Err(end) = s.unsubscribe(&wires).await {
            return Some(end);
        }
        if let Err(end) = s.subscribe(&wires).await {
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycled_event_vectors_keep_their_allocation() {
        let mut events: Vec<Event<'_>> = Vec::with_capacity(8);
        events.push(Event::Heartbeat);
        let ptr = events.as_ptr() as usize;
        let recycled: Vec<Event<'static>> = recycle(events);
        assert!(recycled.is_empty());
        assert!(recycled.capacity() >= 8);
        assert_eq!(recycled.as_ptr() as usize, ptr);
    }
}
