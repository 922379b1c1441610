//! Alerts on the dashboard, with the real alert task on a real `Store`: `A` on a row opens
//! a prompt holding a rule for its symbol and last price, a rule the grammar refuses says
//! why in the prompt, Enter adds the rule and saves it as `[[alerts]]` (comments kept, a
//! rule this version cannot read kept as written); a crossing fires, marks its row and the
//! header and goes into the history pane; the alert list shows each rule with its state
//! and deletes the one picked, saved too.

mod ui_support;

use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio_util::sync::CancellationToken;

use pricewire::app::keys::Action;
use pricewire::app::{Alerts, App};
use pricewire::config::Config;
use pricewire::history::{HistoryLog, RunTag};
use pricewire::look;
use pricewire::ui::theme::Theme;
use pricewire::view::ViewModel;
use pricewire::view::state::{Mode, Status};
use pricewire_core::alert::{self, AlertSetup, EvalOptions, RuleState};
use pricewire_core::model::Source;
use pricewire_core::store::{Store, StoreLimits};
use ui_support::{KRAKEN, kraken_feeds, kraken_market, now, ticker};

/// The config file a test saves to, with a comment, an alert and one this version cannot
/// read.
fn config_file(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pricewire-alerts-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        "# my config\nsymbols = [\"BTC/USD\"]\n\n# levels I care about\n[[alerts]]\nrule = \"kraken:ETH/USD last below 3000\"\n\n[[alerts]]\nwhen = \"BTC/USD sideways 5m\" # another version's shape\n",
    )
    .unwrap();
    path
}

/// The alert task on `store` for `cfg`'s rules, on the fixed test clock, wired as the
/// dashboard wires it (delivery, then the screen).
fn alerts(cfg: &Config, store: &Arc<Store>, stop: &CancellationToken) -> Alerts {
    let setup = AlertSetup {
        rules: cfg.alert_rules.clone(),
        fired: Vec::new(),
        options: EvalOptions {
            stale_after: Duration::from_secs(30),
            allow_simulated: false,
        },
        clock: Arc::new(now),
    };
    let (handle, fired, _task) = alert::spawn(Arc::clone(store), setup, stop.clone());
    let mut quiet = cfg.clone();
    quiet.notify.bell = false;
    quiet.notify.desktop = false;
    let delivery = look::Delivery::new(&quiet, HistoryLog::off(RunTag::Live), false, false, stop);
    look::dashboard_alerts(cfg, handle, fired, delivery)
}

/// The dashboard on a fresh `config_file(name)` with the real alert task, on a live Kraken
/// market; the last part is the feeds' command receiver, kept open while the test runs.
fn dashboard(
    name: &str,
) -> (
    std::path::PathBuf,
    Arc<Store>,
    CancellationToken,
    App,
    impl Sized,
) {
    let path = config_file(name);
    let cfg = Config::load(&path, true).unwrap();
    let store = Store::new(StoreLimits::default());
    kraken_market(&store, Source::Stream, 0.4);
    let stop = CancellationToken::new();
    let (feeds, commands) = kraken_feeds();
    let app = App::new(feeds, &cfg, Some(path.clone())).with_alerts(alerts(&cfg, &store, &stop));
    (path, store, stop, app, commands)
}

/// Clear the open prompt, type `text` into it and press Enter.
fn enter(app: &mut App, snap: &pricewire_core::store::Snapshot, text: &str) {
    app.apply(Action::ClearInput, snap);
    for c in text.chars() {
        app.apply(Action::Type(c), snap);
    }
    app.apply(Action::Submit, snap);
}

fn draw(app: &mut App, store: &Store, w: u16, h: u16) -> Terminal<TestBackend> {
    let snap = store.snapshot();
    let table = app.sync(&snap);
    let model = ViewModel::with_table(&app.view, &snap, table);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        pricewire::ui::draw(f, &model, now(), &Theme::default());
    })
    .unwrap();
    term
}

