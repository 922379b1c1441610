//! One WebSocket session: subscribe everything, then read frames into the store while
//! watching for silence, unanswered pings, silent subscriptions and commands. Returns why it
//! ended; the supervisor decides what happens next. Never sleeps between sessions.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

use super::FeedCtx;
use super::command::Command;
use super::net::Ws;
use super::subs::{Stall, Subs};
use crate::config::FeedConfig;
use crate::exchange::{Bootstrap, Event, Exchange, Request, RequestIds};
use crate::model::FeedStatus;
use crate::model::Ticker;
use crate::record::{Dir, FrameBody, Record, Tap};
use crate::store::RowState;

mod end;
mod read;

pub use end::SessionEnd;
use end::read_error_text;
use read::Watch;
pub(crate) use read::{recycle, streamed_ticker};

/// Frames read back to back before timers and commands are looked at again.
const READ_BATCH: u32 = 64;

/// How one session keeps its connection alive and decides it is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// How often a ping goes out (application-level where the venue has one).
    pub ping_every: Duration,
    /// How long a ping may go unanswered.
    pub pong_timeout: Duration,
    /// How long the connection may carry no frame at all (pongs, heartbeats and data all
    /// count) before it is given up. A quiet *market* is a matter for each symbol, not this.
    pub silence: Duration,
}

impl KeepAlive {
    /// The config's values where set; else what the venue's bootstrap prescribed
    /// (KuCoin's `pingInterval` / `pingTimeout`); else the venue's documented defaults. The
    /// silence limit defaults to one ping period plus its pong timeout: a live connection
    /// always answers within that.
    pub fn new(cfg: &FeedConfig, exchange: &dyn Exchange, boot: Option<&Bootstrap>) -> Self {
        let ping_every = cfg
            .ping_interval
            .or(boot.and_then(|b| b.ping_interval))
            .unwrap_or_else(|| exchange.ping_interval());
        let pong_timeout = cfg
            .pong_timeout
            .or(boot.and_then(|b| b.pong_timeout))
            .unwrap_or_else(|| exchange.pong_timeout());
        let silence = cfg.silence.unwrap_or(ping_every + pong_timeout);
        KeepAlive {
            ping_every,
            pong_timeout,
            silence,
        }
    }
}

/// Request ids remembered while their answer is awaited.
const MAX_OPEN_REQUESTS: usize = 1024;

/// Per-session bookkeeping.
struct Session<'a> {
    ctx: &'a FeedCtx,
    ws: Ws,
    subs: &'a mut Subs,
    /// Ids for requests and pings: one per frame, never shared.
    ids: RequestIds,
    /// Wire names each request id asked for, until the venue answers it.
    requests: BTreeMap<u64, Vec<String>>,
    /// The newest message number the venue gave (see `Event::Sequence`).
    last_sequence: Option<u64>,
    /// Messages were lost: resubscribe everything for a fresh snapshot.
    resync: bool,
    /// Last status the venue announced (`online` until told otherwise).
    venue_status: String,
    /// Whether the venue has greeted this connection (a welcome or status frame).
    welcomed: bool,
    /// Symbols polled over REST because the WebSocket sends nothing for them, and when
    /// the next poll may go.
    polling: usize,
    rest_poll_at: Option<Instant>,
    /// The state this session last put the feed in: connected, quiet or maintenance.
    shown: FeedStatus,
    /// Whether that status lets data flow. While it does not (maintenance), silent
    /// subscriptions are expected: neither resubscribed nor reconnected for.
    venue_healthy: bool,
    tickers: Vec<Ticker>,
    /// Events of the frame being handled; kept between frames for its allocation.
    events: Vec<Event<'static>>,
    parse_errors_logged: u64,
    /// This connection's id, for the recording.
    conn: u64,
    /// The recording's tap, when the run records (taken once per session).
    tap: Option<Arc<Tap>>,
}

