//! Keys the config file may use, and a warning for each one it uses that this binary does
//! not know. A newer config (alerts, holdings, presets) must not lock an older binary out,
//! and a typo must not pass unseen: an unknown key is read past with a warning naming the
//! file, the line and the closest known key, while a known key with a wrong value is still
//! an error (that is serde's and `Config::validate`'s part).
//!
//! The known keys of each table come from the structs themselves ([`fields_of`] asks the
//! derived `Deserialize` for its field list), so a field added to a struct is known here
//! without a second list to keep. Tables whose keys are names (venues, quotes, theme
//! meanings) say what names they take in [`known`].

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml_edit::TableLike;

use super::{Config, Endpoint, FeedFile, UiConfig};
use pricewire_core::model::ExchangeId;

/// A key in the config file that this binary does not know, read past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The config file.
    pub path: PathBuf,
    /// 1-based line of the key, when the parser kept its place.
    pub line: Option<usize>,
    /// The dotted key as written (`feed.silence_sec`).
    pub key: String,
    /// The nearest key this binary knows at the same place, dotted (`feed.silence_secs`).
    pub closest: Option<String>,
}

impl ConfigWarning {
    /// `line 3, key `feed.silence_sec`: unknown, ignored (closest known key: …)`, worded
    /// as a config error's lines are, without the file.
    pub fn problem(&self) -> String {
        let at = self.line.map(|l| format!("line {l}, ")).unwrap_or_default();
        let closest = self
            .closest
            .as_ref()
            .map(|c| format!(" (closest known key: `{c}`)"))
            .unwrap_or_default();
        format!("{at}key `{}`: unknown, ignored{closest}", self.key)
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem())
    }
}

/// What a table's keys may be.
enum Known {
    /// These keys; the value under each is checked by `known(path + key)`.
    Keys(Vec<&'static str>),
    /// Anything (a quote mapping, or a table this module does not look into).
    Any,
    /// Any name, each a table whose keys `known(path + name)` says (named watchlists).
    Names,
}

/// The keys the table at dotted `path` takes (`[]`: the top level).
fn known(path: &[&str]) -> Known {
    let venues = || ExchangeId::ALL.iter().map(|v| v.as_str()).collect();
    match path {
        [] => Known::Keys(fields_of::<Config>().to_vec()),
        ["feed"] => Known::Keys(fields_of::<FeedFile>().to_vec()),
        ["ui"] => Known::Keys(fields_of::<UiConfig>().to_vec()),
        ["relay"] => Known::Keys(fields_of::<super::RelayConfig>().to_vec()),
        ["http"] => Known::Keys(fields_of::<super::HttpConfig>().to_vec()),
        ["notify"] => Known::Keys(fields_of::<super::NotifyConfig>().to_vec()),
        ["record"] => Known::Keys(fields_of::<super::RecordConfig>().to_vec()),
        ["history"] => Known::Keys(fields_of::<super::HistoryConfig>().to_vec()),
        ["alerts"] => Known::Keys(fields_of::<super::AlertEntry>().to_vec()),
        ["theme"] => Known::Keys(crate::ui::theme::THEME_KEYS.to_vec()),
        ["keys"] => Known::Keys(crate::keymap::BINDINGS.iter().map(|b| b.name).collect()),
        ["watchlists"] => Known::Names,
        ["watchlists", _] => Known::Keys(fields_of::<super::NamedWatchlist>().to_vec()),
        ["endpoints" | "quote_aliases"] => Known::Keys(venues()),
        ["endpoints", _] => Known::Keys(fields_of::<Endpoint>().to_vec()),
        _ => Known::Any,
    }
}

/// Every unknown key in `text` (already parsed by serde, so it is valid TOML), in file order.
pub fn unknown_keys(text: &str, file: &Path) -> Vec<ConfigWarning> {
    let Ok(doc) = toml_edit::Document::parse(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(doc.as_table(), &mut Vec::new(), text, file, &mut out);
    out.sort_by_key(|w| w.line);
    out
}

fn walk<'a>(
    table: &'a dyn TableLike,
    path: &mut Vec<&'a str>,
    text: &str,
    file: &Path,
    out: &mut Vec<ConfigWarning>,
) {
    let keys = match known(path) {
        Known::Keys(keys) => keys,
        Known::Any => return,
        Known::Names => table.iter().map(|(k, _)| k).collect(),
    };
    for (key, item) in table.iter() {
        if keys.contains(&key) {
            if let Some(inner) = item.as_table_like() {
                path.push(key);
                walk(inner, path, text, file, out);
                path.pop();
            } else if let Some(list) = item.as_array_of_tables() {
                // `[[alerts]]`: each table's keys, named `alerts.KEY`.
                path.push(key);
                for inner in list {
                    walk(inner, path, text, file, out);
                }
                path.pop();
            }
            continue;
        }
        let span = table
            .key(key)
            .and_then(toml_edit::Key::span)
            .or_else(|| item.span());
        let dotted = |k: &str| {
            path.iter()
                .copied()
                .chain([k])
                .collect::<Vec<_>>()
                .join(".")
        };
        out.push(ConfigWarning {
            path: file.to_path_buf(),
            line: span.and_then(|s| Some(text.get(..s.start)?.matches('\n').count() + 1)),
            key: dotted(key),
            closest: closest(key, &keys).map(dotted),
        });
    }
}

/// The known key most like `key`.
fn closest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(key, k), *k))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// The field names a derived `Deserialize` struct reads, as serde passes them to
/// `deserialize_struct` (renames applied, skipped fields left out).
pub fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields = None;
    let _ = T::deserialize(FieldProbe(&mut fields));
    fields.unwrap_or(&[])
}

