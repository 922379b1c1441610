//! Feed tasks: one per exchange connection. Owns sockets and HTTP; writes only to the
//! store; takes orders through a [`command::FeedHandle`]. A panic inside a feed task is
//! caught, recorded in the history, and the task restarted with the same symbols.

pub(crate) mod backoff;
pub(crate) mod breaker;
pub mod budget;
mod builder;
pub mod command;
pub mod net;
pub(crate) mod rest;
pub(crate) mod socket;
pub(crate) mod subs;
pub(crate) mod supervisor;

pub use builder::{
    BuildError, FeedBuilder, REST_SCHEMES, RunningFeed, SubscribeError, WS_SCHEMES, check_url,
};

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::FeedConfig;
use crate::exchange::Exchange;
use crate::model::FeedStatus;
use crate::record::Record;
use crate::store::{RowState, Store};
use crate::symbol::{Instrument, Symbol};
use command::{Command, FeedHandle, SharedPairs};
use net::Connector;
use subs::Subs;

/// Wall-clock source; tests pass one that jumps.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Everything a feed task needs, shared by the supervisor, the session and the poller.
#[derive(Clone)]
pub(crate) struct FeedCtx {
    pub(crate) exchange: Arc<dyn Exchange>,
    pub(crate) store: Arc<Store>,
    pub(crate) cfg: FeedConfig,
    pub(crate) ws_url: String,
    /// The user's `--ws-url`, for venues that get their URL from a token request.
    pub(crate) ws_override: Option<String>,
    pub(crate) rest_url: String,
    pub(crate) connector: Arc<dyn Connector>,
    pub(crate) pairs: SharedPairs,
    pub(crate) clock: Clock,
    /// Seeds the backoff jitter.
    pub(crate) seed: u64,
    /// Opt-in quote mapping for this venue (`USD` → `USDT`), from the config.
    pub(crate) quote_aliases: Vec<(String, String)>,
    /// Every REST request of this feed takes its turn here (see [`budget`]).
    pub(crate) budget: Arc<budget::RestBudget>,
}

impl FeedCtx {
    /// A context for `exchange` with its public URLs unless overridden.
    pub(crate) fn new(
        exchange: Arc<dyn Exchange>,
        store: Arc<Store>,
        cfg: FeedConfig,
        ws_url: Option<String>,
        rest_url: Option<String>,
    ) -> Self {
        FeedCtx {
            budget: Arc::new(budget::RestBudget::new(exchange.rest_rate())),
            ws_url: ws_url
                .clone()
                .unwrap_or_else(|| exchange.default_ws_url().to_string()),
            ws_override: ws_url,
            rest_url: rest_url.unwrap_or_else(|| exchange.default_rest_url().to_string()),
            exchange,
            store,
            cfg,
            connector: Arc::new(net::TcpConnector::default()),
            pairs: Arc::new(RwLock::new(None)),
            clock: Arc::new(Utc::now),
            seed: fastrand::u64(..),
            quote_aliases: Vec::new(),
        }
    }
}

/// The instrument for a symbol already watched (its REST name, for candles): from the
/// pair list, or by the venue's naming rules when the list could not be fetched.
fn instrument(ctx: &FeedCtx, symbol: &Symbol) -> Instrument {
    let guard = ctx
        .pairs
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    guard
        .as_ref()
        .and_then(|list| list.get(symbol).cloned())
        .unwrap_or_else(|| ctx.exchange.instrument_for(symbol))
}

/// Add a market, as resolved, to the wanted set and the store. Returns its wire name if
/// it is new.
pub(crate) fn add_symbol(ctx: &FeedCtx, subs: &mut Subs, inst: &Instrument) -> Option<String> {
    let exchange = ctx.exchange.id();
    ctx.store
        .add_symbol(exchange, &inst.symbol, inst.price_decimals);
    if !subs.insert(inst) {
        return None;
    }
    if let Some(tap) = ctx.store.recorder() {
        tap.put(|| Record::Sub {
            exchange,
            instrument: inst.clone(),
        });
    }
    Some(inst.wire.clone())
}

/// Remove a symbol from the wanted set and the store. Returns what was subscribed.
pub(crate) fn remove_symbol(ctx: &FeedCtx, subs: &mut Subs, symbol: &Symbol) -> Option<subs::Sub> {
    let exchange = ctx.exchange.id();
    ctx.store.remove_symbol(exchange, symbol);
    if let Some(tap) = ctx.store.recorder() {
        tap.put(|| Record::Unsub {
            exchange,
            symbol: symbol.clone(),
            row_removed: true,
        });
    }
    subs.remove(symbol)
}

