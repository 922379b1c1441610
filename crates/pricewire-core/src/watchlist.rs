//! The watchlist: which markets each venue should watch, in the order they were asked for.
//! One owner decides it: [`Watchlist`] tells the feeds on every change (a
//! [`Command::Add`] with the market resolved once, on this side, or a
//! [`Command::Remove`]) and hands the new list to a [`WatchlistStore`], which keeps it
//! wherever the program keeps it (the dashboard: its config file, through a writer task; a
//! relay: a shared set in Redis). It never touches a file, the terminal or the store's
//! rows: a feed makes and drops its rows itself.

use crate::feed::command::{Command, FeedGone, Feeds, InputError};
use crate::model::ExchangeId;
use crate::sanitize;
use crate::symbol::{Instrument, Symbol, parse_without_list};

/// Where the watchlist is kept between runs.
pub trait WatchlistStore: Send {
    /// Keep `list` (every venue's markets, in order, by name) as the saved watchlist.
    /// Called on the caller's task after each change: an implementation hands slow work
    /// (a file, a network) to a task of its own and reports the outcome from there.
    fn save(&mut self, list: &[(ExchangeId, String)]);
}

/// One market a venue should watch.
#[derive(Debug, Clone)]
struct Wanted {
    venue: ExchangeId,
    /// As typed (config file, command line), escape codes removed: the name kept until
    /// the venue's pair list says what it names.
    typed: String,
    /// What it names, once resolved (added here, or resolved once the list loaded).
    market: Option<Instrument>,
    /// Resolution was tried against a loaded pair list: not tried again.
    settled: bool,
}

impl Wanted {
    /// The symbol its row has: the market's, or the one a feed gives text it cannot
    /// resolve (read by spelling alone, or kept as typed).
    fn symbol(&self) -> Symbol {
        match &self.market {
            Some(m) => m.symbol.clone(),
            None => {
                parse_without_list(&self.typed).unwrap_or_else(|_| Symbol::unparsed(&self.typed))
            }
        }
    }

    /// The name it is saved under: the market's canonical one, else the text as typed.
    fn name(&self) -> String {
        self.market
            .as_ref()
            .map_or_else(|| self.typed.clone(), |m| m.symbol.to_string())
    }
}

/// The desired markets per venue and the feeds that watch them: see the module docs.
pub struct Watchlist {
    feeds: Feeds,
    wanted: Vec<Wanted>,
    store: Option<Box<dyn WatchlistStore>>,
    /// Commands a feed's full queue refused during a [`Watchlist::replace`], sent again by
    /// [`Watchlist::flush`] in order.
    backlog: std::collections::VecDeque<(ExchangeId, Command)>,
}

impl std::fmt::Debug for Watchlist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchlist")
            .field("feeds", &self.feeds)
            .field("wanted", &self.wanted)
            .field("saved", &self.store.is_some())
            .field("backlog", &self.backlog)
            .finish()
    }
}

/// An empty watchlist over these feeds.
impl From<Feeds> for Watchlist {
    fn from(feeds: Feeds) -> Self {
        Watchlist::new(feeds, [])
    }
}

impl Watchlist {
    /// The list the feeds were started with: `(venue, text as typed)`, each feed's in the
    /// order given. Each text is resolved once its feed has loaded the venue's pair list
    /// (the feed resolved it against that list to subscribe).
    pub fn new(feeds: Feeds, typed: impl IntoIterator<Item = (ExchangeId, String)>) -> Self {
        let mut wanted: Vec<Wanted> = typed
            .into_iter()
            .map(|(venue, text)| Wanted {
                venue,
                typed: sanitize::clean(&text).trim().to_string(),
                market: None,
                settled: false,
            })
            .collect();
        // Venues in the order their feeds run, each venue's markets as given.
        let rank = |v: ExchangeId| feeds.handles().iter().position(|h| h.exchange == v);
        wanted.sort_by_key(|w| rank(w.venue));
        Watchlist {
            feeds,
            wanted,
            store: None,
            backlog: std::collections::VecDeque::new(),
        }
    }

    /// Keep every change in `store` from now on.
    #[must_use]
    pub fn saving_to(mut self, store: impl WatchlistStore + 'static) -> Self {
        self.store = Some(Box::new(store));
        self
    }

