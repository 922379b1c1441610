//! The alert grammar: one line of text, the same in the config file (`[[alerts]]`,
//! `rule = "…"`) and in the dashboard's prompt, read into an [`AlertRule`] and written back
//! in one canonical spelling (its identity: a fired one-shot is remembered by it).
//!
//! ```text
//! RULE      = [SCOPE] CONDITION {OPTION}
//! SCOPE     = VENUE ":" SYMBOL          one market on one venue      kraken:BTC/USD
//!           | SYMBOL                     that market on every venue   BTC/USD
//!           | VENUE                      a venue (feed-state rules)   kraken
//! CONDITION = PRICE ("above" | ">") LEVEL                 crosses above   last above 70000
//!           | PRICE ("below" | "<") LEVEL                 crosses below   mid < 3000
//!           | [PRICE] "move" ["+"|"-"] PCT "%" ["in"] DURATION
//!                     now against the price at now − window; + rises only, − falls only
//!           | "spread" (">" | "above") AMOUNT ["bps"]     ask − bid, in the quote currency,
//!                                                          or in basis points of the mid
//!           | "state" STATE ["for"] DURATION              a feed held in STATE that long,
//!                                                          and its recovery
//!           | "stale" ["for"] DURATION                    a row without an update that long
//! PRICE     = "last" | "bid" | "ask" | "mid"              (move: last when left out)
//! STATE     = "fallback" | "offline" | "reconnecting" | "quiet" | "maintenance" | "down"
//! OPTION    = "rearm" AMOUNT ["%" | "bps"]   the hysteresis band, in the condition's unit
//!           | "once" | "every"               one-shot or recurring
//! DURATION  = NUMBER ("s" | "m" | "min" | "h")
//! ```
//!
//! `down` is any state but connected and idle. A feed-state rule without a scope watches
//! every venue. Defaults: price, move and spread rules are one-shot, feed-state and stale
//! rules recurring; the re-arm band is 0.1 % of the level for a crossing, half the
//! threshold for a move and a fifth of it for a spread.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;

use crate::model::ExchangeId;
use crate::symbol::{self, Symbol};

/// Which price of a ticker a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PriceField {
    /// The last traded price.
    Last,
    /// The best bid.
    Bid,
    /// The best ask.
    Ask,
    /// Halfway between the best bid and ask (exact: the sum halved).
    Mid,
}

impl PriceField {
    fn name(self) -> &'static str {
        match self {
            PriceField::Last => "last",
            PriceField::Bid => "bid",
            PriceField::Ask => "ask",
            PriceField::Mid => "mid",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "last" => PriceField::Last,
            "bid" => PriceField::Bid,
            "ask" => PriceField::Ask,
            "mid" => PriceField::Mid,
            _ => return None,
        })
    }
}

/// Which way a price must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Above a level, or a rise.
    Up,
    /// Below a level, or a fall.
    Down,
    /// A move either way.
    Either,
}

/// The unit of a spread threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpreadUnit {
    /// In the quote currency (`spread > 12.5`).
    Absolute,
    /// Basis points of the mid price (`spread > 5bps`): 1 bps = 0.01 %.
    Bps,
}

/// A feed state a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateKind {
    /// Prices come from REST polls.
    Fallback,
    /// WebSocket and REST both failing.
    Offline,
    /// Waiting to connect again.
    Reconnecting,
    /// Connected, but no symbol delivers.
    Quiet,
    /// The venue announced maintenance.
    Maintenance,
    /// Any state but connected and idle.
    Down,
    /// One row without an update (needs a symbol).
    Stale,
}

