//! Colours and text styles of the dashboard, from the config file's `[theme]` table. Owns
//! nothing else: it never reads the environment (the caller passes `NO_COLOR` in as
//! [`ColorMode`]) and never touches the terminal.
//!
//! Theme keys (each a colour name such as `green`, `light-red`, `dark-gray`, an ANSI index
//! `0`..`255`, or `#rrggbb`):
//!
//! | key          | used for                                             | default        |
//! |--------------|------------------------------------------------------|----------------|
//! | `up`         | upticks, positive 24 h change, rising sparkline      | green          |
//! | `down`       | downticks, negative 24 h change, falling sparkline   | red            |
//! | `live`       | `● LIVE`                                             | green          |
//! | `connecting` | `◌ CONNECTING`, `↻ RECONNECTING`, silent rows        | yellow         |
//! | `fallback`   | `⇄ FALLBACK` (REST polling)                          | blue           |
//! | `offline`    | `✕ OFFLINE`, invalid symbols, errors                 | red            |
//! | `stale`      | rows older than `ui.stale_secs` (always also dimmed) | terminal's own |
//! | `header`     | the title bar and column headings (always bold)      | terminal's own |
//! | `border`     | pane borders                                         | dark-gray      |
//! | `selected`   | background of the selected row                       | reverse video  |
//!
//! Defaults use only the 16 ANSI colours and never set a background, so the terminal's own
//! palette decides how they look on light and dark screens. Every state also has a glyph and
//! a word, so the screen reads the same with colour off.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// Whether colours may be used at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMode {
    Color,
    /// `NO_COLOR` set: only bold, dim, underline and reverse video are used.
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
    pub up: Style,
    pub down: Style,
    pub live: Style,
    pub connecting: Style,
    pub fallback: Style,
    pub offline: Style,
    pub stale: Style,
    pub header: Style,
    pub border: Style,
    pub selected: Style,
    /// Secondary text (reasons, hints): dim, no colour.
    pub dim: Style,
    /// Key names in the footer and help.
    pub key: Style,
    /// How a just-changed last price stands out: reversed colour, or (without colour,
    /// where the selected row is already reversed) underlined.
    pub flash: Modifier,
}

/// Every key the `[theme]` table accepts.
pub const THEME_KEYS: [&str; 10] = [
    "up",
    "down",
    "live",
    "connecting",
    "fallback",
    "offline",
    "stale",
    "header",
    "border",
    "selected",
];

impl Default for Theme {
    fn default() -> Self {
        Theme::new(&BTreeMap::new(), ColorMode::Color).0
    }
}

impl Theme {
    /// Build from the config's `[theme]` map. Unknown keys and unreadable colours are
    /// ignored for drawing (the default is kept) and returned as messages to show.
    pub fn new(map: &BTreeMap<String, String>, mode: ColorMode) -> (Theme, Vec<String>) {
        let mut problems = Vec::new();
        for key in map.keys() {
            if !THEME_KEYS.contains(&key.as_str()) {
                problems.push(format!(
                    "theme: unknown key `{key}` (known: {})",
                    THEME_KEYS.join(", ")
                ));
            }
        }
        let mut colour = |key: &str, default: Option<Color>| -> Option<Color> {
            let Some(text) = map.get(key) else {
                return default;
            };
            if let Ok(c) = Color::from_str(text.trim()) {
                Some(c)
            } else {
                problems.push(format!(
                    "theme: `{key} = \"{text}\"` is not a colour (a name or #rrggbb)"
                ));
                default
            }
        };
        let fg = |c: Option<Color>| match (mode, c) {
            (ColorMode::Color, Some(c)) => Style::new().fg(c),
            _ => Style::new(),
        };
        let up = fg(colour("up", Some(Color::Green)));
        let down = fg(colour("down", Some(Color::Red)));
        let live = fg(colour("live", Some(Color::Green))).add_modifier(Modifier::BOLD);
        let connecting = fg(colour("connecting", Some(Color::Yellow))).add_modifier(Modifier::BOLD);
        let fallback = fg(colour("fallback", Some(Color::Blue))).add_modifier(Modifier::BOLD);
        let offline = fg(colour("offline", Some(Color::Red))).add_modifier(Modifier::BOLD);
        let stale = fg(colour("stale", None)).add_modifier(Modifier::DIM);
        let header = fg(colour("header", None)).add_modifier(Modifier::BOLD);
        let border = fg(colour("border", Some(Color::DarkGray)));
        let selected = match (mode, colour("selected", None)) {
            (ColorMode::Color, Some(c)) => Style::new().bg(c).add_modifier(Modifier::BOLD),
            _ => Style::new().add_modifier(Modifier::REVERSED),
        };
        let flash = match mode {
            ColorMode::Color => Modifier::REVERSED | Modifier::BOLD,
            ColorMode::NoColor => Modifier::UNDERLINED | Modifier::BOLD,
        };
        let theme = Theme {
            flash,
            up,
            down,
            live,
            connecting,
            fallback,
            offline,
            stale,
            header,
            border,
            selected,
            dim: Style::new().add_modifier(Modifier::DIM),
            key: Style::new().add_modifier(Modifier::BOLD),
        };
        (theme, problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn names_and_hex_colours_are_read() {
        let (t, problems) = Theme::new(
            &map(&[
                ("up", "light-blue"),
                ("down", "#ff8000"),
                ("selected", "dark-gray"),
            ]),
            ColorMode::Color,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(t.up.fg, Some(Color::LightBlue));
        assert_eq!(t.down.fg, Some(Color::Rgb(0xff, 0x80, 0x00)));
        assert_eq!(t.selected.bg, Some(Color::DarkGray));
    }

    #[test]
    fn bad_entries_are_reported_and_defaults_kept() {
        let (t, problems) = Theme::new(
            &map(&[("up", "not-a-colour"), ("upp", "red")]),
            ColorMode::Color,
        );
        assert_eq!(t.up.fg, Some(Color::Green));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("`upp`")));
        assert!(problems.iter().any(|p| p.contains("not-a-colour")));
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let (t, _) = Theme::new(&map(&[("up", "#00ff00")]), ColorMode::NoColor);
        for style in [
            t.up,
            t.down,
            t.live,
            t.connecting,
            t.fallback,
            t.offline,
            t.border,
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
        assert!(t.selected.add_modifier.contains(Modifier::REVERSED));
        assert!(t.live.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn no_color_means_any_non_empty_value() {
        assert_eq!(ColorMode::from_no_color(None), ColorMode::Color);
        assert_eq!(ColorMode::from_no_color(Some("")), ColorMode::Color);
        assert_eq!(ColorMode::from_no_color(Some("1")), ColorMode::NoColor);
        assert_eq!(ColorMode::from_no_color(Some("false")), ColorMode::NoColor);
    }
}
