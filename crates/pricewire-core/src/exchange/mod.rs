//! Venue adapters: the [`Exchange`] trait and the normalised [`Event`]s a frame parses into.
//! One file per venue holds its URLs, subscribe frames, symbol mapping and pure `parse`.
//! Adapters do no I/O: the feed task owns sockets and HTTP, and asks an adapter only for
//! frames to send and for the meaning of frames received.

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::candle::{ChartWindow, WireCandle};
use crate::model::{Cleared, ExchangeId, Field, Source, Ticker};
use crate::symbol::{Instrument, PairList, Symbol};

pub mod binance;
pub mod bybit;
pub(crate) mod candle_rows;
pub mod coinbase;
pub mod kraken;
pub mod kucoin;
pub mod okx;
pub mod scan;
#[cfg(any(test, feature = "test-util"))]
pub mod testkit;

/// A frame could not be understood. Never fatal: the feed counts it and reads on.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// serde_json rejected the frame: not JSON, or not the types it is read into.
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but not in a shape the adapter knows; the text says what was wrong.
    #[error("unexpected shape: {0}")]
    Schema(String),
}

/// A venue's ticker fields, still keyed by the venue's wire name. Decimals carry the exact
/// digits sent; `None` where the venue sent nothing, or, for a field named in `cleared`,
/// sent it empty (see [`Field`]: adapters read such fields as `Field` and split them with
/// [`WireTicker::quotes`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireTicker<'a> {
    /// The market as the venue names it: its wire name, or its REST name in a REST reply.
    pub symbol: Cow<'a, str>,
    /// Last traded price.
    pub last: Option<Decimal>,
    /// Best bid price.
    pub bid: Option<Decimal>,
    /// Best ask price.
    pub ask: Option<Decimal>,
    /// Price at the start of the venue's 24 h window.
    pub open_24h: Option<Decimal>,
    /// Last price minus the 24 h open.
    pub change_24h: Option<Decimal>,
    /// Percent (`4.72` = 4.72 %); adapters convert fractions.
    pub change_pct_24h: Option<Decimal>,
    /// Highest traded price in the 24 h window.
    pub high_24h: Option<Decimal>,
    /// Lowest traded price in the 24 h window.
    pub low_24h: Option<Decimal>,
    /// 24 h volume in the base currency; adapters convert contract counts.
    pub volume_24h: Option<Decimal>,
    /// 24 h volume-weighted average price.
    pub vwap_24h: Option<Decimal>,
    /// The venue's own time of the frame or quote, when it sends one.
    pub exchange_ts: Option<DateTime<Utc>>,
    /// Quote fields the venue sent empty: they clear the row's value.
    pub cleared: Cleared,
}

impl WireTicker<'_> {
    /// Set last, bid and ask from what the venue sent, remembering which were empty.
    #[must_use]
    pub fn quotes(
        mut self,
        last: Field<Decimal>,
        bid: Field<Decimal>,
        ask: Field<Decimal>,
    ) -> Self {
        self.cleared = Cleared::of(&last, &bid, &ask);
        self.last = last.value();
        self.bid = bid.value();
        self.ask = ask.value();
        self
    }

    /// Normalise into a [`Ticker`] for the canonical `symbol`, filling derived 24 h fields
    /// (rounded to the market's `price_decimals` where known, see [`Ticker::derive_24h`]).
    pub fn into_ticker(
        self,
        exchange: ExchangeId,
        symbol: Symbol,
        price_decimals: Option<u32>,
        source: Source,
        received_ts: DateTime<Utc>,
    ) -> Ticker {
        let mut t = Ticker {
            exchange,
            symbol,
            last: self.last,
            bid: self.bid,
            ask: self.ask,
            open_24h: self.open_24h,
            change_24h: self.change_24h,
            change_pct_24h: self.change_pct_24h,
            high_24h: self.high_24h,
            low_24h: self.low_24h,
            volume_24h: self.volume_24h,
            vwap_24h: self.vwap_24h,
            source,
            exchange_ts: self.exchange_ts,
            received_ts,
            cleared: self.cleared,
        };
        t.derive_24h(price_decimals);
        t
    }
}

