//! Reading one frame: count it, parse it, apply its tickers and tell the read loop what it
//! meant for the watchdogs (data, a pong, a venue status, a planned close).

use chrono::{DateTime, Utc};
use tokio::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::end::{close_text, read_error_text};
use super::{Session, SessionEnd};
use crate::exchange::{Event, WireTicker};
use crate::feed::subs::Subs;
use crate::model::{ExchangeId, FeedStatus, Source, Ticker};
use crate::record::{Dir, FrameBody, Record};
use crate::store::RowState;
use crate::symbol::Symbol;

/// The watchdog deadlines frames move.
pub(super) struct Watch {
    pub silence: Duration,
    pub silence_deadline: Instant,
    /// A ping awaiting its pong: (deadline, request id, sent at).
    pub pong: Option<(Instant, u64, Instant)>,
}

/// An empty event vector for another frame's lifetime, keeping the allocation (the
/// in-place `collect` reuses the buffer: same element type, nothing left to convert).
pub(crate) fn recycle<'b>(mut events: Vec<Event<'_>>) -> Vec<Event<'b>> {
    events.clear();
    events.into_iter().map(|_| Event::Unknown).collect()
}

#[derive(Default)]
struct Handled {
    /// A pong arrived; with the request id it echoed, if any.
    pong: bool,
    pong_id: Option<u64>,
    status: Option<(String, bool)>,
    planned: Option<String>,
    rejected: Option<String>,
}

