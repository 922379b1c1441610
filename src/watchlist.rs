//! The dashboard's side of the watchlist. The engine's [`Watchlist`] owns what each venue
//! watches and tells the feeds; here it is started from the run's settings and kept in the
//! config file's `symbols` array, through the config writer task ([`ConfigWriter`]), so a
//! keystroke never waits on the disk.

use std::collections::BTreeMap;

use crate::config::{ConfigWriter, SaveSymbols};
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

/// Keeps the watchlist in the config file's `symbols`: plain `BASE/QUOTE` with one feed
/// running, `venue:BASE/QUOTE` with several (a plain name there means every venue).
#[derive(Debug)]
pub struct ConfigFile {
    writer: ConfigWriter,
    several: bool,
}

impl ConfigFile {
    /// Save through `writer`; `several`: more than one feed runs.
    pub fn new(writer: ConfigWriter, several: bool) -> Self {
        ConfigFile { writer, several }
    }
}

impl WatchlistStore for ConfigFile {
    fn save(&mut self, list: &[(ExchangeId, String)]) {
        self.writer
            .submit(SaveSymbols(config_names(list, self.several)));
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
}