impl Session<'_> {
    async fn send(&mut self, frames: Vec<String>) -> Result<(), SessionEnd> {
        let n = frames.len() as u64;
        for frame in frames {
            self.record_out(|| FrameBody::Text(frame.as_str().into()));
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

    /// Record a frame sent, when the run records.
    fn record_out(&self, body: impl FnOnce() -> FrameBody) {
        if let Some(tap) = &self.tap {
            let (exchange, conn, at) = (self.ctx.exchange.id(), self.conn, (self.ctx.clock)());
            tap.put(|| Record::Frame {
                exchange,
                conn,
                at,
                dir: Dir::Out,
                body: body(),
            });
        }
    }

    fn next_id(&mut self) -> u64 {
        self.ids.next_id()
    }

    /// Send requests, remembering what each id asked for.
    async fn send_requests(&mut self, requests: Vec<Request>) -> Result<(), SessionEnd> {
        let mut frames = Vec::with_capacity(requests.len());
        for r in requests {
            if let Some(id) = r.id {
                self.requests.insert(id, r.wires);
                // Venues that answer per symbol never close an id: keep the newest.
                while self.requests.len() > MAX_OPEN_REQUESTS {
                    self.requests.pop_first();
                }
            }
            frames.push(r.text);
        }
        self.send(frames).await
    }

    async fn subscribe(&mut self, wires: &[String]) -> Result<(), SessionEnd> {
        if wires.is_empty() {
            return Ok(());
        }
        let refs: Vec<&str> = wires.iter().map(String::as_str).collect();
        let requests = self.ctx.exchange.subscribe_requests(&refs, &mut self.ids);
        self.send_requests(requests).await
    }

    /// Unsubscribe and subscribe again: a stalled symbol's fresh start.
    async fn resubscribe(&mut self, wire: String) -> Result<(), SessionEnd> {
        let wires = [wire];
        self.unsubscribe(&wires).await?;
        self.subscribe(&wires).await
    }

    async fn unsubscribe(&mut self, wires: &[String]) -> Result<(), SessionEnd> {
        let refs: Vec<&str> = wires.iter().map(String::as_str).collect();
        let requests = self.ctx.exchange.unsubscribe_requests(&refs, &mut self.ids);
        self.send_requests(requests).await
    }
}

/// Run a connected session (connection `conn`) until it ends.
pub async fn run(
    ctx: &FeedCtx,
    ws: Ws,
    conn: u64,
    keep: KeepAlive,
    subs: &mut Subs,
    commands: &mut mpsc::Receiver<Command>,
) -> SessionEnd {
    let cfg = &ctx.cfg;
    let KeepAlive {
        ping_every,
        pong_timeout,
        silence,
    } = keep;
    let symbol_silence = cfg.symbol_silence;
    let started = Instant::now();
    let age_limit = ctx
        .exchange
        .max_connection_age()
        .map(|age| started + age.saturating_sub(Duration::from_mins(5)));

    subs.reset_session();
    let mut s = Session {
        ctx,
        ws,
        subs,
        ids: RequestIds::default(),
        requests: BTreeMap::new(),
        last_sequence: None,
        resync: false,
        venue_status: "online".into(),
        shown: FeedStatus::Connected,
        welcomed: false,
        polling: 0,
        rest_poll_at: None,
        venue_healthy: true,
        tickers: Vec::new(),
        events: Vec::new(),
        parse_errors_logged: 0,
        conn,
        tap: ctx.store.recorder().cloned(),
    };
    let mut watch = Watch {
        silence,
        silence_deadline: started + silence,
        pong: None,
    };
    if ctx.exchange.waits_for_welcome() {
        // Requests sent before the welcome may be lost (KuCoin asks to wait for it).
        let limit = cfg.connect_timeout;
        while !s.welcomed {
            let frame = tokio::select! {
                frame = s.ws.next() => frame,
                () = sleep_until(started + limit) => {
                    return SessionEnd::Closed(format!(
                        "no welcome from the venue within {} s",
                        limit.as_secs()
                    ));
                }
            };
            if let Some(end) = s.on_frame(frame, &mut watch) {
                return end;
            }
        }
    }
    let wires = s.subs.wires();
    if let Err(end) = s.subscribe(&wires).await {
        return end;
    }
    let subscribed = Instant::now();
    for (_, sub) in s.subs.iter_mut() {
        sub.subscribed_at = Some(subscribed);
    }
    let mut next_ping = started + ping_every;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut wall_at_tick = (ctx.clock)();
    let mut mono_at_tick = Instant::now();
    let mut suspends = ctx.store.suspends();

    loop {
        // Back from a stop of the whole process (Ctrl-Z): the time away is no silence of
        // the venue's, so every watchdog starts afresh before any of them can fire.
        if ctx.store.suspends() != suspends {
            suspends = ctx.store.suspends();
            let now = Instant::now();
            resume(&mut s, &mut watch, now, pong_timeout);
            next_ping = now + ping_every;
            tracing::info!(exchange = %ctx.exchange.id(), "resumed after a stop; watchdogs restarted");
        }
        let pong_at = watch
            .pong
            .map_or(watch.silence_deadline + silence, |(at, _, _)| at);
        // A reader that must see every event is behind: leave the frames in the socket
        // (TCP slows the sender) and stop the silence and pong clocks meanwhile.
        let held = ctx.store.feeds_held();
        let frame = tokio::select! {
            frame = s.ws.next(), if !held => frame,
            () = ctx.store.feeds_released(), if held => {
                let now = Instant::now();
                watch.silence_deadline = watch.silence_deadline.max(now + silence);
                if let Some((at, _, _)) = &mut watch.pong {
                    *at = (*at).max(now + pong_timeout);
                }
                continue;
            }
            () = sleep_until(watch.silence_deadline), if !held => {
                if ctx.store.suspends() != suspends {
                    continue;
                }
                return SessionEnd::Silence(silence);
            }
            () = sleep_until(pong_at), if watch.pong.is_some() && !held => {
                if ctx.store.suspends() != suspends {
                    continue;
                }
                return SessionEnd::PongTimeout(pong_timeout);
            }
            () = sleep_until(next_ping) => {
                let now = Instant::now();
                next_ping = now + ping_every;
                if watch.pong.is_none() {
                    let id = s.next_id();
                    let sent = if let Some(frame) = ctx.exchange.ping(id) {
                        s.send(vec![frame]).await
                    } else {
                        s.record_out(|| FrameBody::Ping);
                        s.ws.send(Message::Ping(Vec::new().into())).await
                            .map_err(|e| SessionEnd::Closed(read_error_text(&e, cfg.max_frame_bytes)))
                    };
                    if let Err(end) = sent {
                        return end;
                    }
                    watch.pong = Some((now + pong_timeout, id, now));
                }
                continue;
            }
            () = async { sleep_until(age_limit.unwrap_or(started)).await }, if age_limit.is_some() => {
                return SessionEnd::Planned("connection-age limit of the venue".into());
            }
            _ = tick.tick() => {
                if ctx.store.suspends() != suspends {
                    continue;
                }
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
                if let Some(end) = check_stalled_symbols(&mut s, now).await {
                    return end;
                }
                show_quiet(&mut s, now, started, symbol_silence);
                poll_silent_symbols(&mut s, now).await;
                continue;
            }
            cmd = commands.recv() => {
                match cmd {
                None | Some(Command::Shutdown) => {
                    let _ = s.ws.close(None).await;
                    return SessionEnd::Shutdown;
                }
                Some(Command::Reconnect) => {
                    let _ = s.ws.close(None).await;
                    return SessionEnd::Manual;
                }
                Some(Command::Add(market)) => {
                    if let Some(wire) = super::add_symbol(ctx, s.subs, &market) {
                        if let Err(end) = s.subscribe(std::slice::from_ref(&wire)).await {
                            return end;
                        }
                        if let Some(sub) = s.subs.get_mut(&market.symbol) {
                            sub.subscribed_at = Some(Instant::now());
                        }
                    }
                }
                Some(Command::Remove(symbol)) => {
                    let removed = super::remove_symbol(ctx, s.subs, &symbol);
                    if removed.is_some() && s.subs.is_empty() {
                        // Nothing left: close rather than keep a connection for no one.
                        let _ = s.ws.close(None).await;
                        return SessionEnd::Idle;
                    }
                    if let Some(sub) = removed
                        && let Err(end) = s.unsubscribe(&[sub.wire]).await
                    {
                        return end;
                    }
                }
                }
                continue;
            }
        };
        // Frames the socket already holds are read without another round of the select
        // and its timers; after READ_BATCH of them, timers and commands are looked at again.
        let mut next = Some(frame);
        let mut budget = READ_BATCH;
        while let Some(frame) = next {
            if let Some(end) = s.on_frame(frame, &mut watch) {
                return end;
            }
            budget -= 1;
            next = if budget == 0 {
                None
            } else {
                s.ws.next().now_or_never()
            };
        }
        if std::mem::take(&mut s.resync) {
            // Messages were lost: a fresh subscription starts again from a snapshot.
            let wires = s.subs.wires();
            if let Err(end) = s.unsubscribe(&wires).await {
                return end;
            }
            if let Err(end) = s.subscribe(&wires).await {
                return end;
            }
        }
    }
}

/// Symbols that streamed and then stopped while the connection lives: each is suspect once
/// silent for longer than its own pace allows ([`Sub::patience`]); it is resubscribed
/// (within the venue's hourly budget of requests) and marked; if a resubscribe does not
/// bring it back within the same patience, the connection is renewed once.
async fn check_stalled_symbols(s: &mut Session<'_>, now: Instant) -> Option<SessionEnd> {
    let exchange = s.ctx.exchange.id();
    let mut resubscribe = Vec::new();
    let mut reconnect = None;
    for (symbol, sub) in s.subs.iter_mut() {
        let Some(last) = sub.last_data else {
            continue;
        };
        let silent = now.saturating_duration_since(last);
        let patience = sub.patience();
        if silent < patience {
            continue;
        }
        let usual = sub
            .usual_gap()
            .map(|g| format!(" (usually every {})", human(g)))
            .unwrap_or_default();
        match sub.stall {
            Stall::None | Stall::Waiting => {
                resubscribe.push((symbol.clone(), sub.wire.clone(), silent, usual));
            }
            Stall::Resubscribed(at) if now.saturating_duration_since(at) >= patience => {
                reconnect = Some(format!(
                    "{symbol}: no update for {}{usual}, not even after a resubscribe; reconnecting",
                    human(silent)
                ));
            }
            Stall::Resubscribed(_) => {}
        }
    }
    if let Some(why) = reconnect {
        return Some(SessionEnd::Planned(why));
    }
    for (symbol, wire, silent, usual) in resubscribe {
        let took = s.subs.budget.take(now);
        if let Some(sub) = s.subs.get_mut(&symbol) {
            if !took && sub.stall == Stall::Waiting {
                continue;
            }
            sub.stall = if took {
                Stall::Resubscribed(now)
            } else {
                Stall::Waiting
            };
        }
        let what = if took {
            "resubscribing"
        } else {
            "the hour's resubscribe budget is spent; waiting"
        };
        s.ctx.store.set_row_state(
            exchange,
            &symbol,
            RowState::Silent(format!("no update for {}{usual}; {what}", human(silent))),
        );
        tracing::warn!(%exchange, %symbol, silent_s = silent.as_secs(), took, "symbol stalled");
        if took && let Err(end) = s.resubscribe(wire).await {
            return Some(end);
        }
    }
    None
}

/// After a stop of the whole process: the connection's silence and pong deadlines, and
/// each symbol's patience, count from `now`.
fn resume(s: &mut Session<'_>, watch: &mut Watch, now: Instant, pong_timeout: Duration) {
    watch.silence_deadline = now + watch.silence;
    if let Some((_, id, sent)) = watch.pong {
        watch.pong = Some((now + pong_timeout, id, sent));
    }
    for (_, sub) in s.subs.iter_mut() {
        if sub.last_data.is_some() {
            sub.last_data = Some(now);
        }
        if sub.subscribed_at.is_some() {
            sub.subscribed_at = Some(now);
        }
    }
}

/// Requests at least this far apart when silent symbols are polled over REST (OKX and
/// KuCoin take one request per instrument).
const REST_REQUEST_SPACING: Duration = Duration::from_secs(1);

/// Symbols the venue acked but never fed, even after a resubscribe and a reconnect, are
/// polled over REST while the connection lives: their rows show `polled` prices (aged by
/// the venue's own time), the history says so, and the requests are paced to
/// `FeedConfig::rest_poll`, at least [`REST_REQUEST_SPACING`] per request.
async fn poll_silent_symbols(s: &mut Session<'_>, now: Instant) {
    let ctx = s.ctx;
    let exchange = ctx.exchange.id();
    let silent: Vec<(String, String)> = s
        .subs
        .iter()
        .filter(|(_, sub)| sub.resubscribes >= 2 && sub.last_data.is_none())
        .map(|(symbol, sub)| (symbol.to_string(), sub.rest.clone()))
        .collect();
    if silent.len() != s.polling {
        s.polling = silent.len();
        if !silent.is_empty() {
            let names: Vec<&str> = silent.iter().map(|(sym, _)| sym.as_str()).collect();
            let every = ctx.cfg.rest_poll;
            let reason = format!(
                "{}: no data on the WebSocket; polling over REST every {} s",
                names.join(", "),
                every.as_secs_f64()
            );
            ctx.store
                .transition(exchange, s.shown.clone(), &reason, (ctx.clock)());
        }
    }
    if silent.is_empty() || s.rest_poll_at.is_some_and(|at| now < at) {
        return;
    }
    let refs: Vec<&str> = silent.iter().map(|(_, rest)| rest.as_str()).collect();
    let requests =
        u32::try_from(ctx.exchange.rest_ticker_paths(&refs).len().max(1)).unwrap_or(u32::MAX);
    let mut next = now + ctx.cfg.rest_poll.max(REST_REQUEST_SPACING * requests);
    if let Err(e) = super::rest::poll_some(ctx, s.subs, &refs).await {
        tracing::warn!(%exchange, reason = %e.reason, "REST poll of silent symbols failed");
        if let Some(after) = e.retry_after {
            next = next.max(now + after);
        }
    }
    s.rest_poll_at = Some(next);
}

/// `45 s`, `2 min`, `0.5 s`.
fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 120.0 {
        format!("{} min", (secs / 60.0).round())
    } else if secs >= 10.0 {
        format!("{} s", secs.round())
    } else {
        format!("{secs:.1} s")
    }
}

