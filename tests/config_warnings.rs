//! A config file with keys this version does not know (a typo, or a newer version's
//! alerts and holdings) still starts the program: every fixture under
//! `tests/warning_configs/` is read, with a warning naming the file, the line, the key and
//! the closest known key, by the library and by the real binary (on stderr before anything
//! runs, and in the log), and the dashboard shows it once in its status line. The file is
//! left as it was. A wrong value beside an unknown key is still refused: `config_invalid.rs`.

mod process_support;
mod ui_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pricewire::app::keys::Action;
use pricewire::app::{App, Flow};
use pricewire::config::Config;
use pricewire::ui::theme::Theme;
use ui_support::{draw, kraken_feeds, live};

/// (fixture, line, key, closest known key) of the first unknown key in each file.
const CASES: &[(&str, usize, &str, &str)] = &[
    ("newer_config.toml", 3, "presets", "keys"),
    (
        "unknown_endpoint_key.toml",
        2,
        "endpoints.kraken.ws",
        "endpoints.kraken.ws_url",
    ),
    (
        "unknown_key.toml",
        5,
        "feed.silence_sec",
        "feed.silence_secs",
    ),
    ("unknown_theme_key.toml", 3, "theme.lve", "theme.live"),
    (
        "unknown_venue.toml",
        3,
        "quote_aliases.binanse",
        "quote_aliases.binance",
    ),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/warning_configs")
}

fn check_warning(message: &str, path: &Path, line: usize, key: &str, closest: &str) {
    assert!(
        message.contains(&path.display().to_string()),
        "no path in: {message}"
    );
    assert!(
        message.contains(&format!("line {line}, key `{key}`: unknown, ignored")),
        "no line {line} key {key} in: {message}"
    );
    assert!(
        message.contains(&format!("(closest known key: `{closest}`)")),
        "no closest key {closest} in: {message}"
    );
}

#[test]
fn every_fixture_is_listed() {
    process_support::assert_lists_every_fixture(&dir(), CASES.iter().map(|c| c.0));
}

#[test]
fn library_warns_and_reads_the_rest() {
    for &(file, line, key, closest) in CASES {
        let path = dir().join(file);
        let config = Config::load(&path, true).expect(file);
        let first = config.warnings.first().expect(file).to_string();
        check_warning(&first, &path, line, key, closest);
    }
}

#[test]
fn a_newer_config_warns_about_each_new_key_and_keeps_the_known_ones() {
    let path = dir().join("newer_config.toml");
    let config = Config::load(&path, true).unwrap();
    let found: Vec<(Option<usize>, &str)> = config
        .warnings
        .iter()
        .map(|w| (w.line, w.key.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (Some(3), "presets"),
            (Some(7), "ui.compact"),
            (Some(10), "alerts.symbol"),
            (Some(11), "alerts.above"),
        ]
    );
    assert_eq!(config.symbols, ["BTC/USD"]);
    assert_eq!(config.ui.fps, 20);
}

/// Run the binary in headless demo mode on `path` until its first JSON line, then end it.
fn first_line_of_a_run(path: &Path, log: &Path) -> (String, String) {
    let mut child = process_support::pricewire()
        .args(["--headless", "--demo", "--config"])
        .arg(path)
        .arg("--log-file")
        .arg(log)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    });
    let started = Instant::now();
    while !reader.is_finished() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("{}: no output after 30 s", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let line = reader.join().unwrap();
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let out = child.wait_with_output().unwrap();
    (line, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn binary_starts_warns_on_stderr_and_in_the_log_and_leaves_the_file_alone() {
    for &(file, line, key, closest) in CASES {
        let path = dir().join(file);
        let before = std::fs::read(&path).unwrap();
        let log = std::env::temp_dir().join(format!(
            "pricewire-warnings-{}-{file}.log",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&log);
        let (first, stderr) = first_line_of_a_run(&path, &log);
        assert!(first.starts_with('{'), "{file}: not a JSON line: {first}");
        assert!(
            stderr.contains("pricewire: warning: config "),
            "{file}: {stderr}"
        );
        check_warning(&stderr, &path, line, key, closest);
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(logged.contains("WARN"), "{file}: {logged}");
        check_warning(&logged, &path, line, key, closest);
        assert_eq!(std::fs::read(&path).unwrap(), before, "{file} changed");
        std::fs::remove_file(&log).unwrap();
    }
}

#[test]
fn the_dashboard_shows_the_warning_once_in_its_status_line() {
    let path = dir().join("newer_config.toml");
    let config = Config::load(&path, true).unwrap();
    let snap = live();
    let (feeds, _rx) = kraken_feeds();
    let mut app = App::new(feeds, &config, None);
    app.sync(&snap);
    let text = |app: &App| {
        let term = draw(&app.view, &snap, &Theme::default(), 100, 30);
        let buf = term.backend().buffer().clone();
        (0..30)
            .map(|y| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .map(|line| line.trim_end().to_string())
            .collect::<Vec<_>>()
            // The status line wraps; read it as one text.
            .join(" ")
    };
    let screen = text(&app);
    assert!(screen.contains("⚠ config "), "{screen}");
    assert!(
        screen.contains("line 3, key `presets`: unknown, ignored"),
        "{screen}"
    );
    assert!(
        screen.contains("3 more unknown keys in the log"),
        "{screen}"
    );
    // Once: the next action's outcome takes the line.
    assert_eq!(app.apply(Action::CycleSort, &snap), Flow::Continue);
    let screen = text(&app);
    assert!(!screen.contains("⚠"), "{screen}");
}
