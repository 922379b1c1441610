//! Leader election per venue: a lease in Redis whose value is the relay's id and a random
//! nonce. Taking it is one script (`SET NX PX`, a new term, the leader hash); extending it
//! compares and extends and never recreates a missing key; releasing it compares and
//! deletes, and tells the standbys.
//!
//! How long a lease is ours is measured on this process's monotonic clock from *before* the
//! request was sent, so a slow reply only shortens it. The leader stops publishing
//! [`LeaseTiming::margin`] before that (`max(500 ms, lease / 5)`), which leaves room for
//! clock drift between this process and Redis. Renewals run on a connection of their own
//! with a response timeout, never queued behind a batch of tickers.

use std::sync::Mutex;
use std::time::Duration;

use redis::Value;
use redis::aio::MultiplexedConnection;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::conn::LinkError;
use crate::keys::Keys;
use crate::scripts;

/// The lease's length and what follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTiming {
    /// How long a lease lasts unless extended (5 s by default).
    pub lease: Duration,
}

impl Default for LeaseTiming {
    fn default() -> Self {
        LeaseTiming {
            lease: Duration::from_secs(5),
        }
    }
}

impl LeaseTiming {
    /// A lease of `lease`.
    pub fn new(lease: Duration) -> Self {
        LeaseTiming { lease }
    }

    /// How long before the lease's end the leader stops publishing: `max(500 ms, lease/5)`.
    pub fn margin(&self) -> Duration {
        (self.lease / 5).max(Duration::from_millis(500))
    }

    /// How long after a request was sent the leader may still publish.
    pub fn usable(&self) -> Duration {
        self.lease.saturating_sub(self.margin())
    }

    /// How often the leader extends: at least twice within the usable part, and no less
    /// often than three times a lease.
    pub fn renew_every(&self) -> Duration {
        (self.usable() / 2)
            .min(self.lease / 3)
            .max(Duration::from_millis(50))
    }

    /// How often a standby tries to take a lease that is held.
    pub fn retry_every(&self) -> Duration {
        (self.lease / 4).max(Duration::from_millis(50))
    }
}

/// The leader before us, as the leader hash named it when we took over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    /// Its relay id.
    pub id: String,
    /// Its term.
    pub term: u64,
    /// Whether it released the lease (rather than letting it expire).
    pub released: bool,
}

/// A lease we hold.
#[derive(Debug)]
pub struct Held {
    /// The lease value: `relay-id:nonce`.
    pub value: String,
    /// Our term.
    pub term: u64,
    /// The dataset's epoch we lead in.
    pub epoch: String,
    /// Who led before, if anyone did in this dataset.
    pub previous: Option<Previous>,
    /// Publishing is allowed until this instant (moved on by each extension).
    until: Mutex<Instant>,
    /// Cancelled when the lease is known lost (refused extension, fenced write, expiry).
    lost: CancellationToken,
}

impl Held {
    /// Whether we may still publish at `now`.
    pub fn may_publish(&self, now: Instant) -> bool {
        !self.lost.is_cancelled() && now < self.until()
    }

    /// Until when we may publish.
    pub fn until(&self) -> Instant {
        *self
            .until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn set_until(&self, at: Instant) {
        let mut until = self
            .until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if at > *until {
            *until = at;
        }
    }

    /// Mark the lease lost: every task of this leadership stops.
    pub fn lose(&self) {
        self.lost.cancel();
    }

    /// Cancelled once the lease is lost.
    pub fn lost(&self) -> &CancellationToken {
        &self.lost
    }
}

/// Takes, extends and gives up one venue's lease for one relay.
pub struct Elector {
    keys: Keys,
    relay_id: String,
    timing: LeaseTiming,
    /// The highest term this relay has seen: never led below it, even after Redis lost
    /// its data.
    highest_term: u64,
}

impl Elector {
    /// An elector for `keys`' venue, as relay `relay_id`.
    pub fn new(keys: Keys, relay_id: impl Into<String>, timing: LeaseTiming) -> Self {
        Elector {
            keys,
            relay_id: relay_id.into(),
            timing,
            highest_term: 0,
        }
    }

    /// The lease timing.
    pub fn timing(&self) -> LeaseTiming {
        self.timing
    }

    /// The highest term seen so far.
    pub fn highest_term(&self) -> u64 {
        self.highest_term
    }

    /// Note a term seen elsewhere (a reader of the stream, the leader hash).
    pub fn saw_term(&mut self, term: u64) {
        self.highest_term = self.highest_term.max(term);
    }