/// Connected is not live when nothing arrives: once every subscribed symbol is silent past
/// its own patience (or, never having delivered on this connection, `never_limit` after it
/// opened at `started`), the feed shows
/// `quiet` with how long; the first data after that shows `connected` again. The
/// thresholds adapt to each symbol's pace, so a slow pair does not flap.
fn show_quiet(s: &mut Session<'_>, now: Instant, started: Instant, never_limit: Duration) {
    if !s.venue_healthy || s.subs.is_empty() {
        return;
    }
    let mut newest = started;
    let all_silent = s.subs.iter().all(|(_, sub)| match sub.last_data {
        Some(last) => {
            newest = newest.max(last);
            now.saturating_duration_since(last) >= sub.patience()
        }
        None => now.saturating_duration_since(started) >= never_limit,
    });
    let ctx = s.ctx;
    let exchange = ctx.exchange.id();
    if all_silent && s.shown == FeedStatus::Connected {
        let quiet_for = now.saturating_duration_since(newest);
        s.shown = FeedStatus::Quiet;
        ctx.store.transition(
            exchange,
            FeedStatus::Quiet,
            &format!(
                "connected, but no data from any symbol for {}",
                human(quiet_for)
            ),
            (ctx.clock)(),
        );
    } else if !all_silent && s.shown == FeedStatus::Quiet {
        s.shown = FeedStatus::Connected;
        ctx.store
            .transition(exchange, FeedStatus::Connected, "data again", (ctx.clock)());
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
        if let Err(end) = s.resubscribe(wire).await {
            return Some(end);
        }
    }
    None
}