impl StateKind {
    /// The word in the grammar.
    pub fn name(self) -> &'static str {
        match self {
            StateKind::Fallback => "fallback",
            StateKind::Offline => "offline",
            StateKind::Reconnecting => "reconnecting",
            StateKind::Quiet => "quiet",
            StateKind::Maintenance => "maintenance",
            StateKind::Down => "down",
            StateKind::Stale => "stale",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        [
            StateKind::Fallback,
            StateKind::Offline,
            StateKind::Reconnecting,
            StateKind::Quiet,
            StateKind::Maintenance,
            StateKind::Down,
            StateKind::Stale,
        ]
        .into_iter()
        .find(|k| k.name() == word)
    }
}

/// What a rule watches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One market: on one venue, or (`exchange: None`) on every venue that streams it.
    Market {
        /// The venue, or every venue.
        exchange: Option<ExchangeId>,
        /// The market.
        symbol: Symbol,
    },
    /// A venue's feed, or (`None`) every venue's.
    Feed(Option<ExchangeId>),
}

/// The condition of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Condition {
    /// The price crosses a level: fires when it is beyond it, having been on the near side.
    Cross {
        /// Which price.
        price: PriceField,
        /// [`Direction::Up`]: above; [`Direction::Down`]: below.
        dir: Direction,
        /// The level, in the quote currency.
        level: Decimal,
    },
    /// The price moved by at least `pct` percent against its value `window` ago.
    Move {
        /// Which price.
        price: PriceField,
        /// A rise, a fall, or either.
        dir: Direction,
        /// Percent, positive (`2` = 2 %).
        pct: Decimal,
        /// How far back the comparison looks.
        window: Duration,
    },
    /// The spread (ask − bid) is wider than a threshold.
    Spread {
        /// The threshold, in `unit`.
        wider_than: Decimal,
        /// Quote currency or basis points of the mid.
        unit: SpreadUnit,
    },
    /// The feed (or, for [`StateKind::Stale`], the row) has been in a state for `held`.
    State {
        /// Which state.
        state: StateKind,
        /// For how long before it fires.
        held: Duration,
    },
}

/// The re-arm band as written: an amount, or a percentage of the level (crossings only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rearm {
    /// In the condition's own unit (quote currency, percentage points or bps).
    Amount(Decimal),
    /// Percent of the crossing's level.
    PercentOfLevel(Decimal),
}

/// One alert rule. See the module docs for the grammar.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertRule {
    /// What it watches.
    pub scope: Scope,
    /// When it fires.
    pub condition: Condition,
    /// The band given with `rearm`, if any; else the default (module docs).
    pub rearm: Option<Rearm>,
    /// Fires again after re-arming (`every`), or once only.
    pub recurring: bool,
}

/// A rule that could not be read; the text names the word at fault and what would do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, RuleError> {
    Err(RuleError(msg.into()))
}

const CONDITIONS: &str = "expected a condition: last|bid|ask|mid above|below LEVEL, move 2% 5m, spread > 5bps, state fallback 30s, stale 60s";

/// `30s`, `5m`, `5min`, `1.5h`.
pub fn parse_duration(text: &str) -> Result<Duration, RuleError> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| RuleError(format!("'{text}' is not a duration (30s, 5m, 1h)")))?;
    let scale = match unit {
        "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" | "hrs" => 3600.0,
        _ => return err(format!("'{text}' is not a duration (30s, 5m, 1h)")),
    };
    let secs = value * scale;
    if !(secs.is_finite() && secs > 0.0 && secs <= 7.0 * 86_400.0) {
        return err(format!("'{text}': a duration from 1s to 7 days"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn fmt_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 3600.0 && (s / 3600.0).fract() == 0.0 {
        format!("{}h", s / 3600.0)
    } else if s >= 60.0 && (s / 60.0).fract() == 0.0 {
        format!("{}m", s / 60.0)
    } else {
        format!("{s}s")
    }
}

fn parse_amount(text: &str, what: &str) -> Result<Decimal, RuleError> {
    let clean: String = text.chars().filter(|c| *c != ',' && *c != '_').collect();
    match Decimal::from_str_exact(&clean) {
        Ok(d) if d > Decimal::ZERO => Ok(d.normalize()),
        _ => err(format!("'{text}' is not a positive {what}")),
    }
}

/// Words with the operators split off: `last>70000` reads as `last > 70000`.
fn words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '>' || c == '<' {
            spaced.push(' ');
            spaced.push(c);
            spaced.push(' ');
        } else {
            spaced.push(c);
        }
    }
    spaced.split_whitespace().map(str::to_string).collect()
}

