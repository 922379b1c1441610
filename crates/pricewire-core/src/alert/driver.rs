//! The alert task: follows the store's events, ticks once a second for held states, and
//! sends what fires to one receiver. Rules are added and removed through an
//! [`AlertHandle`]; where each stands is published on a `watch` for the alert list. Reads
//! the store only: it never slows a feed (a lagging reader re-reads the store's snapshot).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::eval::{AlertEvent, EvalOptions, Evaluator, RuleStatus};
use super::rule::AlertRule;
use crate::feed::Clock;
use crate::store::{Store, StoreEvent};

/// Orders for the alert task.
#[derive(Debug)]
enum Order {
    Add(AlertRule),
    Remove(String),
}

/// Adds and removes rules on a running alert task, and shows where each stands.
#[derive(Clone)]
pub struct AlertHandle {
    tx: mpsc::Sender<Order>,
    statuses: watch::Receiver<Vec<RuleStatus>>,
}

impl AlertHandle {
    /// Add a rule (a rule spelled like one already there is not added twice). Returns
    /// false when the alert task has ended.
    pub fn add(&self, rule: AlertRule) -> bool {
        self.tx.try_send(Order::Add(rule)).is_ok()
    }

    /// Remove the rule with this canonical spelling.
    pub fn remove(&self, rule: &str) -> bool {
        self.tx.try_send(Order::Remove(rule.to_string())).is_ok()
    }

    /// Every rule and where it stands, as of the last change.
    pub fn statuses(&self) -> Vec<RuleStatus> {
        self.statuses.borrow().clone()
    }

    /// A receiver that wakes when the list changes.
    pub fn watch(&self) -> watch::Receiver<Vec<RuleStatus>> {
        self.statuses.clone()
    }
}

/// What the alert task starts from.
pub struct AlertSetup {
    /// The rules.
    pub rules: Vec<AlertRule>,
    /// One-shots that fired in an earlier run (canonical spelling, when): they stay fired.
    pub fired: Vec<(String, DateTime<Utc>)>,
    /// What may fire.
    pub options: EvalOptions,
    /// The clock held states are timed by: the wall clock, or a replay's.
    pub clock: Clock,
}

/// Alerts queued for the receiver before the task waits for it.
const OUT_QUEUE: usize = 256;

/// Start the alert task on `store`. Alerts arrive on the receiver, in order; the task ends
/// on `shutdown` or when the receiver is dropped.
pub fn spawn(
    store: Arc<Store>,
    setup: AlertSetup,
    shutdown: CancellationToken,
) -> (AlertHandle, mpsc::Receiver<AlertEvent>, JoinHandle<()>) {
    let AlertSetup {
        rules,
        fired,
        options,
        clock,
    } = setup;
    // Subscribed before the snapshot is read, so no event is missed; without rules the
    // task does not subscribe at all, so the store keeps no tickers for it.
    let mut events = (!rules.is_empty()).then(|| store.events());
    let mut eval = Evaluator::new(options);
    let snapshot = store.snapshot();
    for rule in rules {
        if eval.statuses().iter().all(|s| s.rule != rule.to_string()) {
            eval.add(rule, &snapshot, clock());
        }
    }
    for (text, at) in fired {
        eval.restore_fired(&text, at);
    }
    let (status_tx, status_rx) = watch::channel(eval.statuses());
    let (order_tx, mut orders) = mpsc::channel(64);
    let (out_tx, out_rx) = mpsc::channel(OUT_QUEUE);
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let fired = tokio::select! {
                () = shutdown.cancelled() => break,
                e = next_event(&mut events) => match e {
                    Ok(event) => {
                        let simulated = store.is_simulated(event.exchange());
                        eval.on_event(&event, simulated, clock())
                    }
                    Err(RecvError::Lagged(_)) => {
                        eval.sync(&store.snapshot());
                        Vec::new()
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => eval.on_tick(clock()),
                order = orders.recv() => {
                    match order {
                        Some(Order::Add(rule))
                            if eval.statuses().iter().all(|s| s.rule != rule.to_string()) =>
                        {
                            if events.is_none() {
                                events = Some(store.events());
                            }
                            eval.add(rule, &store.snapshot(), clock());
                        }
                        Some(Order::Remove(text)) => {
                            let ids: Vec<u64> = eval
                                .statuses()
                                .iter()
                                .filter(|s| s.rule == text)
                                .map(|s| s.id)
                                .collect();
                            for id in ids {
                                eval.remove(id);
                            }
                            if eval.statuses().is_empty() {
                                events = None;
                            }
                        }
                        Some(Order::Add(_)) | None => {}
                    }
                    status_tx.send_replace(eval.statuses());
                    continue;
                }
            };
            if fired.is_empty() {
                continue;
            }
            status_tx.send_replace(eval.statuses());
            for event in fired {
                tracing::info!(rule = %event.rule, exchange = %event.exchange, kind = event.kind.name(), message = %event.message, "alert");
                if out_tx.send(event).await.is_err() {
                    return;
                }
            }
        }
    });
    (
        AlertHandle {
            tx: order_tx,
            statuses: status_rx,
        },
        out_rx,
        task,
    )
}

/// The next store event, or never while the task follows no rule.
async fn next_event(
    events: &mut Option<broadcast::Receiver<StoreEvent>>,
) -> Result<StoreEvent, RecvError> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
