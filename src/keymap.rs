//! The keymap: which key does what on the dashboard, as data. [`BINDINGS`] is the table of
//! every command a key can be bound to (its config name, default keys, help text, footer
//! label); the config file's `[keys]` table replaces a command's keys; the footer and the
//! help overlay are drawn from the resulting [`Keymap`], so they always name the keys that
//! work. Pure: parsing, lookup and conflict checks, no terminal, no file.
//!
//! Adding a command is one row in [`BINDINGS`] and one [`Cmd`] variant. Keys are written
//! as a trader reads them: `q`, `S` (a capital is shift), `?`, `ctrl-z`, `alt-x`, `up`,
//! `pgdn`, `home`, `delete`, `esc`, `enter`, `space`, `tab`, `f5`. Ctrl-C always quits,
//! whatever the table says, so a keymap can never lock anyone in.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Every command a key can be bound to in the dashboard's normal mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cmd {
    Quit,
    Reconnect,
    ReconnectAll,
    Add,
    Drop,
    Undo,
    Up,
    Down,
    First,
    Last,
    Sort,
    ReverseSort,
    Grouping,
    History,
    HistoryPageUp,
    HistoryPageDown,
    HistoryUp,
    HistoryDown,
    Help,
    Back,
    Filter,
    Chart,
    ChartWindow,
    ChartStyle,
    Holdings,
    HideAmounts,
    Watchlist,
    Details,
    Alert,
    AlertList,
    Suspend,
}

/// One row of the key table: see [`BINDINGS`].
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub cmd: Cmd,
    /// The name in the config's `[keys]` table.
    pub name: &'static str,
    /// The keys it has unless the config says otherwise.
    pub keys: &'static [&'static str],
    /// What the help overlay says it does.
    pub help: &'static str,
}

/// Every command, in the order the help overlay lists them.
pub const BINDINGS: &[Binding] = &[
    bind(Cmd::Up, "up", &["up", "k"], "select the row above"),
    bind(Cmd::Down, "down", &["down", "j"], "select the row below"),
    bind(Cmd::First, "first", &["home"], "select the first row"),
    bind(Cmd::Last, "last", &["end"], "select the last row"),
    bind(Cmd::Filter, "filter", &["/"], "filter by symbol or venue"),
    bind(Cmd::Sort, "sort", &["s"], "sort by the next column"),
    bind(Cmd::ReverseSort, "reverse-sort", &["S"], "reverse the sort"),
    bind(
        Cmd::Grouping,
        "grouping",
        &["g"],
        "by venue / across venues",
    ),
    bind(Cmd::Chart, "chart", &["c"], "chart the selected row"),
    bind(
        Cmd::ChartWindow,
        "chart-window",
        &["w"],
        "chart window 1h/24h/7d",
    ),
    bind(
        Cmd::ChartStyle,
        "chart-style",
        &["v"],
        "chart: candles or line",
    ),
    bind(Cmd::Holdings, "holdings", &["H"], "show or hide holdings"),
    bind(
        Cmd::HideAmounts,
        "hide-amounts",
        &["$"],
        "hide amounts and values",
    ),
    bind(Cmd::Watchlist, "watchlist", &["W"], "next named watchlist"),
    bind(
        Cmd::Reconnect,
        "reconnect",
        &["r"],
        "reconnect selected feed",
    ),
    bind(
        Cmd::ReconnectAll,
        "reconnect-all",
        &["R"],
        "reconnect every feed",
    ),
    bind(Cmd::Add, "add", &["a"], "add a symbol"),
    bind(Cmd::Drop, "drop", &["d", "delete"], "drop the selected row"),
    bind(Cmd::Undo, "undo", &["u"], "undo the last add or drop"),
    bind(Cmd::History, "history", &["h"], "show or hide the history"),
    bind(
        Cmd::HistoryPageUp,
        "history-page-up",
        &["pgup"],
        "history: a page newer",
    ),
    bind(
        Cmd::HistoryPageDown,
        "history-page-down",
        &["pgdn"],
        "history: a page older",
    ),
    bind(
        Cmd::HistoryUp,
        "history-up",
        &["K"],
        "history: a newer line",
    ),
    bind(
        Cmd::HistoryDown,
        "history-down",
        &["J"],
        "history: an older line",
    ),
    bind(Cmd::Details, "details", &["i"], "venue connection details"),
    bind(Cmd::Alert, "alerts", &["A"], "alert on the selected row"),
    bind(
        Cmd::AlertList,
        "alert-list",
        &["L"],
        "list alerts, delete one",
    ),
    bind(Cmd::Suspend, "suspend", &["ctrl-z"], "suspend (fg resumes)"),
    bind(Cmd::Help, "help", &["?"], "this help"),
    bind(Cmd::Back, "back", &["esc"], "close chart, filter, line"),
    bind(Cmd::Quit, "quit", &["q"], "quit (Ctrl-C always)"),
];

