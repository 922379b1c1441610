//! What the UI (or a test) may ask of a running feed, and the handle it asks through.
//! Typed symbols are resolved once, on the caller's side, against the pair list the feed
//! loaded, so an error can be shown at once in the add prompt; the feed is handed the
//! market that resolution found and looks nothing up again.

use std::sync::{Arc, RwLock};

use tokio::sync::mpsc;

use crate::candle::{CandleSeries, ChartWindow};
use crate::model::ExchangeId;
use crate::symbol::{Instrument, PairList, Symbol, SymbolError, parse_without_list};

/// A request to one feed task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Drop the connection and connect again now, resetting the attempt counter.
    Reconnect,
    /// Subscribe a market on the live connection: the instrument the caller's resolution
    /// found (wire name, price decimals), so the feed does not resolve it again.
    Add(Instrument),
    /// Unsubscribe a symbol and drop its row.
    Remove(Symbol),
    /// Close the connection and end the task.
    Shutdown,
}

/// The pair list a feed loaded, shared with its handles for validation.
pub type SharedPairs = Arc<RwLock<Option<PairList>>>;

/// Resolve typed input to the market it names: against a loaded pair list, or by
/// spelling alone without one, the venue's naming rules (`naming`) giving its wire names.
pub fn resolve(
    pairs: &SharedPairs,
    input: &str,
    naming: impl FnOnce(&Symbol) -> Instrument,
) -> Result<Instrument, SymbolError> {
    let guard = pairs
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match guard.as_ref() {
        Some(list) if !list.is_empty() => list.resolve(input).cloned(),
        _ => parse_without_list(input).map(|s| naming(&s)),
    }
}

/// `exchange`'s naming rules for a symbol its pair list does not hold.
fn naming_rules(exchange: ExchangeId) -> impl FnOnce(&Symbol) -> Instrument {
    move |symbol| match crate::exchange::adapter(exchange) {
        Ok(adapter) => adapter.instrument_for(symbol),
        Err(_) => Instrument {
            symbol: symbol.clone(),
            wire: symbol.to_string(),
            rest: format!("{}{}", symbol.base(), symbol.quote()),
            price_decimals: None,
            aliases: Vec::new(),
        },
    }
}

/// A cheap, cloneable way to talk to one feed.
#[derive(Debug, Clone)]
pub struct FeedHandle {
    /// The venue whose feed this handle talks to.
    pub exchange: ExchangeId,
    tx: mpsc::Sender<Command>,
    pairs: SharedPairs,
    /// The feed's REST side (address, dialler, budget), for requests made on the caller's
    /// task: candles for a chart.
    rest: Option<RestSide>,
}

/// A feed's context, shared with its handles for REST requests made outside its task.
#[derive(Clone)]
struct RestSide(Arc<super::FeedCtx>);

impl std::fmt::Debug for RestSide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestSide")
            .field("rest_url", &self.0.rest_url)
            .finish_non_exhaustive()
    }
}

/// Why a chart has no candles. The text is what the chart shows in their place.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CandleError {
    /// This handle was made without the feed's REST side (a test's handle).
    #[error("no candles: this view has no connection to {0}'s REST API")]
    NoRest(ExchangeId),
    /// The request failed or its answer could not be read; the text says why.
    #[error("{0}")]
    Failed(String),
}

/// Why a command did not reach a feed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeedGone {
    /// The feed task is gone (shut down or crashed beyond restart).
    #[error("the {0} feed is not running")]
    Stopped(ExchangeId),
    /// Its command queue is full: the feed has not taken a command for a while.
    #[error(
        "the {0} feed is busy: {QUEUE} commands are still waiting for it; try again in a moment"
    )]
    Busy(ExchangeId),
}

/// Commands a feed's queue holds.
pub const QUEUE: usize = 64;

impl FeedHandle {
    /// A handle that queues commands on `tx` and resolves symbols against `pairs`, the
    /// list the feed fills once it has fetched it.
    pub fn new(exchange: ExchangeId, tx: mpsc::Sender<Command>, pairs: SharedPairs) -> Self {
        FeedHandle {
            exchange,
            tx,
            pairs,
            rest: None,
        }
    }

    /// The same handle, able to fetch over the feed's REST side.
    pub(crate) fn with_rest(mut self, ctx: super::FeedCtx) -> Self {
        self.rest = Some(RestSide(Arc::new(ctx)));
        self
    }

    /// Fetch `window`'s candles of `symbol` from the venue's public REST API, on the
    /// caller's task but under the feed's REST budget (so a chart never adds to the rate
    /// the venue sees beyond it). A reply from the built-in simulator marks the feed
    /// simulated, as every REST reply does.
    pub async fn candles(
        &self,
        symbol: &Symbol,
        window: ChartWindow,
    ) -> Result<CandleSeries, CandleError> {
        let ctx = &self
            .rest
            .as_ref()
            .ok_or(CandleError::NoRest(self.exchange))?
            .0;
        super::rest::candles(ctx, symbol, window)
            .await
            .map(|candles| CandleSeries::new(window, candles))
            .map_err(|e| CandleError::Failed(e.reason))
    }

    /// Resolve a typed symbol against the venue's pair list (or, before the list has
    /// loaded or if it could not be fetched, by its spelling alone).
    pub fn resolve(&self, input: &str) -> Result<Symbol, SymbolError> {
        self.market(input).map(|m| m.symbol)
    }

