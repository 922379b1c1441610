use chrono::DateTime;

use super::*;
use crate::model::{FeedStatus, Source};
use crate::store::{Store, StoreLimits};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn lot(amount: &str, price: &str) -> Lot {
    Lot {
        amount: d(amount),
        price: d(price),
    }
}

fn sym(s: &str) -> Symbol {
    Symbol::parse_separated(s).unwrap()
}

fn quote(last: Option<&str>, bid: Option<&str>, ask: Option<&str>) -> Ticker {
    let mut t = Ticker::empty(
        ExchangeId::Kraken,
        sym("BTC/USD"),
        Source::Stream,
        DateTime::UNIX_EPOCH,
    );
    t.last = last.map(d);
    t.bid = bid.map(d);
    t.ask = ask.map(d);
    t
}

/// 0.3 BTC/USD bought in two lots, for 10,500.025 in all; no amount given.
fn two_lots() -> Holding {
    Holding::new(
        sym("BTC/USD"),
        None,
        None,
        vec![lot("0.25", "30000"), lot("0.05", "60000.50")],
    )
    .unwrap()
}

#[test]
fn the_amount_defaults_to_the_lots_and_bad_holdings_are_refused() {
    let h = two_lots();
    assert_eq!(h.amount, d("0.30"));
    assert_eq!(h.cost(), Some(d("10500.0250")));
    assert_eq!(
        Holding::new(sym("BTC/USD"), None, None, vec![]),
        Err(HoldingError::Empty)
    );
    let too_many = Holding::new(sym("BTC/USD"), None, Some(d("0.2")), vec![lot("0.3", "1")]);
    assert_eq!(
        too_many.unwrap_err().to_string(),
        "its lots add up to 0.3, more than its amount 0.2; fix one of them"
    );
    for bad in [
        Holding::new(sym("BTC/USD"), None, Some(d("-1")), vec![]),
        Holding::new(sym("BTC/USD"), None, None, vec![lot("0", "1")]),
        Holding::new(sym("BTC/USD"), None, None, vec![lot("1", "-1")]),
    ] {
        assert!(matches!(bad, Err(HoldingError::Negative(_))), "{bad:?}");
    }
    // An amount without lots is fine: valued, no P&L.
    let plain = Holding::new(sym("ETH/USD"), None, Some(d("2")), vec![]).unwrap();
    assert_eq!(plain.cost(), None);
}

#[test]
fn the_mark_is_the_last_trade_unless_the_book_moved_away_from_it() {
    let cases = [
        // (last, bid, ask) -> mark
        (
            (Some("100.5"), Some("100.4"), Some("100.6")),
            Some(("100.5", MarkKind::Last)),
        ),
        // Last below the bid: stale, the mid of the book instead.
        (
            (Some("99"), Some("100.4"), Some("100.6")),
            Some(("100.5", MarkKind::Mid)),
        ),
        (
            (Some("101"), Some("100.4"), Some("100.6")),
            Some(("100.5", MarkKind::Mid)),
        ),
        // No last trade: the mid.
        ((None, Some("1"), Some("2")), Some(("1.5", MarkKind::Mid))),
        // No book: the last trade as it is.
        ((Some("7"), None, Some("8")), Some(("7", MarkKind::Last))),
        ((None, Some("1"), None), None),
        // A crossed book is no book.
        (
            (Some("5"), Some("6"), Some("4")),
            Some(("5", MarkKind::Last)),
        ),
    ];
    for ((last, bid, ask), want) in cases {
        let got = mark(&quote(last, bid, ask)).map(|m| (m.price.to_string(), m.kind));
        let want = want.map(|(p, k)| (p.to_string(), k));
        assert_eq!(got, want, "{last:?} {bid:?} {ask:?}");
    }
}

#[test]
fn value_and_pnl_are_exact_and_lots_short_of_the_amount_are_partial() {
    let at = |p: &str| Mark {
        price: d(p),
        kind: MarkKind::Last,
    };
    // 0.3 bought for 10,500.025 in all, worth 40,000.1 each now.
    let h = two_lots();
    let v = value(&h, at("40000.1"));
    assert_eq!(v.value, d("12000.030"));
    assert_eq!(v.pnl, Some(d("1500.0050")));
    assert_eq!(v.pnl_pct.unwrap().round_dp(6), d("14.285728"));
    assert!(!v.partial());
    // One BTC held, lots for 0.3 of it: all of it valued, P&L on the 0.3 only.
    let part = Holding::new(sym("BTC/USD"), None, Some(d("1")), h.lots.clone()).unwrap();
    let v = value(&part, at("40000.1"));
    assert_eq!(v.value, d("40000.1"));
    assert_eq!(v.pnl, Some(d("1500.0050")));
    assert_eq!(v.uncosted, d("0.70"));
    assert!(v.partial());
    // No lots: a value, no P&L.
    let bare = Holding::new(sym("BTC/USD"), None, Some(d("2")), vec![]).unwrap();
    let v = value(&bare, at("3"));
    assert_eq!((v.value, v.pnl, v.pnl_pct), (d("6"), None, None));
    // Given away (price 0): P&L but no percent.
    let gift = Holding::new(sym("BTC/USD"), None, None, vec![lot("1", "0")]).unwrap();
    let v = value(&gift, at("5"));
    assert_eq!((v.pnl, v.pnl_pct), (Some(d("5")), None));
}

