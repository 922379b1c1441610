//! A hub's Redis loop: two connections per venue (commands, and a blocking `XREAD`),
//! whatever the number of web clients. Snapshot, then the ticks and state streams by
//! `(epoch, seq)` with the reader's rule per entry ([`crate::reader::classify`]); twice a
//! second the heartbeat; every 5 s the watched symbols and the wants leased for clients;
//! every 30 s the pair list. Subscribe commands are served between reads, so a resume
//! replays exactly the entries after the client's cursor up to the hub's `seq`. A lost
//! link is shown to every client and retried with backoff.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::hub::{Hub, HubCmd, Link};
use super::msg;
use super::outbox::{Item, Position, Pushed};
use crate::conn::{LinkError, RedisTarget};
use crate::reader::{self, Cursor, StateEntry, Step, TickEntry};
use crate::relay::backoff;
use crate::wants;
use crate::wire::{self, StateLine};

/// How long one blocking read waits.
const BLOCK_MS: u64 = 250;
/// How often the heartbeat is read.
const POLL_EVERY: Duration = Duration::from_millis(500);

/// What a hub's loop needs from the relay.
#[derive(Clone)]
pub struct HubEnv {
    /// Redis.
    pub target: RedisTarget,
    /// Dial and reply timeout.
    pub connect_timeout: Duration,
    /// The consumer id the wants leased for clients go under.
    pub wants_id: String,
    /// Quote aliases for the pair list.
    pub quote_aliases: Vec<(String, String)>,
    /// Replays longer than this give a fresh snapshot instead.
    pub max_replay: u64,
    /// Counts pushes that coalesced.
    pub on_push: Arc<dyn Fn(super::outbox::Transport, Pushed) + Send + Sync>,
    /// Whether this relay leads the venue now (feed metrics come from the leader).
    pub leading: Arc<crate::leading::Leading>,
    /// Called when Redis's dataset changed (pins are restored from the state file).
    pub on_new_epoch: Arc<dyn Fn() + Send + Sync>,
}

