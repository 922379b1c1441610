//! The canonical market name [`Symbol`] (`BASE/QUOTE`, upper case) and [`PairList`], which
//! turns whatever a trader types into a venue's listed market. Venue specifics (asset
//! aliases, wire names) arrive as data from the adapters; no venue is named here.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// `BASE/QUOTE`, upper case. Cheap to clone (one shared allocation).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol {
    text: Arc<str>,
    /// Byte offset of the `/`. A full `usize`: a base longer than 255 bytes (a hostile
    /// pair list) must still split on a character boundary.
    slash: usize,
}

impl Symbol {
    /// Asset codes come from pair lists fetched over the network, so only printable ASCII
    /// letters, digits and `.`/`_` are kept: no escape sequence can reach the screen.
    pub fn new(base: &str, quote: &str) -> Self {
        let clean = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
                .take(24)
                .map(|c| c.to_ascii_uppercase())
                .collect()
        };
        let base = clean(base);
        let quote = clean(quote);
        let slash = base.len();
        Symbol {
            text: Arc::from(format!("{base}/{quote}")),
            slash,
        }
    }

    /// A name for input that is no market at all (`💩/USD`, text with escape codes), so
    /// that it can stand in an error row as the user typed it: escape sequences and
    /// control characters removed, at most 24 characters. Never subscribed.
    pub fn unparsed(input: &str) -> Self {
        let text: String = crate::sanitize::clean(input.trim())
            .chars()
            .take(24)
            .collect();
        let slash = text.find('/').unwrap_or(text.len());
        Symbol {
            text: Arc::from(text),
            slash,
        }
    }

    /// The base asset code: `BTC` in `BTC/USD`.
    pub fn base(&self) -> &str {
        &self.text[..self.slash]
    }

    /// The quote asset code, the currency prices are in: `USD` in `BTC/USD`.
    pub fn quote(&self) -> &str {
        &self.text[self.slash + 1..]
    }

    /// The whole name, `BASE/QUOTE`; what `Display` and `Serialize` give too.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Split a spelling with a separator (`BTC/USD`, `btc-usd`, `BTC_USD`, `btc usd`).
    /// Spellings without one (`BTCUSD`) need a venue's pair list: see [`PairList::resolve`].
    pub fn parse_separated(input: &str) -> Option<Symbol> {
        let s = input.trim();
        let (base, quote) = s.split_once(['/', '-', '_', ' ', ':'])?;
        let ok = |p: &str| {
            !p.is_empty() && p.len() <= 20 && p.chars().all(|c| c.is_ascii_alphanumeric())
        };
        (ok(base) && ok(quote)).then(|| Symbol::new(base, quote))
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", self.text)
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// One market a venue lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// Canonical name, with the venue's asset aliases undone (`XBT` → `BTC`).
    pub symbol: Symbol,
    /// The name the venue's WebSocket uses (`BTC/USD`, `btcusdt`, `BTC-USD`).
    pub wire: String,
    /// The name the venue's REST ticker takes (`XBTUSD`, `BTCUSDT`).
    pub rest: String,
    /// Decimal places the venue quotes prices with, when it says.
    pub price_decimals: Option<u32>,
    /// Other names the venue uses for the same market (`XXBTZUSD`, `XBT/USD`).
    pub aliases: Vec<String>,
}

/// Why a typed symbol does not name a listed market.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SymbolError {
    /// The input cannot be read as a market: empty, too long, or (without a pair list)
    /// not splittable into base and quote.
    #[error("'{input}' is not a market symbol (try BASE/QUOTE, e.g. BTC/USD)")]
    Malformed {
        /// The input, trimmed.
        input: String,
    },
    /// The venue lists no market by that spelling.
    #[error("{}", unknown_message(.input, .venue, .suggestions))]
    Unknown {
        /// The input, trimmed.
        input: String,
        /// The venue's name (`kraken`).
        venue: String,
        /// Up to three listed markets closest to the input, `BASE/QUOTE`, best first
        /// ([`PairList::suggest`]).
        suggestions: Vec<String>,
    },
}

