//! The run loop on a `TestBackend`, fed key events through a channel and prices through a
//! real `Store`: it quits on `q`, turns keys into feed commands, saves the watchlist, caps
//! frames (counted on the paused clock) and draws nothing more than the 1 s tick while
//! idle.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::Stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use pricewire::app::keys::Action;
use pricewire::app::title::WindowTitle;
use pricewire::app::{App, LoopStats, run_loop};
use pricewire::config::Config;
use pricewire::ui::theme::Theme;
use pricewire::view::state::{Mode, Status};
use pricewire_core::Watchlist;
use pricewire_core::feed::command::{Command, FeedHandle, Feeds};
use pricewire_core::model::{ExchangeId, FeedStatus, Source, Ticker};
use pricewire_core::store::{Store, StoreLimits};
use pricewire_core::symbol::Symbol;

type Keys = mpsc::UnboundedSender<io::Result<Event>>;

fn sym(s: &str) -> Symbol {
    Symbol::parse_separated(s).unwrap()
}

fn key_stream() -> (Keys, impl Stream<Item = io::Result<Event>> + Unpin) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    (
        tx,
        futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)),
    )
}

fn press(keys: &Keys, code: KeyCode) {
    keys.send(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
        .unwrap();
}

/// The symbol of the market an add carries (resolved on the dashboard's side, wire names
/// and all).
/// The config file once the writer has reported on every edit so far.
async fn saved(app: &mut App, path: &Path) -> String {
    app.settle().await;
    std::fs::read_to_string(path).unwrap()
}

fn added(command: Command) -> Symbol {
    match command {
        Command::Add(market) => market.symbol,
        other => panic!("expected an add, got {other:?}"),
    }
}

/// A store with a live kraken feed and BTC/USD, ETH/USD, the watchlist the feed was
/// started with, and the feed's command channel.
fn market() -> (Arc<Store>, Watchlist, mpsc::Receiver<Command>) {
    let store = Store::new(StoreLimits::default());
    let now = Utc::now();
    store.add_feed(ExchangeId::Kraken, now);
    store.transition(ExchangeId::Kraken, FeedStatus::Connected, "subscribed", now);
    store.add_symbol(ExchangeId::Kraken, &sym("BTC/USD"), Some(1));
    store.add_symbol(ExchangeId::Kraken, &sym("ETH/USD"), Some(2));
    let (tx, rx) = mpsc::channel(16);
    let handle = FeedHandle::new(ExchangeId::Kraken, tx, Arc::new(RwLock::new(None)));
    let typed = ["BTC/USD", "ETH/USD"].map(|s| (ExchangeId::Kraken, s.to_string()));
    (store, Watchlist::new(Feeds::new(vec![handle]), typed), rx)
}

/// The market's dashboard on an 80x24 test terminal; the feed's command channel last.
fn dashboard() -> (
    Arc<Store>,
    App,
    Terminal<TestBackend>,
    mpsc::Receiver<Command>,
) {
    let (store, feeds, commands) = market();
    let app = App::new(feeds, &Config::default(), None);
    let term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    (store, app, term, commands)
}

/// A token cancelled `after` from now (on the paused clock in the tests that use it).
fn cancelled_after(after: Duration) -> CancellationToken {
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        stop.cancel();
    });
    shutdown
}

fn temp_config(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pricewire-ui-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        "# my list\nsymbols = [\"BTC/USD\", \"ETH/USD\"] # keep\n",
    )
    .unwrap();
    path
}