/// What one received frame means. A frame may carry several (Kraken's `data` array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// Ticker fields for one market, a full set or a partial update.
    Ticker(WireTicker<'a>),
    /// The venue confirmed a subscription: the wire name when the ack names one, the id
    /// of the request it answers when it echoes one (the feed knows what each id asked for).
    Subscribed {
        /// The wire name the ack names, if it names one.
        symbol: Option<Cow<'a, str>>,
        /// The id of the request it answers, if it echoes one.
        req_id: Option<u64>,
    },
    /// The venue confirmed an unsubscribe; named as in [`Event::Subscribed`].
    Unsubscribed {
        /// The wire name the ack names, if it names one.
        symbol: Option<Cow<'a, str>>,
        /// The id of the request it answers, if it echoes one.
        req_id: Option<u64>,
    },
    /// The venue refused a subscription; the connection stays up. Named as in
    /// [`Event::Subscribed`]: by wire name, by request id, or neither.
    SubscribeError {
        /// The wire name refused, if the reply names one.
        symbol: Option<Cow<'a, str>>,
        /// The id of the request refused, if the reply echoes one.
        req_id: Option<u64>,
        /// The venue's reason, as sent.
        message: String,
    },
    /// Venue-wide status (`online`, `maintenance`, ...). `healthy` false means data will
    /// not flow until it changes.
    Status {
        /// The venue's word for its state, as sent.
        status: String,
        /// Whether data flows in this state.
        healthy: bool,
    },
    /// A keep-alive frame from the venue: counts as data for the silence watchdog.
    Heartbeat,
    /// The number a venue gives each message of a connection (Coinbase's `sequence_num`,
    /// one counter across all channels). A number skipped means a message was lost; the
    /// feed counts the gap and asks for a fresh snapshot.
    Sequence(u64),
    /// Reply to our application-level ping.
    Pong {
        /// The ping's id, if the venue echoes it.
        req_id: Option<u64>,
    },
    /// The venue announced it will close the connection (restart, upgrade, 24 h limit).
    ReconnectSoon {
        /// What the venue said, for the state history.
        reason: String,
    },
    /// A frame of a known kind that carries nothing for a ticker dashboard.
    Ignored,
    /// A well-formed frame of a kind this adapter does not know: counted and logged.
    Unknown,
}

/// What a venue's bootstrap reply (KuCoin's `bullet-public`) says about the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bootstrap {
    /// The address to dial, token included.
    pub url: String,
    /// The ping period the venue prescribes, if it does.
    pub ping_interval: Option<Duration>,
    /// How long the venue waits for a ping before it drops the connection, if it says.
    pub pong_timeout: Option<Duration>,
}

/// One request frame to send: its text, the request id it carries (`None` where the venue
/// takes none) and the wire names it asks for, so that the venue's answer to that id lands
/// on exactly those rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The request id the frame carries; `None` where the venue takes none.
    pub id: Option<u64>,
    /// The wire names it asks for.
    pub wires: Vec<String>,
    /// The frame's text, ready to send.
    pub text: String,
}

impl Request {
    /// A request from its id, the wire names it asks for and its text.
    pub fn new(id: Option<u64>, wires: &[&str], text: String) -> Self {
        Request {
            id,
            wires: wires.iter().map(ToString::to_string).collect(),
            text,
        }
    }
}

/// Request ids of one connection: each frame takes its own, so no two requests (or pings)
/// share one, however a venue splits a subscribe into chunks.
#[derive(Debug, Clone)]
pub struct RequestIds {
    next: u64,
}

impl RequestIds {
    /// Ids from `first` on.
    pub fn starting_at(first: u64) -> Self {
        RequestIds { next: first }
    }

    /// The next id; after `u64::MAX` it wraps to 0.
    pub fn next_id(&mut self) -> u64 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        id
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds::starting_at(1)
    }
}

/// How fast a venue's public REST may be asked: a steady rate with room for a short burst.
/// Every request of one feed (fallback polls, candles, the pair list) takes its turn from
/// one budget at this pace, well inside what the venue publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestRate {
    /// Requests per second, on average.
    pub per_second: u32,
    /// Requests that may go back to back before the pace applies.
    pub burst: u32,
}

impl RestRate {
    /// `per_second` on average, `burst` back to back.
    pub const fn new(per_second: u32, burst: u32) -> Self {
        RestRate { per_second, burst }
    }
}

