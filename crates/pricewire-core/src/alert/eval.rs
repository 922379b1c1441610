//! The evaluator: pure state machines, one per (rule, venue, market), driven by store
//! events and the times given to it. No clock, no task, no I/O: [`super::driver`] feeds it.
//!
//! ```text
//!   unseen ──first value, condition false──▶ armed ──condition true──▶ fired ─┐
//!     │                                        ▲                              │ one-shot: done
//!     └──first value, condition true──▶ primed ┴──back past the re-arm band───┘ recurring
//! ```
//!
//! `primed` is "already true when created": it fires only after re-arming. Feed-state and
//! stale rules fire once the state has been held long enough and report the recovery.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use foldhash::HashMap;
use rust_decimal::Decimal;

use super::rule::{AlertRule, Condition, Direction, PriceField, Scope, SpreadUnit, StateKind};
use crate::model::{ExchangeId, FeedStatus, Source, Ticker};
use crate::store::{Snapshot, StoreEvent};
use crate::symbol::Symbol;

/// What the evaluator may believe.
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions {
    /// A polled quote whose venue time is older than this is stale and never fires.
    pub stale_after: std::time::Duration,
    /// Whether quotes and states of a feed marked simulated may fire (a `--demo` run, a
    /// replay of one). Without it, a feed that turns out to be the simulator fires nothing.
    pub allow_simulated: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            stale_after: std::time::Duration::from_secs(30),
            allow_simulated: false,
        }
    }
}

/// A firing or a recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// The condition came true.
    Fired,
    /// A feed-state or stale condition that fired is over.
    Recovered,
}

impl AlertKind {
    /// `fired` or `recovered`, as the JSON lines say.
    pub fn name(self) -> &'static str {
        match self {
            AlertKind::Fired => "fired",
            AlertKind::Recovered => "recovered",
        }
    }
}

/// One alert delivered: what fired, where, when, and a sentence saying so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEvent {
    /// The rule's id in its evaluator.
    pub rule_id: u64,
    /// The rule, canonically spelled.
    pub rule: String,
    /// The venue it fired on.
    pub exchange: ExchangeId,
    /// The market, for market rules.
    pub symbol: Option<Symbol>,
    /// Fired or recovered.
    pub kind: AlertKind,
    /// When (the quote's receive time, or the evaluator's clock for held states).
    pub at: DateTime<Utc>,
    /// The value that made it fire (a price, a percentage, a spread), exact.
    pub value: Option<Decimal>,
    /// What happened, in words.
    pub message: String,
    /// The feed is the simulator's.
    pub simulated: bool,
}

/// Where a rule stands, for the alert list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleState {
    /// No value seen yet.
    Waiting,
    /// Will fire when the condition comes true.
    Armed,
    /// True when created, or fired and not yet back past the re-arm band.
    Rearming,
    /// Fired; a held state not yet recovered.
    Fired,
    /// A one-shot that fired (kept across restarts).
    Done,
}

/// One rule's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleStatus {
    /// The id [`Evaluator::add`] gave it.
    pub id: u64,
    /// The rule, canonically spelled.
    pub rule: String,
    /// Where it stands (the most urgent of its markets').
    pub state: RuleState,
    /// Times it fired in this run.
    pub fired: u32,
    /// When it last fired (for a restored one-shot, when it fired in an earlier run).
    pub last_fired: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Unseen,
    Armed,
    Primed,
    Fired,
}

#[derive(Debug, Clone)]
struct Inst {
    phase: Phase,
    /// (receive time, price) samples for a move window, oldest first.
    samples: VecDeque<(DateTime<Utc>, Decimal)>,
    /// Since when a watched state has held.
    since: Option<DateTime<Utc>>,
}

impl Inst {
    fn new() -> Self {
        Inst {
            phase: Phase::Unseen,
            samples: VecDeque::new(),
            since: None,
        }
    }
}

struct Slot {
    id: u64,
    rule: AlertRule,
    text: String,
    fired: u32,
    last_fired: Option<DateTime<Utc>>,
    /// A one-shot that fired: nothing more from it.
    done: bool,
}

#[derive(Default)]
struct FeedView {
    status: Option<FeedStatus>,
    since: Option<DateTime<Utc>>,
    simulated: bool,
}

type Key = (u64, ExchangeId, Option<Symbol>);

/// See the module docs.
pub struct Evaluator {
    slots: Vec<Slot>,
    insts: HashMap<Key, Inst>,
    feeds: HashMap<ExchangeId, FeedView>,
    /// Last update per row, for stale rules.
    rows: HashMap<(ExchangeId, Symbol), DateTime<Utc>>,
    opts: EvalOptions,
    next_id: u64,
}

