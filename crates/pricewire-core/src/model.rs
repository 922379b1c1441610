//! The normalised data every venue is turned into: [`Ticker`], [`FeedStatus`] and
//! [`Transition`]. Owns no I/O and knows no venue's wire format.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::symbol::Symbol;

/// A venue pricewire can stream from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExchangeId {
    /// Kraken spot (WebSocket API v2).
    Kraken,
    /// Binance spot.
    Binance,
    /// Coinbase Advanced Trade.
    Coinbase,
    /// Bybit v5 spot.
    Bybit,
    /// OKX v5, spot markets.
    Okx,
    /// KuCoin spot.
    Kucoin,
}

impl ExchangeId {
    /// Every venue, in the order `Ord` sorts them.
    pub const ALL: [ExchangeId; 6] = [
        ExchangeId::Kraken,
        ExchangeId::Binance,
        ExchangeId::Coinbase,
        ExchangeId::Bybit,
        ExchangeId::Okx,
        ExchangeId::Kucoin,
    ];

    /// The lower-case name used in config, on the command line and in JSON (`kraken`);
    /// [`FromStr`] reads it back, ignoring case and surrounding spaces.
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeId::Kraken => "kraken",
            ExchangeId::Binance => "binance",
            ExchangeId::Coinbase => "coinbase",
            ExchangeId::Bybit => "bybit",
            ExchangeId::Okx => "okx",
            ExchangeId::Kucoin => "kucoin",
        }
    }
}

impl fmt::Display for ExchangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExchangeId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        ExchangeId::ALL
            .into_iter()
            .find(|e| e.as_str() == lower)
            .ok_or_else(|| {
                let names: Vec<&str> = ExchangeId::ALL.iter().map(|e| e.as_str()).collect();
                format!("unknown exchange '{s}' (known: {})", names.join(", "))
            })
    }
}

/// Where a ticker's values came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The venue's WebSocket stream.
    Stream,
    /// A REST poll, made while the WebSocket is down or silent for this symbol;
    /// [`Row::updated_at`](crate::store::Row::updated_at) tells how current it is.
    Rest,
}

/// One field of an update, as the venue sent it. Two of the three states look alike on
/// the wire only at first sight: a field left out says nothing (the row keeps its value),
/// while a field sent empty (`"bidPx":""`, a book side `[]`, `null`) says the venue has no
/// value now: an empty book side clears the row's bid or ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field<T> {
    /// Not sent: keep the old value.
    #[default]
    Absent,
    /// Sent empty: there is no value now.
    Cleared,
    /// Sent with a value.
    Value(T),
}

impl<T> Field<T> {
    /// The value, if one was sent.
    pub fn value(self) -> Option<T> {
        match self {
            Field::Value(v) => Some(v),
            Field::Absent | Field::Cleared => None,
        }
    }

    /// Whether a value was sent.
    pub fn is_value(&self) -> bool {
        matches!(self, Field::Value(_))
    }

    /// What the venue said, given a value slot and whether the update cleared it.
    pub fn of(value: Option<T>, cleared: bool) -> Self {
        match value {
            Some(v) => Field::Value(v),
            None if cleared => Field::Cleared,
            None => Field::Absent,
        }
    }

    /// Merge into a row's slot: a value replaces it, cleared empties it, absent keeps it.
    pub fn merge_into(self, slot: &mut Option<T>) {
        match self {
            Field::Absent => {}
            Field::Cleared => *slot = None,
            Field::Value(v) => *slot = Some(v),
        }
    }
}

impl<T> From<Option<T>> for Field<T> {
    /// `None` is a field not sent.
    fn from(value: Option<T>) -> Self {
        Field::of(value, false)
    }
}

/// The fields an update sent empty ([`Field::Cleared`]); every other `None` in the update
/// is a field not sent. Only the quote fields can be empty on a venue's wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cleared {
    /// The last price was sent empty.
    pub last: bool,
    /// The best bid was sent empty (an empty bid side).
    pub bid: bool,
    /// The best ask was sent empty (an empty ask side).
    pub ask: bool,
}

impl Cleared {
    /// Which of the three quote fields were sent empty.
    pub fn of<T>(last: &Field<T>, bid: &Field<T>, ask: &Field<T>) -> Self {
        let empty = |f: &Field<T>| matches!(f, Field::Cleared);
        Cleared {
            last: empty(last),
            bid: empty(bid),
            ask: empty(ask),
        }
    }
}