    /// Try to take the lease. `Ok(None)`: someone else holds it.
    pub async fn try_acquire(
        &mut self,
        con: &mut MultiplexedConnection,
    ) -> Result<Option<Held>, LinkError> {
        let value = format!("{}:{:016x}", self.relay_id, fastrand::u64(..));
        let candidate = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let sent = Instant::now();
        let reply: Vec<Value> = scripts::ACQUIRE
            .call(
                con,
                &[
                    &self.keys.lease,
                    &self.keys.term,
                    &self.keys.leader,
                    &self.keys.epoch,
                ],
                &[
                    value.clone().into_bytes(),
                    millis(self.timing.lease).into_bytes(),
                    self.highest_term.to_string().into_bytes(),
                    candidate.into_bytes(),
                    self.relay_id.clone().into_bytes(),
                ],
            )
            .await?;
        let term = reply.first().and_then(int).unwrap_or(0);
        if term == 0 {
            return Ok(None);
        }
        let text = |i: usize| reply.get(i).map(text).unwrap_or_default();
        self.highest_term = self.highest_term.max(term);
        let previous = Some(text(2))
            .filter(|id| !id.is_empty())
            .map(|id| Previous {
                id,
                term: text(3).parse().unwrap_or(0),
                released: text(4) == "1",
            });
        Ok(Some(Held {
            value,
            term,
            epoch: text(1),
            previous,
            until: Mutex::new(sent + self.timing.usable()),
            lost: CancellationToken::new(),
        }))
    }

    /// Extend a held lease. `Ok(false)`: it is no longer ours (taken over or expired);
    /// the lease is then marked lost.
    pub async fn extend(
        &self,
        con: &mut MultiplexedConnection,
        held: &Held,
    ) -> Result<bool, LinkError> {
        let sent = Instant::now();
        let extended: i64 = scripts::EXTEND
            .call(
                con,
                &[&self.keys.lease],
                &[
                    held.value.clone().into_bytes(),
                    millis(self.timing.lease).into_bytes(),
                ],
            )
            .await?;
        if extended == 1 {
            held.set_until(sent + self.timing.usable());
            Ok(true)
        } else {
            held.lose();
            Ok(false)
        }
    }

    /// Give the lease up (at once: the standbys are told). Marks it lost first, so nothing
    /// more is published under it.
    pub async fn release(
        &self,
        con: &mut MultiplexedConnection,
        held: &Held,
    ) -> Result<bool, LinkError> {
        held.lose();
        let released: i64 = scripts::RELEASE
            .call(
                con,
                &[&self.keys.lease, &self.keys.leader],
                &[
                    held.value.clone().into_bytes(),
                    self.keys.released_channel.clone().into_bytes(),
                    self.relay_id.clone().into_bytes(),
                ],
            )
            .await?;
        Ok(released == 1)
    }

    /// Keep extending `held` until it is lost or `stop` is cancelled: every
    /// [`LeaseTiming::renew_every`], each try bounded by that period; a lease that could
    /// not be extended before its usable time ran out is lost.
    pub async fn keep(
        &self,
        con: &mut MultiplexedConnection,
        held: &Held,
        stop: &CancellationToken,
        pause: Option<&crate::Freeze>,
    ) {
        let every = self.timing.renew_every();
        // Failed extensions in a row: the first is a warning, the rest debug lines (the
        // lease running out is a warning of its own).
        let mut failed = 0u32;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = held.lost().cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            if let Some(pause) = pause {
                pause.wait_if_frozen().await;
            }
            match tokio::time::timeout(every, self.extend(con, held)).await {
                Ok(Ok(true)) => {
                    if failed > 0 {
                        tracing::info!(venue = %self.keys.venue, failed, "lease extended again");
                    }
                    failed = 0;
                }
                Ok(Ok(false)) => {
                    tracing::warn!(venue = %self.keys.venue, term = held.term, "lease taken over or expired");
                    return;
                }
                Ok(Err(e)) => {
                    failed += 1;
                    if failed == 1 {
                        tracing::warn!(venue = %self.keys.venue, error = %e, "lease extension failed");
                    } else {
                        tracing::debug!(venue = %self.keys.venue, error = %e, failed, "lease extension failed");
                    }
                }
                Err(_) => {
                    failed += 1;
                    if failed == 1 {
                        tracing::warn!(venue = %self.keys.venue, "lease extension timed out");
                    } else {
                        tracing::debug!(venue = %self.keys.venue, failed, "lease extension timed out");
                    }
                }
            }
            if Instant::now() >= held.until() {
                tracing::warn!(venue = %self.keys.venue, term = held.term, "lease ran out before it could be extended");
                held.lose();
                return;
            }
        }
    }
}

/// Milliseconds as Redis takes them.
pub(crate) fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

/// An integer reply (Lua numbers arrive as integers, counters as strings).
pub(crate) fn int(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Value::SimpleString(s) => s.parse().ok(),
        _ => None,
    }
}

/// A text reply; empty for nil.
pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Okay => "OK".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_leader_stops_well_before_its_lease_ends() {
        let t = LeaseTiming::default();
        assert_eq!(t.margin(), Duration::from_secs(1));
        assert_eq!(t.usable(), Duration::from_secs(4));
        assert!(t.renew_every() <= Duration::from_secs(2));
        let short = LeaseTiming::new(Duration::from_secs(1));
        assert_eq!(short.margin(), Duration::from_millis(500));
        assert_eq!(short.renew_every(), Duration::from_millis(250));
    }
}