/// Samples kept per move window: one per window / 256 at most.
const SAMPLES: u32 = 256;

fn price_of(t: &Ticker, field: PriceField) -> Option<Decimal> {
    match field {
        PriceField::Last => t.last,
        PriceField::Bid => t.bid,
        PriceField::Ask => t.ask,
        PriceField::Mid => Some((t.bid? + t.ask?) / Decimal::TWO),
    }
}

fn state_matches(kind: StateKind, status: &FeedStatus) -> bool {
    match kind {
        StateKind::Fallback => matches!(status, FeedStatus::Fallback { .. }),
        StateKind::Offline => matches!(status, FeedStatus::Offline { .. }),
        StateKind::Reconnecting => matches!(status, FeedStatus::Reconnecting { .. }),
        StateKind::Quiet => *status == FeedStatus::Quiet,
        StateKind::Maintenance => *status == FeedStatus::Maintenance,
        StateKind::Down => !matches!(
            status,
            FeedStatus::Connected | FeedStatus::Idle | FeedStatus::Stopped
        ),
        StateKind::Stale => false,
    }
}

fn scope_has(scope: &Scope, exchange: ExchangeId, symbol: Option<&Symbol>) -> bool {
    match (scope, symbol) {
        (
            Scope::Market {
                exchange: e,
                symbol: s,
            },
            Some(sym),
        ) => e.is_none_or(|e| e == exchange) && s == sym,
        (Scope::Feed(e), None) => e.is_none_or(|e| e == exchange),
        _ => false,
    }
}