fn screen_text(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

async fn drive(
    term: &mut Terminal<TestBackend>,
    events: impl Stream<Item = io::Result<Event>> + Unpin,
    store: &Store,
    app: &mut App,
    fps: u32,
    shutdown: CancellationToken,
) -> LoopStats {
    tokio::time::timeout(
        Duration::from_secs(20),
        run_loop(term, events, store, app, &Theme::default(), fps, shutdown),
    )
    .await
    .expect("the loop did not end")
    .unwrap()
}

/// Drive the loop at 30 fps over `keys` (the last one quits) until it ends.
async fn drive_keys(
    term: &mut Terminal<TestBackend>,
    store: &Store,
    app: &mut App,
    keys: &[KeyCode],
) -> LoopStats {
    let (tx, events) = key_stream();
    for code in keys {
        press(&tx, *code);
    }
    drive(term, events, store, app, 30, CancellationToken::new()).await
}

#[tokio::test]
async fn keys_become_commands_and_the_watchlist_is_saved() {
    let (store, feeds, mut commands) = market();
    let path = temp_config("keys");
    let mut app = App::new(feeds, &Config::default(), Some(path.clone()));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let typed = "sol-usd".chars().map(KeyCode::Char);
    let keys: Vec<KeyCode> = [KeyCode::Char('j'), KeyCode::Char('d'), KeyCode::Char('a')]
        .into_iter()
        .chain(typed)
        .chain([KeyCode::Enter, KeyCode::Char('r'), KeyCode::Char('q')])
        .collect();
    let stats = drive_keys(&mut term, &store, &mut app, &keys).await;
    assert!(stats.frames >= 1);
    // Saving is the config writer's: wait for its report.
    app.settle().await;

    let mut got = Vec::new();
    while let Ok(c) = commands.try_recv() {
        got.push(c);
    }
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0], Command::Remove(sym("ETH/USD")));
    assert_eq!(added(got[1].clone()), sym("SOL/USD"));
    assert_eq!(got[2], Command::Reconnect);
    // Dropped ETH and added SOL before the feed made either change: both kept.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# my list\n"), "{text}");
    assert!(
        text.contains("symbols = [\"BTC/USD\", \"SOL/USD\"] # keep"),
        "{text}"
    );
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_failed_save_is_shown_on_screen() {
    let (store, feeds, _commands) = market();
    // The config's directory is a regular file: the save cannot succeed.
    let blocker = std::env::temp_dir().join(format!("pricewire-ui-blocker-{}", std::process::id()));
    std::fs::write(&blocker, "").unwrap();
    let path = blocker.join("config.toml");
    let mut app = App::new(feeds, &Config::default(), Some(path));
    let snap = store.snapshot();
    app.sync(&snap);
    app.apply(Action::RemoveSelected, &snap);
    app.settle().await;
    match &app.view.status {
        Some(Status::Error(msg)) => {
            assert!(msg.contains("dropped kraken:BTC/USD"), "{msg}");
            assert!(msg.contains("not saved"), "{msg}");
        }
        other => panic!("expected an error status, got {other:?}"),
    }
    let mut term = Terminal::new(TestBackend::new(100, 24)).unwrap();
    // `q` quits before the frame cap allows a second frame; the first shows the error.
    drive_keys(&mut term, &store, &mut app, &[KeyCode::Char('q')]).await;
    assert!(
        screen_text(&term)
            .contains("✕ dropped kraken:BTC/USD (u undoes), but the watchlist was not saved")
    );
    std::fs::remove_file(&blocker).unwrap();
    assert!(!Path::new(&blocker).exists());
}

/// On the paused clock: with nothing changing, the loop draws a first frame and then one
/// per 1 s tick for the ages and countdowns, however high the frame cap. Stopped at 10.5 s,
/// that is the first frame and the ticks at 1 s, 2 s, … 10 s: eleven frames.
#[tokio::test(start_paused = true)]
async fn idle_dashboard_draws_only_on_the_tick() {
    let (store, mut app, mut term, _commands) = dashboard();
    let (_keys, events) = key_stream();
    let begin = tokio::time::Instant::now();
    let shutdown = cancelled_after(Duration::from_millis(10_500));
    let stats = drive(&mut term, events, &store, &mut app, 30, shutdown).await;
    assert_eq!(begin.elapsed(), Duration::from_millis(10_500));
    assert_eq!(stats.frames, 11, "{stats:?}");
    assert!(screen_text(&term).contains("● LIVE"));
}

