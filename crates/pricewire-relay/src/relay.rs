//! The relay process's work, venue by venue: stand by (pair list kept loaded, lease tried
//! every quarter lease and at once when the leader releases it), lead (run the feed,
//! publish what it sees through fenced batches, carry what is wanted, obey control
//! requests), and on shutdown release the lease at once so a standby takes over without
//! waiting for it to expire. Leading is `relay/lead.rs`.

mod lead;
mod outbound;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::MultiplexedConnection;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use pricewire_core::feed::FeedBuilder;
use pricewire_core::symbol::{PairList, parse_without_list};
use pricewire_core::{ExchangeId, FeedConfig};

use crate::conn::{LinkError, RedisTarget};
use crate::keys::Keys;
use crate::lease::{Elector, LeaseTiming};
use crate::publish::{Freeze, Stats};
use crate::wants;

/// One venue a relay serves.
#[derive(Debug, Clone)]
pub struct VenueSettings {
    /// The venue.
    pub exchange: ExchangeId,
    /// Symbols the relay carries on its own (leased like a reader's wants).
    pub symbols: Vec<String>,
    /// WebSocket URL override.
    pub ws_url: Option<String>,
    /// REST base override.
    pub rest_url: Option<String>,
    /// Quote aliases (`USD` → `USDT`).
    pub quote_aliases: Vec<(String, String)>,
}

/// Everything a relay runs with.
#[derive(Clone)]
pub struct RelaySettings {
    /// This relay's id, unique among the relays of one Redis (`relay-a`).
    pub id: String,
    /// Where Redis is.
    pub target: RedisTarget,
    /// The venues.
    pub venues: Vec<VenueSettings>,
    /// Feed timings and limits.
    pub feed: FeedConfig,
    /// The lease.
    pub lease: LeaseTiming,
    /// The ticks stream is capped near this many entries.
    pub ticks_maxlen: u64,
    /// The state stream is capped near this many entries.
    pub states_maxlen: u64,
    /// Symbols carried per venue at most.
    pub max_symbols: usize,
    /// How long a symbol is kept after its last want.
    pub linger: Duration,
    /// Connect timeout for Redis.
    pub connect_timeout: Duration,
    /// A test hook that freezes the leader between its deadline check and its write.
    pub freeze: Option<Arc<Freeze>>,
    /// Counters of the writes (shared with a reporter).
    pub stats: Arc<Stats>,
    /// The venues led now and their feeds' counters (shared with the front door).
    pub leading: Arc<crate::leading::Leading>,
}

impl RelaySettings {
    /// Defaults for everything but the id, the target and the venues.
    pub fn new(id: impl Into<String>, target: RedisTarget, venues: Vec<VenueSettings>) -> Self {
        RelaySettings {
            id: id.into(),
            target,
            venues,
            feed: FeedConfig::default(),
            lease: LeaseTiming::default(),
            ticks_maxlen: 100_000,
            states_maxlen: 10_000,
            max_symbols: 500,
            linger: wants::LINGER,
            connect_timeout: Duration::from_secs(5),
            freeze: None,
            stats: Arc::new(Stats::default()),
            leading: Arc::default(),
        }
    }
}

/// Policies under which Redis may evict a lease (any but `noeviction`).
pub fn evicting(policy: &str) -> bool {
    policy != "noeviction"
}

/// Check that Redis takes these credentials: a bad URL, refused credentials or a missing
/// permission is returned (fatal at start); an unreachable Redis is not (the venues retry
/// with backoff).
pub async fn check(settings: &RelaySettings) -> Result<(), LinkError> {
    let con = settings
        .target
        .connect(settings.connect_timeout, Some(settings.connect_timeout))
        .await;
    let ping = match con {
        Ok(mut con) => redis::cmd("PING")
            .query_async::<String>(&mut con)
            .await
            .map(|_| con)
            .map_err(LinkError::from),
        Err(e) => Err(e),
    };
    let mut con = match ping {
        Ok(con) => con,
        Err(e) if e.is_fatal_at_start() => return Err(e),
        Err(e) => {
            // Not there yet: the venues retry with backoff and say so.
            tracing::warn!(error = %e, "Redis does not answer yet; retrying");
            return Ok(());
        }
    };
    // An evicting policy may drop a lease: warn (an ACL may forbid asking: then say so).
    match redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxmemory-policy")
        .query_async::<Vec<String>>(&mut con)
        .await
    {
        Ok(v) if v.len() == 2 && evicting(&v[1]) => tracing::warn!(
            policy = %v[1],
            "Redis's maxmemory-policy may evict keys, leases included: set maxmemory-policy noeviction (see docs/RELAY.md)"
        ),
        Ok(_) => {}
        Err(e) => {
            tracing::info!(error = %LinkError::from(e), "cannot read Redis's maxmemory-policy");
        }
    }
    Ok(())
}

