//! The relay's state file: the symbols pinned through this relay's control endpoints,
//! per venue, as JSON. Redis holds the pinned set; the file is its mirror, so the pins
//! survive a Redis that lost its data (they are written back at start and whenever the
//! dataset's epoch changes). Written whole or not at all by the binary's saver.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use super::Saver;

/// The mirror.
pub(crate) struct Pins {
    path: Option<PathBuf>,
    saver: Option<Saver>,
    set: Mutex<BTreeMap<String, BTreeSet<String>>>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct Doc {
    pinned: BTreeMap<String, BTreeSet<String>>,
}

impl Pins {
    /// Read the file (a missing file is an empty set; an unreadable one is reported and
    /// left alone until the next change rewrites it).
    pub(super) fn load(path: Option<PathBuf>, saver: Option<Saver>) -> Self {
        let set = match &path {
            Some(p) => match std::fs::read_to_string(p) {
                Ok(text) => match serde_json::from_str::<Doc>(&text) {
                    Ok(doc) => doc.pinned,
                    Err(e) => {
                        tracing::warn!(path = %p.display(), error = %e, "the relay's state file is unreadable; pins start empty");
                        BTreeMap::new()
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
                Err(e) => {
                    tracing::warn!(path = %p.display(), error = %e, "cannot read the relay's state file");
                    BTreeMap::new()
                }
            },
            None => BTreeMap::new(),
        };
        Pins {
            path,
            saver,
            set: Mutex::new(set),
        }
    }

    /// Every pin: (venue, symbol).
    pub(super) fn all(&self) -> Vec<(String, String)> {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .flat_map(|(v, s)| s.iter().map(move |x| (v.clone(), x.clone())))
            .collect()
    }

    /// Add or remove a pin and save; the error says why the file could not be written.
    pub(super) fn change(&self, venue: &str, symbol: &str, pinned: bool) -> Result<(), String> {
        let text = {
            let mut set = self.set.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = set.entry(venue.to_string()).or_default();
            if pinned {
                entry.insert(symbol.to_string());
            } else {
                entry.remove(symbol);
            }
            set.retain(|_, s| !s.is_empty());
            serde_json::to_string_pretty(&Doc {
                pinned: set.clone(),
            })
            .unwrap_or_default()
        };
        match (&self.path, &self.saver) {
            (Some(path), Some(save)) => save(path, &format!("{text}\n")).map_err(|e| {
                format!(
                    "the relay's state file {} was not written: {e}",
                    path.display()
                )
            }),
            _ => Ok(()),
        }
    }
}