impl Default for RestRate {
    /// One request a second, two back to back: for a venue that publishes no number.
    fn default() -> Self {
        RestRate {
            per_second: 1,
            burst: 2,
        }
    }
}

/// What every adapter states about its venue, written once per venue as the [`Exchange`]
/// methods that return them: which venue it is, its public WebSocket URL, its REST base,
/// the path of its market list, and its candles (`candles`: the path for a window up to
/// now, from the venue's `candles` module, which also parses the body).
macro_rules! venue_endpoints {
    ($id:expr, ws: $ws:expr, rest: $rest:expr, pairs: $pairs:expr, candles: $candles:expr $(,)?) => {
        fn id(&self) -> $crate::model::ExchangeId {
            $id
        }

        fn default_ws_url(&self) -> &'static str {
            $ws
        }

        fn default_rest_url(&self) -> &'static str {
            $rest
        }

        fn pair_list_path(&self) -> &'static str {
            $pairs
        }

        fn candles_path(
            &self,
            rest: &str,
            window: $crate::candle::ChartWindow,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Option<String> {
            Some(($candles)(rest, window, now))
        }

        fn parse_candles(
            &self,
            body: &str,
        ) -> Result<Vec<$crate::candle::WireCandle>, $crate::exchange::ParseError> {
            candles::parse(body)
        }
    };
}
pub(crate) use venue_endpoints;

/// One venue's protocol, as pure functions. Implementations are cheap, stateless values.
/// Each adapter states its venue and endpoints with `venue_endpoints!`.
pub trait Exchange: Send + Sync + 'static {
    /// The venue this adapter speaks for.
    fn id(&self) -> ExchangeId;

    /// The venue's public WebSocket URL (overridable by `--ws-url`).
    fn default_ws_url(&self) -> &'static str;

    /// The venue's public REST base URL (overridable by `--rest-url`).
    fn default_rest_url(&self) -> &'static str;

    /// `(venue code, canonical code)` pairs, e.g. Kraken's `("XBT", "BTC")`.
    fn asset_aliases(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Path (and query) of the REST endpoint listing the venue's markets.
    fn pair_list_path(&self) -> &'static str;

    /// Parse the market list body into a [`PairList`].
    fn parse_pair_list(&self, body: &str) -> Result<PairList, ParseError>;

    /// The pair list of `instruments`, with this venue's asset aliases.
    fn pair_list(&self, instruments: Vec<Instrument>) -> PairList {
        PairList::new(self.id().as_str(), instruments, self.asset_aliases())
    }

    /// The names for a symbol by the venue's naming rules, used when its pair list could
    /// not be fetched (the venue's own subscribe error then catches unknown symbols).
    fn instrument_for(&self, symbol: &Symbol) -> Instrument {
        Instrument {
            symbol: symbol.clone(),
            wire: symbol.to_string(),
            rest: format!("{}{}", symbol.base(), symbol.quote()),
            price_decimals: None,
            aliases: Vec::new(),
        }
    }

    /// Requests that subscribe the given wire names (split where the venue caps a request),
    /// each with its own id from `ids` where the venue takes one.
    fn subscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request>;

    /// Requests that unsubscribe the given wire names.
    fn unsubscribe_requests(&self, wire: &[&str], ids: &mut RequestIds) -> Vec<Request>;

    /// The texts of [`Exchange::subscribe_requests`], ids counted from `first_id`.
    fn subscribe(&self, wire: &[&str], first_id: u64) -> Vec<String> {
        let mut ids = RequestIds::starting_at(first_id);
        texts(self.subscribe_requests(wire, &mut ids))
    }

    /// The texts of [`Exchange::unsubscribe_requests`], ids counted from `first_id`.
    fn unsubscribe(&self, wire: &[&str], first_id: u64) -> Vec<String> {
        let mut ids = RequestIds::starting_at(first_id);
        texts(self.unsubscribe_requests(wire, &mut ids))
    }

    /// An application-level ping, if the venue has one.
    fn ping(&self, req_id: u64) -> Option<String>;

    /// How often to send [`Exchange::ping`].
    fn ping_interval(&self) -> Duration {
        Duration::from_secs(15)
    }

    /// How long a ping may go unanswered before the connection is given up.
    fn pong_timeout(&self) -> Duration {
        Duration::from_secs(10)
    }

    /// Venues that greet each connection and want no request before the greeting
    /// (KuCoin's `welcome`): the session waits for it before subscribing.
    fn waits_for_welcome(&self) -> bool {
        false
    }

    /// Venues that hand out the WebSocket address over REST first (KuCoin's
    /// `bullet-public`): the path to POST to before every connect.
    fn ws_bootstrap_path(&self) -> Option<&'static str> {
        None
    }

    /// Turn the bootstrap reply into the URL to dial and the keep-alive it prescribes.
    /// `ws_override` is the user's `--ws-url`, which replaces the host the reply names.
    fn ws_url_from_bootstrap(
        &self,
        _body: &str,
        _ws_override: Option<&str>,
    ) -> Result<Bootstrap, ParseError> {
        Err(ParseError::Schema("this venue needs no bootstrap".into()))
    }

    /// The longest a venue keeps one connection (Binance: 24 h); the feed reconnects
    /// shortly before, as a planned reconnect.
    fn max_connection_age(&self) -> Option<Duration> {
        None
    }

    /// Parse one text frame, appending its events to `out`.
    fn parse<'a>(&self, frame: &'a str, out: &mut Vec<Event<'a>>) -> Result<(), ParseError>;

    /// Paths (with query) that fetch REST tickers for these REST names.
    fn rest_ticker_paths(&self, rest: &[&str]) -> Vec<String>;

    /// Parse a REST ticker body. `symbol` in each result is a name the pair list resolves.
    fn parse_rest_ticker<'a>(&self, body: &'a str) -> Result<Vec<WireTicker<'a>>, ParseError>;

    /// Path (and query) of the venue's public candles for the market named `rest` (its REST
    /// name): `window`'s interval, enough of them to cover its span up to `now`. `None`
    /// where the venue has no candles.
    fn candles_path(
        &self,
        _rest: &str,
        _window: ChartWindow,
        _now: DateTime<Utc>,
    ) -> Option<String> {
        None
    }

    /// Parse a candles body, in the order the venue sends them
    /// ([`crate::candle::normalise`] brings every venue to one order).
    fn parse_candles(&self, _body: &str) -> Result<Vec<WireCandle>, ParseError> {
        Err(ParseError::Schema(format!("{} has no candles", self.id())))
    }

    /// The pace of this venue's public REST requests (see [`RestRate`]).
    fn rest_rate(&self) -> RestRate {
        RestRate::default()
    }
}