/// Run every venue until `shutdown`; each releases its lease on the way out.
pub async fn run(settings: RelaySettings, shutdown: CancellationToken) {
    let mut tasks = Vec::new();
    for venue in settings.venues.clone() {
        let s = settings.clone();
        let stop = shutdown.clone();
        tasks.push(tokio::spawn(
            async move { venue_loop(s, venue, stop).await },
        ));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Exponential backoff with jitter for Redis reconnects: 0.1 s doubling to `cap`.
pub fn backoff(attempt: u32, cap: Duration) -> Duration {
    let base = Duration::from_millis(100).saturating_mul(1 << attempt.min(10));
    let d = base.min(cap);
    d.mul_f64(0.5 + fastrand::f64() / 2.0)
}

/// How long to wait before the next try after `error`, the `attempt`th failure in a row
/// (from 1). Refused credentials or a missing permission wait long from the first retry,
/// 5 s doubling to 60 s: a rotated password does not come back in a second, and Redis
/// counts every refused login. Anything else backs off from 0.1 s up to `cap`.
pub fn retry_wait(error: &LinkError, attempt: u32, cap: Duration) -> Duration {
    if error.is_fatal_at_start() {
        let base = Duration::from_secs(5).saturating_mul(1 << attempt.saturating_sub(1).min(4));
        base.min(LONG_WAIT).mul_f64(0.75 + fastrand::f64() / 4.0)
    } else {
        backoff(attempt, cap)
    }
}

/// The longest wait between tries with refused credentials.
pub const LONG_WAIT: Duration = Duration::from_secs(60);

/// Resolve typed symbols with the warm pair list (or by spelling alone).
fn canonical(list: Option<&PairList>, typed: &[String]) -> Vec<String> {
    typed
        .iter()
        .filter_map(|t| match list {
            Some(l) if !l.is_empty() => l.resolve(t).ok().map(|i| i.symbol.to_string()),
            _ => parse_without_list(t).ok().map(|s| s.to_string()),
        })
        .collect()
}

async fn venue_loop(settings: RelaySettings, venue: VenueSettings, shutdown: CancellationToken) {
    let ex = venue.exchange;
    let keys = Keys::new(ex);
    let mut builder = FeedBuilder::new(ex)
        .config(settings.feed.clone())
        .shutdown_on(shutdown.child_token());
    if let Some(u) = &venue.ws_url {
        builder = builder.ws_url(u.clone());
    }
    if let Some(u) = &venue.rest_url {
        builder = builder.rest_url(u.clone());
    }
    for (from, to) in &venue.quote_aliases {
        builder = builder.quote_alias(from.clone(), to.clone());
    }
    let warm: Arc<Mutex<Option<PairList>>> = Arc::new(Mutex::new(None));
    tokio::spawn(keep_pairs_warm(
        builder.clone(),
        Arc::clone(&warm),
        shutdown.clone(),
    ));
    let own = Arc::new(Mutex::new(Vec::<String>::new()));
    let own_wants = tokio::spawn(lease_own_wants(
        settings.clone(),
        keys.clone(),
        venue.symbols.clone(),
        Arc::clone(&warm),
        Arc::clone(&own),
        shutdown.clone(),
    ));
    let released = Arc::new(Notify::new());
    tokio::spawn(notifications(
        settings.target.clone(),
        keys.released_channel.clone(),
        Arc::clone(&released),
        shutdown.clone(),
    ));
    let mut elector = Elector::new(keys.clone(), settings.id.clone(), settings.lease);
    let mut failures = 0u32;
    // Redis out of reach: when it began, and the last reason logged. One warning per
    // outage and per new reason; further tries are debug lines; the end is summed up.
    let mut outage: Option<(Instant, String)> = None;
    let mut con: Option<MultiplexedConnection> = None;
    while !shutdown.is_cancelled() {
        if con.is_none() {
            match settings
                .target
                .connect(settings.connect_timeout, Some(settings.lease.renew_every()))
                .await
            {
                Ok(c) => {
                    if let Some((since, _)) = outage.take() {
                        tracing::info!(venue = %ex, tries = failures, after = ?since.elapsed(), "Redis answers again");
                    }
                    failures = 0;
                    con = Some(c);
                }
                Err(e) => {
                    failures += 1;
                    let wait = retry_wait(&e, failures, Duration::from_secs(5));
                    let reason = e.to_string();
                    match &mut outage {
                        Some((_, last)) if *last == reason => {
                            tracing::debug!(venue = %ex, error = %e, tries = failures, retry_in = ?wait, "still cannot reach Redis");
                        }
                        _ => {
                            tracing::warn!(venue = %ex, error = %e, retry_in = ?wait, "cannot reach Redis; trying again with backoff");
                            let since = outage.take().map_or_else(Instant::now, |(at, _)| at);
                            outage = Some((since, reason));
                        }
                    }
                    sleep_or(wait, &shutdown).await;
                    continue;
                }
            }
        }
        let Some(c) = con.as_mut() else { continue };
        match elector.try_acquire(c).await {
            Ok(Some(held)) => {
                let renew = c.clone();
                let began = Instant::now();
                lead::lead(
                    &settings, &venue, &keys, &builder, &warm, &own, &elector, renew, held,
                    &shutdown,
                )
                .await;
                // A leadership that ended at once (a key holding data the relay cannot
                // write, a feed that cannot start) is not retried in a hot loop.
                if began.elapsed() < settings.lease.lease * 2 && !shutdown.is_cancelled() {
                    failures += 1;
                    let wait = backoff(failures, Duration::from_secs(30));
                    tracing::warn!(venue = %ex, retry_in = ?wait, "leadership ended early; waiting before the next try");
                    sleep_or(wait, &shutdown).await;
                } else {
                    failures = 0;
                }
            }
            Ok(None) => {
                tokio::select! {
                    () = sleep_or(settings.lease.retry_every(), &shutdown) => {}
                    () = released.notified() => {}
                }
            }
            Err(e) => {
                failures += 1;
                let wait = retry_wait(&e, failures, Duration::from_secs(5));
                tracing::warn!(venue = %ex, error = %e, retry_in = ?wait, "lease request failed");
                con = None;
                sleep_or(wait, &shutdown).await;
            }
        }
    }
    let _ = own_wants.await;
}

pub(crate) async fn sleep_or(d: Duration, stop: &CancellationToken) {
    tokio::select! {
        () = tokio::time::sleep(d) => {}
        () = stop.cancelled() => {}
    }
}

/// Fetch the pair list now and every 10 minutes (every 30 s while it fails), so taking
/// over costs one connect.
async fn keep_pairs_warm(
    builder: FeedBuilder,
    warm: Arc<Mutex<Option<PairList>>>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        let wait = match builder.fetch_pairs().await {
            Ok(list) => {
                *warm
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(list);
                Duration::from_secs(600)
            }
            Err(e) => {
                tracing::warn!(error = %e, "pair list not loaded; trying again in 30 s");
                Duration::from_secs(30)
            }
        };
        sleep_or(wait, &stop).await;
    }
}

/// Lease the relay's own symbols like any reader's, every [`wants::REFRESH`]; give them
/// up on the way out.
async fn lease_own_wants(
    settings: RelaySettings,
    keys: Keys,
    typed: Vec<String>,
    warm: Arc<Mutex<Option<PairList>>>,
    own: Arc<Mutex<Vec<String>>>,
    stop: CancellationToken,
) {
    let mut con: Option<MultiplexedConnection> = None;
    let mut leased: Vec<String> = Vec::new();
    while !stop.is_cancelled() {
        let symbols = {
            let list = warm
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            canonical(list.as_ref(), &typed)
        };
        own.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone_from(&symbols);
        if con.is_none() {
            con = settings
                .target
                .connect(settings.connect_timeout, Some(settings.connect_timeout))
                .await
                .ok();
        }
        if let Some(c) = con.as_mut() {
            match wants::lease(c, &keys, &settings.id, symbols.iter().map(String::as_str)).await {
                Ok(_) => leased = symbols,
                Err(e) => {
                    tracing::debug!(error = %e, "own wants not leased");
                    con = None;
                }
            }
        }
        sleep_or(wants::REFRESH, &stop).await;
    }
    if let Some(c) = con.as_mut() {
        let _ = tokio::time::timeout(
            Duration::from_secs(1),
            wants::unlease(c, &keys, &settings.id, leased.iter().map(String::as_str)),
        )
        .await;
    }
}

/// Forward each message on `channel` as a wake-up; resubscribe after a lost link.
pub(crate) async fn notifications(
    target: RedisTarget,
    channel: String,
    notify: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut failures = 0u32;
    while !stop.is_cancelled() {
        let sub = async {
            let mut pubsub = target
                .client()?
                .get_async_pubsub()
                .await
                .map_err(LinkError::from)?;
            pubsub.subscribe(&channel).await.map_err(LinkError::from)?;
            Ok::<_, LinkError>(pubsub)
        };
        match sub.await {
            Ok(mut pubsub) => {
                failures = 0;
                let mut messages = pubsub.on_message();
                loop {
                    tokio::select! {
                        m = messages.next() => match m {
                            Some(_) => notify.notify_one(),
                            None => break,
                        },
                        () = stop.cancelled() => return,
                    }
                }
            }
            Err(e) => {
                failures += 1;
                sleep_or(retry_wait(&e, failures, Duration::from_secs(5)), &stop).await;
                continue;
            }
        }
        sleep_or(backoff(failures, Duration::from_secs(5)), &stop).await;
    }
}
