//! Colours and text styles of the dashboard, from the config file's `[theme]` table. Owns
//! nothing else: it never reads the environment (the caller passes `NO_COLOR` in as
//! [`ColorMode`]) and never touches the terminal.
//!
//! Theme keys (each a colour name such as `green`, `light-red`, `dark-gray` or `#rrggbb`
//! in quotes, or an ANSI index `0`..`255` as a bare number). `preset` picks the base set:
//!
//! | key          | used for                                             | dark           | light |
//! |--------------|------------------------------------------------------|----------------|-------|
//! | `up`         | upticks, positive 24 h change, rising sparkline      | green          | 28    |
//! | `down`       | downticks, negative 24 h change, falling sparkline   | light-red      | 160   |
//! | `live`       | `● LIVE`                                             | green          | 28    |
//! | `connecting` | `◌ CONNECTING`, `↻ RECONNECTING`, silent rows        | yellow         | 130   |
//! | `fallback`   | `⇄ FALLBACK` (REST polling)                          | cyan           | 25    |
//! | `offline`    | `✕ OFFLINE`, invalid symbols, errors                 | light-red      | 160   |
//! | `simulated`  | `◇ SIMULATED`: the feed is the built-in simulator's  | light-magenta  | 127   |
//! | `stale`      | rows older than `ui.stale_secs` (always also dimmed) | terminal's own | same  |
//! | `header`     | the title bar and column headings (always bold)      | terminal's own | 236   |
//! | `border`     | pane borders                                         | dark-gray      | 245   |
//! | `selected`   | background of the selected row                       | reverse video  | same  |
//!
//! Neither preset sets a background. `dark` uses only the 16 ANSI colours, each meaning
//! colour at least 4.5:1 against black with xterm's default palette (plain red and blue are
//! not, hence light-red and cyan). `light` uses the 256-colour cube and grey ramp, which
//! terminals rarely redefine, each at least 4.5:1 against white. The config file is checked
//! (keys and colours) when it is read, so [`Theme::new`] takes its table as valid. Every
//! state also has a glyph and a word, so the screen reads the same with colour off.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

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
    /// `◇ SIMULATED`: a hue no state uses, so made-up prices never pass for live ones.
    pub simulated: Style,
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
pub const THEME_KEYS: [&str; 12] = [
    "preset",
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

/// The base colours the per-key entries override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// For dark backgrounds (the default).
    Dark,
    /// For light backgrounds.
    Light,
}

impl Preset {
    fn read(value: &ThemeValue) -> Result<Preset, String> {
        match value {
            ThemeValue::Text(t) if t.trim() == "dark" => Ok(Preset::Dark),
            ThemeValue::Text(t) if t.trim() == "light" => Ok(Preset::Light),
            ThemeValue::Text(t) => Err(format!(
                "\"{t}\" is not a preset; use \"dark\" or \"light\""
            )),
            ThemeValue::Index(n) => Err(format!("{n} is not a preset; use \"dark\" or \"light\"")),
        }
    }

    /// The colour of each key, `None` for the terminal's own.
    fn colour(self, key: &str) -> Option<Color> {
        match (self, key) {
            (Preset::Dark, "up" | "live") => Some(Color::Green),
            (Preset::Dark, "down" | "offline") => Some(Color::LightRed),
            (Preset::Dark, "connecting") => Some(Color::Yellow),
            (Preset::Dark, "fallback") => Some(Color::Cyan),
            (Preset::Dark, "simulated") => Some(Color::LightMagenta),
            (Preset::Dark, "border") => Some(Color::DarkGray),
            (Preset::Light, "up" | "live") => Some(Color::Indexed(28)),
            (Preset::Light, "down" | "offline") => Some(Color::Indexed(160)),
            (Preset::Light, "connecting") => Some(Color::Indexed(130)),
            (Preset::Light, "fallback") => Some(Color::Indexed(25)),
            (Preset::Light, "simulated") => Some(Color::Indexed(127)),
            (Preset::Light, "header") => Some(Color::Indexed(236)),
            (Preset::Light, "border") => Some(Color::Indexed(245)),
            _ => None,
        }
    }
}