    /// The market a typed symbol names, resolved as [`FeedHandle::resolve`] does, with the
    /// wire names [`Command::Add`] takes.
    pub fn market(&self, input: &str) -> Result<Instrument, SymbolError> {
        resolve(&self.pairs, input, naming_rules(self.exchange))
    }

    /// Whether the feed has loaded its venue's pair list (resolution is by spelling alone
    /// until it has).
    pub fn has_pairs(&self) -> bool {
        self.pairs
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .is_some_and(|l| !l.is_empty())
    }

    /// A copy of the venue's pair list as the feed loaded it; `None` until it has.
    pub fn pair_list(&self) -> Option<PairList> {
        self.pairs
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Queue a command without waiting. Commands are few and the queue is short; a full
    /// queue means the task is wedged, which is reported rather than waited on.
    pub fn send(&self, cmd: Command) -> Result<(), FeedGone> {
        self.tx.try_send(cmd).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => FeedGone::Busy(self.exchange),
            mpsc::error::TrySendError::Closed(_) => FeedGone::Stopped(self.exchange),
        })
    }
}

/// All running feeds, routing typed symbols (`binance:BTC/USDT`) to the right one.
#[derive(Debug, Clone, Default)]
pub struct Feeds {
    handles: Vec<FeedHandle>,
}

/// Why typed input did not name a symbol of a running feed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The input named a venue (`binance:BTC/USDT`) whose feed is not running.
    #[error("no feed for {0} is running (start it with --exchange)")]
    NoFeed(ExchangeId),
    /// No running venue takes the input: their reasons, or that no feed is running.
    #[error("{0}")]
    Exchange(String),
    /// The venue named, or the only one running, does not take the symbol.
    #[error(transparent)]
    Symbol(#[from] SymbolError),
}

impl Feeds {
    /// Routing over these feeds.
    pub fn new(handles: Vec<FeedHandle>) -> Self {
        Feeds { handles }
    }

    /// Every handle, in the order given.
    pub fn handles(&self) -> &[FeedHandle] {
        &self.handles
    }

    /// The handle for `exchange`'s feed, if it is among them.
    pub fn get(&self, exchange: ExchangeId) -> Option<&FeedHandle> {
        self.handles.iter().find(|h| h.exchange == exchange)
    }

    /// Resolve `exchange:SYMBOL` on that venue, or a plain `SYMBOL` on every running venue
    /// that lists it (as symbols on the command line are). An error only when no venue
    /// takes it: one venue's message as it is, several venues' joined (identical messages
    /// once).
    pub fn resolve(&self, input: &str) -> Result<Vec<(ExchangeId, Instrument)>, InputError> {
        let input = input.trim();
        if let Some((venue, rest)) = input.split_once(':')
            && let Ok(id) = venue.parse::<ExchangeId>()
        {
            let handle = self.get(id).ok_or(InputError::NoFeed(id))?;
            return Ok(vec![(id, handle.market(rest)?)]);
        }
        let first = self
            .handles
            .first()
            .ok_or_else(|| InputError::Exchange("no feed is running".into()))?;
        if self.handles.len() == 1 {
            return Ok(vec![(first.exchange, first.market(input)?)]);
        }
        let mut found = Vec::new();
        let mut errors: Vec<(ExchangeId, String)> = Vec::new();
        for h in &self.handles {
            match h.market(input) {
                Ok(market) => found.push((h.exchange, market)),
                Err(e) => errors.push((h.exchange, e.to_string())),
            }
        }
        if !found.is_empty() {
            return Ok(found);
        }
        let same = errors.windows(2).all(|w| w[0].1 == w[1].1);
        Err(InputError::Exchange(if same {
            errors.swap_remove(0).1
        } else {
            errors
                .iter()
                .map(|(ex, e)| format!("{ex}: {e}"))
                .collect::<Vec<_>>()
                .join("; ")
        }))
    }

    /// Send to one feed.
    pub fn send(&self, exchange: ExchangeId, cmd: Command) -> Result<(), FeedGone> {
        self.get(exchange)
            .ok_or(FeedGone::Stopped(exchange))?
            .send(cmd)
    }

    /// Send to every feed (reconnect all, shut down all).
    pub fn broadcast(&self, cmd: &Command) {
        for h in &self.handles {
            let _ = h.send(cmd.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_is_busy_and_a_closed_one_is_stopped() {
        let (tx, rx) = mpsc::channel(QUEUE);
        let pairs: SharedPairs = Arc::new(std::sync::RwLock::new(None));
        let handle = FeedHandle::new(ExchangeId::Kraken, tx, pairs);
        for _ in 0..QUEUE {
            handle.send(Command::Reconnect).unwrap();
        }
        let busy = handle.send(Command::Reconnect).unwrap_err();
        assert_eq!(busy, FeedGone::Busy(ExchangeId::Kraken));
        assert_eq!(
            busy.to_string(),
            "the kraken feed is busy: 64 commands are still waiting for it; try again in a moment"
        );
        drop(rx);
        let gone = handle.send(Command::Reconnect).unwrap_err();
        assert_eq!(gone.to_string(), "the kraken feed is not running");
    }
}