/// On the paused clock: 1,500 updates, one a millisecond, then a last one. At 10 fps the
/// loop draws a first frame and then one per 100 ms while updates keep coming (the 1 s
/// ticks fall within those frames), so the count of frames is fixed by the time the
/// updates span, not by how many there are, and the screen ends on the last update. The
/// frame rate reached on a real clock under load is measured by `examples/bench_latency.rs
/// --draw` (`docs/BENCHMARKS.md`), not here.
#[tokio::test(start_paused = true)]
async fn bursts_of_ticks_are_coalesced_to_the_frame_cap() {
    const UPDATES: u64 = 1_500;
    let (store, mut app, mut term, _commands) = dashboard();
    let (_keys, events) = key_stream();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let writer = Arc::clone(&store);
    let begin = tokio::time::Instant::now();
    let feed = tokio::spawn(async move {
        let update = |last: rust_decimal::Decimal| {
            let mut t = Ticker::empty(
                ExchangeId::Kraken,
                sym("BTC/USD"),
                Source::Stream,
                Utc::now(),
            );
            t.last = Some(last);
            writer.apply(t);
        };
        for n in 0..UPDATES {
            update(rust_decimal::Decimal::new(
                970_000 + i64::try_from(n % 500).unwrap(),
                1,
            ));
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        update("97999.9".parse().unwrap());
        // Let the last update reach the screen, then stop.
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.cancel();
    });
    let stats = drive(&mut term, events, &store, &mut app, 10, shutdown).await;
    feed.await.unwrap();
    let spanned = begin.elapsed();
    let snap = store.snapshot();
    let row = snap
        .rows
        .iter()
        .find(|r| r.symbol == sym("BTC/USD"))
        .unwrap();
    assert_eq!(row.updates, UPDATES + 1);
    // A frame at the start, then at most one per 100 ms; at least one per 100 ms of the
    // 1.5 s the updates keep coming.
    let cap = 1 + spanned.as_millis() / 100;
    assert!(
        (15..=cap).contains(&u128::from(stats.frames)),
        "{stats:?} in {spanned:?} for {} updates",
        UPDATES + 1
    );
    assert!(screen_text(&term).contains("97,999.9"));
}

#[tokio::test]
async fn prompt_errors_keep_the_prompt_open_and_esc_cancels() {
    let (store, feeds, mut commands) = market();
    let mut app = App::new(feeds, &Config::default(), None);
    let snap = store.snapshot();
    for a in [
        Action::OpenAdd,
        Action::Type('!'),
        Action::Type('!'),
        Action::Submit,
    ] {
        app.apply(a, &snap);
    }
    let Mode::Adding(p) = &app.view.mode else {
        panic!("prompt closed");
    };
    assert_eq!(p.input, "!!");
    assert!(
        p.error.as_deref().unwrap().contains("not a market symbol"),
        "{p:?}"
    );
    // Typing clears the error; an already-listed symbol is refused too.
    app.apply(Action::ClearInput, &snap);
    for c in "btc/usd".chars() {
        app.apply(Action::Type(c), &snap);
    }
    app.apply(Action::Submit, &snap);
    let Mode::Adding(p) = &app.view.mode else {
        panic!("prompt closed");
    };
    assert_eq!(
        p.error.as_deref(),
        Some("BTC/USD is already on the kraken list")
    );
    app.apply(Action::Cancel, &snap);
    assert_eq!(app.view.mode, Mode::Normal);
    assert!(commands.try_recv().is_err());
}

/// Feeds for kraken and binance with their pair lists: BTC/USD on both, BNB/USDT on
/// binance only.
fn two_venue_feeds() -> (Feeds, mpsc::Receiver<Command>, mpsc::Receiver<Command>) {
    use pricewire_core::symbol::{Instrument, PairList};
    let inst = |s: &str| Instrument {
        symbol: sym(s),
        wire: s.to_string(),
        rest: s.to_string(),
        price_decimals: Some(2),
        aliases: Vec::new(),
    };
    let list = |venue: &str, names: &[&str]| {
        Arc::new(RwLock::new(Some(PairList::new(
            venue,
            names.iter().map(|n| inst(n)).collect(),
            &[],
        ))))
    };
    let (ktx, krx) = mpsc::channel(8);
    let (btx, brx) = mpsc::channel(8);
    let feeds = Feeds::new(vec![
        FeedHandle::new(ExchangeId::Kraken, ktx, list("kraken", &["BTC/USD"])),
        FeedHandle::new(
            ExchangeId::Binance,
            btx,
            list("binance", &["BTC/USD", "BNB/USDT"]),
        ),
    ]);
    (feeds, krx, brx)
}

fn add(app: &mut App, snap: &pricewire_core::store::Snapshot, text: &str) {
    app.apply(Action::OpenAdd, snap);
    for c in text.chars() {
        app.apply(Action::Type(c), snap);
    }
    app.apply(Action::Submit, snap);
}

fn status_text(app: &App) -> String {
    match &app.view.status {
        Some(Status::Info(s) | Status::Warning(s) | Status::Error(s)) => s.clone(),
        None => String::new(),
    }
}

#[tokio::test]
async fn the_add_prompt_tries_every_running_venue_and_says_where() {
    let (feeds, mut kraken, mut binance) = two_venue_feeds();
    let store = Store::new(StoreLimits::default());
    let mut app = App::new(feeds, &Config::default(), None);
    let snap = store.snapshot();
    add(&mut app, &snap, "bnb/usdt");
    assert_eq!(app.view.mode, Mode::Normal, "{:?}", app.view.mode);
    assert_eq!(added(binance.try_recv().unwrap()), sym("BNB/USDT"));
    assert!(kraken.try_recv().is_err(), "kraken does not list BNB/USDT");
    assert_eq!(status_text(&app), "added BNB/USDT on binance");
    add(&mut app, &snap, "btc-usd");
    assert_eq!(added(kraken.try_recv().unwrap()), sym("BTC/USD"));
    assert_eq!(added(binance.try_recv().unwrap()), sym("BTC/USD"));
    assert_eq!(status_text(&app), "added BTC/USD on kraken, binance");
    // Listed nowhere: one message, the prompt stays open.
    add(&mut app, &snap, "nope/usd");
    let Mode::Adding(p) = &app.view.mode else {
        panic!("prompt closed");
    };
    let e = p.error.as_deref().unwrap();
    assert!(e.contains("kraken") && e.contains("binance"), "{e}");
}

#[tokio::test]
async fn undo_takes_back_a_drop_and_an_add_and_saves_each() {
    let (store, feeds, mut commands) = market();
    let path = temp_config("undo");
    let mut app = App::new(feeds, &Config::default(), Some(path.clone()));
    let snap = store.snapshot();
    app.sync(&snap);
    app.apply(Action::RemoveSelected, &snap);
    assert_eq!(commands.try_recv(), Ok(Command::Remove(sym("BTC/USD"))));
    let text = saved(&mut app, &path).await;
    assert!(text.contains("symbols = [\"ETH/USD\"]"), "{text}");
    app.apply(Action::Undo, &snap);
    assert_eq!(added(commands.try_recv().unwrap()), sym("BTC/USD"));
    assert!(
        status_text(&app).contains("undone"),
        "{}",
        status_text(&app)
    );
    let text = saved(&mut app, &path).await;
    assert!(text.contains("\"BTC/USD\""), "{text}");
    assert!(text.contains("\"ETH/USD\""), "{text}");
    add(&mut app, &snap, "sol/usd");
    assert_eq!(added(commands.try_recv().unwrap()), sym("SOL/USD"));
    app.apply(Action::Undo, &snap);
    assert_eq!(commands.try_recv(), Ok(Command::Remove(sym("SOL/USD"))));
    let text = saved(&mut app, &path).await;
    assert!(!text.contains("SOL/USD"), "{text}");
    // The first undo took back the drop; nothing is left to undo.
    app.apply(Action::Undo, &snap);
    assert_eq!(status_text(&app), "nothing to undo");
    assert!(commands.try_recv().is_err());
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn a_run_with_command_line_symbols_leaves_the_saved_watchlist_alone() {
    let (store, feeds, mut commands) = market();
    let path = temp_config("cli-symbols");
    let before = std::fs::read_to_string(&path).unwrap();
    let mut app = App::new(feeds, &Config::default(), Some(path.clone()))
        .without_saving("this run's symbols came from the command line");
    let snap = store.snapshot();
    app.sync(&snap);
    app.apply(Action::RemoveSelected, &snap);
    add(&mut app, &snap, "sol/usd");
    assert_eq!(commands.try_recv(), Ok(Command::Remove(sym("BTC/USD"))));
    assert_eq!(added(commands.try_recv().unwrap()), sym("SOL/USD"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    assert!(
        status_text(&app).contains("not saved: this run's symbols came from the command line"),
        "{}",
        status_text(&app)
    );
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// On the paused clock, so that the shutdown 300 ms in comes only after every key was
/// read, however slowly the loop is scheduled.
#[tokio::test(start_paused = true)]
async fn esc_closes_things_and_never_quits() {
    let (store, mut app, mut term, _commands) = dashboard();
    let (keys, events) = key_stream();
    for code in [
        KeyCode::Char('?'),
        KeyCode::Esc,
        KeyCode::Char('a'),
        KeyCode::Esc,
        KeyCode::Esc,
        KeyCode::Esc,
    ] {
        press(&keys, code);
    }
    let shutdown = cancelled_after(Duration::from_millis(300));
    // Only the shutdown ends the loop: none of the Esc presses quit it.
    drive(&mut term, events, &store, &mut app, 30, shutdown.clone()).await;
    assert!(shutdown.is_cancelled());
    assert_eq!(app.view.mode, Mode::Normal);
    assert!(screen_text(&term).contains("q or Ctrl-C quits"));
    drop(keys);
}

#[tokio::test]
async fn a_reconnect_message_goes_once_the_feed_is_back() {
    let (store, feeds, mut commands) = market();
    let mut app = App::new(feeds, &Config::default(), None);
    let snap = store.snapshot();
    app.sync(&snap);
    app.apply(Action::ReconnectSelected, &snap);
    assert_eq!(commands.try_recv().unwrap(), Command::Reconnect);
    assert_eq!(status_text(&app), "reconnecting kraken…");
    let now = Utc::now();
    store.transition(
        ExchangeId::Kraken,
        FeedStatus::Connecting,
        "manual reconnect",
        now,
    );
    app.sync(&store.snapshot());
    assert_eq!(status_text(&app), "reconnecting kraken…", "still true");
    store.transition(
        ExchangeId::Kraken,
        FeedStatus::Connected,
        "subscribing",
        now,
    );
    app.sync(&store.snapshot());
    assert_eq!(app.view.status, None, "no longer true");
}

#[tokio::test]
async fn the_window_title_says_which_venues_are_simulated() {
    let (store, feeds, _commands) = market();
    let titles = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&titles);
    let mut app =
        App::new(feeds, &Config::default(), None).with_title(WindowTitle::new(move |t: &str| {
            seen.lock().unwrap().push(t.to_string());
        }));
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    for simulated in [false, true] {
        if simulated {
            store.mark_simulated(ExchangeId::Kraken, Utc::now());
        }
        drive_keys(&mut term, &store, &mut app, &[KeyCode::Char('q')]).await;
    }
    assert_eq!(
        *titles.lock().unwrap(),
        ["pricewire — kraken", "pricewire — kraken (SIMULATED)"]
    );
    assert!(screen_text(&term).contains("kraken ◇ SIMULATED ● LIVE"));
}
