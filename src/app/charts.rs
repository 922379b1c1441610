//! Candles for the chart pane and for the trend's first minutes. Fetched over each feed's
//! REST side (under the venue's REST budget, shared with its fallback poller) on tasks of
//! their own, so the screen never waits on the network; results come back on a channel the
//! loop waits on. Cached per row and window, with the live ticks of the chart shown folded
//! into its newest candle as they arrive.
//!
//! At start each row's hour of one-minute candles is fetched once, one request at a time
//! per venue: the engine fills the row's trend window from them, and they are kept for the
//! row's chart. A chart asked for meanwhile takes the venue's next turn, not the end of
//! the queue.

use std::collections::{HashMap, HashSet, VecDeque};

use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};

use crate::view::state::{ChartData, Fetch, RowKey};
use pricewire_core::candle::{CandleSeries, ChartWindow};
use pricewire_core::feed::command::Feeds;
use pricewire_core::model::ExchangeId;
use pricewire_core::store::Snapshot;

/// A fetch that finished.
#[derive(Debug)]
pub struct Fetched {
    key: RowKey,
    window: ChartWindow,
    result: Result<CandleSeries, String>,
    /// Asked for by the start-up fill, not by a chart.
    prefill: bool,
}

/// A cached chart and when its candles were fetched.
#[derive(Debug)]
struct Cached {
    data: ChartData,
    fetched: Option<Instant>,
}

/// Candles fetched less than this long ago are not fetched again when a chart opens.
const FRESH: Duration = Duration::from_secs(60);

/// See the module docs.
#[derive(Debug)]
pub struct Charts {
    tx: mpsc::UnboundedSender<Fetched>,
    rx: Option<mpsc::UnboundedReceiver<Fetched>>,
    cache: HashMap<(RowKey, ChartWindow), Cached>,
    /// Rows whose hour was asked for at start (once each).
    asked: HashSet<RowKey>,
    /// Per venue: rows waiting for their start-up fill, and whether one is under way.
    queue: HashMap<ExchangeId, (VecDeque<RowKey>, bool)>,
    /// Whether each row's hour is fetched when it first has a price (the dashboard does;
    /// a test of the keys need not).
    prefill: bool,
    /// The updates of the chart's row already folded in.
    folded: Option<(RowKey, u64)>,
}

impl Default for Charts {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Charts {
            tx,
            rx: Some(rx),
            cache: HashMap::new(),
            asked: HashSet::new(),
            queue: HashMap::new(),
            prefill: false,
            folded: None,
        }
    }
}

impl Charts {
    /// Fetch each row's hour when it first has a price, to fill its trend and its chart.
    pub fn prefill_at_start(&mut self) {
        self.prefill = true;
    }

    /// The results channel, for the loop to wait on (given back when it ends).
    pub fn take_results(&mut self) -> Option<mpsc::UnboundedReceiver<Fetched>> {
        self.rx.take()
    }

    /// Hand the results channel back.
    pub fn give_back_results(&mut self, rx: Option<mpsc::UnboundedReceiver<Fetched>>) {
        if rx.is_some() {
            self.rx = rx;
        }
    }

    /// The chart of `key` over `window`, as far as it has come.
    pub fn data(&self, key: &RowKey, window: ChartWindow) -> Option<&ChartData> {
        self.cache.get(&(key.clone(), window)).map(|c| &c.data)
    }

    /// A chart opened (or its window changed): fetch its candles unless fresh ones are
    /// cached; the live part starts at once.
    pub fn open(&mut self, feeds: &Feeds, key: &RowKey, window: ChartWindow) {
        let fresh = self
            .cache
            .get(&(key.clone(), window))
            .and_then(|c| c.fetched)
            .is_some_and(|at| at.elapsed() < FRESH);
        if fresh {
            return;
        }
        let entry = self
            .cache
            .entry((key.clone(), window))
            .or_insert_with(|| Cached {
                data: ChartData {
                    series: CandleSeries::new(window, Vec::new()),
                    fetch: Fetch::Loading,
                },
                fetched: None,
            });
        entry.data.fetch = Fetch::Loading;
        self.folded = None;
        self.spawn(feeds, key.clone(), window, false);
    }

