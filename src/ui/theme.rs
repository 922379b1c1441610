//! Colours and text styles of the dashboard, from the config file's `[theme]` table. Owns
//! nothing else: it never reads the environment (the caller passes `NO_COLOR` in as
//! [`ColorMode`]) and never touches the terminal.
//!
//! `preset` picks a base palette (`presets.rs`): `dark` (the default), `light`,
//! `high-contrast` or `mono`; any key below overrides the preset's colour for it. A colour
//! is a name in quotes (`green`, `light-red`, `dark-gray`), `"#rrggbb"`, an ANSI index
//! `0`..`255` as a bare number, or `"none"` for the terminal's own.
//!
//! | key          | used for                                                  |
//! |--------------|-----------------------------------------------------------|
//! | `background` | the whole screen's background                             |
//! | `text`       | plain text                                                |
//! | `muted`      | secondary text: hints, reasons, ages, missing figures     |
//! | `up`         | upticks, positive change and P&L, rising trend            |
//! | `down`       | downticks, negative change and P&L, falling trend         |
//! | `live`       | `● LIVE`                                                  |
//! | `connecting` | `◌ CONNECTING`, `↻ RECONNECTING`, silent rows             |
//! | `fallback`   | `⇄ FALLBACK` (REST polling)                               |
//! | `offline`    | `✕ OFFLINE`, invalid symbols, errors                      |
//! | `simulated`  | `◇ SIMULATED`: the feed is the built-in simulator's       |
//! | `stale`      | rows older than `ui.stale_secs`, rows of a feed not live  |
//! | `header`     | the title bar, pane titles and column headings (bold)     |
//! | `border`     | pane borders                                              |
//! | `selected`   | background of the selected row (bold text on it)          |
//!
//! The colour presets use the 256-colour cube and grey ramp (indexes 16-255), which
//! terminals rarely redefine, not the 16 ANSI colours, which every terminal draws its own
//! way; each sets its background, and every colour that carries text reaches 4.5:1 against
//! that background and against the selected row's (a test computes it from the palette's
//! RGB values). `mono` uses no colour at all: bold, reverse video and underline only, on the
//! terminal's own colours. No meaning is ever carried by dim text, which many terminals
//! draw too faint to read: stale rows take the `stale` colour, and every state also has a
//! glyph and a word, so the screen reads the same in `mono` and with `NO_COLOR`.

mod presets;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

pub use presets::Preset;

/// Whether colours may be used at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    Color,
    /// `NO_COLOR` set: the `mono` preset whatever the config says.
    NoColor,
}

impl ColorMode {
    /// `NO_COLOR` with any non-empty value turns colour off (<https://no-color.org>).
    pub fn from_no_color(value: Option<&str>) -> Self {
        match value {
            Some(v) if !v.is_empty() => ColorMode::NoColor,
            _ => ColorMode::Color,
        }
    }
}

/// Resolved styles, one per theme key plus a few fixed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Text and background of the whole screen, laid down before anything is drawn.
    pub base: Style,
    pub up: Style,
    pub down: Style,
    pub live: Style,
    pub connecting: Style,
    pub fallback: Style,
    pub offline: Style,
    /// `◇ SIMULATED`: a hue no state uses, so made-up prices never pass for live ones.
    pub simulated: Style,
    pub stale: Style,
    pub header: Style,
    pub border: Style,
    pub selected: Style,
    /// Secondary text (reasons, hints, ages): a colour still readable, never dim.
    pub muted: Style,
    /// Key names in the footer and help.
    pub key: Style,
    /// How a just-changed last price stands out: reversed colour, or (without colour,
    /// where the selected row is already reversed) underlined.
    pub flash: Modifier,
}

/// Every key the `[theme]` table accepts.
pub const THEME_KEYS: [&str; 15] = [
    "preset",
    "background",
    "text",
    "muted",
    "up",
    "down",
    "live",
    "connecting",
    "fallback",
    "offline",
    "simulated",
    "stale",
    "header",
    "border",
    "selected",
];