#[test]
fn totals_are_per_quote_and_never_mix_currencies() {
    let at = |p: &str| Mark {
        price: d(p),
        kind: MarkKind::Last,
    };
    let btc = Holding::new(sym("BTC/USD"), None, None, vec![lot("1", "100")]).unwrap();
    let eth = Holding::new(sym("ETH/USD"), None, Some(d("2")), vec![]).unwrap();
    let sol = Holding::new(sym("SOL/USDT"), None, None, vec![lot("10", "20")]).unwrap();
    let xrp = Holding::new(sym("XRP/USDT"), None, Some(d("5")), vec![]).unwrap();
    let vb = value(&btc, at("150"));
    let ve = value(&eth, at("10"));
    let vs = value(&sol, at("18"));
    let t = totals([
        (&btc, Some(&vb)),
        (&eth, Some(&ve)),
        (&sol, Some(&vs)),
        (&xrp, None),
    ]);
    assert_eq!(t.len(), 2);
    assert_eq!(t[0].quote, "USD");
    assert_eq!(t[0].value, d("170"));
    assert_eq!(t[0].pnl, d("50"));
    assert_eq!(t[0].pnl_pct, Some(d("50")));
    assert!(t[0].partial, "ETH has no cost basis");
    assert_eq!(t[0].unpriced, 0);
    assert_eq!(t[1].quote, "USDT");
    assert_eq!(t[1].value, d("180"));
    assert_eq!(t[1].pnl, d("-20"));
    assert_eq!(t[1].pnl_pct, Some(d("-10")));
    assert!(!t[1].partial);
    assert_eq!(t[1].unpriced, 1, "XRP has no price yet");
}

#[test]
fn a_holding_without_a_venue_is_valued_once_on_the_first_venue_with_a_price() {
    let store = Store::new(StoreLimits::default());
    let t0 = DateTime::UNIX_EPOCH;
    for ex in [ExchangeId::Coinbase, ExchangeId::Kraken] {
        store.add_feed(ex, t0);
        store.transition(ex, FeedStatus::Connected, "", t0);
        store.add_symbol(ex, &sym("BTC/USD"), None);
    }
    let anywhere = Holding::new(sym("BTC/USD"), None, Some(d("1")), vec![]).unwrap();
    let on_kraken = Holding::new(
        sym("BTC/USD"),
        Some(ExchangeId::Kraken),
        Some(d("1")),
        vec![],
    )
    .unwrap();
    let elsewhere = Holding::new(sym("ETH/USD"), None, Some(d("1")), vec![]).unwrap();
    let holdings = [anywhere, on_kraken, elsewhere];
    let row_of =
        |snap: &Snapshot, i: Option<usize>| i.map(|i| snap.rows[i].exchange.as_str().to_string());
    // No prices yet: the pinned one has its row, the others none.
    let snap = store.snapshot();
    let p = placements(&holdings, &snap);
    assert_eq!(row_of(&snap, p[0]), None);
    assert_eq!(row_of(&snap, p[1]).as_deref(), Some("kraken"));
    assert_eq!(p[2], None);
    // Kraken prices first; Coinbase (started first) then has one too and takes it.
    let mut t = quote(Some("100"), None, None);
    store.apply(t.clone());
    let snap = store.snapshot();
    assert_eq!(
        row_of(&snap, placements(&holdings, &snap)[0]).as_deref(),
        Some("kraken")
    );
    t.exchange = ExchangeId::Coinbase;
    store.apply(t);
    let snap = store.snapshot();
    let p = placements(&holdings, &snap);
    assert_eq!(row_of(&snap, p[0]).as_deref(), Some("coinbase"));
    assert_eq!(row_of(&snap, p[1]).as_deref(), Some("kraken"));
    // Valued once: the Coinbase row only.
    assert_eq!(p.iter().filter(|i| **i == p[0]).count(), 1);
}