    fn spawn(&self, feeds: &Feeds, key: RowKey, window: ChartWindow, prefill: bool) {
        let tx = self.tx.clone();
        let Some(handle) = feeds.get(key.0).cloned() else {
            let _ = tx.send(Fetched {
                result: Err(format!("the {} feed is not running", key.0)),
                key,
                window,
                prefill,
            });
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            let _ = tx.send(Fetched {
                result: Err("no candles: nothing runs to fetch them".into()),
                key,
                window,
                prefill,
            });
            return;
        };
        runtime.spawn(async move {
            let result = handle
                .candles(&key.1, window)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(Fetched {
                key,
                window,
                result,
                prefill,
            });
        });
    }

    /// A fetch finished: cache it, and start the venue's next start-up fill.
    pub fn on_fetched(&mut self, feeds: &Feeds, fetched: Fetched) {
        let slot = (fetched.key.clone(), fetched.window);
        match fetched.result {
            Ok(series) => {
                self.cache.insert(
                    slot,
                    Cached {
                        data: ChartData {
                            series,
                            fetch: Fetch::Done,
                        },
                        fetched: Some(Instant::now()),
                    },
                );
                self.folded = None;
            }
            // A failed start-up fill is not news: the chart says why when opened.
            Err(_) if fetched.prefill && !self.cache.contains_key(&slot) => {}
            Err(why) => {
                if let Some(c) = self.cache.get_mut(&slot) {
                    c.data.fetch = Fetch::Failed(why);
                }
            }
        }
        if fetched.prefill
            && let Some((_, busy)) = self.queue.get_mut(&fetched.key.0)
        {
            *busy = false;
        }
        self.pump(feeds);
    }

    /// Each frame: queue the start-up fill of rows seen for the first time, and fold the
    /// chart row's newest price into its open candle.
    pub fn sync(
        &mut self,
        feeds: &Feeds,
        snapshot: &Snapshot,
        chart: Option<(&RowKey, ChartWindow)>,
    ) {
        if self.prefill {
            // A row dropped and watched again (a watchlist switched back) starts with an
            // empty trend: it is asked for again.
            if self.asked.len() > snapshot.rows.len() {
                let present: HashSet<(ExchangeId, &str)> = snapshot
                    .rows
                    .iter()
                    .map(|r| (r.exchange, r.symbol.as_str()))
                    .collect();
                self.asked
                    .retain(|(venue, symbol)| present.contains(&(*venue, symbol.as_str())));
            }
            for row in &snapshot.rows {
                if row.ticker.is_none() {
                    continue;
                }
                let key = (row.exchange, row.symbol.clone());
                if !self.asked.contains(&key) {
                    self.asked.insert(key.clone());
                    self.queue.entry(row.exchange).or_default().0.push_back(key);
                }
            }
        }
        self.pump(feeds);
        let Some((key, window)) = chart else {
            return;
        };
        let Some(row) = snapshot.row(key.0, key.1.as_str()) else {
            return;
        };
        if self.folded.as_ref() == Some(&(key.clone(), row.updates)) {
            return;
        }
        let (Some(t), Some(cached)) = (&row.ticker, self.cache.get_mut(&(key.clone(), window)))
        else {
            return;
        };
        if let Some(last) = t.last {
            cached.data.series.push_tick(last, t.received_ts);
        }
        self.folded = Some((key.clone(), row.updates));
    }

    /// Start each idle venue's next start-up fill.
    fn pump(&mut self, feeds: &Feeds) {
        let mut next = Vec::new();
        for (queue, busy) in self.queue.values_mut() {
            if *busy {
                continue;
            }
            if let Some(key) = queue.pop_front() {
                *busy = true;
                next.push(key);
            }
        }
        for key in next {
            self.spawn(feeds, key, ChartWindow::Hour, true);
        }
    }
}