/// One venue's view of one market. Every price is the exact decimal the venue sent
/// (scale kept, so `1.00000` prints as `1.00000`). `None` means there is no value: the venue
/// did not send it, or (with the field set in `cleared`) sent it empty.
///
/// The same type carries partial updates: [`Ticker::merge`] overwrites only the fields an
/// update carries, so a best-bid/offer-only message keeps the 24 h statistics, and empties
/// the ones it cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticker {
    /// The venue the values come from.
    pub exchange: ExchangeId,
    /// The market, canonical `BASE/QUOTE`.
    pub symbol: Symbol,
    /// Last traded price, in the quote currency.
    pub last: Option<Decimal>,
    /// Best bid price, in the quote currency.
    pub bid: Option<Decimal>,
    /// Best ask price, in the quote currency.
    pub ask: Option<Decimal>,
    /// Price at the start of the venue's 24 h window: as sent, or derived from the change
    /// or percent ([`Ticker::derive_24h`]).
    pub open_24h: Option<Decimal>,
    /// `last` minus `open_24h`, in the quote currency: as sent, or derived.
    pub change_24h: Option<Decimal>,
    /// Percent, not fraction: `4.72` means 4.72 %. As sent, or derived (then rounded to
    /// two places).
    pub change_pct_24h: Option<Decimal>,
    /// Highest traded price in the venue's 24 h window.
    pub high_24h: Option<Decimal>,
    /// Lowest traded price in the venue's 24 h window.
    pub low_24h: Option<Decimal>,
    /// Base-currency volume.
    pub volume_24h: Option<Decimal>,
    /// Volume-weighted average price over the 24 h window; `None` from venues that do not
    /// send one (only Kraken and Binance do).
    pub vwap_24h: Option<Decimal>,
    /// Where the latest update came from.
    pub source: Source,
    /// The venue's time of the frame this ticker was last updated by; `None` when that
    /// frame carried none (an older frame's time is never kept in its place).
    pub exchange_ts: Option<DateTime<Utc>>,
    /// Receive time: the wall clock (UTC) when the frame or REST reply carrying the latest
    /// update arrived. Never the venue's time: that is `exchange_ts`.
    pub received_ts: DateTime<Utc>,
    /// In an update: the fields it sent empty.
    pub cleared: Cleared,
}

impl Ticker {
    /// A ticker with no values, nothing cleared and no exchange time.
    pub fn empty(
        exchange: ExchangeId,
        symbol: Symbol,
        source: Source,
        received_ts: DateTime<Utc>,
    ) -> Self {
        Ticker {
            exchange,
            symbol,
            last: None,
            bid: None,
            ask: None,
            open_24h: None,
            change_24h: None,
            change_pct_24h: None,
            high_24h: None,
            low_24h: None,
            volume_24h: None,
            vwap_24h: None,
            source,
            exchange_ts: None,
            received_ts,
            cleared: Cleared::default(),
        }
    }

    /// The last price of an update as the venue sent it.
    pub fn last_field(&self) -> Field<Decimal> {
        Field::of(self.last, self.cleared.last)
    }

    /// The best bid of an update as the venue sent it.
    pub fn bid_field(&self) -> Field<Decimal> {
        Field::of(self.bid, self.cleared.bid)
    }

    /// The best ask of an update as the venue sent it.
    pub fn ask_field(&self) -> Field<Decimal> {
        Field::of(self.ask, self.cleared.ask)
    }

    /// Overwrite the fields `update` carries, empty the ones it cleared, keep the rest. The
    /// exchange time is the update's own, or none: a frame without one does not inherit
    /// the time of an older frame.
    pub fn merge(&mut self, update: &Ticker) {
        fn take(dst: &mut Option<Decimal>, src: Option<Decimal>) {
            if src.is_some() {
                *dst = src;
            }
        }
        // A new last price without a new change makes the stored change stale: drop it so
        // `derive_24h` recomputes it from the 24 h open.
        if update.last_field() != Field::Absent
            && update.change_24h.is_none()
            && update.change_pct_24h.is_none()
        {
            self.change_24h = None;
            self.change_pct_24h = None;
        }
        update.last_field().merge_into(&mut self.last);
        update.bid_field().merge_into(&mut self.bid);
        update.ask_field().merge_into(&mut self.ask);
        take(&mut self.open_24h, update.open_24h);
        take(&mut self.change_24h, update.change_24h);
        take(&mut self.change_pct_24h, update.change_pct_24h);
        take(&mut self.high_24h, update.high_24h);
        take(&mut self.low_24h, update.low_24h);
        take(&mut self.volume_24h, update.volume_24h);
        take(&mut self.vwap_24h, update.vwap_24h);
        self.exchange_ts = update.exchange_ts;
        self.source = update.source;
        self.received_ts = update.received_ts;
    }