fn texts(requests: Vec<Request>) -> Vec<String> {
    requests.into_iter().map(|r| r.text).collect()
}

/// Build the adapter for a venue with its default options (for parsing alone).
pub fn adapter(id: ExchangeId) -> Result<Box<dyn Exchange>, String> {
    adapter_with(id, &crate::config::FeedConfig::default())
}

/// Build the adapter a feed uses, with the options the config sets
/// (`feed.event_trigger` for Kraken).
pub fn adapter_with(
    id: ExchangeId,
    cfg: &crate::config::FeedConfig,
) -> Result<Box<dyn Exchange>, String> {
    match id {
        ExchangeId::Kraken => Ok(Box::new(kraken::Kraken {
            event_trigger: cfg.event_trigger,
        })),
        ExchangeId::Binance => Ok(Box::new(binance::Binance)),
        ExchangeId::Coinbase => Ok(Box::new(coinbase::Coinbase)),
        ExchangeId::Bybit => Ok(Box::new(bybit::Bybit)),
        ExchangeId::Okx => Ok(Box::new(okx::Okx)),
        ExchangeId::Kucoin => Ok(Box::new(kucoin::Kucoin)),
    }
}

/// Names for venues that spell markets `BASE-QUOTE` on the wire and over REST.
pub fn dashed_instrument(symbol: &Symbol) -> Instrument {
    named_instrument(symbol, format!("{}-{}", symbol.base(), symbol.quote()))
}

/// Names for venues that spell markets `BASEQUOTE` on the wire and over REST.
pub fn joined_instrument(symbol: &Symbol) -> Instrument {
    named_instrument(symbol, format!("{}{}", symbol.base(), symbol.quote()))
}

fn named_instrument(symbol: &Symbol, name: String) -> Instrument {
    Instrument {
        symbol: symbol.clone(),
        wire: name.clone(),
        rest: name,
        price_decimals: None,
        aliases: Vec::new(),
    }
}