const fn bind(
    cmd: Cmd,
    name: &'static str,
    keys: &'static [&'static str],
    help: &'static str,
) -> Binding {
    Binding {
        cmd,
        name,
        keys,
        help,
    }
}

/// The footer: the commands a trader needs most, most important first; on a narrow
/// terminal the footer drops them from the right, keeping the last one (help). Two
/// commands in one entry share a label (`↑↓ select`).
pub const FOOTER: &[(&[Cmd], &str)] = &[
    (&[Cmd::Quit], "quit"),
    (&[Cmd::Filter], "filter"),
    (&[Cmd::Chart], "chart"),
    (&[Cmd::Holdings], "holdings"),
    (&[Cmd::Add], "add"),
    (&[Cmd::Drop], "drop"),
    (&[Cmd::Up, Cmd::Down], "select"),
    (&[Cmd::Sort], "sort"),
    (&[Cmd::Reconnect], "reconnect"),
    (&[Cmd::History], "history"),
    (&[Cmd::Help], "help"),
];

/// A key as the keymap knows it: a code and the modifiers that matter. For a character,
/// shift is part of the character (`S`, `?`), never a modifier of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    ctrl: bool,
    alt: bool,
    shift: bool,
}

impl Key {
    /// The key a terminal event stands for.
    pub fn from_event(ev: &KeyEvent) -> Key {
        let m = ev.modifiers;
        let (code, shift) = match ev.code {
            // Terminals report capitals both as `S` and as shift + `s`.
            KeyCode::Char(c) if m.contains(KeyModifiers::SHIFT) => {
                (KeyCode::Char(c.to_ascii_uppercase()), false)
            }
            KeyCode::Char(c) => (KeyCode::Char(c), false),
            KeyCode::BackTab => (KeyCode::BackTab, false),
            other => (other, m.contains(KeyModifiers::SHIFT)),
        };
        Key {
            code,
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift,
        }
    }

    /// The key without modifiers.
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }
}

/// Named keys and how they are written (the first name is the one shown).
const NAMED: &[(&[&str], KeyCode)] = &[
    (&["up"], KeyCode::Up),
    (&["down"], KeyCode::Down),
    (&["left"], KeyCode::Left),
    (&["right"], KeyCode::Right),
    (&["home"], KeyCode::Home),
    (&["end"], KeyCode::End),
    (&["pgup", "pageup"], KeyCode::PageUp),
    (&["pgdn", "pagedown"], KeyCode::PageDown),
    (&["tab"], KeyCode::Tab),
    (&["backtab"], KeyCode::BackTab),
    (&["enter", "return"], KeyCode::Enter),
    (&["esc", "escape"], KeyCode::Esc),
    (&["space"], KeyCode::Char(' ')),
    (&["delete", "del"], KeyCode::Delete),
    (&["backspace"], KeyCode::Backspace),
    (&["insert", "ins"], KeyCode::Insert),
];

