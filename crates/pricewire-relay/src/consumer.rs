//! A reader that writes a relay's shared feed into the engine's [`Store`], so the
//! dashboard and headless mode draw and print it exactly as they do their own feeds. Per
//! venue one task: snapshot, then the stream ([`crate::reader`]), the leader's heartbeat
//! twice a second, the reader's wants leased every 5 s, and commands from the screen on a
//! [`FeedHandle`] like a feed's (add and drop lease and give up wants; reconnect asks the
//! leader through Redis).
//!
//! What the screen shows: the venue state is the relay's; the feed carries the leader and
//! term ([`RelayInfo`]); a heartbeat older than 2 s shows [`FeedStatus::NoLeader`] instead
//! of the relay's state; a lost link to Redis is [`FeedStatus::LinkLost`] with the reason
//! and the next try.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use pricewire_core::feed::command::{self, Command, FeedHandle, Feeds, SharedPairs};
use pricewire_core::json::{self, Line};
use pricewire_core::store::{RelayInfo, RowState};
use pricewire_core::symbol::{Instrument, Symbol};
use pricewire_core::{ExchangeId, FeedStatus, Store};

use crate::conn::{LinkError, RedisTarget};
use crate::control;
use crate::keys::Keys;
use crate::reader::{self, Cursor, Step, TickEntry};
use crate::relay::{backoff, retry_wait};
use crate::wants;
use crate::wire::{self, StateLine, VenueState};

/// A heartbeat older than this shows "no leader".
pub const NO_LEADER_AFTER: Duration = Duration::from_secs(2);
/// The history line when the dataset changed under the reader.
const NEW_EPOCH: &str = "Redis lost its data (a new epoch): prices reloaded";
/// How often the heartbeat is looked at.
const POLL_EVERY: Duration = Duration::from_millis(500);
/// How long one blocking read waits (commands wait at most this long).
const BLOCK_MS: u64 = 250;

/// One venue to read.
#[derive(Debug, Clone)]
pub struct VenueWatch {
    /// The venue.
    pub exchange: ExchangeId,
    /// Symbols as typed (resolved against the leader's pair list).
    pub symbols: Vec<String>,
    /// Quote aliases applied to the pair list (`USD` → `USDT`).
    pub quote_aliases: Vec<(String, String)>,
}

/// Everything a consumer runs with.
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// Where Redis is.
    pub target: RedisTarget,
    /// This reader's id in the wants (`desk-3f2a`): unique per running reader.
    pub id: String,
    /// The venues.
    pub venues: Vec<VenueWatch>,
    /// Dial and handshake timeout.
    pub connect_timeout: Duration,
}

/// A reader id for the wants, unique per running reader: `pid-xxxx`.
pub fn new_id() -> String {
    format!("{}-{:04x}", std::process::id(), fastrand::u16(..))
}

/// Start reading: checks Redis first, so a bad URL, refused credentials or a missing
/// permission is an error now (fatal at start; later they are retried with a long
/// backoff). Returns the handles the screen sends commands through, and the tasks, which
/// end on `shutdown` (giving up their wants).
pub async fn start(
    settings: ConsumerSettings,
    store: Arc<Store>,
    shutdown: CancellationToken,
) -> Result<(Feeds, Vec<JoinHandle<()>>), LinkError> {
    // Refused credentials or a missing permission are fatal now; an unreachable Redis is
    // not (each venue shows the lost link and retries). A reader must be able to read
    // the venue's keys: an ACL that forbids it is fatal too.
    let first = async {
        let mut con = settings
            .target
            .connect(settings.connect_timeout, Some(settings.connect_timeout))
            .await?;
        for v in &settings.venues {
            reader::poll(&mut con, &Keys::new(v.exchange)).await?;
        }
        Ok::<_, LinkError>(())
    };
    match first.await {
        Err(e) if e.is_fatal_at_start() => return Err(e),
        Err(e) => tracing::warn!(error = %e, "Redis does not answer yet; retrying"),
        Ok(()) => {}
    }
    let mut handles = Vec::new();
    let mut tasks = Vec::new();
    for v in settings.venues.clone() {
        let (tx, rx) = mpsc::channel(command::QUEUE);
        let pairs: SharedPairs = Arc::new(RwLock::new(None));
        handles.push(FeedHandle::new(v.exchange, tx, Arc::clone(&pairs)));
        let now = Utc::now();
        store.add_feed(v.exchange, now);
        store.set_relay(
            v.exchange,
            Some(RelayInfo {
                leader: String::new(),
                term: 0,
            }),
            now,
        );
        let mut task = Venue {
            settings: settings.clone(),
            keys: Keys::new(v.exchange),
            ex: v.exchange,
            store: Arc::clone(&store),
            pairs,
            quote_aliases: v.quote_aliases.clone(),
            typed: Some(v.symbols.clone()),
            symbols: BTreeSet::new(),
            cursor: Cursor::default(),
            last_epoch: String::new(),
            relay_state: None,
            fresh: false,
            heartbeat_at: None,
            shown: None,
        };
        let stop = shutdown.clone();
        tasks.push(tokio::spawn(async move { task.run(rx, stop).await }));
    }
    Ok((Feeds::new(handles), tasks))
}

