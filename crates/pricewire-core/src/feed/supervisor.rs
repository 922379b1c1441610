//! The supervisor owns one exchange connection's life and tells the truth about it:
//!
//! ```text
//!  connecting ──ok──▶ connected ──drop/silence/pong──▶ reconnecting n/max ──ok──▶ connected
//!                                                        │ n = max
//!                                                        ▼
//!                       connected ◀──WS back── fallback (REST polls) ◀──▶ offline (REST fails)
//! ```
//!
//! Every change is recorded with its reason. Backoff with full jitter between tries, the
//! attempt counter reset only after a stable period, a circuit breaker against hammering a
//! dead venue, and the WebSocket always retried in the background while on REST.

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::backoff::Backoff;
use super::breaker::{Breaker, BreakerState};
use super::command::Command;
use super::net::{self, NetError, Ws};
use super::socket::KeepAlive;
use super::subs::Subs;
use super::{FeedCtx, rest, socket};

use crate::model::{FeedStatus, plural};
use crate::record::{Record, strip_query};
use crate::store::BreakerView;

/// A session shorter than this that ends "as planned" is treated as a failure.
const MIN_PLANNED_SESSION: std::time::Duration = std::time::Duration::from_secs(5);

/// How the supervisor is currently getting prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Trying the WebSocket (first connect or reconnecting).
    Socket,
    /// WebSocket failed `max_attempts` times; REST polling while it is retried.
    Rest,
}

pub struct Supervisor {
    ctx: FeedCtx,
    subs: Subs,
    backoff: Backoff,
    breaker: Breaker,
    /// Consecutive failed sessions or connects.
    failures: u32,
    mode: Mode,
    rest_ok: Option<bool>,
    /// The next REST poll may not start before this: the poll interval, stretched to the
    /// venue's `Retry-After`. WebSocket retries do not bring it forward.
    rest_not_before: Option<Instant>,
}

/// What ended a wait between connection attempts.
#[derive(PartialEq, Eq)]
enum Wake {
    Connect,
    Shutdown,
}

impl Supervisor {
    pub fn new(ctx: FeedCtx, subs: Subs) -> Self {
        let cfg = &ctx.cfg;
        let backoff = Backoff::new(cfg.backoff_initial, cfg.backoff_max, ctx.seed);
        let breaker = Breaker::new(cfg.breaker_threshold, cfg.breaker_cooldown);
        Supervisor {
            ctx,
            subs,
            backoff,
            breaker,
            failures: 0,
            mode: Mode::Socket,
            rest_ok: None,
            rest_not_before: None,
        }
    }

    fn transition(&self, to: FeedStatus, reason: &str) {
        let now = (self.ctx.clock)();
        // Breaker changes are recorded as transitions: the view follows them here.
        let breaker = match self.breaker.state() {
            BreakerState::Closed => BreakerView::Closed,
            BreakerState::HalfOpen => BreakerView::HalfOpen,
            BreakerState::Open { until } => BreakerView::Open {
                until: now
                    + chrono::Duration::from_std(until.saturating_duration_since(Instant::now()))
                        .unwrap_or_default(),
            },
        };
        self.ctx
            .store
            .with_counters(self.ctx.exchange.id(), |c| c.breaker = breaker);
        self.ctx
            .store
            .transition(self.ctx.exchange.id(), to, reason, now);
    }

    fn status(&self) -> FeedStatus {
        self.ctx
            .store
            .feed_status(self.ctx.exchange.id())
            .unwrap_or(FeedStatus::Connecting)
    }

    /// Dial the WebSocket (after the venue's bootstrap, if it has one); with the
    /// keep-alive the session is to follow.
    async fn connect(&self) -> Result<(Ws, KeepAlive, String), NetError> {
        let ctx = &self.ctx;
        let timeout = ctx.cfg.connect_timeout;
        let (url, boot) = match ctx.exchange.ws_bootstrap_path() {
            None => (ctx.ws_url.clone(), None),
            Some(path) => {
                let body = rest::post(ctx, path)
                    .await
                    .map_err(|e| NetError::Io(format!("WebSocket token: {}", e.reason)))?;
                let boot = ctx
                    .exchange
                    .ws_url_from_bootstrap(&body, ctx.ws_override.as_deref())
                    .map_err(|e| NetError::Io(format!("WebSocket token: {e}")))?;
                (boot.url.clone(), Some(boot))
            }
        };
        let keep = KeepAlive::new(&ctx.cfg, ctx.exchange.as_ref(), boot.as_ref());
        let (ws, upgrade) = net::connect_ws(
            ctx.connector.as_ref(),
            &url,
            ctx.cfg.max_frame_bytes,
            timeout,
        )
        .await?;
        if net::announces_simulator(upgrade.headers()) {
            ctx.store.mark_simulated(ctx.exchange.id(), (ctx.clock)());
        }
        Ok((ws, keep, url))
    }

