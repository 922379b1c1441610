//! The dashboard's run loop. One `tokio::select!` waits on terminal input, the store's
//! change signal, a 1 s tick (ages, countdowns, message rates), the end of a price flash,
//! and the shutdown token. Changes only mark the screen dirty; a frame is drawn at most once
//! per `1/ui.fps`, and never when nothing changed, so an idle dashboard sleeps. Each frame
//! takes one `store.snapshot()` and one `now`, keeps the selection on a row that exists,
//! builds the view model (`crate::view`) once, and hands it to `ui::draw`; after it the
//! window title follows the venues (`app/title.rs`). Keys become commands on the feeds'
//! channels (`feed::command` is all it knows of feeds); it never writes to the store.

mod alerts;
mod charts;
mod edits;
pub mod keys;
pub mod mouse;
pub mod rates;
pub mod terminal;
pub mod title;
pub mod update;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Local;
use crossterm::event::{Event, EventStream};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::config::Written;
use crate::ui;
use crate::ui::theme::{ColorMode, Theme};
use crate::view::ViewModel;
pub use alerts::Alerts;
use pricewire_core::Watchlist;
use pricewire_core::store::Store;
pub use update::{App, Flow};

/// How the loop ended, and how much it drew (tests check the frame cap with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoopStats {
    pub frames: u64,
}

/// What a run hands the dashboard besides the feeds.
#[derive(Default)]
pub struct Extras {
    /// Where the log is written, for the help overlay (`None`: logging is off).
    pub log_file: Option<PathBuf>,
    /// A recording played back: what the screen says of it, its clock, and its end.
    pub replay: Option<(
        crate::view::state::ReplayView,
        pricewire_core::feed::Clock,
        tokio::sync::watch::Receiver<Option<crate::view::state::ReplayEnd>>,
    )>,
    /// The alert task, to show its rules and what fires, and to add and delete rules.
    pub alerts: Option<Alerts>,
    /// The history file, and the previous run's last entries to show as earlier.
    pub history: Option<(crate::history::HistoryLog, Vec<crate::history::Entry>)>,
}

/// Run the dashboard on the terminal until `q`, Ctrl-C or `shutdown`.
///
/// Takes over the terminal with `ratatui::try_init` (raw mode, alternate screen, and a panic
/// hook that restores the terminal before chaining to the previous hook) and restores it on
/// every way out, errors included; the caller prints any error afterwards. Nothing is
/// printed while it runs. `NO_COLOR` (non-empty) turns colour off. `watchlist` tells the
/// feeds of adds and drops. When `config_path` is given, they are saved to its `symbols`
/// key by a config writer task, unless `not_saved` says why this run leaves the saved
/// watchlist alone; whatever is queued is written before this returns. `lists` are the
/// named watchlists to switch between, the shown one among them. `extras`: the log file
/// (named in the help overlay) and what else the run shows (see [`Extras`]). Quitting
/// cancels `shutdown`, so whatever else watches that token (the feeds) stops too.
pub async fn run(
    store: Arc<Store>,
    (watchlist, lists): (Watchlist, crate::watchlist::Lists),
    config: &Config,
    config_path: Option<PathBuf>,
    not_saved: Option<String>,
    extras: Extras,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let color = ColorMode::from_no_color(std::env::var("NO_COLOR").ok().as_deref());
    let theme = Theme::new(&config.theme, color);
    let config_path = config_path.filter(|_| not_saved.is_none());
    let mut app = App::new(watchlist, config, config_path)
        .with_lists(lists)
        .with_history_at_start()
        .with_title(title::WindowTitle::terminal());
    if let Some(why) = not_saved {
        app = app.without_saving(why);
    }
    if let Some((view, clock, ended)) = extras.replay {
        app = app.replaying(view, clock, ended);
    }
    if let Some((log, earlier)) = extras.history {
        app = app.with_history(log, &earlier);
    }
    if let Some(alerts) = extras.alerts {
        app = app.with_alerts(alerts);
    }
    app.view.utc_offset = *Local::now().offset();
    app.view.log_file = extras.log_file;
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            ratatui::restore();
            return Err(e).context("cannot take over the terminal");
        }
    };
    let mouse = config.ui.mouse;
    if mouse {
        terminal::capture_mouse();
        terminal::release_mouse_on_panic();
    }
    keep_screen_on_task_panics();
    let stop_store = Arc::clone(&store);
    app.set_suspender(move || terminal::suspend(&stop_store, mouse));
    let result = run_loop(
        &mut terminal,
        EventStream::new(),
        &store,
        &mut app,
        &theme,
        config.ui.fps,
        shutdown.clone(),
    )
    .await;
    terminal::restore(mouse);
    shutdown.cancel();
    // Every saved edit reaches the file before the program ends: the writer stops once
    // the app (which holds its handles) is gone and what it was given is written.
    let writer = app.take_writer_task();
    drop(app);
    if let Some(task) = writer
        && tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .is_err()
    {
        tracing::error!("the config file was still being written after 10 s");
    }
    result.map(|_| ())
}

/// A panic inside a spawned task (a feed) is caught and the task restarted by its
/// supervisor, so the dashboard must stay up: such panics are logged instead of running
/// the terminal-restoring hook. A panic anywhere else (the UI itself, which runs on the
/// main future, not in a spawned task) restores the terminal first, as before.
fn keep_screen_on_task_panics() {
    let restore_and_report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(task) = tokio::task::try_id() {
            tracing::error!(%task, panic = %info, "task panicked; it will be restarted");
        } else {
            restore_and_report(info);
        }
    }));
}