impl FromStr for Key {
    type Err = String;

    fn from_str(text: &str) -> Result<Key, String> {
        let bad = || {
            format!(
                "\"{text}\" is not a key; write a character (q, S, ?), a name (up, pgdn, esc, \
                 enter, space, f5) or a modifier before it (ctrl-z, alt-x, shift-up)"
            )
        };
        let mut key = Key::plain(KeyCode::Null);
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            let Some((prefix, after)) = ["ctrl-", "ctrl+", "alt-", "alt+", "shift-", "shift+"]
                .iter()
                .find_map(|p| {
                    lower
                        .starts_with(p)
                        .then(|| (&p[..p.len() - 1], &rest[p.len()..]))
                })
            else {
                break;
            };
            if after.is_empty() {
                break;
            }
            match prefix {
                "ctrl" => key.ctrl = true,
                "alt" => key.alt = true,
                _ => key.shift = true,
            }
            rest = after;
        }
        let lower = rest.to_ascii_lowercase();
        key.code = if let Some((_, code)) = NAMED
            .iter()
            .find(|(names, _)| names.contains(&lower.as_str()))
        {
            *code
        } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            if !(1..=12).contains(&n) {
                return Err(bad());
            }
            KeyCode::F(n)
        } else {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => KeyCode::Char(c),
                _ => return Err(bad()),
            }
        };
        if let KeyCode::Char(c) = key.code {
            // Shift on a character is the character itself; ctrl and alt take the plain
            // letter, as terminals send them.
            if key.shift {
                key.code = KeyCode::Char(c.to_ascii_uppercase());
                key.shift = false;
            } else if key.ctrl || key.alt {
                key.code = KeyCode::Char(c.to_ascii_lowercase());
            }
        }
        if key.shift && key.code == KeyCode::Tab {
            key = Key::plain(KeyCode::BackTab);
        }
        Ok(key)
    }
}

impl fmt::Display for Key {
    /// As the footer and help show it: `q`, `S`, `Ctrl-Z`, `↑`, `PgDn`, `F5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        if self.shift {
            f.write_str("Shift-")?;
        }
        let modified = self.ctrl || self.alt;
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if modified => write!(f, "{}", c.to_ascii_uppercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One entry of the config's `[keys]` table: a command's name, its keys as written, and
/// the line it is on (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub name: String,
    pub keys: Vec<String>,
    pub line: Option<usize>,
}

/// Something wrong in the `[keys]` table, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyProblem {
    pub line: Option<usize>,
    /// The dotted config key (`keys.chart`).
    pub key: String,
    pub message: String,
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}, key `{}`: {}", self.key, self.message),
            None => write!(f, "key `{}`: {}", self.key, self.message),
        }
    }
}

/// Which command each key runs, and which keys each command has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// Per command (in [`BINDINGS`] order) its keys, first one shown.
    keys: Vec<(Cmd, Vec<Key>)>,
}

impl Default for Keymap {
    /// Every command on its default keys.
    fn default() -> Self {
        Keymap::from_entries(&[]).0
    }
}