    /// Run until shut down.
    pub async fn run(mut self, commands: &mut mpsc::Receiver<Command>) {
        let max = self.ctx.cfg.max_attempts;
        let stable = self.ctx.cfg.stable;
        let mut idle_why = "nothing to watch";
        loop {
            if self.subs.is_empty() && self.idle(idle_why, commands).await == Wake::Shutdown {
                self.transition(FeedStatus::Stopped, "shutdown");
                return;
            }
            let reason = match self.connect().await {
                Ok((ws, keep, url)) => {
                    let why = match (self.mode, self.failures) {
                        (Mode::Rest, _) if self.rest_ok == Some(true) => {
                            "WebSocket back; leaving REST fallback".to_string()
                        }
                        (Mode::Rest, n) => {
                            format!("WebSocket back after {}", plural(n, "failed attempt"))
                        }
                        (_, 0) => format!(
                            "subscribing {}",
                            plural(u64::try_from(self.subs.len()).unwrap_or(u64::MAX), "symbol")
                        ),
                        (_, n) => format!("reconnected after {}", plural(n, "failed attempt")),
                    };
                    self.mode = Mode::Socket;
                    // Started without the pair list (venue unreachable then): fetch it now
                    // so that symbols added from here on are checked before subscribing.
                    let missing = self.ctx.pairs.read().map_or(true, |p| p.is_none());
                    if missing {
                        super::load_pairs(&self.ctx).await;
                    }
                    let conn = super::next_conn_id();
                    let endpoint: std::sync::Arc<str> = strip_query(&url).into();
                    self.ctx
                        .store
                        .with_counters(self.ctx.exchange.id(), |c| c.endpoint = Some(endpoint));
                    if let Some(tap) = self.ctx.store.recorder() {
                        let (exchange, at) = (self.ctx.exchange.id(), (self.ctx.clock)());
                        tap.put(|| Record::Open {
                            exchange,
                            conn,
                            at,
                            url: strip_query(&url).into_owned(),
                        });
                    }
                    self.transition(FeedStatus::Connected, &why);
                    let started = Instant::now();
                    let end =
                        socket::run(&self.ctx, ws, conn, keep, &mut self.subs, commands).await;
                    if started.elapsed() >= stable {
                        self.failures = 0;
                        if let Some(change) = self.breaker.on_success() {
                            self.transition(self.status(), &change.reason);
                        }
                    }
                    match end {
                        socket::SessionEnd::Shutdown => {
                            self.transition(FeedStatus::Stopped, "shutdown");
                            return;
                        }
                        // Back to the top, which waits idle for a symbol.
                        socket::SessionEnd::Idle => {
                            idle_why = "nothing left to watch";
                            continue;
                        }
                        // A planned reconnect right after connecting would loop without
                        // pause; such an end counts as a failure and waits out a backoff.
                        end if end.is_benign()
                            && (!matches!(end, socket::SessionEnd::Planned(_))
                                || started.elapsed() >= MIN_PLANNED_SESSION) =>
                        {
                            if end == socket::SessionEnd::Manual {
                                self.failures = 0;
                                self.breaker.reset();
                            }
                            self.transition(FeedStatus::Connecting, &end.reason());
                            continue;
                        }
                        end => end.reason(),
                    }
                }
                // A malformed address never becomes right by waiting: stop, with why.
                Err(NetError::Url(url)) => {
                    let why = format!("bad URL {url}: not retried; fix the address");
                    tracing::error!(exchange = %self.ctx.exchange.id(), reason = %why, "feed stopped");
                    self.transition(FeedStatus::Stopped, &why);
                    if self.stopped(commands).await == Wake::Shutdown {
                        return;
                    }
                    continue;
                }
                Err(e) => e.to_string(),
            };
            self.failures = self.failures.saturating_add(1);
            if let Some(change) = self.breaker.on_failure(Instant::now()) {
                tracing::warn!(exchange = %self.ctx.exchange.id(), reason = %change.reason, "breaker");
                self.transition(self.status(), &change.reason);
            }
            if self.failures >= max {
                self.mode = Mode::Rest;
            }
            match self.wait(&reason, commands).await {
                Wake::Connect => {}
                Wake::Shutdown => {
                    self.transition(FeedStatus::Stopped, "shutdown");
                    return;
                }
            }
        }
    }

