//! The dashboard's side of the watchlist. The engine's [`Watchlist`] owns what each venue
//! watches and tells the feeds; here it is started from the run's settings, switched
//! between the config's named watchlists ([`Lists`]: the top-level `symbols` is the one
//! named `default`, each `[watchlists.NAME]` another), and kept in the config file through
//! the config writer task ([`ConfigWriter`]), so a keystroke never waits on the disk.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::{ConfigWriter, DEFAULT_WATCHLIST, SaveLists};
use pricewire_core::feed::command::Feeds;
use pricewire_core::model::ExchangeId;
use pricewire_core::{Watchlist, WatchlistStore};

/// The watchlist the feeds were started with: each venue's symbols as typed, venues in the
/// order their feeds run.
pub fn from_settings(feeds: Feeds, symbols: &BTreeMap<ExchangeId, Vec<String>>) -> Watchlist {
    let typed: Vec<(ExchangeId, String)> = symbols
        .iter()
        .flat_map(|(venue, list)| list.iter().map(|s| (*venue, s.clone())))
        .collect();
    Watchlist::new(feeds, typed)
}

/// A list's entries as the config writes them (`BTC/USD`, `binance:BTC/USDT`) per venue:
/// a prefixed entry on its venue (when that venue runs), a plain one on every venue.
/// Entries for a venue that does not run are returned apart, for a warning.
pub fn per_venue(
    entries: &[String],
    venues: &[ExchangeId],
) -> (BTreeMap<ExchangeId, Vec<String>>, Vec<String>) {
    let mut out: BTreeMap<ExchangeId, Vec<String>> =
        venues.iter().map(|v| (*v, Vec::new())).collect();
    let mut skipped = Vec::new();
    for s in entries {
        match s
            .split_once(':')
            .map(|(v, rest)| (v.parse::<ExchangeId>(), rest))
        {
            Some((Ok(id), rest)) => match out.get_mut(&id) {
                Some(list) => list.push(rest.to_string()),
                None => skipped.push(s.clone()),
            },
            // No venue prefix: the symbol is watched on every exchange.
            _ => out.values_mut().for_each(|l| l.push(s.clone())),
        }
    }
    (out, skipped)
}

/// The named watchlists of this run and which one is shown, shared by the dashboard (which
/// switches between them) and the config file store (which keeps the shown one's edits).
#[derive(Debug, Clone)]
pub struct Lists(Arc<Mutex<ListsInner>>);

#[derive(Debug)]
struct ListsInner {
    /// Name and entries as the config writes them, `default` first.
    lists: Vec<(String, Vec<String>)>,
    active: usize,
    /// Lists edited this run (each is saved whole with every later edit).
    edited: Vec<usize>,
}