fn secs_text(d: chrono::TimeDelta) -> String {
    let s = d.num_seconds();
    if s >= 120 && s % 60 == 0 {
        format!("{} min", s / 60)
    } else if s >= 120 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// A condition's value on a ticker and whether it holds, with what re-arms it.
struct Reading {
    value: Decimal,
    holds: bool,
    rearmed: bool,
    message: String,
}

impl Evaluator {
    /// An evaluator with no rules.
    pub fn new(opts: EvalOptions) -> Self {
        Evaluator {
            slots: Vec::new(),
            insts: HashMap::default(),
            feeds: HashMap::default(),
            rows: HashMap::default(),
            opts,
            next_id: 1,
        }
    }

    /// Add a rule. Its markets start from what `snapshot` holds: a condition already true
    /// there does not fire (it re-arms first), a state already held longer than the rule
    /// asks does not fire until it recovers and comes back.
    pub fn add(&mut self, rule: AlertRule, snapshot: &Snapshot, now: DateTime<Utc>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.sync(snapshot);
        let text = rule.to_string();
        self.slots.push(Slot {
            id,
            rule,
            text,
            fired: 0,
            last_fired: None,
            done: false,
        });
        let slot = self.slots.len() - 1;
        for row in &snapshot.rows {
            if let Some(t) = &row.ticker {
                let simulated = self.is_simulated(t.exchange);
                let _ = self.on_ticker_slot(slot, t, simulated, true);
            }
        }
        self.start_states(slot, now);
        id
    }

    /// Mark a one-shot as fired at `at` (in an earlier run): it never fires again.
    pub fn restore_fired(&mut self, rule_text: &str, at: DateTime<Utc>) {
        for s in &mut self.slots {
            if s.text == rule_text && !s.rule.recurring {
                s.done = true;
                s.last_fired = Some(at);
            }
        }
    }

    /// Drop a rule. Returns whether it existed.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.slots.len();
        self.slots.retain(|s| s.id != id);
        self.insts.retain(|k, _| k.0 != id);
        before != self.slots.len()
    }

    /// Every rule and where it stands, in the order added.
    pub fn statuses(&self) -> Vec<RuleStatus> {
        self.slots
            .iter()
            .map(|s| {
                let phases: Vec<Phase> = self
                    .insts
                    .iter()
                    .filter(|(k, _)| k.0 == s.id)
                    .map(|(_, i)| i.phase)
                    .collect();
                let state = if s.done {
                    RuleState::Done
                } else if phases.contains(&Phase::Fired) {
                    if matches!(s.rule.condition, Condition::State { .. }) {
                        RuleState::Fired
                    } else {
                        RuleState::Rearming
                    }
                } else if phases.contains(&Phase::Armed) {
                    RuleState::Armed
                } else if phases.contains(&Phase::Primed) {
                    RuleState::Rearming
                } else if matches!(s.rule.condition, Condition::State { .. }) {
                    RuleState::Armed
                } else {
                    RuleState::Waiting
                };
                RuleStatus {
                    id: s.id,
                    rule: s.text.clone(),
                    state,
                    fired: s.fired,
                    last_fired: s.last_fired,
                }
            })
            .collect()
    }

    /// Take the feeds' states and simulated marks from a snapshot (what events would
    /// have said), without firing anything.
    pub fn sync(&mut self, snapshot: &Snapshot) {
        for f in &snapshot.feeds {
            let view = self.feeds.entry(f.exchange).or_default();
            view.simulated = f.simulated;
            if view.status.as_ref() != Some(&f.status) {
                view.status = Some(f.status.clone());
                view.since = Some(f.status_since);
            }
        }
        for r in &snapshot.rows {
            if let Some(at) = r.updated_at() {
                self.rows.insert((r.exchange, r.symbol.clone()), at);
            }
        }
    }

    fn is_simulated(&self, exchange: ExchangeId) -> bool {
        self.feeds.get(&exchange).is_some_and(|f| f.simulated)
    }

    fn muted(&self, simulated: bool) -> bool {
        simulated && !self.opts.allow_simulated
    }

    /// One store event; `simulated` says whether its feed is the simulator's.
    pub fn on_event(
        &mut self,
        event: &StoreEvent,
        simulated: bool,
        now: DateTime<Utc>,
    ) -> Vec<AlertEvent> {
        if simulated {
            self.feeds.entry(event.exchange()).or_default().simulated = true;
        }
        match event {
            StoreEvent::Ticker(t) => self.on_ticker(t, simulated, now),
            StoreEvent::Status(tr) => self.on_status(tr.exchange, &tr.to, tr.at, simulated),
            _ => Vec::new(),
        }
    }

    fn on_ticker(&mut self, t: &Ticker, simulated: bool, now: DateTime<Utc>) -> Vec<AlertEvent> {
        if self.muted(simulated) {
            return Vec::new();
        }
        // A polled quote of a halted market keeps its venue time: it is stale, however
        // recently it was polled.
        if t.source == Source::Rest
            && let Some(at) = t.exchange_ts
            && (now - at).to_std().unwrap_or_default() > self.opts.stale_after
        {
            return Vec::new();
        }
        self.rows
            .insert((t.exchange, t.symbol.clone()), t.received_ts);
        let mut out = Vec::new();
        for slot in 0..self.slots.len() {
            if let Some(e) = self.on_ticker_slot(slot, t, simulated, false) {
                out.push(e);
            }
        }
        out
    }

    /// Evaluate one rule on one ticker; `quiet`: only set the phase (a rule being added).
    fn on_ticker_slot(
        &mut self,
        slot: usize,
        t: &Ticker,
        simulated: bool,
        quiet: bool,
    ) -> Option<AlertEvent> {
        let s = &self.slots[slot];
        if s.done || !scope_has(&s.rule.scope, t.exchange, Some(&t.symbol)) {
            return None;
        }
        let key = (s.id, t.exchange, Some(t.symbol.clone()));
        let inst = self.insts.entry(key).or_insert_with(Inst::new);
        if let Condition::State {
            state: StateKind::Stale,
            ..
        } = s.rule.condition
        {
            // Fresh data: a stale row is back.
            let was = inst.phase;
            inst.phase = Phase::Armed;
            if was != Phase::Fired || quiet {
                return None;
            }
            let s = &mut self.slots[slot];
            if !s.rule.recurring {
                s.done = true;
            }
            return Some(AlertEvent {
                rule_id: s.id,
                rule: s.text.clone(),
                exchange: t.exchange,
                symbol: Some(t.symbol.clone()),
                kind: AlertKind::Recovered,
                at: t.received_ts,
                value: None,
                message: format!("{} {}: updating again", t.exchange, t.symbol),
                simulated,
            });
        }
        let reading = read(&s.rule, inst, t)?;
        let fire = match inst.phase {
            Phase::Unseen => {
                let first = if matches!(s.rule.condition, Condition::Move { .. }) {
                    // A move is measured from samples taken after the rule began.
                    Phase::Armed
                } else if reading.holds {
                    Phase::Primed
                } else {
                    Phase::Armed
                };
                inst.phase = first;
                first == Phase::Armed && reading.holds
            }
            Phase::Armed => reading.holds,
            Phase::Primed | Phase::Fired => {
                if reading.rearmed {
                    inst.phase = Phase::Armed;
                }
                false
            }
        };
        if !fire || quiet {
            if fire {
                inst.phase = Phase::Primed;
            }
            return None;
        }
        inst.phase = Phase::Fired;
        let s = &mut self.slots[slot];
        s.fired += 1;
        s.last_fired = Some(t.received_ts);
        if !s.rule.recurring {
            s.done = true;
        }
        Some(AlertEvent {
            rule_id: s.id,
            rule: s.text.clone(),
            exchange: t.exchange,
            symbol: Some(t.symbol.clone()),
            kind: AlertKind::Fired,
            at: t.received_ts,
            value: Some(reading.value),
            message: format!("{} {}: {}", t.exchange, t.symbol, reading.message),
            simulated,
        })
    }

    fn on_status(
        &mut self,
        exchange: ExchangeId,
        to: &FeedStatus,
        at: DateTime<Utc>,
        simulated: bool,
    ) -> Vec<AlertEvent> {
        let view = self.feeds.entry(exchange).or_default();
        view.status = Some(to.clone());
        view.since = Some(at);
        let mut out = Vec::new();
        for slot in &mut self.slots {
            let Condition::State { state, .. } = slot.rule.condition else {
                continue;
            };
            if state == StateKind::Stale || !scope_has(&slot.rule.scope, exchange, None) {
                continue;
            }
            let inst = self
                .insts
                .entry((slot.id, exchange, None))
                .or_insert_with(|| Inst {
                    phase: Phase::Armed,
                    ..Inst::new()
                });
            let holds = state_matches(state, to);
            if !holds {
                inst.since = None;
                if inst.phase == Phase::Fired {
                    inst.phase = Phase::Armed;
                    if !slot.rule.recurring {
                        slot.done = true;
                    }
                    if !simulated || self.opts.allow_simulated {
                        out.push(AlertEvent {
                            rule_id: slot.id,
                            rule: slot.text.clone(),
                            exchange,
                            symbol: None,
                            kind: AlertKind::Recovered,
                            at,
                            value: None,
                            message: format!("{exchange}: {} again", to.name()),
                            simulated,
                        });
                    }
                } else {
                    inst.phase = Phase::Armed;
                }
            } else if inst.since.is_none() {
                inst.since = Some(at);
            }
        }
        out
    }

    /// Feed-state rules on a rule just added: a state held already starts its clock at
    /// the state's start; one held longer than the rule asks waits for a recovery.
    fn start_states(&mut self, slot: usize, now: DateTime<Utc>) {
        let s = &self.slots[slot];
        let Condition::State { state, held } = s.rule.condition else {
            return;
        };
        let held = chrono::Duration::from_std(held).unwrap_or(chrono::TimeDelta::MAX);
        if state == StateKind::Stale {
            for ((exchange, symbol), last) in &self.rows {
                if !scope_has(&s.rule.scope, *exchange, Some(symbol)) {
                    continue;
                }
                let mut inst = Inst::new();
                inst.phase = if now - *last >= held {
                    Phase::Primed
                } else {
                    Phase::Armed
                };
                self.insts
                    .insert((s.id, *exchange, Some(symbol.clone())), inst);
            }
            return;
        }
        for (exchange, view) in &self.feeds {
            if !scope_has(&s.rule.scope, *exchange, None) {
                continue;
            }
            let mut inst = Inst::new();
            inst.phase = Phase::Armed;
            if let (Some(status), Some(since)) = (&view.status, view.since)
                && state_matches(state, status)
            {
                inst.since = Some(since);
                if now - since >= held {
                    inst.phase = Phase::Primed;
                }
            }
            self.insts.insert((s.id, *exchange, None), inst);
        }
    }

    /// Time passed: held states and stale rows that have lasted long enough fire.
    pub fn on_tick(&mut self, now: DateTime<Utc>) -> Vec<AlertEvent> {
        let mut out = Vec::new();
        for slot in &mut self.slots {
            let Condition::State { state, held } = slot.rule.condition else {
                continue;
            };
            if slot.done {
                continue;
            }
            let held = chrono::Duration::from_std(held).unwrap_or(chrono::TimeDelta::MAX);
            if state == StateKind::Stale {
                for ((exchange, symbol), last) in &self.rows {
                    if !scope_has(&slot.rule.scope, *exchange, Some(symbol)) {
                        continue;
                    }
                    let simulated = self.feeds.get(exchange).is_some_and(|f| f.simulated);
                    if simulated && !self.opts.allow_simulated {
                        continue;
                    }
                    let inst = self
                        .insts
                        .entry((slot.id, *exchange, Some(symbol.clone())))
                        .or_insert_with(|| {
                            let mut i = Inst::new();
                            i.phase = Phase::Armed;
                            i
                        });
                    if inst.phase == Phase::Armed && now - *last >= held {
                        inst.phase = Phase::Fired;
                        slot.fired += 1;
                        slot.last_fired = Some(now);
                        out.push(AlertEvent {
                            rule_id: slot.id,
                            rule: slot.text.clone(),
                            exchange: *exchange,
                            symbol: Some(symbol.clone()),
                            kind: AlertKind::Fired,
                            at: now,
                            value: None,
                            message: format!(
                                "{exchange} {symbol}: no update for {}",
                                secs_text(now - *last)
                            ),
                            simulated,
                        });
                    }
                }
                continue;
            }
            for ((id, exchange, _), inst) in &mut self.insts {
                if *id != slot.id || inst.phase != Phase::Armed {
                    continue;
                }
                let Some(since) = inst.since else { continue };
                let view = self.feeds.get(exchange);
                let simulated = view.is_some_and(|f| f.simulated);
                if now - since < held || (simulated && !self.opts.allow_simulated) {
                    continue;
                }
                inst.phase = Phase::Fired;
                slot.fired += 1;
                slot.last_fired = Some(now);
                let name = view
                    .and_then(|v| v.status.as_ref())
                    .map_or("down", FeedStatus::name);
                out.push(AlertEvent {
                    rule_id: slot.id,
                    rule: slot.text.clone(),
                    exchange: *exchange,
                    symbol: None,
                    kind: AlertKind::Fired,
                    at: now,
                    value: None,
                    message: format!("{exchange}: {name} for {}", secs_text(now - since)),
                    simulated,
                });
            }
        }
        out
    }
}