fn colour(value: &ThemeValue) -> Result<Color, String> {
    match value {
        ThemeValue::Index(n) => u8::try_from(*n)
            .map(Color::Indexed)
            .map_err(|_| format!("{n} is not an ANSI index; use 0-255")),
        ThemeValue::Text(t) => Color::from_str(t.trim()).map_err(|_| {
            format!(
                "\"{t}\" is not a colour; use a name like green, an ANSI index 0-255 or #rrggbb"
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
    pub fn new(map: &BTreeMap<String, ThemeValue>, mode: ColorMode) -> Theme {
        let preset = map
            .get("preset")
            .and_then(|v| Preset::read(v).ok())
            .unwrap_or(Preset::Dark);
        let colour = |key: &str| -> Option<Color> {
            map.get(key)
                .and_then(|v| colour(v).ok())
                .or_else(|| preset.colour(key))
        };
        let fg = |c: Option<Color>| match (mode, c) {
            (ColorMode::Color, Some(c)) => Style::new().fg(c),
            _ => Style::new(),
        };
        let bold = |key: &str| fg(colour(key)).add_modifier(Modifier::BOLD);
        let selected = match (mode, colour("selected")) {
            (ColorMode::Color, Some(c)) => Style::new().bg(c).add_modifier(Modifier::BOLD),
            _ => Style::new().add_modifier(Modifier::REVERSED),
        };
        let flash = match mode {
            ColorMode::Color => Modifier::REVERSED | Modifier::BOLD,
            ColorMode::NoColor => Modifier::UNDERLINED | Modifier::BOLD,
        };
        Theme {
            flash,
            up: fg(colour("up")),
            down: fg(colour("down")),
            live: bold("live"),
            connecting: bold("connecting"),
            fallback: bold("fallback"),
            offline: bold("offline"),
            simulated: bold("simulated"),
            stale: fg(colour("stale")).add_modifier(Modifier::DIM),
            header: bold("header"),
            border: fg(colour("border")),
            selected,
            dim: Style::new().add_modifier(Modifier::DIM),
            key: Style::new().add_modifier(Modifier::BOLD),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, ThemeValue)]) -> BTreeMap<String, ThemeValue> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect()
    }

    fn text(s: &str) -> ThemeValue {
        ThemeValue::Text(s.to_string())
    }

    #[test]
    fn names_indexes_and_hex_colours_are_read() {
        let t = Theme::new(
            &map(&[
                ("up", text("light-blue")),
                ("down", text("#ff8000")),
                ("live", ThemeValue::Index(208)),
                ("selected", text("dark-gray")),
            ]),
            ColorMode::Color,
        );
        assert_eq!(t.up.fg, Some(Color::LightBlue));
        assert_eq!(t.down.fg, Some(Color::Rgb(0xff, 0x80, 0x00)));
        assert_eq!(t.live.fg, Some(Color::Indexed(208)));
        assert_eq!(t.selected.bg, Some(Color::DarkGray));
    }

    #[test]
    fn bad_entries_are_refused_with_a_reason() {
        assert!(check("live", &ThemeValue::Index(208)).is_ok());
        assert!(check("live", &text("208")).is_ok());
        assert!(check("preset", &text("light")).is_ok());
        let grene = check("live", &text("grene")).unwrap_err();
        assert_eq!(
            grene,
            "\"grene\" is not a colour; use a name like green, an ANSI index 0-255 or #rrggbb"
        );
        assert!(check("up", &text("#zzzzzz")).is_err());
        assert!(
            check("up", &ThemeValue::Index(256))
                .unwrap_err()
                .contains("0-255")
        );
        assert!(check("up", &ThemeValue::Index(-1)).is_err());
        assert!(
            check("upp", &text("red"))
                .unwrap_err()
                .contains("unknown theme key")
        );
        assert!(
            check("preset", &text("sepia"))
                .unwrap_err()
                .contains("\"light\"")
        );
    }

    #[test]
    fn light_preset_is_a_base_the_keys_override() {
        let t = Theme::new(
            &map(&[("preset", text("light")), ("up", text("blue"))]),
            ColorMode::Color,
        );
        assert_eq!(t.up.fg, Some(Color::Blue));
        assert_eq!(t.live.fg, Some(Color::Indexed(28)));
        assert_eq!(Theme::default().down.fg, Some(Color::LightRed));
    }

    /// xterm's default RGB for a palette index: the 16 ANSI colours, the 6x6x6 cube, the
    /// grey ramp.
    fn xterm_rgb(n: u8) -> (u8, u8, u8) {
        const ANSI: [(u8, u8, u8); 16] = [
            (0, 0, 0),
            (205, 0, 0),
            (0, 205, 0),
            (205, 205, 0),
            (0, 0, 238),
            (205, 0, 205),
            (0, 205, 205),
            (229, 229, 229),
            (127, 127, 127),
            (255, 0, 0),
            (0, 255, 0),
            (255, 255, 0),
            (92, 92, 255),
            (255, 0, 255),
            (0, 255, 255),
            (255, 255, 255),
        ];
        const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
        match n {
            0..=15 => ANSI[usize::from(n)],
            16..=231 => {
                let i = n - 16;
                (
                    LEVELS[usize::from(i / 36)],
                    LEVELS[usize::from(i / 6 % 6)],
                    LEVELS[usize::from(i % 6)],
                )
            }
            _ => {
                let g = 8 + 10 * (n - 232);
                (g, g, g)
            }
        }
    }

    fn rgb(c: Color) -> (u8, u8, u8) {
        let ansi = [
            Color::Black,
            Color::Red,
            Color::Green,
            Color::Yellow,
            Color::Blue,
            Color::Magenta,
            Color::Cyan,
            Color::Gray,
            Color::DarkGray,
            Color::LightRed,
            Color::LightGreen,
            Color::LightYellow,
            Color::LightBlue,
            Color::LightMagenta,
            Color::LightCyan,
            Color::White,
        ];
        match c {
            Color::Rgb(r, g, b) => (r, g, b),
            Color::Indexed(n) => xterm_rgb(n),
            c => xterm_rgb(ansi.iter().position(|a| *a == c).expect("an ANSI colour") as u8),
        }
    }

    /// WCAG 2 relative luminance and contrast ratio.
    fn contrast(a: (u8, u8, u8), b: (u8, u8, u8)) -> f64 {
        let lum = |(r, g, b): (u8, u8, u8)| {
            let lin = |c: u8| {
                let c = f64::from(c) / 255.0;
                if c <= 0.039_28 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn contrast_formula_matches_known_values() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 1e-9);
        assert!((contrast((118, 118, 118), (255, 255, 255)) - 4.54).abs() < 0.01);
    }

    #[test]
    fn meaning_colours_are_readable_on_their_background() {
        for (preset, background) in [("dark", (0, 0, 0)), ("light", (255, 255, 255))] {
            let t = Theme::new(&map(&[("preset", text(preset))]), ColorMode::Color);
            for (key, style) in [
                ("up", t.up),
                ("down", t.down),
                ("live", t.live),
                ("connecting", t.connecting),
                ("fallback", t.fallback),
                ("offline", t.offline),
                ("simulated", t.simulated),
                ("header", t.header),
            ] {
                let Some(fg) = style.fg else {
                    // The terminal's own text colour suits the terminal's own background;
                    // only the dark preset's header relies on it.
                    assert_eq!((preset, key), ("dark", "header"), "no colour");
                    continue;
                };
                let ratio = contrast(rgb(fg), background);
                assert!(ratio >= 4.5, "{preset} {key} {fg:?}: {ratio:.2}:1");
            }
        }
    }

    #[test]
    fn simulated_has_a_hue_of_its_own() {
        for preset in ["dark", "light"] {
            let t = Theme::new(&map(&[("preset", text(preset))]), ColorMode::Color);
            let simulated = t.simulated.fg.expect("a colour");
            for other in [t.up, t.down, t.live, t.connecting, t.fallback, t.offline] {
                assert_ne!(other.fg, Some(simulated), "{preset}");
            }
        }
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let t = Theme::new(&map(&[("up", text("#00ff00"))]), ColorMode::NoColor);
        for style in [
            t.up,
            t.down,
            t.live,
            t.connecting,
            t.fallback,
            t.offline,
            t.simulated,
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