/// Connection ids: one per WebSocket connection of the run, across every feed.
static NEXT_CONN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A fresh connection id.
pub(crate) fn next_conn_id() -> u64 {
    NEXT_CONN.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Fetch the venue's pair list into `ctx.pairs` (kept as it was when the fetch fails).
pub(crate) async fn load_pairs(ctx: &FeedCtx) {
    let exchange = ctx.exchange.id();
    match rest::fetch_pairs(ctx).await {
        Ok(mut list) => {
            tracing::info!(%exchange, pairs = list.len(), "pair list loaded");
            list.set_quote_aliases(
                ctx.quote_aliases
                    .iter()
                    .map(|(from, to)| (from.as_str(), to.as_str())),
            );
            *ctx.pairs
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(list);
        }
        Err(e) => {
            tracing::warn!(%exchange, reason = %e.reason, "pair list unavailable");
        }
    }
}

/// Load the pair list and resolve what the user typed. Unknown symbols get an error row
/// (with suggestions) and the rest go on.
async fn prepare(ctx: &FeedCtx, inputs: &[String]) -> Subs {
    let exchange = ctx.exchange.id();
    let loaded = ctx
        .pairs
        .read()
        .is_ok_and(|p| p.as_ref().is_some_and(|l| !l.is_empty()));
    if !loaded {
        load_pairs(ctx).await;
    }
    let mut subs = Subs::default();
    for typed in inputs {
        // Escape sequences in typed text are removed before it is read as a symbol, so
        // `ESC[31mETH` is the `ETH` it shows as, not a market made of its letters.
        let input = &crate::sanitize::clean(typed);
        match command::resolve(&ctx.pairs, input, |s| ctx.exchange.instrument_for(s)) {
            Ok(market) => {
                add_symbol(ctx, &mut subs, &market);
            }
            Err(e) => {
                // Input that names no market at all still gets its error row, under the
                // text as typed (cleaned), so the dashboard never drops it silently.
                let symbol = crate::symbol::parse_without_list(input)
                    .unwrap_or_else(|_| Symbol::unparsed(input));
                ctx.store
                    .set_row_state(exchange, &symbol, RowState::Invalid(e.to_string()));
            }
        }
    }
    subs
}

/// Start a feed: returns its handle and the task. The task ends on `Command::Shutdown`
/// or when `shutdown` is cancelled.
pub(crate) fn spawn(
    ctx: FeedCtx,
    symbols: Vec<String>,
    shutdown: CancellationToken,
) -> (FeedHandle, JoinHandle<()>) {
    let exchange = ctx.exchange.id();
    let (tx, rx) = mpsc::channel(command::QUEUE);
    let handle =
        FeedHandle::new(exchange, tx.clone(), Arc::clone(&ctx.pairs)).with_rest(ctx.clone());
    ctx.store.add_feed(exchange, (ctx.clock)());
    let task = tokio::spawn(async move {
        let stop = shutdown.clone();
        let forward = tokio::spawn(async move {
            stop.cancelled().await;
            let _ = tx.send(Command::Shutdown).await;
        });
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let mut restarts = 0u32;
        let mut wanted: Option<Vec<String>> = Some(symbols);
        loop {
            let inner_ctx = ctx.clone();
            let inner_rx = Arc::clone(&rx);
            let inputs = wanted.take().unwrap_or_else(|| {
                ctx.store
                    .symbols(exchange)
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            });
            let run = tokio::spawn(async move {
                let subs = prepare(&inner_ctx, &inputs).await;
                let mut rx = inner_rx.lock().await;
                supervisor::Supervisor::new(inner_ctx, subs)
                    .run(&mut rx)
                    .await;
            });
            match run.await {
                Err(e) if e.is_panic() && !shutdown.is_cancelled() => {
                    restarts += 1;
                    let msg = panic_text(&*e.into_panic());
                    tracing::error!(%exchange, %msg, restarts, "feed task panicked; restarting");
                    ctx.store.transition(
                        exchange,
                        FeedStatus::Connecting,
                        &format!("feed task panicked ({msg}); restarted"),
                        (ctx.clock)(),
                    );
                    // A task that panics at once must not spin.
                    tokio::time::sleep(std::time::Duration::from_millis(
                        (u64::from(restarts.min(10))) * 500,
                    ))
                    .await;
                }
                // Finished (shutdown) or cancelled.
                _ => break,
            }
        }
        forward.abort();
    });
    (handle, task)
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