/// The loop itself, on any backend and any event stream (tests drive it with a
/// `TestBackend` and a channel). Returns when a key quits, the event stream ends, or
/// `shutdown` is cancelled.
pub async fn run_loop<B, E>(
    terminal: &mut Terminal<B>,
    mut events: E,
    store: &Store,
    app: &mut App,
    theme: &Theme,
    fps: u32,
    shutdown: CancellationToken,
) -> anyhow::Result<LoopStats>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = io::Result<Event>> + Unpin,
{
    let frame_gap = Duration::from_secs(1) / fps.clamp(1, 240);
    // The copy of the store last drawn: keys act on the rows as shown, so a keystroke
    // never copies the whole store.
    let mut shown = store.snapshot();
    // The first sample is taken now; the tick first fires a second from now.
    app.tick(&shown, app.now());
    let mut reports = app.take_reports();
    let mut fetches = app.take_fetches();
    let mut alerts = app.take_alerts();
    // Where the last frame drew things: the mouse acts on what was on the screen.
    let mut hits = crate::view::state::Hits::default();
    let second = Duration::from_secs(1);
    let mut tick = tokio::time::interval_at(Instant::now() + second, second);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut versions = store.watch();
    let mut stats = LoopStats::default();
    let mut dirty = true;
    let mut drawn_version = None;
    let mut next_frame = Instant::now();
    let mut flash_end: Option<Instant> = None;
    loop {
        // Checked before waiting on input, so a flood of keys or ticks never starves a due
        // frame.
        if dirty && Instant::now() >= next_frame {
            shown = store.snapshot();
            let snapshot = &shown;
            app.check_replay();
            let now = app.now();
            let table = app.sync(snapshot);
            let model =
                ViewModel::with_table(&app.view, snapshot, table).with_chart(app.chart_data());
            let mut drawn = None;
            terminal
                .draw(|frame| drawn = Some(ui::draw(frame, &model, now, theme)))
                .context("drawing the screen")?;
            if let Some(drawn) = drawn {
                app.view.history_rows = drawn.history_rows;
                hits = drawn.hits;
            }
            app.show_title(snapshot);
            stats.frames += 1;
            dirty = false;
            drawn_version = Some(snapshot.version);
            next_frame = Instant::now() + frame_gap;
            flash_end = ui::prices::next_flash_end(snapshot, now)
                .and_then(|end| (end - now).to_std().ok())
                .map(|left| Instant::now() + left);
        }
        tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            // Wake when the frame cap allows the next frame.
            () = tokio::time::sleep_until(next_frame), if dirty => {}
            event = events.next() => match event {
                None => break,
                Some(Err(e)) => return Err(e).context("reading terminal input"),
                Some(Ok(Event::Key(key))) => {
                    let action = keys::action(&app.view.mode, key, &app.view.keymap);
                    if action != keys::Action::Ignore {
                        // Act on the rows as last drawn, the selection kept on one of them.
                        app.sync(&shown);
                        match app.apply(action, &shown) {
                            Flow::Quit => break,
                            Flow::Suspend => {
                                if app.suspend().context("stopping for Ctrl-Z")? {
                                    // Resumed on a cleared screen: forget what was drawn,
                                    // so the next frame draws it all. (`clear` would ask
                                    // the terminal where its cursor is, an answer the
                                    // event reader takes first.)
                                    terminal.swap_buffers();
                                }
                            }
                            Flow::Continue => {}
                        }
                        dirty = true;
                    }
                }
                // A pointer move finds nothing to do and draws nothing.
                Some(Ok(Event::Mouse(m))) => {
                    let click = mouse::click(&m, &hits);
                    if click != mouse::Click::None {
                        app.sync(&shown);
                        app.click(click, &shown);
                        dirty = true;
                    }
                }
                // The next draw picks up the new size (`Terminal::autoresize`).
                Some(Ok(Event::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
            },
            r = versions.changed() => {
                if r.is_err() {
                    break;
                }
                if drawn_version != Some(store.version()) {
                    dirty = true;
                }
            }
            _ = tick.tick() => {
                let now = app.now();
                app.tick(&store.snapshot(), now);
                dirty = true;
            }
            () = sleep_until(flash_end), if flash_end.is_some() => {
                flash_end = None;
                dirty = true;
            }
            // Candles for a chart or a trend came in.
            fetched = next_fetch(&mut fetches) => match fetched {
                Some(f) => {
                    app.on_fetched(f);
                    dirty = true;
                }
                None => fetches = None,
            },
            // An alert fired (already delivered: bell, desktop, webhook, history file).
            fired = next_alert(&mut alerts) => match fired {
                Some(a) => {
                    app.on_alert(&a);
                    dirty = true;
                }
                None => alerts = None,
            },
            // How a save went, from the config writer task.
            written = next_report(&mut reports) => match written {
                Some(w) => {
                    app.on_written(&w);
                    dirty = true;
                }
                None => reports = None,
            },
        }
    }
    app.give_back_reports(reports);
    app.give_back_fetches(fetches);
    app.give_back_alerts(alerts);
    Ok(stats)
}

async fn next_fetch(
    fetches: &mut Option<tokio::sync::mpsc::UnboundedReceiver<charts::Fetched>>,
) -> Option<charts::Fetched> {
    match fetches {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_alert(
    alerts: &mut Option<tokio::sync::mpsc::UnboundedReceiver<pricewire_core::alert::AlertEvent>>,
) -> Option<pricewire_core::alert::AlertEvent> {
    match alerts {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_report(
    reports: &mut Option<tokio::sync::mpsc::UnboundedReceiver<Written>>,
) -> Option<Written> {
    match reports {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