/// Parse decimal text exactly: `"1.00000"` keeps five places; `1e-08` is accepted.
/// Quotes around the text (a JSON string) are removed first.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    if let Some(d) = scan::plain_decimal(text) {
        return Some(d);
    }
    let t = text.trim().trim_matches('"');
    if let Some(d) = scan::plain_decimal(t) {
        return Some(d);
    }
    if t.is_empty() {
        return None;
    }
    if t.contains(['e', 'E']) {
        return Decimal::from_scientific(t).ok();
    }
    Decimal::from_str_exact(t)
        .or_else(|_| t.parse::<Decimal>())
        .ok()
}

/// An RFC 3339 timestamp in UTC; the `…Z` form venues send is read on the fast path.
pub fn rfc3339(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match scan::utc_timestamp(text) {
        Some(t) => Ok(t),
        None => DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)),
    }
}

/// Serde helpers shared by the adapters' wire types.
pub mod de {
    use super::{Decimal, Deserialize, Field, RawValue, parse_decimal};
    use chrono::{DateTime, Utc};
    use serde::Deserializer;
    use serde::de::Error;

    /// An optional decimal from a JSON number or string, read from its raw text so no
    /// digit passes through `f64`. `null` and `""` are `None`.
    pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let raw: Option<&'de RawValue> = Option::deserialize(d)?;
        match raw.map(RawValue::get) {
            None | Some("null" | "\"\"") => Ok(None),
            Some(text) => parse_decimal(text)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("not a decimal: {text}"))),
        }
    }

    /// A decimal in three states: a missing key is [`Field::Absent`] (with
    /// `#[serde(default)]`), `null` and `""` are [`Field::Cleared`], text is a value. For
    /// fields a venue sends empty when there is nothing (an empty book side).
    pub fn field_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Field<Decimal>, D::Error> {
        Ok(match opt_decimal(d)? {
            Some(v) => Field::Value(v),
            None => Field::Cleared,
        })
    }

    /// An optional string borrowed from the frame where it has no escapes (serde's own
    /// `Option<Cow<str>>` always copies).
    pub fn opt_cow<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<std::borrow::Cow<'de, str>>, D::Error> {
        #[derive(Deserialize)]
        struct Borrowed<'a>(#[serde(borrow)] std::borrow::Cow<'a, str>);
        Option::<Borrowed<'de>>::deserialize(d).map(|o| o.map(|b| b.0))
    }

    /// An optional RFC 3339 timestamp.
    pub fn opt_rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match opt_cow(d)? {
            None => Ok(None),
            Some(s) => super::rfc3339(&s).map(Some).map_err(D::Error::custom),
        }
    }

    /// Milliseconds since the epoch, as a JSON number or string.
    pub fn opt_millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let raw: Option<&'de RawValue> = Option::deserialize(d)?;
        match raw.map(|r| r.get().trim_matches('"')) {
            None | Some("null" | "") => Ok(None),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .and_then(DateTime::from_timestamp_millis)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("not a millisecond time: {text}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_every_digit() {
        let cases = [
            ("1.00000", "1.00000"),
            ("\"56218.30000\"", "56218.30000"),
            ("0.99981", "0.99981"),
            ("1e-08", "0.00000001"),
            ("270638277.50461281", "270638277.50461281"),
            ("-0.5", "-0.5"),
        ];
        for (input, want) in cases {
            assert_eq!(parse_decimal(input).unwrap().to_string(), want, "{input}");
        }
        assert_eq!(parse_decimal("\"\""), None);
        assert_eq!(parse_decimal("abc"), None);
    }

    #[test]
    fn serde_helper_reads_raw_number_text() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "de::opt_decimal")]
            a: Option<Decimal>,
            #[serde(default, deserialize_with = "de::opt_decimal")]
            b: Option<Decimal>,
            #[serde(default, deserialize_with = "de::opt_decimal")]
            c: Option<Decimal>,
        }
        let t: T =
            serde_json::from_str(r#"{"a":0.10000000000000000001,"b":"2.50","c":null}"#).unwrap();
        assert_eq!(t.a.unwrap().to_string(), "0.10000000000000000001");
        assert_eq!(t.b.unwrap().to_string(), "2.50");
        assert_eq!(t.c, None);
    }
}