    /// Stopped by a fatal error: wait for shutdown; a manual reconnect tries once more.
    async fn stopped(&mut self, commands: &mut mpsc::Receiver<Command>) -> Wake {
        loop {
            match commands.recv().await {
                None | Some(Command::Shutdown) => return Wake::Shutdown,
                Some(Command::Reconnect) => {
                    self.transition(FeedStatus::Connecting, "manual reconnect");
                    return Wake::Connect;
                }
                Some(cmd @ (Command::Add(_) | Command::Remove(_))) => self.edit_offline(&cmd),
            }
        }
    }

    /// A symbol added or dropped while no session runs: the store and the wanted set
    /// change now, the venue hears of it on the next session.
    fn edit_offline(&mut self, cmd: &Command) {
        match cmd {
            Command::Add(market) => {
                super::add_symbol(&self.ctx, &mut self.subs, market);
            }
            Command::Remove(symbol) => {
                super::remove_symbol(&self.ctx, &mut self.subs, symbol);
            }
            Command::Reconnect | Command::Shutdown => {}
        }
    }

    /// No symbol to watch: open no connection, show `idle`, and wait for one to be added.
    async fn idle(&mut self, why: &str, commands: &mut mpsc::Receiver<Command>) -> Wake {
        if self.status() != FeedStatus::Idle {
            self.transition(FeedStatus::Idle, why);
        }
        loop {
            match commands.recv().await {
                None | Some(Command::Shutdown) => return Wake::Shutdown,
                // Nothing to reconnect: the feed stays idle.
                Some(Command::Reconnect) => {}
                Some(Command::Add(market)) => {
                    super::add_symbol(&self.ctx, &mut self.subs, &market);
                    if !self.subs.is_empty() {
                        self.failures = 0;
                        let added = format!("{} added", market.symbol);
                        self.transition(FeedStatus::Connecting, &added);
                        return Wake::Connect;
                    }
                }
                Some(Command::Remove(symbol)) => {
                    super::remove_symbol(&self.ctx, &mut self.subs, &symbol);
                }
            }
        }
    }

