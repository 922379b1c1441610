use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// `HH:MM o h l c`, one candle per line.
fn wire(time: &str, ohlc: &str) -> WireCandle {
    let p: Vec<Decimal> = ohlc.split_whitespace().map(d).collect();
    WireCandle {
        open_time: at(&format!("2026-01-02T{time}:00Z")),
        open: p[0],
        high: p[1],
        low: p[2],
        close: p[3],
        volume: None,
        closed: None,
    }
}

fn shown(candles: &[Candle]) -> Vec<String> {
    candles
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {} {}{}",
                c.open_time.format("%H:%M"),
                c.open,
                c.high,
                c.low,
                c.close,
                if c.closed { "" } else { " open" }
            )
        })
        .collect()
}

#[test]
fn windows_fit_every_venues_cap_and_name_themselves() {
    for w in ChartWindow::ALL {
        assert!(w.count() <= 300, "{w}: OKX answers at most 300");
        assert_eq!(w.span(), w.interval() * i32::try_from(w.count()).unwrap());
    }
    assert_eq!(ChartWindow::Hour.span(), TimeDelta::hours(1));
    assert_eq!(ChartWindow::Day.span(), TimeDelta::hours(24));
    assert_eq!(ChartWindow::Week.span(), TimeDelta::days(7));
    assert_eq!(ChartWindow::Week.next(), ChartWindow::Hour);
    assert_eq!(
        ChartWindow::Day.bucket_start(at("2026-01-02T10:44:59Z")),
        at("2026-01-02T10:30:00Z")
    );
}

#[test]
fn normalise_sorts_dedups_trims_and_marks_the_open_candle() {
    let now = at("2026-01-02T10:02:30Z");
    let candles = normalise(
        vec![
            wire("10:02", "5 6 4 5"),
            wire("10:00", "1 2 1 2"),
            wire("10:01", "2 3 2 3"),
            // The same minute again, later in the body: the later entry wins.
            wire("10:01", "2 4 2 4"),
        ],
        ChartWindow::Hour,
        now,
    );
    assert_eq!(
        shown(&candles),
        ["10:00 1 2 1 2", "10:01 2 4 2 4", "10:02 5 6 4 5 open"]
    );
    // Only the newest `count` are kept.
    let many: Vec<WireCandle> = (0..70)
        .map(|m| {
            let mut c = wire("10:00", "1 1 1 1");
            c.open_time += TimeDelta::minutes(m);
            c
        })
        .collect();
    let kept = normalise(many, ChartWindow::Hour, now + TimeDelta::hours(2));
    assert_eq!(kept.len(), 60);
    assert_eq!(kept[0].open_time, at("2026-01-02T10:10:00Z"));
}

#[test]
fn a_candle_that_contradicts_itself_is_dropped() {
    let now = at("2026-01-02T11:00:00Z");
    let candles = normalise(
        vec![
            wire("10:00", "1 2 1 2"),
            wire("10:01", "5 4 3 5"), // open above the high
            wire("10:02", "2 1 3 2"), // high below the low
        ],
        ChartWindow::Hour,
        now,
    );
    assert_eq!(shown(&candles), ["10:00 1 2 1 2"]);
}

#[test]
fn live_ticks_move_the_open_candle_and_open_the_next() {
    let now = at("2026-01-02T10:01:30Z");
    let mut series = CandleSeries::new(
        ChartWindow::Hour,
        normalise(
            vec![wire("10:00", "1 2 1 2"), wire("10:01", "2 3 2 3")],
            ChartWindow::Hour,
            now,
        ),
    );
    series.push_tick(d("3.5"), at("2026-01-02T10:01:40Z"));
    series.push_tick(d("1.5"), at("2026-01-02T10:01:50Z"));
    // An older tick than the open candle changes nothing.
    series.push_tick(d("100"), at("2026-01-02T09:59:00Z"));
    assert_eq!(
        shown(&series.candles),
        ["10:00 1 2 1 2", "10:01 2 3.5 1.5 1.5 open"]
    );
    series.push_tick(d("1.7"), at("2026-01-02T10:03:05Z"));
    assert_eq!(
        shown(&series.candles),
        [
            "10:00 1 2 1 2",
            "10:01 2 3.5 1.5 1.5",
            "10:03 1.7 1.7 1.7 1.7 open"
        ]
    );
    assert_eq!(series.range(), Some((d("1"), d("3.5"))));
    assert_eq!(series.last_close(), Some(d("1.7")));
}

#[test]
fn a_series_stays_within_its_window() {
    let mut series = CandleSeries::new(ChartWindow::Hour, Vec::new());
    assert_eq!(series.range(), None);
    let start = at("2026-01-02T10:00:00Z");
    for m in 0..75 {
        series.push_tick(Decimal::from(m), start + TimeDelta::minutes(m));
    }
    assert_eq!(series.candles.len(), 60);
    assert_eq!(series.candles[0].open, Decimal::from(15));
    assert_eq!(series.candles.iter().filter(|c| !c.closed).count(), 1);
}