    /// Keep every change in `store` from now on, in place of any store before.
    pub fn set_store(&mut self, store: impl WatchlistStore + 'static) {
        self.store = Some(Box::new(store));
    }

    /// Changes are no longer kept (this run's list is not the saved one).
    pub fn stop_saving(&mut self) {
        self.store = None;
    }

    /// Whether changes are being kept.
    pub fn is_saved(&self) -> bool {
        self.store.is_some()
    }

    /// The feeds it tells.
    pub fn feeds(&self) -> &Feeds {
        &self.feeds
    }

    /// Resolve typed input (`exchange:SYMBOL`, or a plain symbol on every running venue
    /// that lists it) to markets: see [`Feeds::resolve`].
    pub fn resolve(&self, input: &str) -> Result<Vec<(ExchangeId, Instrument)>, InputError> {
        self.feeds.resolve(input)
    }

    /// Whether `venue` watches `symbol`.
    pub fn contains(&mut self, venue: ExchangeId, symbol: &Symbol) -> bool {
        self.settle();
        self.wanted
            .iter()
            .any(|w| w.venue == venue && w.symbol() == *symbol)
    }

    /// Watch `market` on `venue`: the feed is told, then the list is saved. Nothing
    /// changes when the feed cannot be told.
    pub fn add(&mut self, venue: ExchangeId, market: Instrument) -> Result<(), FeedGone> {
        self.feeds.send(venue, Command::Add(market.clone()))?;
        tracing::info!(exchange = %venue, symbol = %market.symbol, "symbol added");
        self.wanted.push(Wanted {
            venue,
            typed: market.symbol.to_string(),
            market: Some(market),
            settled: true,
        });
        self.save();
        Ok(())
    }

    /// Stop watching `symbol` on `venue`: the feed drops it (and its row), then the list
    /// is saved. Returns the market as it was resolved, when it was, so that it can be
    /// added back as it was.
    pub fn remove(
        &mut self,
        venue: ExchangeId,
        symbol: &Symbol,
    ) -> Result<Option<Instrument>, FeedGone> {
        self.feeds.send(venue, Command::Remove(symbol.clone()))?;
        tracing::info!(exchange = %venue, symbol = %symbol, "symbol dropped");
        self.settle();
        let at = self
            .wanted
            .iter()
            .position(|w| w.venue == venue && w.symbol() == *symbol);
        let gone = at.and_then(|i| self.wanted.remove(i).market);
        self.save();
        Ok(gone)
    }

    /// Watch `typed` instead of everything watched now (a named watchlist switched to):
    /// each entry is resolved on its venue, the new markets are added first and the ones
    /// no longer wanted dropped after (a market in both lists stays as it is, and a venue
    /// never finds itself with nothing to watch in between, which would close its
    /// connection), and the list is saved once. Entries no venue takes are returned with
    /// why, and left out. A switch can hold more commands than a feed's queue: what a full
    /// queue refuses waits here, in order, for [`Watchlist::flush`].
    pub fn replace(
        &mut self,
        typed: impl IntoIterator<Item = (ExchangeId, String)>,
    ) -> Vec<String> {
        self.settle();
        let old = std::mem::take(&mut self.wanted);
        let mut refused = Vec::new();
        for (venue, text) in typed {
            let text = sanitize::clean(&text).trim().to_string();
            let Some(handle) = self.feeds.get(venue) else {
                refused.push(format!("{text}: no feed for {venue} is running"));
                continue;
            };
            match handle.market(&text) {
                Ok(market) => {
                    if self
                        .wanted
                        .iter()
                        .any(|w| w.venue == venue && w.symbol() == market.symbol)
                    {
                        continue;
                    }
                    let kept = old
                        .iter()
                        .any(|w| w.venue == venue && w.symbol() == market.symbol);
                    if !kept {
                        self.backlog
                            .push_back((venue, Command::Add(market.clone())));
                    }
                    self.wanted.push(Wanted {
                        venue,
                        typed: market.symbol.to_string(),
                        market: Some(market),
                        settled: true,
                    });
                }
                Err(e) => refused.push(format!("{venue}: {e}")),
            }
        }
        for w in old {
            let symbol = w.symbol();
            let still = self
                .wanted
                .iter()
                .any(|n| n.venue == w.venue && n.symbol() == symbol);
            if !still {
                self.backlog.push_back((w.venue, Command::Remove(symbol)));
            }
        }
        self.flush();
        self.save();
        refused
    }