/// What the screen is showing for the venue, so a change is recorded once.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shown {
    Relay(String),
    NoLeader,
    /// The link is lost, for this reason.
    LinkLost(String),
}

struct Venue {
    settings: ConsumerSettings,
    keys: Keys,
    ex: ExchangeId,
    store: Arc<Store>,
    pairs: SharedPairs,
    quote_aliases: Vec<(String, String)>,
    /// Symbols as typed, until the first pair list resolves them.
    typed: Option<Vec<String>>,
    /// The rows this reader holds.
    symbols: BTreeSet<Symbol>,
    cursor: Cursor,
    /// The last epoch seen that was not empty (a restart in between reads as empty).
    last_epoch: String,
    relay_state: Option<VenueState>,
    /// The heartbeat is recent.
    fresh: bool,
    /// When the last heartbeat was written (this clock, measured on Redis's).
    heartbeat_at: Option<DateTime<Utc>>,
    shown: Option<Shown>,
}

/// Why a session ended.
enum End {
    Shutdown,
}

impl Venue {
    async fn run(&mut self, mut rx: mpsc::Receiver<Command>, stop: CancellationToken) {
        let mut attempt = 0u32;
        loop {
            if stop.is_cancelled() {
                break;
            }
            let cons = async {
                let t = &self.settings.target;
                let timeout = self.settings.connect_timeout;
                let cmd = t.connect(timeout, Some(timeout)).await?;
                let block = t
                    .connect(timeout, Some(timeout + Duration::from_millis(BLOCK_MS)))
                    .await?;
                Ok::<_, LinkError>((cmd, block))
            };
            let error = match cons.await {
                Ok((mut cmd, mut block)) => {
                    attempt = 0;
                    match self.session(&mut cmd, &mut block, &mut rx, &stop).await {
                        Ok(End::Shutdown) => {
                            self.give_up_wants(&mut cmd).await;
                            break;
                        }
                        Err(e) => e,
                    }
                }
                Err(e) => e,
            };
            attempt += 1;
            let wait = if error.is_fatal_at_start() {
                retry_wait(&error, attempt, Duration::from_secs(30))
            } else {
                backoff(attempt + 2, Duration::from_secs(30))
            };
            self.link_lost(&error, attempt, wait);
            // Keep taking commands while waiting: the screen stays responsive.
            let until = Instant::now() + wait;
            let mut open = !rx.is_closed();
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(until) => break,
                    () = stop.cancelled() => return,
                    c = rx.recv(), if open => match c {
                        Some(Command::Shutdown) => return,
                        Some(c) => self.command_offline(c),
                        // Nobody sends commands any more; reading goes on.
                        None => open = false,
                    },
                }
            }
        }
    }

    async fn session(
        &mut self,
        cmd: &mut MultiplexedConnection,
        block: &mut MultiplexedConnection,
        rx: &mut mpsc::Receiver<Command>,
        stop: &CancellationToken,
    ) -> Result<End, LinkError> {
        self.load_pairs(cmd).await?;
        self.resolve_typed();
        self.resnapshot(cmd, None).await?;
        self.lease_wants(cmd).await?;
        let mut next_poll = Instant::now() + POLL_EVERY;
        let mut next_lease = Instant::now() + wants::REFRESH;
        let mut next_pairs = Instant::now() + Duration::from_secs(30);
        loop {
            if stop.is_cancelled() {
                return Ok(End::Shutdown);
            }
            while let Ok(c) = rx.try_recv() {
                if matches!(c, Command::Shutdown) {
                    return Ok(End::Shutdown);
                }
                self.command(cmd, c).await?;
            }
            let now = Instant::now();
            if now >= next_poll {
                next_poll = now + POLL_EVERY;
                self.poll(cmd).await?;
            }
            if now >= next_lease {
                next_lease = now + wants::REFRESH;
                self.lease_wants(cmd).await?;
            }
            if now >= next_pairs {
                next_pairs = now + Duration::from_secs(30);
                self.load_pairs(cmd).await?;
            }
            let (ticks, states) =
                reader::read(block, &self.keys, &self.cursor, BLOCK_MS, 1000).await?;
            let mut i = 0;
            while i < ticks.len() {
                let entry = &ticks[i];
                i += 1;
                match reader::classify(&self.cursor, entry) {
                    Step::Apply => self.apply(entry),
                    Step::Old | Step::LowerTerm => {}
                    Step::NewEpoch => {
                        self.resnapshot(
                            cmd,
                            Some("Redis lost its data (a new epoch): prices reloaded"),
                        )
                        .await?;
                        break;
                    }
                    Step::Jump { missing } => {
                        let refill =
                            reader::range(cmd, &self.keys, self.cursor.seq + 1, entry.seq - 1)
                                .await?;
                        let whole = refill.len() as u64 == missing
                            && refill.first().is_some_and(|e| e.seq == self.cursor.seq + 1);
                        if whole {
                            for e in &refill {
                                if reader::classify(&self.cursor, e) == Step::Apply {
                                    self.apply(e);
                                }
                            }
                            if reader::classify(&self.cursor, entry) == Step::Apply {
                                self.apply(entry);
                            }
                        } else {
                            self.store.record_gap(
                                self.ex,
                                missing,
                                "the relay's stream no longer holds them (it keeps the newest only); prices reloaded",
                                Utc::now(),
                            );
                            self.resnapshot(cmd, None).await?;
                            break;
                        }
                    }
                }
            }
            for s in states {
                if s.epoch != self.cursor.epoch {
                    continue;
                }
                self.cursor.states_id.clone_from(&s.id);
                self.state_line(cmd, &s.line, s.term, &s.leader).await?;
            }
        }
    }

    /// Show the lost link. Only a new state or a new reason is a history line: another
    /// failed try for the same reason refreshes the countdown (and is logged at info), as
    /// a feed's retries on REST do, so an outage reads as one line, not one per try.
    fn link_lost(&mut self, error: &LinkError, attempt: u32, wait: Duration) {
        let now = Utc::now();
        let status = FeedStatus::LinkLost {
            attempt,
            next_try: now + TimeDelta::from_std(wait).unwrap_or_default(),
        };
        let reason = if error.is_link() || error.is_fatal_at_start() {
            format!("relay link lost: {error}")
        } else {
            format!("relay data unreadable: {error}")
        };
        if self.shown == Some(Shown::LinkLost(reason.clone())) {
            tracing::info!(venue = %self.ex, error = %error, attempt, retry_in = ?wait, "relay link still lost");
            self.store.refresh_status(self.ex, status);
            return;
        }
        tracing::warn!(venue = %self.ex, error = %error, retry_in = ?wait, "relay link lost");
        self.store.transition(self.ex, status, &reason, now);
        self.shown = Some(Shown::LinkLost(reason));
    }

    /// Apply the next entry and move the cursor.
    fn apply(&mut self, entry: &TickEntry) {
        self.cursor.seq = entry.seq;
        if entry.term > self.cursor.term {
            self.cursor.term = entry.term;
            self.store.set_relay(
                self.ex,
                Some(RelayInfo {
                    leader: entry.leader.clone(),
                    term: entry.term,
                }),
                Utc::now(),
            );
        }
        self.apply_line(&entry.line);
    }

    fn apply_line(&self, line: &str) {
        let now = Utc::now();
        match json::read_line(line) {
            Ok(Line::Ticker { ticker, simulated }) => {
                if simulated {
                    self.store.mark_simulated(self.ex, now);
                }
                self.store
                    .apply_frame(self.ex, line.len(), now, std::iter::once(*ticker));
            }
            Ok(Line::Error {
                symbol, message, ..
            }) => {
                if let Some(s) = self.symbols.iter().find(|s| s.as_str() == symbol) {
                    self.store
                        .set_row_state(self.ex, s, RowState::Invalid(message));
                }
            }
            Ok(Line::Gap {
                skipped, reason, ..
            }) => {
                self.store.record_gap(self.ex, skipped, &reason, now);
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(venue = %self.ex, error = %e, "unreadable entry skipped");
                self.store.with_counters(self.ex, |c| c.parse_errors += 1);
            }
        }
    }

    /// Take a fresh snapshot and apply it; `note` goes to the history when given.
    async fn resnapshot(
        &mut self,
        cmd: &mut MultiplexedConnection,
        note: Option<&str>,
    ) -> Result<(), LinkError> {
        let snap = reader::snapshot(cmd, &self.keys).await?;
        let now = Utc::now();
        let mut note = note;
        if !snap.epoch.is_empty() {
            if !self.last_epoch.is_empty() && self.last_epoch != snap.epoch {
                note = note.or(Some(NEW_EPOCH));
            }
            self.last_epoch.clone_from(&snap.epoch);
        }
        self.cursor = snap.cursor();
        for (symbol, line) in &snap.latest {
            if self.symbols.iter().any(|s| s.as_str() == symbol) {
                self.apply_line(line);
            }
        }
        self.relay_state = wire::read_state(&snap.state);
        let leader = snap.leader.get("id").cloned().unwrap_or_default();
        self.store.set_relay(
            self.ex,
            Some(RelayInfo {
                leader,
                term: self.cursor.term,
            }),
            now,
        );
        if !snap.state.is_empty() && self.relay_state.is_none() {
            tracing::warn!(venue = %self.ex, "the relay's state hash is unreadable");
        }
        self.heartbeat(snap.heartbeat_age_ms(), now);
        // Said once the state shown is settled, so the line stands under it.
        if let Some(note) = note {
            self.store.transition(self.ex, self.current(), note, now);
        }
        Ok(())
    }

    /// Look at the heartbeat (and the epoch: a new one means starting over).
    async fn poll(&mut self, cmd: &mut MultiplexedConnection) -> Result<(), LinkError> {
        let p = reader::poll(cmd, &self.keys).await?;
        if p.epoch != self.cursor.epoch {
            return self.resnapshot(cmd, None).await;
        }
        if let Some(h) = &p.heartbeat
            && h.term > self.cursor.term
        {
            self.cursor.term = h.term;
            self.store.set_relay(
                self.ex,
                Some(RelayInfo {
                    leader: h.leader.clone(),
                    term: h.term,
                }),
                Utc::now(),
            );
        }
        self.heartbeat(p.heartbeat_age_ms(), Utc::now());
        Ok(())
    }

    /// Decide what the screen shows from the heartbeat's age.
    fn heartbeat(&mut self, age_ms: Option<u64>, now: DateTime<Utc>) {
        let limit = NO_LEADER_AFTER.as_millis() as u64;
        self.heartbeat_at =
            age_ms.map(|a| now - TimeDelta::milliseconds(i64::try_from(a).unwrap_or(i64::MAX / 2)));
        self.fresh = age_ms.is_some_and(|a| a <= limit);
        self.show(now);
    }

    /// Record a change of what is shown.
    fn show(&mut self, now: DateTime<Utc>) {
        let ex = self.ex;
        if !self.fresh {
            if self.shown == Some(Shown::NoLeader) {
                return;
            }
            let since = self.heartbeat_at.unwrap_or(now);
            let why = match (&self.heartbeat_at, self.cursor.epoch.is_empty()) {
                (_, true) => format!("no relay for {ex} has written to this Redis yet"),
                (None, false) => format!("no leader for {ex}: no heartbeat"),
                (Some(at), false) => format!(
                    "no leader for {ex}: the last heartbeat is {:.1} s old",
                    (now - *at).num_milliseconds() as f64 / 1000.0
                ),
            };
            self.store
                .transition(ex, FeedStatus::NoLeader { since }, &why, now);
            self.shown = Some(Shown::NoLeader);
            return;
        }
        let Some(state) = &self.relay_state else {
            return;
        };
        let key = Shown::Relay(format!("{:?}{}", state.status, state.reason));
        if self.shown.as_ref() == Some(&key) {
            return;
        }
        if state.simulated {
            self.store.mark_simulated(ex, now);
        }
        self.store
            .transition(ex, state.status.clone(), &state.reason, now);
        self.shown = Some(key);
    }

    /// What the store shows now.
    fn current(&self) -> FeedStatus {
        self.store
            .feed_status(self.ex)
            .unwrap_or(FeedStatus::Connecting)
    }

    async fn state_line(
        &mut self,
        cmd: &mut MultiplexedConnection,
        line: &str,
        term: u64,
        leader: &str,
    ) -> Result<(), LinkError> {
        match wire::read_state_line(line) {
            Some(StateLine::Leader {
                leader: who,
                term,
                message,
            }) => {
                let now = Utc::now();
                self.cursor.term = self.cursor.term.max(term);
                self.store
                    .set_relay(self.ex, Some(RelayInfo { leader: who, term }), now);
                self.store
                    .transition(self.ex, self.current(), &message, now);
            }
            Some(StateLine::Status { .. }) => {
                if term < self.cursor.term {
                    return Ok(());
                }
                let _ = leader;
                self.relay_state = wire::read_state(&reader::state(cmd, &self.keys).await?);
                self.show(Utc::now());
            }
            None => {}
        }
        Ok(())
    }

    async fn load_pairs(&self, cmd: &mut MultiplexedConnection) -> Result<(), LinkError> {
        if let Some(text) = reader::pair_list(cmd, &self.keys).await?
            && let Some(list) = wire::read_pairs(&text, &self.quote_aliases)
        {
            *self
                .pairs
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(list);
        }
        Ok(())
    }

    /// Resolve the symbols as typed, once: unknown ones get an error row.
    fn resolve_typed(&mut self) {
        let Some(typed) = self.typed.take() else {
            return;
        };
        for t in typed {
            let input = pricewire_core::sanitize::clean(&t);
            // Wire names are the leader's business: the symbol is all a reader keeps.
            let naming = |s: &Symbol| Instrument {
                symbol: s.clone(),
                wire: s.to_string(),
                rest: s.to_string(),
                price_decimals: None,
                aliases: Vec::new(),
            };
            match command::resolve(&self.pairs, &input, naming) {
                Ok(inst) => self.add_row(&inst.symbol),
                Err(e) => {
                    let sym = pricewire_core::symbol::parse_without_list(&input)
                        .unwrap_or_else(|_| Symbol::unparsed(&input));
                    self.store
                        .set_row_state(self.ex, &sym, RowState::Invalid(e.to_string()));
                }
            }
        }
    }

    fn add_row(&mut self, sym: &Symbol) {
        let decimals = self.pairs.read().ok().and_then(|p| {
            p.as_ref()
                .and_then(|l| l.get(sym))
                .and_then(|i| i.price_decimals)
        });
        self.store.add_symbol(self.ex, sym, decimals);
        self.symbols.insert(sym.clone());
    }

    async fn lease_wants(&self, cmd: &mut MultiplexedConnection) -> Result<(), LinkError> {
        wants::lease(
            cmd,
            &self.keys,
            &self.settings.id,
            self.symbols.iter().map(Symbol::as_str),
        )
        .await
        .map(|_| ())
    }

    async fn give_up_wants(&self, cmd: &mut MultiplexedConnection) {
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            wants::unlease(
                cmd,
                &self.keys,
                &self.settings.id,
                self.symbols.iter().map(Symbol::as_str),
            ),
        )
        .await;
    }

    async fn command(
        &mut self,
        cmd: &mut MultiplexedConnection,
        c: Command,
    ) -> Result<(), LinkError> {
        match c {
            Command::Add(inst) => {
                let sym = inst.symbol;
                self.add_row(&sym);
                wants::lease(cmd, &self.keys, &self.settings.id, [sym.as_str()]).await?;
                if let Some(line) = reader::latest(cmd, &self.keys, sym.as_str()).await? {
                    self.apply_line(&line);
                }
                if !self.fresh {
                    self.no_relay_row(&sym);
                }
            }
            Command::Remove(sym) => {
                self.store.remove_symbol(self.ex, &sym);
                self.symbols.remove(&sym);
                wants::unlease(cmd, &self.keys, &self.settings.id, [sym.as_str()]).await?;
            }
            Command::Reconnect => {
                // The connection to the venue is the leader's: ask it, through Redis.
                if let Err(e) = control::request_reconnect(cmd, &self.keys, &self.settings.id).await
                {
                    tracing::warn!(venue = %self.ex, error = %e, "reconnect request not sent");
                    self.store.transition(
                        self.ex,
                        self.current(),
                        &format!("reconnect not requested of the relay: {e}"),
                        Utc::now(),
                    );
                }
            }
            Command::Shutdown => {}
        }
        Ok(())
    }

    /// A command while Redis is out of reach: rows change here, wants follow later.
    fn command_offline(&mut self, c: Command) {
        match c {
            Command::Add(inst) => {
                self.add_row(&inst.symbol);
                self.no_relay_row(&inst.symbol);
            }
            Command::Remove(sym) => {
                self.store.remove_symbol(self.ex, &sym);
                self.symbols.remove(&sym);
            }
            Command::Reconnect | Command::Shutdown => {}
        }
    }

    fn no_relay_row(&self, sym: &Symbol) {
        self.store.set_row_state(
            self.ex,
            sym,
            RowState::Silent(format!("saved locally; no relay for {}", self.ex)),
        );
    }
}
