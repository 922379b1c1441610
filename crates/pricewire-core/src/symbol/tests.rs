use super::*;

fn inst(base: &str, quote: &str, wire: &str, rest: &str, aliases: &[&str]) -> Instrument {
    Instrument {
        symbol: Symbol::new(base, quote),
        wire: wire.to_string(),
        rest: rest.to_string(),
        price_decimals: Some(1),
        aliases: aliases.iter().map(|a| (*a).to_string()).collect(),
    }
}

fn kraken_like() -> PairList {
    PairList::new(
        "kraken",
        vec![
            inst("BTC", "USD", "BTC/USD", "XBTUSD", &["XXBTZUSD", "XBT/USD"]),
            inst("ETH", "USD", "ETH/USD", "ETHUSD", &["XETHZUSD"]),
            inst("BTC", "EUR", "BTC/EUR", "XBTEUR", &["XXBTZEUR"]),
            inst("DOGE", "USD", "DOGE/USD", "XDGUSD", &["XDGUSD"]),
            inst("BTC", "USDT", "BTC/USDT", "XBTUSDT", &[]),
        ],
        &[("XBT", "BTC"), ("XDG", "DOGE")],
    )
}

#[test]
fn every_spelling_resolves() {
    let list = kraken_like();
    let cases = [
        ("BTC/USD", "BTC/USD"),
        ("btc-usd", "BTC/USD"),
        ("BTCUSD", "BTC/USD"),
        ("XBT/USD", "BTC/USD"),
        ("XBTUSD", "BTC/USD"),
        ("XXBTZUSD", "BTC/USD"),
        ("BTCUSDT", "BTC/USDT"),
        ("xbt_usdt", "BTC/USDT"),
        ("XDG/USD", "DOGE/USD"),
        ("doge usd", "DOGE/USD"),
        (" eth/usd ", "ETH/USD"),
    ];
    for (input, want) in cases {
        let got = list
            .resolve(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(got.symbol.as_str(), want, "{input}");
    }
}

#[test]
fn unknown_symbol_suggests_close_markets() {
    let list = kraken_like();
    let err = list.resolve("BTC/USX").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("kraken does not list BTC/USX"), "{msg}");
    assert!(msg.contains("did you mean BTC/USD"), "{msg}");
    assert!(matches!(
        list.resolve("NOPE/USD"),
        Err(SymbolError::Unknown { .. })
    ));
    assert!(matches!(
        list.resolve("!!"),
        Err(SymbolError::Malformed { .. })
    ));
}

#[test]
fn quote_aliases_apply_only_when_the_typed_pair_is_not_listed() {
    let mut list = PairList::new(
        "binance",
        vec![
            inst("BTC", "USDT", "BTCUSDT", "BTCUSDT", &[]),
            inst("ETH", "USD", "ETHUSD", "ETHUSD", &[]),
            inst("ETH", "USDT", "ETHUSDT", "ETHUSDT", &[]),
        ],
        &[],
    );
    assert!(list.resolve("BTC/USD").is_err());
    list.set_quote_aliases([("usd", "usdt")]);
    assert_eq!(list.resolve("BTC/USD").unwrap().symbol.as_str(), "BTC/USDT");
    assert_eq!(list.resolve("btcusd").unwrap().symbol.as_str(), "BTC/USDT");
    // A listed pair is never swapped.
    assert_eq!(list.resolve("ETH/USD").unwrap().symbol.as_str(), "ETH/USD");
    assert!(list.resolve("NOPE/USD").is_err());
}

#[test]
fn network_asset_codes_cannot_carry_escapes() {
    let s = Symbol::new("\u{1b}[31mBTC", "US\u{7}D\n");
    assert_eq!(s.as_str(), "31MBTC/USD");
    assert_eq!((s.base(), s.quote()), ("31MBTC", "USD"));
}

#[test]
fn symbol_parts() {
    let s = Symbol::parse_separated("sol-usdt").unwrap();
    assert_eq!(
        (s.base(), s.quote(), s.as_str()),
        ("SOL", "USDT", "SOL/USDT")
    );
    assert!(Symbol::parse_separated("BTCUSD").is_none());
    assert_eq!(parse_without_list("BTCUSDT").unwrap().as_str(), "BTC/USDT");
    assert_eq!(parse_without_list("ethbtc").unwrap().as_str(), "ETH/BTC");
}