    /// Send what a full feed queue refused before; returns how many still wait.
    pub fn flush(&mut self) -> usize {
        while let Some((venue, cmd)) = self.backlog.pop_front() {
            // A feed that is gone takes nothing more: its commands are dropped.
            if let Err(FeedGone::Busy(_)) = self.feeds.send(venue, cmd.clone()) {
                self.backlog.push_front((venue, cmd));
                break;
            }
        }
        self.backlog.len()
    }

    /// Every venue's markets by name, in order, once each: the list a store keeps.
    pub fn entries(&mut self) -> Vec<(ExchangeId, String)> {
        self.settle();
        let mut out: Vec<(ExchangeId, String)> = Vec::new();
        for w in &self.wanted {
            let entry = (w.venue, w.name());
            if !out.contains(&entry) {
                out.push(entry);
            }
        }
        out
    }

    /// Resolve, once, each typed entry whose venue's pair list has loaded.
    fn settle(&mut self) {
        for w in self.wanted.iter_mut().filter(|w| !w.settled) {
            let Some(handle) = self.feeds.get(w.venue).filter(|h| h.has_pairs()) else {
                continue;
            };
            w.market = handle.market(&w.typed).ok();
            w.settled = true;
        }
    }

    fn save(&mut self) {
        if self.store.is_some() {
            let list = self.entries();
            if let Some(store) = &mut self.store {
                store.save(&list);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, RwLock};

    use tokio::sync::mpsc;

    use super::*;
    use crate::feed::command::FeedHandle;
    use crate::symbol::PairList;

    type List = Vec<(ExchangeId, String)>;

    /// Keeps every list it is given, in memory.
    #[derive(Clone, Default)]
    struct Kept(Arc<Mutex<Vec<List>>>);

    impl WatchlistStore for Kept {
        fn save(&mut self, list: &[(ExchangeId, String)]) {
            self.0.lock().unwrap().push(list.to_vec());
        }
    }

    fn market(name: &str, wire: &str) -> Instrument {
        Instrument {
            symbol: Symbol::parse_separated(name).unwrap(),
            wire: wire.into(),
            rest: wire.into(),
            price_decimals: Some(1),
            aliases: vec![],
        }
    }

    /// A kraken feed whose pair list is `loaded` or not yet.
    fn kraken(
        loaded: bool,
    ) -> (
        Feeds,
        mpsc::Receiver<Command>,
        Arc<RwLock<Option<PairList>>>,
    ) {
        let (tx, rx) = mpsc::channel(8);
        let list = PairList::new(
            "kraken",
            vec![market("BTC/USD", "XBT/USD"), market("ETH/USD", "ETH/USD")],
            &[("XBT", "BTC")],
        );
        let pairs = Arc::new(RwLock::new(loaded.then_some(list)));
        let feeds = Feeds::new(vec![FeedHandle::new(
            ExchangeId::Kraken,
            tx,
            Arc::clone(&pairs),
        )]);
        (feeds, rx, pairs)
    }

    fn names(list: &[(ExchangeId, String)]) -> Vec<&str> {
        list.iter().map(|(_, n)| n.as_str()).collect()
    }

    #[test]
    fn typed_entries_resolve_once_the_pair_list_loads() {
        let (feeds, _rx, pairs) = kraken(false);
        let typed = [(ExchangeId::Kraken, "xbt-usd".to_string())];
        let mut list = Watchlist::new(feeds, typed);
        // Before the list loads, the text is kept as typed.
        assert_eq!(names(&list.entries()), ["xbt-usd"]);
        assert!(!list.feeds().get(ExchangeId::Kraken).unwrap().has_pairs());
        *pairs.write().unwrap() = Some(PairList::new(
            "kraken",
            vec![market("BTC/USD", "XBT/USD")],
            &[("XBT", "BTC")],
        ));
        assert_eq!(names(&list.entries()), ["BTC/USD"]);
        assert!(list.contains(ExchangeId::Kraken, &Symbol::new("BTC", "USD")));
    }

    #[test]
    fn adds_and_drops_tell_the_feed_the_resolved_market_and_are_saved() {
        let (feeds, mut rx, _) = kraken(true);
        let kept = Kept::default();
        let typed = [(ExchangeId::Kraken, "BTC/USD".to_string())];
        let mut list = Watchlist::new(feeds, typed).saving_to(kept.clone());
        let (venue, eth) = list.resolve("eth-usd").unwrap().remove(0);
        assert_eq!(eth.wire, "ETH/USD");
        list.add(venue, eth.clone()).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::Add(eth.clone()));
        let btc = Symbol::new("BTC", "USD");
        let gone = list.remove(ExchangeId::Kraken, &btc).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::Remove(btc));
        assert_eq!(gone.map(|m| m.wire), Some("XBT/USD".to_string()));
        let saved = kept.0.lock().unwrap().clone();
        assert_eq!(saved.len(), 2, "one save per change");
        assert_eq!(names(&saved[0]), ["BTC/USD", "ETH/USD"]);
        assert_eq!(names(&saved[1]), ["ETH/USD"]);
    }