impl Session<'_> {
    /// The rows a reply concerns: the one whose wire name it gives, else those its request
    /// id asked for (an answered id is forgotten). `None` when it names neither.
    fn rows_named(&mut self, wire: Option<&str>, req_id: Option<u64>) -> Option<Vec<Symbol>> {
        if let Some(w) = wire {
            return Some(self.subs.by_wire(w).cloned().into_iter().collect());
        }
        let wires = self.requests.remove(&req_id?)?;
        Some(
            wires
                .iter()
                .filter_map(|w| self.subs.by_wire(w).cloned())
                .collect(),
        )
    }

    /// One item from the socket: `None` when the session goes on, or why it ended.
    pub(super) fn on_frame(
        &mut self,
        frame: Option<Result<Message, WsError>>,
        watch: &mut Watch,
    ) -> Option<SessionEnd> {
        let ctx = self.ctx;
        let exchange = ctx.exchange.id();
        let now = Instant::now();
        let msg = match frame {
            Some(Ok(msg)) => msg,
            Some(Err(e)) => {
                return Some(SessionEnd::Closed(read_error_text(
                    &e,
                    self.ctx.cfg.max_frame_bytes,
                )));
            }
            None => {
                return Some(SessionEnd::Closed(
                    "connection lost (1006): closed without a close frame".into(),
                ));
            }
        };
        let len = msg.len();
        // Any frame at all, a lone pong included, shows the connection is alive.
        watch.silence_deadline = now + watch.silence;
        let now_utc = (ctx.clock)();
        if let Some(tap) = &self.tap {
            let conn = self.conn;
            tap.put(|| Record::Frame {
                exchange,
                conn,
                at: now_utc,
                dir: Dir::In,
                body: match &msg {
                    Message::Text(t) => FrameBody::Text(t.clone()),
                    Message::Ping(_) => FrameBody::Ping,
                    Message::Pong(_) => FrameBody::Pong,
                    Message::Close(f) => FrameBody::Close(close_text(f.as_ref())),
                    Message::Binary(b) => FrameBody::Binary(b.len()),
                    Message::Frame(f) => FrameBody::Binary(f.len()),
                },
            });
        }
        if !matches!(msg, Message::Text(_)) {
            ctx.store.count_frame(exchange, len, now_utc);
        }
        match msg {
            Message::Text(text) => {
                let handled = self.handle_text(text.as_str(), len, now_utc, now);
                if handled.pong
                    && let Some((_, want, sent)) = watch.pong
                    && handled.pong_id.is_none_or(|id| id == want)
                {
                    let rtt = now - sent;
                    ctx.store
                        .with_counters(exchange, |c| c.ping_rtt = Some(rtt));
                    watch.pong = None;
                }
                if let Some((status, healthy)) = handled.status {
                    self.welcomed = true;
                    if healthy && !self.venue_healthy {
                        // Subscriptions get their full grace period from now.
                        for (_, sub) in self.subs.iter_mut() {
                            if sub.last_data.is_none() {
                                sub.subscribed_at = Some(now);
                            }
                        }
                    }
                    self.venue_healthy = healthy;
                    if status != self.venue_status {
                        self.venue_status.clone_from(&status);
                        let reason = format!("exchange status: {status}");
                        self.shown = if healthy {
                            FeedStatus::Connected
                        } else {
                            FeedStatus::Maintenance
                        };
                        ctx.store
                            .transition(exchange, self.shown.clone(), &reason, (ctx.clock)());
                    }
                }
                if let Some(reason) = handled.planned {
                    return Some(SessionEnd::Planned(reason));
                }
                if let Some(message) = handled.rejected {
                    let reason = format!("subscribe rejected: {message}");
                    ctx.store
                        .transition(exchange, self.shown.clone(), &reason, (ctx.clock)());
                }
            }
            Message::Pong(_) => {
                if let Some((_, _, sent)) = watch.pong.take() {
                    ctx.store
                        .with_counters(exchange, |c| c.ping_rtt = Some(now - sent));
                }
            }
            Message::Close(frame) => return Some(SessionEnd::Closed(close_text(frame.as_ref()))),
            // Binary frames carry nothing from these venues; pings are answered
            // by the library.
            _ => {}
        }
        None
    }

    /// Count one text frame of `len` bytes, parse it and apply it. Returns what it meant
    /// beyond its tickers: a pong (with the request id it echoed), a venue status, a
    /// planned close, a rejected request.
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
            let sample: String = text.chars().take(120).collect();
            let last: std::sync::Arc<str> =
                crate::sanitize::clean(&format!("{e}; frame: {sample}")).into();
            ctx.store.with_counters(exchange, |c| {
                c.parse_errors += 1;
                c.last_parse_error = Some(last);
            });
            self.parse_errors_logged += 1;
            if self.parse_errors_logged <= 10 || self.parse_errors_logged.is_multiple_of(1000) {
                tracing::warn!(%exchange, error = %e, frame = %sample, "skipped a malformed frame");
            }
        }
        for event in events.drain(..) {
            match event {
                Event::Ticker(w) => {
                    if let Some(t) = streamed_ticker(self.subs, exchange, w, now, now_utc) {
                        self.tickers.push(t);
                    }
                }
                Event::Subscribed { symbol, req_id } => {
                    // An ack naming nothing is about everything subscribed.
                    let symbols: Vec<Symbol> = self
                        .rows_named(symbol.as_deref(), req_id)
                        .unwrap_or_else(|| self.subs.iter().map(|(s, _)| s.clone()).collect());
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
                Event::SubscribeError {
                    symbol,
                    req_id,
                    message,
                } => {
                    let targets = self
                        .rows_named(symbol.as_deref(), req_id)
                        .unwrap_or_default();
                    if targets.is_empty() {
                        tracing::warn!(%exchange, %message, "request rejected by the venue");
                        handled.rejected = Some(message);
                    } else {
                        for s in targets {
                            self.subs.remove(&s);
                            if let Some(tap) = &self.tap {
                                tap.put(|| Record::Unsub {
                                    exchange,
                                    symbol: s.clone(),
                                    row_removed: false,
                                });
                            }
                            ctx.store.set_row_state(
                                exchange,
                                &s,
                                RowState::Invalid(message.clone()),
                            );
                        }
                    }
                }
                Event::Status { status, healthy } => {
                    handled.status = Some((status, healthy));
                }
                Event::Pong { req_id } => {
                    handled.pong = true;
                    handled.pong_id = req_id;
                }
                Event::ReconnectSoon { reason } => {
                    handled.planned = Some(reason);
                }
                Event::Sequence(n) => {
                    if let Some(last) = self.last_sequence
                        && n > last.saturating_add(1)
                    {
                        ctx.store.with_counters(exchange, |c| c.sequence_gaps += 1);
                        tracing::warn!(%exchange, after = last, got = n, "messages lost; resubscribing for a snapshot");
                        self.resync = true;
                    }
                    self.last_sequence = Some(self.last_sequence.map_or(n, |last| last.max(n)));
                }
                Event::Heartbeat | Event::Ignored | Event::Unsubscribed { .. } => {}
                Event::Unknown => {
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

/// A streamed ticker for a subscribed wire name, received at `now` (`now_utc` on the
/// wall clock): the symbol's pace is told, the price decimals applied. `None` for a
/// market not subscribed. The live session and a replay read frames through this.
#[inline]
pub(crate) fn streamed_ticker(
    subs: &mut Subs,
    exchange: ExchangeId,
    w: WireTicker<'_>,
    now: Instant,
    now_utc: DateTime<Utc>,
) -> Option<Ticker> {
    let symbol = subs.by_wire(&w.symbol).cloned()?;
    let mut decimals = None;
    if let Some(sub) = subs.get_mut(&symbol) {
        sub.on_data(now);
        decimals = sub.price_decimals;
    }
    Some(w.into_ticker(exchange, symbol, decimals, Source::Stream, now_utc))
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