fn is_condition_word(w: &str) -> bool {
    PriceField::parse(w).is_some()
        || StateKind::parse(w).is_some()
        || matches!(w, "move" | "spread" | "state")
}

fn parse_scope(word: &str) -> Result<Scope, RuleError> {
    if let Some((venue, sym)) = word.split_once(':') {
        let exchange: ExchangeId = venue.parse().map_err(RuleError)?;
        let symbol = symbol::parse_without_list(sym).map_err(|e| RuleError(e.to_string()))?;
        return Ok(Scope::Market {
            exchange: Some(exchange),
            symbol,
        });
    }
    if let Ok(exchange) = word.parse::<ExchangeId>() {
        return Ok(Scope::Feed(Some(exchange)));
    }
    let symbol = symbol::parse_without_list(word).map_err(|e| RuleError(e.to_string()))?;
    Ok(Scope::Market {
        exchange: None,
        symbol,
    })
}

struct Words {
    words: Vec<String>,
    at: usize,
}

impl Words {
    fn next(&mut self) -> Option<String> {
        let w = self.words.get(self.at)?.to_ascii_lowercase();
        self.at += 1;
        Some(w)
    }

    fn need(&mut self, what: &str) -> Result<String, RuleError> {
        self.next()
            .ok_or_else(|| RuleError(format!("missing {what}")))
    }

    fn skip(&mut self, optional: &[&str]) {
        if self
            .words
            .get(self.at)
            .is_some_and(|w| optional.contains(&w.to_ascii_lowercase().as_str()))
        {
            self.at += 1;
        }
    }
}

fn parse_move(w: &mut Words, price: PriceField) -> Result<Condition, RuleError> {
    let mut pct = w.need("the move's percentage (move 2% 5m)")?;
    let dir = match pct.chars().next() {
        Some('+') => Direction::Up,
        Some('-') => Direction::Down,
        _ => Direction::Either,
    };
    pct = pct.trim_start_matches(['+', '-']).to_string();
    let Some(number) = pct.strip_suffix('%') else {
        return err(format!(
            "'{pct}': a move is a percentage with %, e.g. move 2% 5m"
        ));
    };
    let pct = parse_amount(number, "percentage")?;
    w.skip(&["in", "within", "over"]);
    let window = parse_duration(&w.need("the move's window (move 2% 5m)")?)?;
    Ok(Condition::Move {
        price,
        dir,
        pct,
        window,
    })
}