    #[test]
    fn a_feed_that_cannot_be_told_changes_nothing() {
        let (feeds, rx, _) = kraken(true);
        drop(rx);
        let kept = Kept::default();
        let mut list = Watchlist::new(feeds, []).saving_to(kept.clone());
        let err = list
            .add(ExchangeId::Kraken, market("ETH/USD", "ETH/USD"))
            .unwrap_err();
        assert_eq!(err, FeedGone::Stopped(ExchangeId::Kraken));
        assert!(list.entries().is_empty());
        assert!(kept.0.lock().unwrap().is_empty());
    }

    #[test]
    fn unresolvable_text_is_kept_as_typed_and_can_be_dropped() {
        let (feeds, mut rx, _) = kraken(true);
        let typed = [
            (ExchangeId::Kraken, "NOPE/USD".to_string()),
            (ExchangeId::Kraken, "ETH/USD".to_string()),
        ];
        let mut list = Watchlist::new(feeds, typed);
        assert_eq!(names(&list.entries()), ["NOPE/USD", "ETH/USD"]);
        let nope = Symbol::new("NOPE", "USD");
        list.remove(ExchangeId::Kraken, &nope).unwrap();
        assert_eq!(rx.try_recv().unwrap(), Command::Remove(nope));
        assert_eq!(names(&list.entries()), ["ETH/USD"]);
    }

    #[test]
    fn replace_drops_everything_adds_the_new_list_and_waits_out_a_full_queue() {
        // A queue of one: the second command waits for the feed to read the first.
        let (tx, mut rx) = mpsc::channel(1);
        let list = PairList::new(
            "kraken",
            vec![
                market("BTC/USD", "XBT/USD"),
                market("ETH/USD", "ETH/USD"),
                market("SOL/USD", "SOL/USD"),
            ],
            &[("XBT", "BTC")],
        );
        let feeds = Feeds::new(vec![FeedHandle::new(
            ExchangeId::Kraken,
            tx,
            Arc::new(RwLock::new(Some(list))),
        )]);
        let kept = Kept::default();
        let typed = [
            (ExchangeId::Kraken, "BTC/USD".to_string()),
            (ExchangeId::Kraken, "ETH/USD".to_string()),
        ];
        let mut wl = Watchlist::new(feeds, typed).saving_to(kept.clone());
        let refused = wl.replace([
            (ExchangeId::Kraken, "eth-usd".to_string()),
            (ExchangeId::Kraken, "SOL/USD".to_string()),
            (ExchangeId::Kraken, "NOPE/USD".to_string()),
        ]);
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(
            refused[0].starts_with("kraken: kraken does not list NOPE/USD"),
            "{refused:?}"
        );
        assert_eq!(names(&wl.entries()), ["ETH/USD", "SOL/USD"]);
        // Saved once, whole.
        assert_eq!(kept.0.lock().unwrap().len(), 1);
        let mut got = vec![rx.try_recv().unwrap()];
        assert!(rx.try_recv().is_err());
        assert_eq!(wl.flush(), 0);
        got.push(rx.try_recv().unwrap());
        let shown: Vec<String> = got
            .iter()
            .map(|c| match c {
                Command::Add(m) => format!("+{}", m.symbol),
                Command::Remove(s) => format!("-{s}"),
                other => format!("{other:?}"),
            })
            .collect();
        // ETH/USD, in both lists, is left alone; the new market comes before the drop.
        assert_eq!(shown, ["+SOL/USD", "-BTC/USD"]);
    }
}