/// A deserializer that only notes the field list it is asked for, then stops.
struct FieldProbe<'f>(&'f mut Option<&'static [&'static str]>);

impl<'de> serde::Deserializer<'de> for FieldProbe<'_> {
    type Error = serde::de::value::Error;

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(serde::de::Error::custom("only the field list was wanted"))
    }

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("not a struct with named fields"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(text: &str) -> Vec<String> {
        unknown_keys(text, Path::new("c.toml"))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn field_lists_come_from_the_structs() {
        assert!(fields_of::<Config>().contains(&"quote_aliases"));
        assert!(fields_of::<UiConfig>().contains(&"history_pane"));
        assert!(fields_of::<FeedFile>().contains(&"silence_secs"));
        assert_eq!(fields_of::<Endpoint>(), ["ws_url", "rest_url"]);
        assert!(fields_of::<u32>().is_empty());
    }

    #[test]
    fn unknown_keys_anywhere_name_line_and_closest_known_key() {
        let text = "symbol = [\"BTC/USD\"]\n\
                    [feed]\nsilence_sec = 3\n\
                    [ui]\nfps = 20\ncompact = true\n\
                    [theme]\nupp = \"green\"\n\
                    [endpoints]\nkraken = { ws = \"wss://x\" }\nbinanse = { ws_url = \"wss://x\" }\n\
                    [quote_aliases]\nbinance = { USD = \"USDT\" }\n\
                    [notify]\nbel = false\n\
                    [[alerts]]\nrules = \"BTC/USD last above 1\"\n";
        assert_eq!(
            warnings(text),
            [
                "c.toml: line 1, key `symbol`: unknown, ignored (closest known key: `symbols`)",
                "c.toml: line 3, key `feed.silence_sec`: unknown, ignored (closest known key: `feed.silence_secs`)",
                "c.toml: line 6, key `ui.compact`: unknown, ignored (closest known key: `ui.columns`)",
                "c.toml: line 8, key `theme.upp`: unknown, ignored (closest known key: `theme.up`)",
                "c.toml: line 10, key `endpoints.kraken.ws`: unknown, ignored (closest known key: `endpoints.kraken.ws_url`)",
                "c.toml: line 11, key `endpoints.binanse`: unknown, ignored (closest known key: `endpoints.binance`)",
                "c.toml: line 15, key `notify.bel`: unknown, ignored (closest known key: `notify.bell`)",
                "c.toml: line 17, key `alerts.rules`: unknown, ignored (closest known key: `alerts.rule`)",
            ]
        );
    }

    #[test]
    fn a_file_of_known_keys_has_no_warnings() {
        assert!(warnings("").is_empty());
        assert!(warnings(include_str!("../../config.example.toml")).is_empty());
        let dotted = "feed.silence_secs = 3\nui.fps = 20\n[quote_aliases.okx]\nUSD = \"USDT\"\n";
        assert!(warnings(dotted).is_empty());
    }
}