fn parse_condition(w: &mut Words) -> Result<Condition, RuleError> {
    let first = w.need("a condition")?;
    if let Some(price) = PriceField::parse(&first) {
        let op = w.need("above or below after the price")?;
        if op == "move" {
            return parse_move(w, price);
        }
        let dir = match op.as_str() {
            "above" | ">" => Direction::Up,
            "below" | "<" => Direction::Down,
            _ => return err(format!("'{op}': expected above, below, > or <")),
        };
        let level = parse_amount(&w.need("the level")?, "price level")?;
        return Ok(Condition::Cross { price, dir, level });
    }
    match first.as_str() {
        "move" => parse_move(w, PriceField::Last),
        "spread" => {
            let op = w.need("> after spread")?;
            if !matches!(op.as_str(), ">" | "above" | "wider") {
                return err(format!(
                    "'{op}': a spread alert fires when wider: spread > 5bps"
                ));
            }
            w.skip(&["than"]);
            let amount = w.need("the spread threshold")?;
            let (number, unit) = match amount.strip_suffix("bps") {
                Some(n) => (n.to_string(), SpreadUnit::Bps),
                None if w
                    .words
                    .get(w.at)
                    .is_some_and(|n| n.eq_ignore_ascii_case("bps")) =>
                {
                    w.at += 1;
                    (amount, SpreadUnit::Bps)
                }
                None => (amount, SpreadUnit::Absolute),
            };
            Ok(Condition::Spread {
                wider_than: parse_amount(&number, "spread")?,
                unit,
            })
        }
        word => {
            let name = if word == "state" {
                w.need("a state (fallback, offline, reconnecting, quiet, maintenance, down)")?
            } else {
                word.to_string()
            };
            let Some(state) = StateKind::parse(&name) else {
                return err(if word == "state" {
                    format!(
                        "'{name}' is not a state (fallback, offline, reconnecting, quiet, maintenance, down)"
                    )
                } else {
                    format!("'{word}': {CONDITIONS}")
                });
            };
            w.skip(&["for", ">"]);
            let held = parse_duration(&w.need("how long (state fallback 30s)")?)?;
            Ok(Condition::State { state, held })
        }
    }
}

impl FromStr for AlertRule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, RuleError> {
        let words = words(&crate::sanitize::clean(text));
        if words.is_empty() {
            return err(format!("empty rule; {CONDITIONS}"));
        }
        let mut w = Words { words, at: 0 };
        let scope = if is_condition_word(&w.words[0].to_ascii_lowercase()) {
            Scope::Feed(None)
        } else {
            w.at = 1;
            parse_scope(&w.words[0])?
        };
        let condition = parse_condition(&mut w)?;
        let mut rearm = None;
        let mut recurring = None;
        while let Some(word) = w.next() {
            match word.as_str() {
                "once" => recurring = Some(false),
                "every" | "recurring" | "repeat" => recurring = Some(true),
                "rearm" => {
                    let amount = w.need("the re-arm band (rearm 0.5%)")?;
                    rearm = Some(parse_rearm(&amount, &condition)?);
                }
                other => return err(format!("'{other}': expected rearm, once or every")),
            }
        }
        let scope = check_scope(scope, &condition)?;
        let recurring = recurring.unwrap_or(matches!(condition, Condition::State { .. }));
        Ok(AlertRule {
            scope,
            condition,
            rearm,
            recurring,
        })
    }
}

fn parse_rearm(amount: &str, condition: &Condition) -> Result<Rearm, RuleError> {
    if let Some(n) = amount.strip_suffix('%') {
        let pct = parse_amount(n, "re-arm band")?;
        return match condition {
            Condition::Cross { .. } => Ok(Rearm::PercentOfLevel(pct)),
            Condition::Move { .. } => Ok(Rearm::Amount(pct)),
            _ => err("rearm with % goes with a crossing or a move"),
        };
    }
    if let Some(n) = amount.strip_suffix("bps") {
        return match condition {
            Condition::Spread {
                unit: SpreadUnit::Bps,
                ..
            } => Ok(Rearm::Amount(parse_amount(n, "re-arm band")?)),
            _ => err("rearm in bps goes with a spread in bps"),
        };
    }
    match condition {
        Condition::State { .. } => err("a state alert re-arms when the feed recovers"),
        Condition::Move { .. } => err("a move's re-arm band is in percent: rearm 1%"),
        _ => Ok(Rearm::Amount(parse_amount(amount, "re-arm band")?)),
    }
}