impl Keymap {
    /// The defaults with `entries` (the config's `[keys]`) replacing the keys of the
    /// commands they name. Every problem is returned (unknown command, a key that is no
    /// key, one key on two commands), each with its line; a command whose entry has a
    /// problem keeps its default keys.
    pub fn from_entries(entries: &[KeyEntry]) -> (Keymap, Vec<KeyProblem>) {
        let mut problems = Vec::new();
        let mut keys: Vec<(Cmd, Vec<Key>, Option<usize>)> = BINDINGS
            .iter()
            .map(|b| {
                let parsed = b.keys.iter().filter_map(|k| k.parse().ok()).collect();
                (b.cmd, parsed, None)
            })
            .collect();
        for entry in entries {
            let problem = |message: String| KeyProblem {
                line: entry.line,
                key: format!("keys.{}", entry.name),
                message,
            };
            let Some(i) = BINDINGS.iter().position(|b| b.name == entry.name) else {
                let names: Vec<&str> = BINDINGS.iter().map(|b| b.name).collect();
                problems.push(problem(format!(
                    "no such command (known: {})",
                    names.join(", ")
                )));
                continue;
            };
            let parsed: Result<Vec<Key>, String> = entry.keys.iter().map(|k| k.parse()).collect();
            match parsed {
                Ok(list) if list.is_empty() => {
                    problems.push(problem("give at least one key".into()));
                }
                Ok(list) => keys[i] = (BINDINGS[i].cmd, list, entry.line),
                Err(e) => problems.push(problem(e)),
            }
        }
        // One key, one command: a clash names both sides.
        let ctrl_c = Key {
            ctrl: true,
            ..Key::plain(KeyCode::Char('c'))
        };
        for (i, (cmd, list, line)) in keys.iter().enumerate() {
            for key in list {
                if *key == ctrl_c && *cmd != Cmd::Quit {
                    problems.push(KeyProblem {
                        line: *line,
                        key: format!("keys.{}", name_of(*cmd)),
                        message: "Ctrl-C always quits; pick another key".into(),
                    });
                }
                for (other, other_list, other_line) in &keys[..i] {
                    if !other_list.contains(key) {
                        continue;
                    }
                    // The entry the user wrote last is the one that clashes.
                    let ((subject, at), (held, held_at)) = match (line, other_line) {
                        (Some(a), Some(b)) if a < b => ((*other, other_line), (*cmd, line)),
                        (None, Some(_)) => ((*other, other_line), (*cmd, line)),
                        _ => ((*cmd, line), (*other, other_line)),
                    };
                    let whose =
                        held_at.map_or_else(|| "its default".into(), |l| format!("line {l}"));
                    problems.push(KeyProblem {
                        line: *at,
                        key: format!("keys.{}", name_of(subject)),
                        message: format!(
                            "{key} is already bound to {} ({whose}); give one of them another key",
                            name_of(held)
                        ),
                    });
                }
            }
        }
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        let keymap = Keymap {
            keys: keys.into_iter().map(|(c, k, _)| (c, k)).collect(),
        };
        (keymap, problems)
    }

    /// The command `key` runs, if any (Ctrl-C is the loop's own: always quit).
    pub fn command(&self, key: Key) -> Option<Cmd> {
        self.keys
            .iter()
            .find(|(_, keys)| keys.contains(&key))
            .map(|(cmd, _)| *cmd)
    }

    /// The keys of `cmd`, first the one shown in the footer.
    pub fn keys_of(&self, cmd: Cmd) -> &[Key] {
        self.keys
            .iter()
            .find(|(c, _)| *c == cmd)
            .map_or(&[], |(_, k)| k.as_slice())
    }

    /// The first key of `cmd`, as shown (`?` when it has none).
    pub fn shown(&self, cmd: Cmd) -> String {
        self.keys_of(cmd)
            .first()
            .map_or_else(|| "?".into(), ToString::to_string)
    }

    /// The footer's entries as (keys, label): `("q", "quit")`, `("↑↓", "select")`.
    pub fn footer(&self) -> Vec<(String, &'static str)> {
        FOOTER
            .iter()
            .map(|(cmds, label)| {
                let keys: String = cmds.iter().map(|c| self.shown(*c)).collect();
                (keys, *label)
            })
            .collect()
    }

    /// The help overlay's lines as (keys, what it does), every command in table order.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        BINDINGS
            .iter()
            .map(|b| {
                let keys: Vec<String> = self
                    .keys_of(b.cmd)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                (keys.join("  "), b.help)
            })
            .collect()
    }
}

/// The config name of `cmd`.
pub fn name_of(cmd: Cmd) -> &'static str {
    BINDINGS
        .iter()
        .find(|b| b.cmd == cmd)
        .map_or("?", |b| b.name)
}

#[cfg(test)]
mod tests;