impl Lists {
    /// `lists` (name, entries), `active` the one shown at start.
    pub fn new(lists: Vec<(String, Vec<String>)>, active: usize) -> Self {
        let active = active.min(lists.len().saturating_sub(1));
        Lists(Arc::new(Mutex::new(ListsInner {
            lists,
            active,
            edited: Vec::new(),
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ListsInner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The shown list's name.
    pub fn active(&self) -> String {
        let inner = self.lock();
        inner
            .lists
            .get(inner.active)
            .map_or_else(|| DEFAULT_WATCHLIST.to_string(), |(n, _)| n.clone())
    }

    /// How many lists there are.
    pub fn len(&self) -> usize {
        self.lock().lists.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Show the next list (after the last, the first): its name and entries.
    pub fn next(&self) -> Option<(String, Vec<String>)> {
        let mut inner = self.lock();
        if inner.lists.len() < 2 {
            return None;
        }
        inner.active = (inner.active + 1) % inner.lists.len();
        inner.lists.get(inner.active).cloned()
    }

    /// The shown list is now `entries`: every list edited so far, to save, or `None`
    /// when nothing changed (a switch saves nothing).
    fn record(&self, entries: Vec<String>) -> Option<Vec<(Option<String>, Vec<String>)>> {
        let mut inner = self.lock();
        let active = inner.active;
        let slot = inner.lists.get_mut(active)?;
        if slot.1 == entries {
            return None;
        }
        slot.1 = entries;
        if !inner.edited.contains(&active) {
            inner.edited.push(active);
        }
        Some(
            inner
                .edited
                .iter()
                .filter_map(|i| inner.lists.get(*i))
                .map(|(name, entries)| {
                    let name = (name != DEFAULT_WATCHLIST).then(|| name.clone());
                    (name, entries.clone())
                })
                .collect(),
        )
    }
}

/// Keeps the shown watchlist in the config file: the top-level `symbols` for `default`,
/// `[watchlists.NAME]` for another; entries plain `BASE/QUOTE` with one feed running,
/// `venue:BASE/QUOTE` with several (a plain name there means every venue).
#[derive(Debug)]
pub struct ConfigFile {
    writer: ConfigWriter,
    several: bool,
    lists: Lists,
}

impl ConfigFile {
    /// Save through `writer`; `several`: more than one feed runs.
    pub fn new(writer: ConfigWriter, several: bool, lists: Lists) -> Self {
        ConfigFile {
            writer,
            several,
            lists,
        }
    }
}

impl WatchlistStore for ConfigFile {
    fn save(&mut self, list: &[(ExchangeId, String)]) {
        if let Some(edited) = self.lists.record(config_names(list, self.several)) {
            self.writer.submit(SaveLists(edited));
        }
    }
}

/// The `symbols` entries for `list`.
pub fn config_names(list: &[(ExchangeId, String)], several: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (venue, symbol) in list {
        let s = if several {
            format!("{venue}:{symbol}")
        } else {
            symbol.clone()
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_venue_saves_plain_names_and_several_name_their_venue() {
        let list = [
            (ExchangeId::Kraken, "BTC/USD".to_string()),
            (ExchangeId::Binance, "BTC/USD".to_string()),
        ];
        assert_eq!(config_names(&list, false), ["BTC/USD"]);
        assert_eq!(
            config_names(&list, true),
            ["kraken:BTC/USD", "binance:BTC/USD"]
        );
    }

    #[test]
    fn entries_go_to_their_venue_or_to_every_venue() {
        let entries = ["BTC/USD", "binance:ETH/USDT", "okx:SOL/USDT"].map(String::from);
        let (per, skipped) = per_venue(&entries, &[ExchangeId::Kraken, ExchangeId::Binance]);
        assert_eq!(per[&ExchangeId::Kraken], ["BTC/USD"]);
        assert_eq!(per[&ExchangeId::Binance], ["BTC/USD", "ETH/USDT"]);
        assert_eq!(skipped, ["okx:SOL/USDT"]);
    }

    #[test]
    fn edits_are_kept_per_list_and_every_edited_list_is_saved_whole() {
        let lists = Lists::new(
            vec![
                ("default".into(), vec!["BTC/USD".into()]),
                ("defi".into(), vec!["UNI/USD".into()]),
            ],
            0,
        );
        assert_eq!(lists.active(), "default");
        let edited = lists.record(vec!["BTC/USD".into(), "ETH/USD".into()]);
        assert_eq!(
            edited,
            Some(vec![(None, vec!["BTC/USD".into(), "ETH/USD".into()])])
        );
        assert_eq!(lists.next(), Some(("defi".into(), vec!["UNI/USD".into()])));
        // Switching saves nothing.
        assert_eq!(lists.record(vec!["UNI/USD".into()]), None);
        let edited = lists.record(vec!["AAVE/USD".into()]).unwrap();
        assert_eq!(
            edited.len(),
            2,
            "the default list's edit goes along: {edited:?}"
        );
        assert_eq!(edited[1], (Some("defi".into()), vec!["AAVE/USD".into()]));
        // Back to the default list: as edited.
        assert_eq!(
            lists.next().unwrap().1,
            vec!["BTC/USD".to_string(), "ETH/USD".to_string()]
        );
    }
}