/// Wait (on a guard, not a timing) until the alert task's list says `f`.
async fn until(app: &mut App, store: &Store, f: impl Fn(&App) -> bool) {
    let snap = store.snapshot();
    for _ in 0..500 {
        app.sync(&snap);
        if f(app) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the alert list never came to {:?}", app.view.alerts);
}

#[tokio::test]
async fn a_on_a_row_prefills_its_rule_adds_it_and_saves_it_with_the_comments_kept() {
    let (path, store, stop, mut app, _commands) = dashboard("add");
    let snap = store.snapshot();
    app.sync(&snap);
    app.apply(Action::OpenAlert, &snap);
    let Mode::Alerting(prompt) = &app.view.mode else {
        panic!("{:?}", app.view.mode)
    };
    assert_eq!(prompt.input, "kraken:BTC/USD last above 97123.4");
    // The grammar's word on a rule it refuses, in the prompt.
    enter(&mut app, &snap, "BTC/USD last beyond 1");
    let Mode::Alerting(prompt) = &app.view.mode else {
        panic!("{:?}", app.view.mode)
    };
    assert!(
        prompt.error.as_deref().unwrap_or("").contains("above"),
        "{prompt:?}"
    );
    enter(&mut app, &snap, "kraken:BTC/USD last above 98000");
    assert_eq!(app.view.mode, Mode::Normal);
    assert!(
        matches!(&app.view.status, Some(Status::Info(s)) if s.contains("alert added")),
        "{:?}",
        app.view.status
    );
    until(&mut app, &store, |a| {
        a.view
            .alerts
            .iter()
            .any(|s| s.rule == "kraken:BTC/USD last above 98000" && s.state == RuleState::Armed)
    })
    .await;
    app.settle().await;
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.starts_with("# my config\n"), "{saved}");
    assert!(
        saved.contains(
            "# levels I care about\n[[alerts]]\nrule = \"kraken:ETH/USD last below 3000\""
        ),
        "{saved}"
    );
    assert!(
        saved.contains("[[alerts]]\nwhen = \"BTC/USD sideways 5m\" # another version's shape"),
        "kept as written: {saved}"
    );
    assert!(
        saved.contains("rule = \"kraken:BTC/USD last above 98000\""),
        "{saved}"
    );
    // The same rule twice is refused.
    app.apply(Action::OpenAlert, &snap);
    enter(&mut app, &snap, "kraken:BTC/USD last above 98000");
    assert!(
        matches!(&app.view.mode, Mode::Alerting(p) if p.error.as_deref().is_some_and(|e| e.contains("already")))
    );
    app.apply(Action::Cancel, &snap);
    stop.cancel();
}

#[tokio::test]
async fn a_crossing_marks_the_row_and_header_goes_into_the_history_and_the_list_deletes_it() {
    let (path, store, stop, mut app, _commands) = dashboard("fire");
    let snap = store.snapshot();
    app.sync(&snap);
    app.apply(Action::OpenAlert, &snap);
    enter(&mut app, &snap, "kraken:BTC/USD last above 97200");
    until(&mut app, &store, |a| {
        a.view
            .alerts
            .iter()
            .any(|s| s.rule.ends_with("97200") && s.state == RuleState::Armed)
    })
    .await;
    // The price crosses the level: the alert task fires, the delivery hands it on.
    store.apply(ticker(
        KRAKEN,
        "BTC/USD",
        Source::Stream,
        now(),
        "last=97250.0 bid=97249.9 ask=97250.0",
    ));
    let mut fired = app.take_alerts().unwrap();
    let a = tokio::time::timeout(Duration::from_secs(10), fired.recv())
        .await
        .expect("the alert fires")
        .unwrap();
    assert_eq!(a.rule, "kraken:BTC/USD last above 97200");
    app.on_alert(&a);
    app.give_back_alerts(Some(fired));
    until(&mut app, &store, |a| {
        a.view
            .alerts
            .iter()
            .any(|s| s.rule.ends_with("97200") && s.fired == 1)
    })
    .await;
    let term = draw(&mut app, &store, 100, 26);
    insta::assert_snapshot!(
        "fired_alert_on_the_row_header_and_history_100x26",
        term.backend()
    );
    let text = format!("{:?}", term.backend());
    assert!(text.contains("⚑ BTC/USD"), "{text}");
    assert!(text.contains("⚑ 1 ALERT"), "{text}");
    assert!(text.contains("⚑ alert"), "{text}");

    // The list: every rule with its state; the fired one picked and deleted.
    let snap = store.snapshot();
    app.apply(Action::OpenAlertList, &snap);
    assert_eq!(app.view.mode, Mode::AlertList(0));
    let at = app
        .view
        .alerts
        .iter()
        .position(|s| s.rule.ends_with("97200"))
        .unwrap();
    for _ in 0..at {
        app.apply(Action::Select(1), &snap);
    }
    let term = draw(&mut app, &store, 100, 26);
    insta::assert_snapshot!("alert_list_100x26", term.backend());
    app.apply(Action::RemoveSelected, &snap);
    assert!(app.view.alerts.iter().all(|s| !s.rule.ends_with("97200")));
    assert!(app.view.fired.is_empty(), "its mark goes with it");
    app.apply(Action::CloseHelp, &snap);
    assert_eq!(app.view.mode, Mode::Normal);
    app.settle().await;
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains("97200"), "{saved}");
    assert!(saved.contains("kraken:ETH/USD last below 3000"), "{saved}");
    assert!(saved.contains("when = \"BTC/USD sideways 5m\""), "{saved}");
    stop.cancel();
}