fn check_scope(scope: Scope, condition: &Condition) -> Result<Scope, RuleError> {
    let market = matches!(scope, Scope::Market { .. });
    match condition {
        Condition::State {
            state: StateKind::Stale,
            ..
        } if !market => err("stale needs a symbol: BTC/USD stale 60s"),
        Condition::State {
            state: StateKind::Stale,
            ..
        } => Ok(scope),
        Condition::State { state, .. } if market => err(format!(
            "state {} is a venue's: kraken state {} 30s",
            state.name(),
            state.name()
        )),
        Condition::State { .. } => Ok(scope),
        _ if !market => err("a price alert needs a symbol: kraken:BTC/USD last above 70000"),
        _ => Ok(scope),
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Market {
                exchange: Some(e),
                symbol,
            } => write!(f, "{e}:{symbol}"),
            Scope::Market {
                exchange: None,
                symbol,
            } => write!(f, "{symbol}"),
            Scope::Feed(Some(e)) => write!(f, "{e}"),
            Scope::Feed(None) => Ok(()),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Cross { price, dir, level } => {
                let op = if *dir == Direction::Up {
                    "above"
                } else {
                    "below"
                };
                write!(f, "{} {op} {level}", price.name())
            }
            Condition::Move {
                price,
                dir,
                pct,
                window,
            } => {
                let sign = match dir {
                    Direction::Up => "+",
                    Direction::Down => "-",
                    Direction::Either => "",
                };
                if *price != PriceField::Last {
                    write!(f, "{} ", price.name())?;
                }
                write!(f, "move {sign}{pct}% {}", fmt_duration(*window))
            }
            Condition::Spread { wider_than, unit } => {
                let bps = if *unit == SpreadUnit::Bps { "bps" } else { "" };
                write!(f, "spread > {wider_than}{bps}")
            }
            Condition::State {
                state: StateKind::Stale,
                held,
            } => write!(f, "stale {}", fmt_duration(*held)),
            Condition::State { state, held } => {
                write!(f, "state {} {}", state.name(), fmt_duration(*held))
            }
        }
    }
}

impl fmt::Display for AlertRule {
    /// The canonical spelling: what it reads back from, and its identity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = self.scope.to_string();
        if !scope.is_empty() {
            write!(f, "{scope} ")?;
        }
        write!(f, "{}", self.condition)?;
        match self.rearm {
            Some(Rearm::Amount(a)) => match self.condition {
                Condition::Move { .. } => write!(f, " rearm {a}%")?,
                Condition::Spread {
                    unit: SpreadUnit::Bps,
                    ..
                } => write!(f, " rearm {a}bps")?,
                _ => write!(f, " rearm {a}")?,
            },
            Some(Rearm::PercentOfLevel(p)) => write!(f, " rearm {p}%")?,
            None => {}
        }
        let default_recurring = matches!(self.condition, Condition::State { .. });
        if self.recurring != default_recurring {
            f.write_str(if self.recurring { " every" } else { " once" })?;
        }
        Ok(())
    }
}

impl AlertRule {
    /// The re-arm band in the condition's unit, defaults applied: a crossing's in the quote
    /// currency, a move's in percentage points, a spread's in its threshold's unit.
    pub fn band(&self) -> Decimal {
        let fifth = Decimal::new(2, 1);
        let half = Decimal::new(5, 1);
        match (&self.condition, self.rearm) {
            (Condition::Cross { level, .. }, Some(Rearm::PercentOfLevel(p))) => {
                *level * p / Decimal::ONE_HUNDRED
            }
            (_, Some(Rearm::Amount(a))) => a,
            (Condition::Cross { level, .. }, _) => *level / Decimal::ONE_THOUSAND,
            (Condition::Move { pct, .. }, _) => *pct * half,
            (Condition::Spread { wider_than, .. }, _) => *wider_than * fifth,
            _ => Decimal::ZERO,
        }
    }

    /// The rule on a market, as the prompt prefills it: `kraken:BTC/USD last above 65000`.
    pub fn prefill(exchange: ExchangeId, symbol: &Symbol, last: Option<Decimal>) -> String {
        match last {
            Some(p) => format!("{exchange}:{symbol} last above {}", p.normalize()),
            None => format!("{exchange}:{symbol} last above "),
        }
    }
}