/// The condition on one ticker: its value, whether it holds, whether it has re-armed.
/// `None` when the ticker lacks what it needs (no bid, no baseline yet).
fn read(rule: &AlertRule, inst: &mut Inst, t: &Ticker) -> Option<Reading> {
    let band = rule.band();
    match &rule.condition {
        Condition::Cross { price, dir, level } => {
            let v = price_of(t, *price)?;
            let (holds, rearmed, word) = if *dir == Direction::Up {
                (v >= *level, v < *level - band, "above")
            } else {
                (v <= *level, v > *level + band, "below")
            };
            Some(Reading {
                value: v,
                holds,
                rearmed,
                message: format!("{} {v} crossed {word} {level}", price_name(*price)),
            })
        }
        Condition::Move {
            price,
            dir,
            pct,
            window,
        } => {
            let v = price_of(t, *price)?;
            let now = t.received_ts;
            let window = chrono::Duration::from_std(*window).ok()?;
            let spacing = window / i32::try_from(SAMPLES).unwrap_or(256);
            if inst
                .samples
                .back()
                .is_none_or(|(at, _)| now - *at >= spacing)
            {
                inst.samples.push_back((now, v));
            }
            // Keep the newest sample at or before now − window, and everything after it.
            let cut = now - window;
            while inst.samples.len() >= 2 && inst.samples[1].0 <= cut {
                inst.samples.pop_front();
            }
            let (at, base) = *inst.samples.front()?;
            if at > cut || base.is_zero() {
                return None;
            }
            let change = (v - base) * Decimal::ONE_HUNDRED / base;
            let (holds, rearmed) = match dir {
                Direction::Up => (change >= *pct, change < *pct - band),
                Direction::Down => (change <= -*pct, change > -(*pct - band)),
                Direction::Either => (change.abs() >= *pct, change.abs() < *pct - band),
            };
            let shown = change.round_dp(2);
            Some(Reading {
                value: shown,
                holds,
                rearmed,
                message: format!(
                    "{} moved {shown:+.2}% in {} ({base} → {v})",
                    price_name(*price),
                    secs_text(now - at)
                ),
            })
        }
        Condition::Spread { wider_than, unit } => {
            let (bid, ask) = (t.bid?, t.ask?);
            let abs = ask - bid;
            let value = match unit {
                SpreadUnit::Absolute => abs,
                SpreadUnit::Bps => {
                    let mid = (bid + ask) / Decimal::TWO;
                    if mid <= Decimal::ZERO {
                        return None;
                    }
                    (abs * Decimal::from(10_000) / mid).round_dp(2)
                }
            };
            let message = if *unit == SpreadUnit::Bps {
                format!("spread {value:.2} bps wider than {wider_than} bps")
            } else {
                format!("spread {value} wider than {wider_than}")
            };
            Some(Reading {
                value,
                holds: value > *wider_than,
                rearmed: value < *wider_than - band,
                message,
            })
        }
        Condition::State { .. } => None,
    }
}

fn price_name(p: PriceField) -> &'static str {
    match p {
        PriceField::Last => "last",
        PriceField::Bid => "bid",
        PriceField::Ask => "ask",
        PriceField::Mid => "mid",
    }
}