    /// Wait out the backoff (and an open breaker), polling REST meanwhile when in fallback.
    async fn wait(&mut self, reason: &str, commands: &mut mpsc::Receiver<Command>) -> Wake {
        let exchange = self.ctx.exchange.id();
        let max = self.ctx.cfg.max_attempts;
        let delay = self.backoff.delay(self.failures);
        let mut retry_at = Instant::now() + delay;
        if let (Some(until), _) = self.breaker.poll(Instant::now()) {
            retry_at = retry_at.max(until);
        }
        let clock = std::sync::Arc::clone(&self.ctx.clock);
        let next_try = move |at: Instant| {
            clock()
                + chrono::Duration::from_std(at.saturating_duration_since(Instant::now()))
                    .unwrap_or_default()
        };
        let mut poll_at = None;
        match self.mode {
            Mode::Socket => self.transition(
                FeedStatus::Reconnecting {
                    attempt: self.failures,
                    max_attempts: max,
                    next_try: next_try(retry_at),
                },
                reason,
            ),
            Mode::Rest => {
                let waiting = self
                    .rest_not_before
                    .filter(|at| *at > Instant::now() && self.rest_ok.is_some());
                // Polled moments ago or told to wait (429): keep the REST pace, and show
                // what the last poll found.
                if let Some(at) = waiting {
                    let next = next_try(retry_at);
                    if self.rest_ok == Some(true) {
                        self.settle(
                            FeedStatus::Fallback { next_ws_try: next },
                            &format!("{reason}; still on REST"),
                        );
                    } else {
                        self.settle(
                            FeedStatus::Offline { next_try: next },
                            &format!("WebSocket and REST both failing: {reason}"),
                        );
                    }
                    poll_at = Some(at);
                } else {
                    let status = self.poll_rest(reason, next_try(retry_at)).await;
                    tracing::debug!(%exchange, ?status, "fallback poll");
                    poll_at = self.rest_not_before;
                }
            }
        }
        loop {
            let poll_deadline = poll_at.unwrap_or(retry_at);
            tokio::select! {
                () = sleep_until(retry_at) => {
                    let (wait, change) = self.breaker.poll(Instant::now());
                    if let Some(change) = change {
                        self.transition(self.status(), &change.reason);
                    }
                    match wait {
                        Some(until) => retry_at = until,
                        None => return Wake::Connect,
                    }
                }
                () = sleep_until(poll_deadline), if poll_at.is_some() => {
                    let last = self.rest_ok;
                    let result = rest::poll(&self.ctx, &self.subs).await;
                    let wait = self.pace_rest(result.as_ref().err());
                    match result {
                        Ok(_) => {
                            self.rest_ok = Some(true);
                            if last != Some(true) {
                                self.transition(FeedStatus::Fallback { next_ws_try: next_try(retry_at) }, "REST polling works again");
                            }
                        }
                        Err(e) => {
                            self.rest_ok = Some(false);
                            if last != Some(false) {
                                self.transition(FeedStatus::Offline { next_try: next_try(retry_at) }, &format!("WebSocket and REST both failing: {}", e.reason));
                            }
                        }
                    }
                    poll_at = Some(wait);
                }
                cmd = commands.recv() => match cmd {
                    None | Some(Command::Shutdown) => return Wake::Shutdown,
                    Some(Command::Reconnect) => {
                        self.failures = 0;
                        self.breaker.reset();
                        self.transition(FeedStatus::Connecting, "manual reconnect");
                        return Wake::Connect;
                    }
                    Some(cmd @ (Command::Add(_) | Command::Remove(_))) => self.edit_offline(&cmd),
                },
            }
        }
    }

    /// When the next REST poll may start after one that just ended: the poll interval, or
    /// the venue's `Retry-After` when longer.
    fn pace_rest(&mut self, error: Option<&rest::RestError>) -> Instant {
        let mut wait = self.ctx.cfg.rest_poll;
        if let Some(after) = error.and_then(|e| e.retry_after) {
            wait = wait.max(after);
        }
        let at = Instant::now() + wait;
        self.rest_not_before = Some(at);
        at
    }

    /// One REST poll on entering (or staying in) fallback. Entering fallback or offline,
    /// or moving between them, is recorded; staying in the same state only refreshes the
    /// next retry time (the WebSocket retry that failed is logged, not listed).
    async fn poll_rest(
        &mut self,
        ws_reason: &str,
        next_ws_try: chrono::DateTime<chrono::Utc>,
    ) -> FeedStatus {
        let result = rest::poll(&self.ctx, &self.subs).await;
        self.pace_rest(result.as_ref().err());
        let poll_every = self.ctx.cfg.rest_poll.as_secs_f64();
        let (status, why) = match result {
            Ok(_) => (
                FeedStatus::Fallback { next_ws_try },
                format!(
                    "{ws_reason}; WebSocket failed {} times, polling REST every {poll_every} s",
                    self.failures
                ),
            ),
            Err(e) => (
                FeedStatus::Offline {
                    next_try: next_ws_try,
                },
                format!("WebSocket and REST both failing: {ws_reason}; {}", e.reason),
            ),
        };
        self.rest_ok = Some(matches!(status, FeedStatus::Fallback { .. }));
        self.settle(status.clone(), &why);
        status
    }

    /// Record a move into `status`; staying in the same state (another failed WebSocket
    /// retry while on REST or offline) only refreshes its countdown and is logged.
    fn settle(&self, status: FeedStatus, why: &str) {
        if self.status().name() == status.name() {
            tracing::info!(exchange = %self.ctx.exchange.id(), reason = %why, "WebSocket retry failed");
            self.ctx
                .store
                .refresh_status(self.ctx.exchange.id(), status);
        } else {
            self.transition(status, why);
        }
    }
}