/// One `[theme]` value as written: text in quotes (a name, `#rrggbb`, a preset) or a bare
/// whole number (an ANSI index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThemeValue {
    Text(String),
    Index(i64),
}

impl<'de> Deserialize<'de> for ThemeValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = ThemeValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a colour like \"green\" or \"#rrggbb\", or an ANSI index 0-255")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ThemeValue, E> {
                Ok(ThemeValue::Text(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ThemeValue, E> {
                Ok(ThemeValue::Index(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ThemeValue, E> {
                Ok(ThemeValue::Index(i64::try_from(v).unwrap_or(i64::MAX)))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A colour as written; `Ok(None)` for `"none"`, the terminal's own.
fn colour(value: &ThemeValue) -> Result<Option<Color>, String> {
    match value {
        ThemeValue::Index(n) => u8::try_from(*n)
            .map(|n| Some(Color::Indexed(n)))
            .map_err(|_| format!("{n} is not an ANSI index; use 0-255")),
        ThemeValue::Text(t) if t.trim().eq_ignore_ascii_case("none") => Ok(None),
        ThemeValue::Text(t) => Color::from_str(t.trim()).map(Some).map_err(|_| {
            format!(
                "\"{t}\" is not a colour; use a name like green, an ANSI index 0-255, #rrggbb or \"none\""
            )
        }),
    }
}

/// Check one `[theme]` entry: the message says what is wrong with it, for the config error.
pub fn check(key: &str, value: &ThemeValue) -> Result<(), String> {
    match key {
        "preset" => Preset::read(value).map(|_| ()),
        k if THEME_KEYS.contains(&k) => colour(value).map(|_| ()),
        _ => Err(format!(
            "unknown theme key (known: {})",
            THEME_KEYS.join(", ")
        )),
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::new(&BTreeMap::new(), ColorMode::Color)
    }
}

impl Theme {
    /// Build from the config's `[theme]` table, already checked with [`check`] when the
    /// config was read (an entry that would not pass is left at the preset's colour).
    /// Without colour (`NO_COLOR`) the table is ignored and `mono` is used.
    pub fn new(map: &BTreeMap<String, ThemeValue>, mode: ColorMode) -> Theme {
        let preset = match mode {
            ColorMode::NoColor => Preset::Mono,
            ColorMode::Color => map
                .get("preset")
                .and_then(|v| Preset::read(v).ok())
                .unwrap_or(Preset::Dark),
        };
        let colour = |key: &str| -> Option<Color> {
            if mode == ColorMode::NoColor {
                return None;
            }
            match map.get(key).map(colour) {
                Some(Ok(c)) => c,
                _ => preset.colour(key),
            }
        };
        let fg = |key: &str| match colour(key) {
            Some(c) => Style::new().fg(c),
            None => Style::new(),
        };
        let bold = |key: &str| fg(key).add_modifier(Modifier::BOLD);
        let mut base = fg("text");
        if let Some(bg) = colour("background") {
            base = base.bg(bg);
        }
        let selected = match colour("selected") {
            Some(c) => Style::new().bg(c).add_modifier(Modifier::BOLD),
            None => Style::new().add_modifier(Modifier::REVERSED),
        };
        let flash = match preset {
            Preset::Mono => Modifier::UNDERLINED | Modifier::BOLD,
            _ => Modifier::REVERSED | Modifier::BOLD,
        };
        Theme {
            base,
            flash,
            up: fg("up"),
            down: fg("down"),
            live: bold("live"),
            connecting: bold("connecting"),
            fallback: bold("fallback"),
            offline: bold("offline"),
            simulated: bold("simulated"),
            stale: fg("stale"),
            header: bold("header"),
            border: fg("border"),
            selected,
            muted: fg("muted"),
            key: bold("text"),
        }
    }
}

#[cfg(test)]
mod tests;
