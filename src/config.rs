//! The config file: where it lives, what it may say (every key is documented in
//! `config.example.toml`), how a broken one is reported, and how the watchlist is saved
//! back without losing the user's comments or an intact file. Never touches the terminal.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use feed::FeedFile;
pub use pricewire_core::config::{FeedConfig, secs};
/// URL checks are the engine's, so a config the binary takes is one a feed can be built from.
pub use pricewire_core::feed::{REST_SCHEMES, WS_SCHEMES, check_url};

mod feed;
mod holdings;
pub mod http;
mod keys;
mod keytable;
mod look;
pub mod relay;
mod save;
pub use http::HttpConfig;
mod writer;
pub use keys::{ConfigWarning, fields_of};
pub use look::{AlertEntry, HistoryConfig, NotifyConfig, RecordConfig, SaveAlerts};
pub use relay::RelayConfig;
pub use save::{save_watchlist, save_with, write_replacing};
pub use writer::{ConfigEdit, ConfigWriter, SaveLists, SaveSymbols, Written};

/// A config file that could not be used. The message names the file, line and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}:\n{message}")]
    Invalid { path: PathBuf, message: String },
    #[error("cannot save watchlist to {path}: {message} (the previous file is unchanged)")]
    Save { path: PathBuf, message: String },
}

/// Everything the config file can set. Missing keys take the defaults shown in
/// `config.example.toml`. An unknown key is read past with a warning (in `warnings`), so
/// that a config written for a newer version still starts this one and a typo is still
/// seen; a known key with a wrong value is an error.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct Config {
    /// Venues to stream from.
    pub exchanges: Vec<String>,
    /// The watchlist: symbols in any spelling, optionally `venue:SYMBOL`. Empty (the
    /// default): each venue watches [`default_watchlist`].
    pub symbols: Vec<String>,
    pub log_file: Option<PathBuf>,
    /// The `[feed]` table as written (seconds, text); [`Config::feed`] is what it means.
    #[serde(rename = "feed")]
    pub feed_file: FeedFile,
    /// The engine's settings, converted from `[feed]` when the file is read.
    #[serde(skip)]
    pub feed: FeedConfig,
    pub ui: UiConfig,
    /// Colours by meaning, checked when the file is read (see `ui::theme`).
    pub theme: BTreeMap<String, crate::ui::theme::ThemeValue>,
    /// Per-venue URL overrides.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// Per-venue quote mapping, e.g. `binance = { USD = "USDT" }`.
    pub quote_aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// The `[keys]` table as written; [`Config::keymap`] is what it means.
    #[serde(rename = "keys")]
    pub keys_file: BTreeMap<String, toml::Value>,
    /// Every dashboard command's keys: the defaults, with `[keys]` over them.
    #[serde(skip)]
    pub keymap: crate::keymap::Keymap,
    /// The `[[holdings]]` as written; [`Config::holdings`] is what they mean.
    #[serde(rename = "holdings")]
    pub holdings_file: Vec<toml::Value>,
    /// What the user holds, read from `[[holdings]]` with exact decimals.
    #[serde(skip)]
    pub holdings: Vec<pricewire_core::holdings::Holding>,
    /// Named watchlists besides `symbols` (`[watchlists.defi] symbols = [...]`).
    pub watchlists: BTreeMap<String, NamedWatchlist>,
    /// Redis for `pricewire relay` and for readers (`--source`).
    pub relay: RelayConfig,
    /// The relay's front door (`pricewire relay --http`).
    pub http: HttpConfig,
    /// Alert rules, one `[[alerts]]` table each.
    pub alerts: Vec<AlertEntry>,
    /// Where alerts go.
    pub notify: NotifyConfig,
    /// How `--record` writes.
    pub record: RecordConfig,
    /// The history file.
    pub history: HistoryConfig,
    /// The alert rules read from `alerts` (checked when the file is read).
    #[serde(skip)]
    pub alert_rules: Vec<pricewire_core::alert::AlertRule>,
    /// Keys the file has that this version does not know, in file order. Not read from
    /// the file: found beside it. The caller shows them (stderr before the terminal is
    /// taken, the log, the dashboard's status line).
    #[serde(skip)]
    pub warnings: Vec<ConfigWarning>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            exchanges: vec!["kraken".into()],
            symbols: Vec::new(),
            log_file: None,
            feed_file: FeedFile::default(),
            feed: FeedConfig::default(),
            ui: UiConfig::default(),
            theme: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            quote_aliases: BTreeMap::new(),
            keys_file: BTreeMap::new(),
            keymap: crate::keymap::Keymap::default(),
            holdings_file: Vec::new(),
            holdings: Vec::new(),
            watchlists: BTreeMap::new(),
            relay: RelayConfig::default(),
            http: HttpConfig::default(),
            alerts: Vec::new(),
            notify: NotifyConfig::default(),
            record: RecordConfig::default(),
            history: HistoryConfig::default(),
            alert_rules: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// One named watchlist: `[watchlists.NAME]`.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct NamedWatchlist {
    /// Its symbols, as in the top-level `symbols`.
    pub symbols: Vec<String>,
}

