//! The history across restarts on the dashboard: the previous run's last entries open the
//! history pane, marked as earlier, below this run's; symbol adds and drops, manual
//! reconnects and failed saves from the keys are appended to the history file.

mod ui_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::TimeDelta;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use pricewire::app::App;
use pricewire::app::keys::Action;
use pricewire::config::Config;
use pricewire::history::{self, Entry, HistoryLog, HistorySettings, RunTag};
use pricewire::ui::theme::Theme;
use pricewire::view::ViewModel;
use pricewire_core::Watchlist;
use pricewire_core::model::ExchangeId;
use ui_support::{KRAKEN, kraken_feeds, live, now};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pricewire-history-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn settings(dir: &Path) -> HistorySettings {
    HistorySettings {
        path: dir.join("history.jsonl"),
        max_bytes: 1 << 20,
        keep: 2,
    }
}

fn entry(run: &str, minutes_ago: i64, kind: &str, text: &str) -> Entry {
    Entry {
        ts: now() - TimeDelta::minutes(minutes_ago),
        run: run.into(),
        tag: RunTag::Live,
        kind: kind.into(),
        exchange: Some("kraken".into()),
        symbol: None,
        from: (kind == "state").then(|| "connected".into()),
        to: (kind == "state").then(|| "reconnecting".into()),
        text: text.into(),
        rule: None,
    }
}

#[test]
fn the_previous_runs_last_entries_open_the_pane_marked_as_earlier() {
    let dir = temp_dir("earlier");
    let settings = settings(&dir);
    // Two runs before this one: only the newer one's last entries are shown.
    history::append(
        &settings,
        &[
            entry("older", 300, "state", "an older run"),
            entry("last", 90, "state", "connection lost (1006)"),
            entry(
                "last",
                80,
                "reconnect",
                "reconnect of kraken asked from the keyboard",
            ),
            entry("last", 70, "add", "added to the watchlist"),
        ],
    )
    .unwrap();
    let log = HistoryLog::start(settings.clone(), RunTag::Live);
    let all = history::read_all(&settings.path, settings.keep);
    let earlier = history::previous_run(&all, log.run(), 2);
    assert_eq!(earlier.len(), 2);
    let snap = live();
    let (feeds, _rx) = kraken_feeds();
    let mut app = App::new(feeds, &Config::default(), None).with_history(log, &earlier);
    let table = app.sync(&snap);
    let model = ViewModel::with_table(&app.view, &snap, table);
    let mut term = Terminal::new(TestBackend::new(100, 24)).unwrap();
    term.draw(|f| {
        pricewire::ui::draw(f, &model, now(), &Theme::default());
    })
    .unwrap();
    let text = format!("{:?}", term.backend());
    assert!(!text.contains("an older run"), "{text}");
    insta::assert_snapshot!(term.backend());
}

/// The history file's entries of `kinds`, once the writer thread has written them.
async fn written(path: &Path, kinds: &[&str]) -> Vec<Entry> {
    for _ in 0..500 {
        let all = history::read_all(path, 2);
        if kinds.iter().all(|k| all.iter().any(|e| e.kind == *k)) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "the history never held {kinds:?}: {:?}",
        history::read_all(path, 2)
    );
}

#[tokio::test]
async fn adds_drops_reconnects_and_failed_saves_go_into_the_history_file() {
    let dir = temp_dir("edits");
    let settings = settings(&dir);
    let log = HistoryLog::start(settings.clone(), RunTag::Live);
    let (feeds, mut commands) = kraken_feeds();
    let typed = ["BTC/USD", "ETH/USD"].map(|s| (ExchangeId::Kraken, s.to_string()));
    // The config file's directory is a file: every save fails.
    std::fs::write(dir.join("blocker"), "").unwrap();
    let config = dir.join("blocker").join("config.toml");
    let mut app = App::new(
        Watchlist::new(feeds, typed),
        &Config::default(),
        Some(config),
    )
    .with_history(log, &[]);
    let snap = live();
    app.sync(&snap);
    app.apply(Action::OpenAdd, &snap);
    for c in "SOL/USD".chars() {
        app.apply(Action::Type(c), &snap);
    }
    app.apply(Action::Submit, &snap);
    app.settle().await;
    app.view.selected = Some((KRAKEN, ui_support::sym("BTC/USD")));
    app.apply(Action::RemoveSelected, &snap);
    app.apply(Action::ReconnectSelected, &snap);
    app.settle().await;
    while commands.try_recv().is_ok() {}
    let all = written(&settings.path, &["add", "drop", "reconnect", "save_failed"]).await;
    let line = |kind: &str| {
        all.iter()
            .find(|e| e.kind == kind)
            .map(|e| {
                format!(
                    "{} {} {}",
                    e.exchange.as_deref().unwrap_or("-"),
                    e.symbol.as_deref().unwrap_or("-"),
                    e.text
                )
            })
            .unwrap()
    };
    assert_eq!(line("add"), "kraken SOL/USD added to the watchlist");
    assert_eq!(line("drop"), "kraken BTC/USD dropped from the watchlist");
    assert_eq!(
        line("reconnect"),
        "kraken - reconnect of kraken asked from the keyboard"
    );
    assert!(line("save_failed").contains("was not saved"), "{all:?}");
    assert!(all.iter().all(|e| e.tag == RunTag::Live));
}