    /// Fill the 24 h open / change / percent that a venue leaves out, from the ones it sent.
    /// Venues send different subsets (open only, change only, percent only); this is the
    /// one place that derives the rest, so every venue shows the same columns.
    ///
    /// An open derived from a percentage is rounded to `price_decimals`, the market's price
    /// increment from the pair list, because a venue may print the last price without its
    /// trailing zeros (Coinbase: `97010`); without it, to the last price's own digits.
    pub fn derive_24h(&mut self, price_decimals: Option<u32>) {
        let Some(last) = self.last else { return };
        if self.open_24h.is_none() {
            if let Some(change) = self.change_24h {
                self.open_24h = Some(last - change);
            } else if let Some(pct) = self.change_pct_24h {
                let factor = Decimal::ONE + pct / Decimal::ONE_HUNDRED;
                if !factor.is_zero() {
                    let scale = price_decimals.unwrap_or(last.scale());
                    self.open_24h = last.checked_div(factor).map(|mut d| {
                        d.rescale(scale);
                        d
                    });
                }
            }
        }
        if let Some(open) = self.open_24h {
            if self.change_24h.is_none() {
                self.change_24h = Some(last - open);
            }
            if self.change_pct_24h.is_none() && !open.is_zero() {
                self.change_pct_24h = ((last - open) * Decimal::ONE_HUNDRED)
                    .checked_div(open)
                    .map(|d| d.round_dp(2));
            }
        }
    }

    /// Spread between best ask and best bid.
    pub fn spread(&self) -> Option<Decimal> {
        Some(self.ask? - self.bid?)
    }
}

/// The honest state of one exchange connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedStatus {
    /// First connection attempt under way.
    Connecting,
    /// WebSocket up and subscribed, data arriving.
    Connected,
    /// WebSocket up, but no subscribed symbol has delivered data for longer than its own
    /// pace allows: connected, not live.
    Quiet,
    /// WebSocket up; the venue announced maintenance, so no data is expected.
    Maintenance,
    /// WebSocket down; waiting to try again.
    Reconnecting {
        /// Failed connects in a row so far, from 1.
        attempt: u32,
        /// Failed connects after which prices come from REST ([`FeedStatus::Fallback`]).
        max_attempts: u32,
        /// When the next connect is tried (wall clock, UTC).
        next_try: DateTime<Utc>,
    },
    /// WebSocket down after `max_attempts`; prices come from REST polling, as fresh as
    /// the last poll.
    Fallback {
        /// When the WebSocket is tried again (wall clock, UTC).
        next_ws_try: DateTime<Utc>,
    },
    /// WebSocket and REST both failing; still retrying. Rows keep their last values until
    /// something answers.
    Offline {
        /// When the WebSocket is tried again (wall clock, UTC).
        next_try: DateTime<Utc>,
    },
    /// Nothing to watch: no connection is open until a symbol is added.
    Idle,
    /// Shut down on request.
    Stopped,
    /// Read from a relay whose leader for this venue has gone silent: its last heartbeat
    /// is older than the readers' limit (2 s), so nothing says the rows are current.
    NoLeader {
        /// When the leader's last heartbeat was written (this reader's clock, measured on
        /// Redis's).
        since: DateTime<Utc>,
    },
    /// Read from a relay, and this reader's own link to it (Redis) is down; waiting to try
    /// again. The reason says why (`connection refused`).
    LinkLost {
        /// Failed connects in a row so far, from 1.
        attempt: u32,
        /// When the next connect is tried (wall clock, UTC).
        next_try: DateTime<Utc>,
    },
}

impl FeedStatus {
    /// The one word a state is called by, in history lines and JSON.
    pub fn name(&self) -> &'static str {
        match self {
            FeedStatus::Connecting => "connecting",
            FeedStatus::Connected => "connected",
            FeedStatus::Quiet => "quiet",
            FeedStatus::Maintenance => "maintenance",
            FeedStatus::Reconnecting { .. } => "reconnecting",
            FeedStatus::Fallback { .. } => "fallback",
            FeedStatus::Offline { .. } => "offline",
            FeedStatus::Idle => "idle",
            FeedStatus::Stopped => "stopped",
            FeedStatus::NoLeader { .. } => "no_leader",
            FeedStatus::LinkLost { .. } => "link_lost",
        }
    }

    /// The attempt number while [`FeedStatus::Reconnecting`] or [`FeedStatus::LinkLost`];
    /// 0 in every other state.
    pub fn attempt(&self) -> u32 {
        match self {
            FeedStatus::Reconnecting { attempt, .. } | FeedStatus::LinkLost { attempt, .. } => {
                *attempt
            }
            _ => 0,
        }
    }
}

