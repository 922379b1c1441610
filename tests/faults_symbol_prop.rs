//! Properties of the symbol parser: nothing a trader (or a venue) types makes it panic, and
//! every listed market is found again from each of its spellings.

use std::sync::OnceLock;

use pricewire_core::exchange::Exchange;
use pricewire_core::exchange::kraken::Kraken;
use pricewire_core::symbol::{Instrument, PairList, Symbol, parse_without_list};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

fn inst(base: &str, quote: &str, rest: &str, aliases: &[&str]) -> Instrument {
    let symbol = Symbol::new(base, quote);
    Instrument {
        wire: symbol.to_string(),
        symbol,
        rest: rest.to_string(),
        price_decimals: Some(2),
        aliases: aliases.iter().map(ToString::to_string).collect(),
    }
}

fn list() -> PairList {
    PairList::new(
        "kraken",
        vec![
            inst("BTC", "USD", "XBTUSD", &["XXBTZUSD", "XBT/USD"]),
            inst("ETH", "USD", "ETHUSD", &["XETHZUSD"]),
            inst("ETH", "BTC", "ETHXBT", &["XETHXXBT", "ETH/XBT"]),
            inst("DOGE", "USD", "XDGUSD", &["XDGUSD", "XDG/USD"]),
            inst("SOL", "EUR", "SOLEUR", &[]),
            inst("USDT", "USD", "USDTZUSD", &["USDT/USD"]),
            inst("1INCH", "EUR", "1INCHEUR", &[]),
        ],
        &[("XBT", "BTC"), ("XDG", "DOGE")],
    )
}

/// The small list, and the venue's whole recorded list.
fn lists() -> &'static [PairList] {
    static LISTS: OnceLock<Vec<PairList>> = OnceLock::new();
    LISTS.get_or_init(load)
}

fn load() -> Vec<PairList> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/recorded/kraken/rest-AssetPairs.json"
    );
    // The venue's whole list must be there: without it the properties would check less
    // than they claim.
    let body = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("recorded fixture {path} cannot be read: {e}"));
    let full = Kraken::default()
        .parse_pair_list(&body)
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    vec![list(), full]
}

/// Text that looks like a symbol often enough to reach the deeper branches.
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9]{0,12}[/_: -]{0,3}[a-zA-Z0-9]{0,12}",
        "[ \t]*(xbt|btc|eth|doge|xdg|usd|usdt|eur|1inch)[/-]?(usd|eur|xbt|btc|usdt)[ \t]*",
        "\\PC{0,60}",
        "[A-Z]{200,300}",
        "(é|ß|漢|\u{1b}|\u{0}){0,200}[/-]?[A-Z]{0,5}",
    ]
}

/// A spelling of `symbol` in one of the styles traders use, with its case mixed by `mask`.
fn spell(symbol: &Symbol, style: u8, mask: u64) -> String {
    let (b, q) = (symbol.base(), symbol.quote());
    let plain = match style % 6 {
        0 => format!("{b}/{q}"),
        1 => format!("{b}-{q}"),
        2 => format!("{b}_{q}"),
        3 => format!("{b}{q}"),
        4 => format!("  {b} {q} "),
        _ => format!("{b}:{q}"),
    };
    plain
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_lowercase()
            } else {
                c
            }
        })
        .collect()
}

/// `cases` cases; a failing case is kept in this file's tracked regression file under
/// `proptest-regressions/` (beside those of the unit tests), never in a new file.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/proptest-regressions/tests/faults_symbol_prop.txt"
        )))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn resolve_never_panics(input in typed()) {
        for list in lists() {
            match list.resolve(&input) {
                Ok(found) => prop_assert!(list.get(&found.symbol).is_some()),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            let _ = list.suggest(&input);
        }
        let _ = parse_without_list(&input);
        let _ = Symbol::parse_separated(&input);
    }

    #[test]
    fn listed_spellings_round_trip(pick in any::<prop::sample::Index>(), style in any::<u8>(), mask in any::<u64>()) {
        for list in lists() {
            let inst = pick.get(list.instruments()).clone();
            let typed = spell(&inst.symbol, style, mask);
            let found = list.resolve(&typed);
            // A squashed spelling may belong to an earlier market (first claim wins).
            if style % 6 == 3 {
                prop_assert!(found.is_ok(), "{}", typed);
            } else {
                prop_assert_eq!(&found.as_ref().map(|i| &i.symbol).ok(), &Some(&inst.symbol), "{}", typed);
            }
            prop_assert_eq!(&list.resolve(&inst.wire).unwrap().symbol, &inst.symbol);
            for alias in &inst.aliases {
                prop_assert!(list.resolve(alias).is_ok(), "{}", alias);
            }
            let printed = inst.symbol.to_string();
            prop_assert_eq!(&list.resolve(&printed).unwrap().symbol, &inst.symbol);
        }
    }

    #[test]
    fn symbols_split_where_they_were_joined(base in "[A-Z0-9]{1,20}", quote in "[A-Z0-9]{1,20}") {
        let s = Symbol::new(&base, &quote);
        prop_assert_eq!(s.base(), base.as_str());
        prop_assert_eq!(s.quote(), quote.as_str());
        prop_assert_eq!(Symbol::parse_separated(&s.to_string()), Some(s));
    }

    #[test]
    fn symbols_from_any_text_never_panic(base in "\\PC{0,300}", quote in "\\PC{0,30}") {
        let s = Symbol::new(&base, &quote);
        prop_assert_eq!(s.to_string(), format!("{}/{}", s.base(), s.quote()));
    }
}

/// Found by `symbols_from_any_text_never_panic`: a base over 255 bytes that is not ASCII
/// (a venue's pair list names assets; a hostile one can send anything) split mid-character.
#[test]
fn long_non_ascii_base_regression() {
    let base = "é".repeat(200);
    let s = Symbol::new(&base, "USD");
    // Asset codes keep printable ASCII only, so nothing is split mid-character.
    assert!(s.base().is_ascii());
    assert_eq!(s.quote(), "USD");
    let mixed = Symbol::new(&format!("{}BTC", "é".repeat(200)), "usd");
    assert_eq!((mixed.base(), mixed.quote()), ("BTC", "USD"));
}