fn unknown_message(input: &str, venue: &str, suggestions: &[String]) -> String {
    let mut msg = format!("{venue} does not list {input}");
    if !suggestions.is_empty() {
        msg = format!("{msg}; did you mean {}?", suggestions.join(", "));
    }
    msg
}

/// A venue's markets, indexed by every spelling a trader may type.
#[derive(Debug, Clone, Default)]
pub struct PairList {
    venue: String,
    instruments: Vec<Instrument>,
    /// Normalised spelling (upper case, separators removed) → index into `instruments`.
    index: HashMap<String, usize>,
    /// Venue asset code → canonical code (`XBT` → `BTC`).
    asset_aliases: HashMap<String, String>,
    /// Opt-in quote mapping from the config (`USD` → `USDT`), tried only when the pair as
    /// typed is not listed, so a listed pair is never swapped for another.
    quote_aliases: HashMap<String, String>,
}

/// Quote currencies tried, longest first, when a spelling without a separator must be split
/// with no pair list at hand.
const COMMON_QUOTES: [&str; 14] = [
    "FDUSD", "USDT", "USDC", "TUSD", "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "BTC", "ETH",
    "XBT",
];

fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl PairList {
    /// `asset_aliases` maps venue asset codes to canonical ones, e.g. `[("XBT", "BTC")]`;
    /// they are applied both ways when matching what a trader typed.
    pub fn new(venue: &str, instruments: Vec<Instrument>, asset_aliases: &[(&str, &str)]) -> Self {
        let mut list = PairList {
            venue: venue.to_string(),
            instruments: Vec::with_capacity(instruments.len()),
            index: HashMap::new(),
            asset_aliases: asset_aliases
                .iter()
                .map(|(from, to)| ((*from).to_string(), (*to).to_string()))
                .collect(),
            quote_aliases: HashMap::new(),
        };
        for inst in instruments {
            list.insert(inst);
        }
        list
    }

    fn insert(&mut self, inst: Instrument) {
        let i = self.instruments.len();
        let mut names = vec![
            squash(inst.symbol.as_str()),
            squash(&inst.wire),
            squash(&inst.rest),
        ];
        names.extend(inst.aliases.iter().map(|a| squash(a)));
        for name in names {
            // The first market to claim a spelling keeps it.
            self.index.entry(name).or_insert(i);
        }
        self.instruments.push(inst);
    }

    /// The venue asset codes read as other codes (`("XBT", "BTC")`), as given to
    /// [`PairList::new`]: with [`PairList::instruments`], what rebuilds the list elsewhere.
    pub fn asset_aliases(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .asset_aliases
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect();
        out.sort();
        out
    }

    /// Map typed quotes to listed ones (`USD` → `USDT`) when the typed pair is not listed.
    pub fn set_quote_aliases<'a>(&mut self, aliases: impl IntoIterator<Item = (&'a str, &'a str)>) {
        self.quote_aliases = aliases
            .into_iter()
            .map(|(from, to)| (squash(from), squash(to)))
            .collect();
    }

    /// The venue's name (`kraken`).
    pub fn venue(&self) -> &str {
        &self.venue
    }

    /// Whether it lists no market.
    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }

    /// How many markets it lists.
    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    /// Every listed market, in the order the adapter gave them.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// The market whose canonical name is exactly `symbol`, if listed.
    pub fn get(&self, symbol: &Symbol) -> Option<&Instrument> {
        self.index
            .get(&squash(symbol.as_str()))
            .map(|&i| &self.instruments[i])
            .filter(|inst| &inst.symbol == symbol)
    }

    fn canonical_asset<'a>(&'a self, code: &'a str) -> &'a str {
        self.asset_aliases.get(code).map_or(code, String::as_str)
    }

    /// Turn any spelling (`BTC/USD`, `btc-usd`, `BTCUSD`, `XBT/USD`, `XXBTZUSD`) into the
    /// listed market, or an error that names the closest listed ones.
    pub fn resolve(&self, input: &str) -> Result<&Instrument, SymbolError> {
        let err = match self.resolve_listed(input) {
            Ok(inst) => return Ok(inst),
            Err(e) => e,
        };
        let mapped = Symbol::parse_separated(input)
            .or_else(|| split_without_list(input))
            .and_then(|s| {
                let quote = self.quote_aliases.get(s.quote())?;
                self.resolve_listed(&format!("{}/{quote}", s.base())).ok()
            });
        mapped.ok_or(err)
    }

    fn resolve_listed(&self, input: &str) -> Result<&Instrument, SymbolError> {
        let trimmed = input.trim();
        if trimmed.is_empty() || trimmed.len() > 40 {
            return Err(SymbolError::Malformed {
                input: trimmed.to_string(),
            });
        }
        if let Some(sym) = Symbol::parse_separated(trimmed) {
            let base = self.canonical_asset(sym.base());
            let quote = self.canonical_asset(sym.quote());
            let canonical = format!("{base}{quote}");
            if let Some(&i) = self.index.get(&canonical) {
                return Ok(&self.instruments[i]);
            }
        }
        let squashed = squash(trimmed);
        if squashed.is_empty() {
            return Err(SymbolError::Malformed {
                input: trimmed.to_string(),
            });
        }
        if let Some(&i) = self.index.get(&squashed) {
            return Ok(&self.instruments[i]);
        }
        // Undo asset aliases inside a squashed spelling: XBTUSD → BTCUSD.
        for (alias, canonical) in &self.asset_aliases {
            if let Some(rest) = squashed.strip_prefix(alias.as_str()) {
                let candidate = format!("{canonical}{}", self.canonical_asset(rest));
                if let Some(&i) = self.index.get(&candidate) {
                    return Ok(&self.instruments[i]);
                }
            }
        }
        Err(SymbolError::Unknown {
            input: trimmed.to_string(),
            venue: self.venue.clone(),
            suggestions: self.suggest(trimmed),
        })
    }

    /// Up to three listed markets closest to `input`: same base first, then by edit distance.
    pub fn suggest(&self, input: &str) -> Vec<String> {
        let wanted = Symbol::parse_separated(input)
            .or_else(|| split_without_list(input))
            .map(|s| {
                Symbol::new(
                    self.canonical_asset(s.base()),
                    self.canonical_asset(s.quote()),
                )
            });
        let target = wanted
            .as_ref()
            .map_or_else(|| squash(input), |s| s.as_str().to_string());
        let mut scored: Vec<(usize, &Instrument)> = self
            .instruments
            .iter()
            .map(|inst| {
                let mut score = strsim::levenshtein(&target, inst.symbol.as_str()) * 10;
                if let Some(w) = &wanted {
                    if inst.symbol.base() == w.base() {
                        score = score.saturating_sub(25);
                    }
                    if inst.symbol.quote() == w.quote() {
                        score = score.saturating_sub(5);
                    }
                }
                (score, inst)
            })
            .collect();
        scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.symbol.cmp(&b.1.symbol)));
        scored
            .into_iter()
            .take(3)
            .filter(|(score, _)| *score <= 40)
            .map(|(_, inst)| inst.symbol.to_string())
            .collect()
    }
}

/// Best-effort split of `BTCUSDT`-style spellings by well-known quote currencies, for when
/// the venue's pair list could not be fetched.
pub fn split_without_list(input: &str) -> Option<Symbol> {
    let s = squash(input);
    COMMON_QUOTES.iter().find_map(|q| {
        let base = s.strip_suffix(q)?;
        (!base.is_empty()).then(|| Symbol::new(base, q))
    })
}

/// Parse a spelling with no pair list: separated forms, else a split on common quotes.
pub fn parse_without_list(input: &str) -> Result<Symbol, SymbolError> {
    Symbol::parse_separated(input)
        .or_else(|| split_without_list(input))
        .ok_or_else(|| SymbolError::Malformed {
            input: input.trim().to_string(),
        })
}

#[cfg(test)]
mod tests;