/// The name the top-level `symbols` list goes by among the named watchlists.
pub const DEFAULT_WATCHLIST: &str = "default";

/// What a venue watches when no symbol is given (none typed, none saved): two markets it
/// lists, so a first start never shows an empty screen nor a market the venue lacks. Kraken
/// and Coinbase quote in USD; the others list no USD books, only USDT.
pub fn default_watchlist(exchange: pricewire_core::model::ExchangeId) -> &'static [&'static str] {
    use pricewire_core::model::ExchangeId;
    match exchange {
        ExchangeId::Kraken | ExchangeId::Coinbase => &["BTC/USD", "ETH/USD"],
        ExchangeId::Binance | ExchangeId::Bybit | ExchangeId::Okx | ExchangeId::Kucoin => {
            &["BTC/USDT", "ETH/USDT"]
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct Endpoint {
    pub ws_url: Option<String>,
    pub rest_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct UiConfig {
    /// Frame cap.
    pub fps: u32,
    /// A row with no update for this long is marked stale.
    pub stale_secs: f64,
    /// Initial sort: a column's name ("symbol", "change", "volume", "last", "pnl", ...).
    pub sort: String,
    /// Initial grouping: "venue" (rows under each venue's heading) or "none" (ranked across
    /// every venue). Unset: by venue when sorting by symbol, across venues otherwise.
    pub grouping: Option<String>,
    /// Show the state-history pane at start.
    pub history_pane: bool,
    /// The price table's columns, in order; unset: every column.
    pub columns: Option<Vec<String>>,
    /// Clicks and the wheel drive the dashboard (off: the terminal keeps the mouse).
    pub mouse: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            fps: 30,
            stale_secs: 30.0,
            sort: "symbol".into(),
            grouping: None,
            history_pane: true,
            columns: None,
            mouse: true,
        }
    }
}

impl Config {
    /// Parse config text; errors name the file, line and key. A TOML syntax or type error
    /// stops at the first one; every other problem is listed, one per line. Unknown keys
    /// are not errors: they are listed in [`Config::warnings`].
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let mut config: Config =
            toml::from_str(text).map_err(|e| invalid(plain_words(e.to_string().trim_end())))?;
        let mut problems = config.validate(text, home().as_deref());
        config.warnings = keys::unknown_keys(text, path);
        let (holdings, holding_problems, holding_warnings) = holdings::read(text, path);
        config.holdings = holdings;
        problems.extend(holding_problems);
        config.warnings.extend(holding_warnings);
        config.warnings.sort_by_key(|w| w.line);
        let (keymap, key_problems) = keytable::read(text);
        config.keymap = keymap;
        problems.extend(key_problems);
        problems.sort_by_key(|p| p.0);
        if problems.is_empty() {
            return Ok(config);
        }
        // A file refused for its values lists its unknown keys too: the typo may be why.
        problems.extend(
            config
                .warnings
                .iter()
                .map(|w| (w.line.unwrap_or(0), w.problem())),
        );
        problems.sort_by_key(|p| p.0);
        let lines: Vec<String> = problems.into_iter().map(|p| p.1).collect();
        Err(invalid(lines.join("\n")))
    }

    /// Every problem as (line, text), in file order, each naming its line and key; `~/` in
    /// `log_file` is expanded on the way.
    fn validate(&mut self, text: &str, home: Option<&Path>) -> Vec<(usize, String)> {
        let mut problems: Vec<(usize, String)> = Vec::new();
        let mut bad = |key: &str, why: &str| {
            problems.push(match line_of(text, key) {
                Some(line) => (line, format!("line {line}, key `{key}`: {why}")),
                None => (0, format!("key `{key}`: {why}")),
            });
        };
        for e in &self.exchanges {
            if let Err(m) = e.parse::<pricewire_core::model::ExchangeId>() {
                bad("exchanges", &m);
            }
        }
        // A venue or theme key this version does not know is a warning (`keys.rs`), not
        // an error: only the values of known ones are checked.
        let known = |name: &str| name.parse::<pricewire_core::model::ExchangeId>().is_ok();
        for (venue, endpoint) in self.endpoints.iter().filter(|(v, _)| known(v)) {
            for (key, url, schemes) in [
                ("ws_url", &endpoint.ws_url, WS_SCHEMES),
                ("rest_url", &endpoint.rest_url, REST_SCHEMES),
            ] {
                if let Some(Err(m)) = url.as_deref().map(|u| check_url(u, schemes)) {
                    bad(&format!("endpoints.{venue}.{key}"), &m);
                }
            }
        }
        for (key, value) in self
            .theme
            .iter()
            .filter(|(k, _)| crate::ui::theme::THEME_KEYS.contains(&k.as_str()))
        {
            if let Err(m) = crate::ui::theme::check(key, value) {
                bad(&format!("theme.{key}"), &m);
            }
        }
        if let Some(p) = &self.log_file {
            match expand_home(p, home) {
                Ok(p) => self.log_file = Some(p),
                Err(m) => bad("log_file", &m),
            }
        }
        if self.ui.fps == 0 || self.ui.fps > 240 {
            bad("ui.fps", "must be between 1 and 240");
        }
        if let Err(why) = crate::view::columns::Column::sort_key(&self.ui.sort) {
            bad("ui.sort", &why);
        }
        if let Some(g) = &self.ui.grouping
            && !["venue", "none"].contains(&g.as_str())
        {
            bad("ui.grouping", "must be \"venue\" or \"none\"");
        }
        if let Some(Err(why)) = self
            .ui
            .columns
            .as_ref()
            .map(|c| crate::view::columns::Column::list(c))
        {
            bad("ui.columns", &why);
        }
        for (name, list) in &self.watchlists {
            if name == DEFAULT_WATCHLIST {
                bad(
                    &format!("watchlists.{name}"),
                    "\"default\" is the top-level `symbols` list; give this one another name",
                );
            } else if list.symbols.is_empty() {
                bad(
                    &format!("watchlists.{name}"),
                    "give it symbols = [\"BTC/USD\", ...]",
                );
            }
        }
        let (feed, feed_problems) = self.feed_file.to_config();
        self.feed = feed;
        for (key, why) in feed_problems {
            bad(&key, &why);
        }
        for (key, why) in self.relay.problems() {
            bad(&key, &why);
        }
        for (key, why) in self.http.problems() {
            bad(&key, &why);
        }
        let (rules, rule_problems) = look::rules(&self.alerts);
        self.alert_rules = rules;
        for (key, why) in rule_problems
            .into_iter()
            .chain(look::problems(&self.notify, &self.record))
        {
            // `alerts[2].rule` has no dotted path of its own: the line is the list's.
            let at = if key.starts_with("alerts[") {
                "alerts"
            } else {
                key.as_str()
            };
            match line_of(text, at) {
                Some(line) => problems.push((line, format!("line {line}, key `{key}`: {why}"))),
                None => problems.push((0, format!("key `{key}`: {why}"))),
            }
        }
        problems.sort_by_key(|p| p.0);
        problems
    }

    /// Load from `path`; a missing file at the default location is not an error.
    pub fn load(path: &Path, must_exist: bool) -> Result<Config, ConfigError> {
        match fs::read_to_string(path) {
            Ok(text) => Config::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(Config::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }
}

/// The 1-based line where the value of a dotted `key` is written, when it is written.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let doc = toml_edit::Document::parse(text).ok()?;
    let mut item = doc.as_item();
    for part in key.split('.') {
        item = item.get(part)?;
    }
    let start = item.span()?.start;
    Some(text.get(..start)?.matches('\n').count() + 1)
}

/// `$HOME`, for `~/` in paths.
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// A leading `~/` (or a bare `~`) becomes `home`, as a shell would do it; `~user/` is
/// refused rather than guessed at.
pub fn expand_home(path: &Path, home: Option<&Path>) -> Result<PathBuf, String> {
    let mut parts = path.components();
    let Some(std::path::Component::Normal(first)) = parts.next() else {
        return Ok(path.to_path_buf());
    };
    let Some(first) = first.to_str().filter(|f| f.starts_with('~')) else {
        return Ok(path.to_path_buf());
    };
    if first != "~" {
        return Err(format!(
            "`{}`: only ~/ (your own home) is expanded, not {first}; write the full path",
            path.display()
        ));
    }
    let home = home.ok_or_else(|| format!("`{}`: HOME is not set", path.display()))?;
    Ok(home.join(parts.as_path()))
}

/// Words a user knows instead of serde's type names.
fn plain_words(message: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("invalid type: floating point ", "found the number "),
        ("invalid type: integer ", "found the whole number "),
        ("invalid type: string ", "found text "),
        ("invalid type: boolean ", "found "),
        ("invalid type: sequence", "found a list"),
        ("invalid type: map", "found a table"),
        ("invalid value: integer ", "found the whole number "),
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u8", "expected a whole number"),
        ("expected u16", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected an integer", "expected a whole number"),
        ("expected a string", "expected text in quotes"),
        ("expected path string", "expected a path in quotes"),
        ("expected a sequence", "expected a list like [\"BTC/USD\"]"),
        ("expected a boolean", "expected true or false"),
    ];
    let mut out = message.to_string();
    for (from, to) in WORDS {
        out = out.replace(from, to);
    }
    out
}

/// `~/.config/pricewire/config.toml` on Linux (the platform's config dir elsewhere).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "pricewire").map(|d| d.config_dir().join("config.toml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let c = Config::parse("", Path::new("c.toml")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let err = Config::parse("[ui]\nfps = 0\n", Path::new("/x/c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/x/c.toml"), "{err}");
        assert!(err.contains("line 2, key `ui.fps`"), "{err}");
    }

    #[test]
    fn unknown_keys_are_warnings_naming_file_line_and_closest_key() {
        let c = Config::parse(
            "symbols = [\"BTC/USD\"]\n[feed]\nsilence_sec = 3\n",
            Path::new("/x/c.toml"),
        )
        .unwrap();
        let warning = c.warnings[0].to_string();
        assert!(warning.contains("/x/c.toml"), "{warning}");
        assert!(warning.contains("line 3"), "{warning}");
        assert!(warning.contains("feed.silence_secs"), "{warning}");
        assert_eq!(c.symbols, ["BTC/USD"], "the rest of the file is read");
        let c = Config::parse(
            "[quote_aliases]\nbinanse = { USD = \"USDT\" }\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(c.warnings.len(), 1);
        let warning = c.warnings[0].to_string();
        assert!(warning.contains("quote_aliases.binanse"), "{warning}");
        assert!(warning.contains("`quote_aliases.binance`"), "{warning}");
    }

    #[test]
    fn save_keeps_comments_and_other_keys() {
        let dir = std::env::temp_dir().join(format!("pricewire-cfg-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        fs::write(
            &path,
            "# my prices\nsymbols = [\"BTC/USD\"] # watch these\n\n[ui]\nfps = 20 # slow box\n",
        )
        .unwrap();
        save_watchlist(&path, &["BTC/USD".into(), "SOL/USD".into()]).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# my prices\n"), "{text}");
        assert!(text.contains("\"SOL/USD\""), "{text}");
        assert!(text.contains("# watch these"), "{text}");
        assert!(text.contains("fps = 20 # slow box"), "{text}");
        let c = Config::parse(&text, &path).unwrap();
        assert_eq!(c.symbols, vec!["BTC/USD", "SOL/USD"]);
        assert_eq!(c.ui.fps, 20);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn every_problem_is_listed_in_file_order() {
        let text = "[ui]\nfps = 0\nsort = \"price\"\n\n[theme]\nlive = \"grene\"\nup = \"#zzzzzz\"\nupp = 1\ndown = 208\n";
        let err = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = err.lines().skip(1).collect();
        assert_eq!(lines.len(), 5, "{err}");
        assert!(lines[0].starts_with("line 2, key `ui.fps`"), "{err}");
        assert!(lines[1].starts_with("line 3, key `ui.sort`"), "{err}");
        assert_eq!(
            lines[2],
            "line 6, key `theme.live`: \"grene\" is not a colour; use a name like green, an ANSI index 0-255, #rrggbb or \"none\""
        );
        assert!(lines[3].starts_with("line 7, key `theme.up`"), "{err}");
        // Refused for its values, the file's unknown keys are listed with the errors.
        assert_eq!(
            lines[4],
            "line 8, key `theme.upp`: unknown, ignored (closest known key: `theme.up`)"
        );
    }

    #[test]
    fn theme_takes_indexes_names_and_a_preset() {
        let text = "[theme]\npreset = \"light\"\nlive = 208\nup = \"green\"\n";
        let c = Config::parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(c.theme["live"], crate::ui::theme::ThemeValue::Index(208));
        let err = Config::parse("[theme]\nlive = 1.5\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("an ANSI index 0-255"), "{err}");
    }

    #[test]
    fn type_errors_use_plain_words() {
        for (text, want) in [
            ("[feed]\nsilence_secs = \"x\"\n", "expected a number"),
            ("[ui]\nfps = 1.5\n", "expected a whole number"),
            ("log_file = 3\n", "expected a path in quotes"),
            ("exchanges = [3]\n", "expected text in quotes"),
            (
                "symbols = \"BTC/USD\"\n",
                "expected a list like [\"BTC/USD\"]",
            ),
            ("[ui]\nhistory_pane = 1\n", "expected true or false"),
        ] {
            let err = Config::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{text}: {err}");
            assert!(!err.contains("invalid type"), "{text}: {err}");
        }
    }

    #[test]
    fn home_is_expanded_in_log_file() {
        let home = home().expect("HOME is set for the tests");
        let c = Config::parse("log_file = \"~/pw.log\"\n", Path::new("c.toml")).unwrap();
        assert_eq!(c.log_file, Some(home.join("pw.log")));
        let h = Path::new("/h");
        assert_eq!(expand_home(Path::new("~"), Some(h)).unwrap(), h);
        assert_eq!(
            expand_home(Path::new("~/a/b"), Some(h)).unwrap(),
            h.join("a/b")
        );
        assert_eq!(
            expand_home(Path::new("/x/~/y"), Some(h)).unwrap(),
            Path::new("/x/~/y")
        );
        assert_eq!(
            expand_home(Path::new("a~"), Some(h)).unwrap(),
            Path::new("a~")
        );
        assert!(expand_home(Path::new("~/x"), None).is_err());
        let err = Config::parse("\nlog_file = \"~bob/pw.log\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2, key `log_file`"), "{err}");
        assert!(err.contains("only ~/"), "{err}");
    }

    #[test]
    fn endpoint_urls_are_checked() {
        assert!(check_url("wss://ws.kraken.com/v2", WS_SCHEMES).is_ok());
        assert!(check_url("ws://127.0.0.1:9000/v2", WS_SCHEMES).is_ok());
        assert!(check_url("https://api.kraken.com", REST_SCHEMES).is_ok());
        assert!(
            check_url("notaurl", WS_SCHEMES)
                .unwrap_err()
                .contains("not a URL")
        );
        assert!(
            check_url("https://api.kraken.com", WS_SCHEMES)
                .unwrap_err()
                .contains("ws:// or wss://")
        );
        assert!(check_url("wss://x", REST_SCHEMES).is_err());
        assert!(check_url("http://", REST_SCHEMES).is_err());
        let text = "[endpoints]\nkraken = { ws_url = \"notaurl\", rest_url = \"ftp://x\" }\n";
        let err = Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("key `endpoints.kraken.ws_url`"), "{err}");
        assert!(err.contains("key `endpoints.kraken.rest_url`"), "{err}");
    }

    #[test]
    fn default_watchlists_name_markets_each_venue_lists() {
        for id in pricewire_core::model::ExchangeId::ALL {
            // The simulator lists what the venue's recorded pair list holds.
            let sim = pricewire_sim::SimServer::in_memory(pricewire_sim::SimConfig {
                exchange: id,
                ..pricewire_sim::SimConfig::default()
            });
            let listed = sim.symbols();
            for symbol in default_watchlist(id) {
                assert!(listed.iter().any(|s| s == symbol), "{id} lacks {symbol}");
            }
        }
    }

    #[test]
    fn example_config_is_valid_and_complete() {
        let text = include_str!("../config.example.toml");
        let c = Config::parse(text, Path::new("config.example.toml")).unwrap();
        assert_eq!(c.feed, FeedConfig::default());
        assert_eq!(c.ui, UiConfig::default());
        assert_eq!(c.relay, RelayConfig::default());
    }
}