/// One change of [`FeedStatus`], kept in the bounded history with why it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The feed it belongs to.
    pub exchange: ExchangeId,
    /// The state before. May equal `to`: some events are recorded without a change of
    /// state (a rejected subscribe, the circuit breaker opening).
    pub from: FeedStatus,
    /// The state after.
    pub to: FeedStatus,
    /// When it was recorded (wall clock, UTC).
    pub at: DateTime<Utc>,
    /// Why, in words, made printable (network text is sanitised).
    pub reason: String,
}

/// `1 symbol`, `2 symbols`: a count with its noun, for messages people read.
pub fn plural(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(plural(1u32, "failed attempt"), "1 failed attempt");
        assert_eq!(plural(0u32, "symbol"), "0 symbols");
        assert_eq!(plural(2u32, "symbol"), "2 symbols");
    }

    fn ticker() -> Ticker {
        Ticker::empty(
            ExchangeId::Kraken,
            Symbol::new("BTC", "USD"),
            Source::Stream,
            DateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn open_and_percent_from_change() {
        let mut t = ticker();
        t.last = Some(d("100.50"));
        t.change_24h = Some(d("0.50"));
        t.derive_24h(None);
        assert_eq!(t.open_24h, Some(d("100.00")));
        assert_eq!(t.change_pct_24h, Some(d("0.50")));
    }

    #[test]
    fn change_from_open() {
        let mut t = ticker();
        t.last = Some(d("9338.96000000"));
        t.open_24h = Some(d("8917.99000000"));
        t.derive_24h(None);
        assert_eq!(t.change_24h, Some(d("420.97000000")));
        assert_eq!(t.change_pct_24h, Some(d("4.72")));
    }

    #[test]
    fn open_from_percent_keeps_price_scale() {
        let mut t = ticker();
        t.last = Some(d("110.00"));
        t.change_pct_24h = Some(d("10"));
        t.derive_24h(None);
        assert_eq!(t.open_24h.unwrap().to_string(), "100.00");
        assert_eq!(t.change_24h.unwrap().to_string(), "10.00");
    }

    #[test]
    fn open_from_percent_takes_the_markets_decimals() {
        let mut t = ticker();
        t.last = Some(d("110"));
        t.change_pct_24h = Some(d("10"));
        t.derive_24h(Some(2));
        assert_eq!(t.open_24h.unwrap().to_string(), "100.00");
    }

    #[test]
    fn merge_keeps_fields_the_update_lacks() {
        let mut t = ticker();
        t.last = Some(d("1.0"));
        t.high_24h = Some(d("2.0"));
        let mut u = ticker();
        u.bid = Some(d("0.9"));
        u.source = Source::Rest;
        t.merge(&u);
        assert_eq!(t.last, Some(d("1.0")));
        assert_eq!(t.bid, Some(d("0.9")));
        assert_eq!(t.high_24h, Some(d("2.0")));
        assert_eq!(t.source, Source::Rest);
    }

    #[test]
    fn merge_tells_a_cleared_field_from_one_not_sent() {
        let mut t = ticker();
        t.bid = Some(d("0.9"));
        t.ask = Some(d("1.1"));
        t.exchange_ts = Some(DateTime::UNIX_EPOCH);
        let mut u = ticker();
        u.cleared.bid = true;
        t.merge(&u);
        assert_eq!((t.bid, t.ask), (None, Some(d("1.1"))));
        assert_eq!(t.exchange_ts, None);
        assert_eq!(Field::of(Some(1), true), Field::Value(1));
        assert_eq!(Field::<u8>::of(None, true), Field::Cleared);
        assert_eq!(Field::<u8>::from(None), Field::Absent);
    }

    #[test]
    fn exchange_names_round_trip() {
        for e in ExchangeId::ALL {
            assert_eq!(e.as_str().parse::<ExchangeId>(), Ok(e));
        }
        assert!("nope".parse::<ExchangeId>().unwrap_err().contains("kraken"));
    }
}