/// Run the hub until `stop`.
pub async fn run(
    hub: Arc<Hub>,
    env: HubEnv,
    mut rx: mpsc::Receiver<HubCmd>,
    stop: CancellationToken,
) {
    let mut attempt = 0u32;
    let mut cursor = Cursor::default();
    while !stop.is_cancelled() {
        let t = &env.target;
        let cons = async {
            let cmd = t
                .connect(env.connect_timeout, Some(env.connect_timeout))
                .await?;
            let block = t
                .connect(
                    env.connect_timeout,
                    Some(env.connect_timeout + Duration::from_millis(BLOCK_MS)),
                )
                .await?;
            Ok::<_, LinkError>((cmd, block))
        };
        let error = match cons.await {
            Ok((mut cmd, block)) => {
                attempt = 0;
                match session(&hub, &env, &mut cursor, &mut cmd, block, &mut rx, &stop).await {
                    Ok(()) => {
                        give_up_wants(&hub, &env, &mut cmd).await;
                        return;
                    }
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        attempt += 1;
        let wait = backoff(
            attempt + 2,
            Duration::from_secs(if error.is_fatal_at_start() { 60 } else { 15 }),
        );
        tracing::warn!(venue = %hub.venue, error = %error, retry_in = ?wait, "front door: relay link lost");
        {
            let mut st = hub.lock();
            let now = Utc::now();
            let was_up = st.link == Link::Up;
            st.link = Link::Lost {
                reason: error.to_string(),
                next_try: now + TimeDelta::from_std(wait).unwrap_or_default(),
            };
            if was_up {
                hub.note(&mut st, now, format!("relay link lost: {error}"));
            }
        }
        hub.broadcast_state();
        let until = Instant::now() + wait;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                () = stop.cancelled() => return,
                c = rx.recv() => match c {
                    Some(c) => command(&hub, &env, None, c).await,
                    None => return,
                },
            }
        }
    }
}

async fn session(
    hub: &Arc<Hub>,
    env: &HubEnv,
    cursor: &mut Cursor,
    cmd: &mut MultiplexedConnection,
    block: MultiplexedConnection,
    rx: &mut mpsc::Receiver<HubCmd>,
    stop: &CancellationToken,
) -> Result<(), LinkError> {
    load_pairs(hub, env, cmd).await?;
    resnapshot(hub, env, cursor, cmd, None).await?;
    watch(hub, env, cmd).await?;
    let mut next_watch = Instant::now() + wants::REFRESH;
    let mut next_pairs = Instant::now() + Duration::from_secs(30);
    let mut poll = tokio::time::interval(POLL_EVERY);
    let mut pending = None;
    loop {
        let read = pending.get_or_insert_with(|| {
            let mut con = block.clone();
            let keys = hub.keys.clone();
            let from = cursor.clone();
            Box::pin(async move { reader::read(&mut con, &keys, &from, BLOCK_MS, 1000).await })
        });
        tokio::select! {
            r = read => {
                pending = None;
                let (ticks, states) = r?;
                apply_ticks(hub, env, cursor, cmd, ticks).await?;
                apply_states(hub, env, cursor, cmd, states).await?;
            }
            c = rx.recv() => match c {
                Some(c) => command(hub, env, Some(cmd), c).await,
                None => return Ok(()),
            },
            _ = poll.tick() => {
                let p = reader::poll(cmd, &hub.keys).await?;
                if p.epoch != cursor.epoch {
                    pending = None;
                    resnapshot(hub, env, cursor, cmd, None).await?;
                    continue;
                }
                let changed = {
                    let mut st = hub.lock();
                    let limit = crate::consumer::NO_LEADER_AFTER.as_millis() as u64;
                    let fresh = |a: Option<u64>| a.is_some_and(|a| a <= limit);
                    let was = st.heartbeat_age_ms;
                    st.heartbeat_age_ms = p.heartbeat_age_ms();
                    if let Some(h) = &p.heartbeat && h.term > st.term {
                        st.term = h.term;
                        st.leader.clone_from(&h.leader);
                    }
                    fresh(was) != fresh(st.heartbeat_age_ms)
                        || (!fresh(st.heartbeat_age_ms) && was.map(|a| a / 1000) != st.heartbeat_age_ms.map(|a| a / 1000))
                };
                if changed {
                    hub.broadcast_state();
                }
                let now = Instant::now();
                // Nothing watched yet (the relays' wants not leased yet at start): look
                // again every poll, not every refresh, so the first clients are not
                // refused symbols the relay is about to carry.
                if now >= next_watch || hub.lock().watched.is_empty() {
                    next_watch = now + wants::REFRESH;
                    watch(hub, env, cmd).await?;
                }
                if now >= next_pairs || hub.lock().pairs.is_none() {
                    next_pairs = now + Duration::from_secs(30);
                    load_pairs(hub, env, cmd).await?;
                }
            }
            () = stop.cancelled() => return Ok(()),
        }
    }
}

/// Take a fresh snapshot; every subscriber gets a new one (`recovered: false`).
async fn resnapshot(
    hub: &Arc<Hub>,
    env: &HubEnv,
    cursor: &mut Cursor,
    cmd: &mut MultiplexedConnection,
    note: Option<String>,
) -> Result<(), LinkError> {
    let snap = reader::snapshot(cmd, &hub.keys).await?;
    let now = Utc::now();
    let new_epoch;
    {
        let mut st = hub.lock();
        // An empty epoch after a known one is a dataset that lost its data before the
        // leader wrote a new one: that is the moment to write the pins back, since the
        // next snapshot (with the new epoch) compares against the empty one.
        new_epoch = !st.epoch.is_empty() && *st.epoch != *snap.epoch;
        if new_epoch {
            hub.note(
                &mut st,
                now,
                "Redis lost its data (a new epoch): prices reloaded".into(),
            );
        }
        if let Some(n) = note {
            hub.note(&mut st, now, n);
        }
        if st.link != Link::Up && st.loaded {
            hub.note(&mut st, now, "relay link back".into());
        }
        *cursor = snap.cursor();
        st.link = Link::Up;
        st.loaded = true;
        st.epoch = Arc::from(snap.epoch.as_str());
        st.seq = snap.seq;
        st.term = cursor.term;
        st.leader = snap.leader.get("id").cloned().unwrap_or_default();
        st.relay_state = wire::read_state(&snap.state);
        st.heartbeat_age_ms = snap.heartbeat_age_ms();
        st.latest.clear();
        for (symbol, line) in &snap.latest {
            if let Some(msg::Update::Ticker { text, .. } | msg::Update::Error { text, .. }) =
                msg::update(hub.venue, line, &snap.epoch, snap.seq)
            {
                st.latest.insert(Arc::from(symbol.as_str()), text);
            }
        }
        for (client, symbols) in Hub::subscribers(&st) {
            let header = msg::snapshot(hub.venue, &st.epoch, st.seq, false, &symbols, 0);
            report(
                env,
                client.transport,
                client.push(Some(hub.venue), hub.control(&st, header)),
            );
            for s in &symbols {
                if let Some(text) = st.latest.get(s.as_str()) {
                    client.push(Some(hub.venue), Item::control(text.clone()));
                }
            }
        }
    }
    hub.broadcast_state();
    if new_epoch {
        (env.on_new_epoch)();
    }
    Ok(())
}

fn report(env: &HubEnv, transport: super::outbox::Transport, pushed: Pushed) {
    (env.on_push)(transport, pushed);
}

async fn apply_ticks(
    hub: &Arc<Hub>,
    env: &HubEnv,
    cursor: &mut Cursor,
    cmd: &mut MultiplexedConnection,
    ticks: Vec<TickEntry>,
) -> Result<(), LinkError> {
    for entry in &ticks {
        match reader::classify(cursor, entry) {
            Step::Apply => apply(hub, env, cursor, entry),
            Step::Old | Step::LowerTerm => {}
            Step::NewEpoch => return resnapshot(hub, env, cursor, cmd, None).await,
            Step::Jump { missing } => {
                let refill = reader::range(cmd, &hub.keys, cursor.seq + 1, entry.seq - 1).await?;
                let whole = refill.len() as u64 == missing
                    && refill.first().is_some_and(|e| e.seq == cursor.seq + 1);
                if !whole {
                    hub.lock().gaps += 1;
                    let note = format!(
                        "{missing} updates no longer in the relay's stream: prices reloaded"
                    );
                    return resnapshot(hub, env, cursor, cmd, Some(note)).await;
                }
                for e in refill.iter().chain(std::iter::once(entry)) {
                    if reader::classify(cursor, e) == Step::Apply {
                        apply(hub, env, cursor, e);
                    }
                }
            }
        }
    }
    Ok(())
}

fn apply(hub: &Hub, env: &HubEnv, cursor: &mut Cursor, entry: &TickEntry) {
    cursor.seq = entry.seq;
    let mut st = hub.lock();
    if entry.term > cursor.term {
        cursor.term = entry.term;
        st.term = entry.term;
        st.leader.clone_from(&entry.leader);
    }
    hub.apply(&mut st, &entry.line, entry.seq, &*env.on_push);
}

async fn apply_states(
    hub: &Arc<Hub>,
    env: &HubEnv,
    cursor: &mut Cursor,
    cmd: &mut MultiplexedConnection,
    states: Vec<StateEntry>,
) -> Result<(), LinkError> {
    if states.is_empty() {
        return Ok(());
    }
    let fields = reader::state(cmd, &hub.keys).await?;
    {
        let mut st = hub.lock();
        for s in states {
            if s.epoch != cursor.epoch {
                continue;
            }
            cursor.states_id.clone_from(&s.id);
            let at = serde_json::from_str::<serde_json::Value>(&s.line)
                .ok()
                .and_then(|v| v.get("ts").and_then(|t| t.as_str()).map(str::to_owned))
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
            match wire::read_state_line(&s.line) {
                Some(StateLine::Leader {
                    leader,
                    term,
                    message,
                }) => {
                    if term >= st.term {
                        st.term = term;
                        st.leader = leader;
                    }
                    hub.note(&mut st, at, message);
                }
                Some(StateLine::Status { to, reason }) => {
                    if env.leading.leads(hub.venue).is_some() && to == "fallback" {
                        st.fallbacks += 1;
                    }
                    if reason.starts_with("circuit breaker half-open") {
                        st.breaker = 1;
                    } else if reason.starts_with("circuit breaker open") {
                        st.breaker = 2;
                    } else if reason.starts_with("circuit breaker closed") || to == "connected" {
                        st.breaker = 0;
                    }
                    hub.note(&mut st, at, format!("{to}: {reason}"));
                }
                None => {}
            }
        }
        if let Some(state) = wire::read_state(&fields) {
            st.relay_state = Some(state);
        }
    }
    hub.broadcast_state();
    Ok(())
}

/// Serve a command; `cmd` is `None` while Redis is out of reach (no replay then).
async fn command(hub: &Arc<Hub>, env: &HubEnv, cmd: Option<&mut MultiplexedConnection>, c: HubCmd) {
    match c {
        HubCmd::Unsubscribe { client, symbols } => {
            Hub::unregister(&mut hub.lock(), client.id, Some(&symbols));
        }
        HubCmd::Subscribe {
            client,
            symbols,
            resume,
        } => {
            let (epoch, seq) = {
                let st = hub.lock();
                (st.epoch.to_string(), st.seq)
            };
            let replay = match (resume, cmd) {
                (Some((e, from)), Some(cmd)) if e == epoch && !epoch.is_empty() => {
                    if from >= seq {
                        Some(Vec::new())
                    } else if seq - from > env.max_replay {
                        None
                    } else {
                        match reader::range(cmd, &hub.keys, from + 1, seq).await {
                            Ok(r)
                                if r.len() as u64 == seq - from
                                    && r.first().is_some_and(|e| e.seq == from + 1) =>
                            {
                                Some(r)
                            }
                            _ => None,
                        }
                    }
                }
                _ => None,
            };
            let mut st = hub.lock();
            let Some(entries) = replay else {
                hub.subscribe_fresh(&mut st, &client, &symbols);
                return;
            };
            let wanted: std::collections::HashSet<&str> =
                symbols.iter().map(String::as_str).collect();
            let updates: Vec<Item> = entries
                .iter()
                .filter_map(|e| {
                    let u = msg::update(hub.venue, &e.line, &e.epoch, e.seq)?;
                    let position = Some(Position {
                        venue: hub.venue,
                        epoch: Arc::clone(&st.epoch),
                        seq: e.seq,
                    });
                    match u {
                        msg::Update::Ticker { symbol, text }
                        | msg::Update::Error { symbol, text } => {
                            wanted.contains(symbol.as_str()).then(|| Item {
                                text,
                                symbol: Some(Arc::from(symbol)),
                                position,
                            })
                        }
                        msg::Update::Gap { text } => Some(Item {
                            text,
                            symbol: None,
                            position,
                        }),
                    }
                })
                .collect();
            let header = msg::snapshot(hub.venue, &st.epoch, seq, true, &symbols, updates.len());
            client.push(Some(hub.venue), Item::control(header));
            for item in updates {
                report(env, client.transport, client.push(Some(hub.venue), item));
            }
            Hub::register(&mut st, &client, &symbols);
        }
    }
}

/// Read what is watched (live wants and pins) and lease the wants clients added.
async fn watch(hub: &Hub, env: &HubEnv, cmd: &mut MultiplexedConnection) -> Result<(), LinkError> {
    let now_ms = reader::poll(cmd, &hub.keys).await?.now_ms;
    let live: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(&hub.keys.wants)
        .arg(now_ms)
        .arg("+inf")
        .query_async(cmd)
        .await?;
    let pinned = crate::control::pinned(cmd, &hub.keys).await?;
    let (own, changed) = {
        let mut st = hub.lock();
        let before = std::mem::take(&mut st.watched);
        st.watched = live
            .iter()
            .filter(|m| !m.starts_with(&format!("{}|", env.wants_id)))
            .map(|m| wants::symbol_of(m).to_string())
            .chain(pinned)
            .collect();
        let changed = before != st.watched;
        (
            st.client_wants.keys().cloned().collect::<Vec<String>>(),
            changed.then(|| st.watched.clone()),
        )
    };
    if let Some(watched) = changed {
        hub.clients.broadcast(&msg::text(&serde_json::json!({
            "type": "watched", "exchange": hub.venue.as_str(), "symbols": watched,
        })));
    }
    wants::lease(
        cmd,
        &hub.keys,
        &env.wants_id,
        own.iter().map(String::as_str),
    )
    .await?;
    let gone: Vec<String> = live
        .iter()
        .filter_map(|m| m.strip_prefix(&format!("{}|", env.wants_id)))
        .filter(|s| !own.iter().any(|o| o == s))
        .map(str::to_owned)
        .collect();
    wants::unlease(
        cmd,
        &hub.keys,
        &env.wants_id,
        gone.iter().map(String::as_str),
    )
    .await
}

async fn give_up_wants(hub: &Hub, env: &HubEnv, cmd: &mut MultiplexedConnection) {
    let own: Vec<String> = hub.lock().client_wants.keys().cloned().collect();
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        wants::unlease(
            cmd,
            &hub.keys,
            &env.wants_id,
            own.iter().map(String::as_str),
        ),
    )
    .await;
}

async fn load_pairs(
    hub: &Hub,
    env: &HubEnv,
    cmd: &mut MultiplexedConnection,
) -> Result<(), LinkError> {
    if let Some(text) = reader::pair_list(cmd, &hub.keys).await? {
        if let Some(list) = wire::read_pairs(&text, &env.quote_aliases) {
            hub.lock().pairs = Some(list);
        } else {
            tracing::warn!(venue = %hub.venue, "the pair list in Redis is unreadable");
        }
    }
    Ok(())
}
