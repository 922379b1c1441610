//! The one task that writes the config file. Everything the program saves (the watchlist
//! now; alerts, holdings, watchlists as they come) is a [`ConfigEdit`] handed to
//! [`ConfigWriter::submit`], which returns at once: the UI task never waits on a disk, and
//! two savers can never overwrite each other's change, because only this task reads and
//! writes the file. Edits queued while a write is under way are coalesced (the newest of
//! each kind wins) and written together, through [`super::save::save_with`] (temp file,
//! fsync, rename, comments kept). Each write is reported as a [`Written`] on the channel
//! [`ConfigWriter::spawn`] returns, failures included, so the screen can say so.
//!
//! A new thing to save is a new [`ConfigEdit`] type (its `kind` and how it changes the
//! document); the task, its queue and its reports stay as they are.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use toml_edit::DocumentMut;

use super::ConfigError;
use super::save::{save_with, set_named_symbols, set_symbols};

/// One change to the config file.
pub trait ConfigEdit: Send + 'static {
    /// What it saves (`"watchlist"`): queued edits of one kind replace each other, and the
    /// report names the kinds a write carried.
    fn kind(&self) -> &'static str;
    /// Make the change in the parsed file. Everything else in it (other keys, comments,
    /// layout) is left as it is. An error leaves the file untouched and is reported.
    fn apply(&self, doc: &mut DocumentMut) -> Result<(), String>;
}

/// The watchlist: the `symbols` array, item by item (comments on kept items stay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveSymbols(pub Vec<String>);

impl ConfigEdit for SaveSymbols {
    fn kind(&self) -> &'static str {
        "watchlist"
    }

    fn apply(&self, doc: &mut DocumentMut) -> Result<(), String> {
        set_symbols(doc, &self.0);
        Ok(())
    }
}

/// Watchlists edited this run, each whole: `None` names the top-level `symbols`, a name
/// its `[watchlists.NAME]`. Every list edited so far goes in each edit, so coalescing
/// (the newest of a kind wins) never loses one list's change to another's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveLists(pub Vec<(Option<String>, Vec<String>)>);

impl ConfigEdit for SaveLists {
    fn kind(&self) -> &'static str {
        "watchlist"
    }

    fn apply(&self, doc: &mut DocumentMut) -> Result<(), String> {
        for (name, symbols) in &self.0 {
            set_named_symbols(doc, name.as_deref(), symbols);
        }
        Ok(())
    }
}

/// What one write did.
#[derive(Debug)]
pub struct Written {
    /// Every edit with a ticket up to this one is in the file (or was refused with it).
    pub upto: u64,
    /// The kinds written, in the order they were first queued.
    pub kinds: Vec<&'static str>,
    /// How it went; on an error the old file is unchanged.
    pub result: Result<(), ConfigError>,
}

type Queued = (u64, Box<dyn ConfigEdit>);

/// A handle to the writer task; cheap to clone. The task ends, after writing what is
/// queued, once every handle is dropped.
#[derive(Clone)]
pub struct ConfigWriter {
    tx: mpsc::UnboundedSender<Queued>,
    last: Arc<AtomicU64>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for ConfigWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigWriter")
            .field("path", &self.path)
            .field("last", &self.last)
            .finish_non_exhaustive()
    }
}

impl ConfigWriter {
    /// Start the task writing `path`: the handle, its reports, and the task (awaited on
    /// the way out so that nothing queued is lost).
    pub fn spawn(
        path: PathBuf,
    ) -> (
        ConfigWriter,
        mpsc::UnboundedReceiver<Written>,
        JoinHandle<()>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (report, reports) = mpsc::unbounded_channel();
        let path = Arc::new(path);
        let task = tokio::spawn(run(Arc::clone(&path), rx, report));
        let writer = ConfigWriter {
            tx,
            last: Arc::new(AtomicU64::new(0)),
            path,
        };
        (writer, reports, task)
    }

    /// Queue `edit`; returns its ticket (later edits have larger ones), which a
    /// [`Written`] covers once its `upto` reaches it.
    pub fn submit(&self, edit: impl ConfigEdit) -> u64 {
        let ticket = self.last.fetch_add(1, Ordering::SeqCst) + 1;
        if self.tx.send((ticket, Box::new(edit))).is_err() {
            tracing::error!(path = %self.path.display(), "config writer gone; edit not saved");
        }
        ticket
    }

    /// The ticket of the newest edit submitted (0: none yet).
    pub fn latest(&self) -> u64 {
        self.last.load(Ordering::SeqCst)
    }

    /// The file it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

async fn run(
    path: Arc<PathBuf>,
    mut rx: mpsc::UnboundedReceiver<Queued>,
    report: mpsc::UnboundedSender<Written>,
) {
    while let Some(first) = rx.recv().await {
        let mut upto = first.0;
        let mut edits = vec![first.1];
        // Whatever queued meanwhile goes into the same write; of each kind the newest.
        while let Ok((ticket, edit)) = rx.try_recv() {
            upto = ticket;
            match edits.iter_mut().find(|e| e.kind() == edit.kind()) {
                Some(slot) => *slot = edit,
                None => edits.push(edit),
            }
        }
        let kinds: Vec<&'static str> = edits.iter().map(|e| e.kind()).collect();
        let file = Arc::clone(&path);
        // The file work (fsync included) runs off the async workers.
        let result = tokio::task::spawn_blocking(move || {
            save_with(&file, |doc| edits.iter().try_for_each(|e| e.apply(doc)))
        })
        .await
        .unwrap_or_else(|e| {
            Err(ConfigError::Save {
                path: path.to_path_buf(),
                message: format!("the writer failed: {e}"),
            })
        });
        match &result {
            Ok(()) => tracing::info!(path = %path.display(), ?kinds, "config saved"),
            Err(e) => tracing::error!(error = %e, ?kinds, "config not saved"),
        }
        // A screen that is gone no longer needs telling; the writing goes on.
        let _ = report.send(Written {
            upto,
            kinds,
            result,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Another kind of edit, as alerts or holdings will be: one key of its own.
    struct SaveNote(&'static str);

    impl ConfigEdit for SaveNote {
        fn kind(&self) -> &'static str {
            "note"
        }

        fn apply(&self, doc: &mut DocumentMut) -> Result<(), String> {
            doc["note"] = toml_edit::value(self.0);
            Ok(())
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("pricewire-writer-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            "# mine\nsymbols = [\"BTC/USD\"] # keep\n[ui]\nfps = 20\n",
        )
        .unwrap();
        path
    }

    fn list(names: &[&str]) -> SaveSymbols {
        SaveSymbols(names.iter().map(ToString::to_string).collect())
    }

    #[tokio::test]
    async fn edits_queued_together_are_one_write_with_the_newest_of_each_kind() {
        let path = scratch("coalesce");
        let (writer, mut reports, task) = ConfigWriter::spawn(path.clone());
        // Queued before the task first runs (one thread): all four go into one write.
        assert_eq!(writer.submit(list(&["BTC/USD", "ETH/USD"])), 1);
        writer.submit(SaveNote("first"));
        writer.submit(list(&["BTC/USD", "SOL/USD"]));
        assert_eq!(writer.submit(SaveNote("second")), 4);
        assert_eq!(writer.latest(), 4);
        let written = reports.recv().await.unwrap();
        assert_eq!(written.upto, 4);
        assert_eq!(written.kinds, ["watchlist", "note"]);
        written.result.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine\n"), "{text}");
        assert!(
            text.contains("symbols = [\"BTC/USD\", \"SOL/USD\"] # keep"),
            "{text}"
        );
        assert!(text.contains("note = \"second\""), "{text}");
        assert!(text.contains("fps = 20"), "{text}");
        drop(writer);
        task.await.unwrap();
        assert!(reports.recv().await.is_none(), "no other write");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn a_failed_write_is_reported_and_the_next_one_still_happens() {
        // The config's directory is a regular file: no write can succeed there.
        let blocker = scratch("blocked").with_file_name("not-a-dir");
        std::fs::write(&blocker, "").unwrap();
        let (writer, mut reports, _task) = ConfigWriter::spawn(blocker.join("config.toml"));
        writer.submit(list(&["ETH/USD"]));
        let written = reports.recv().await.unwrap();
        let err = written.result.unwrap_err().to_string();
        assert!(err.contains("cannot save watchlist to"), "{err}");
        assert!(err.contains("(the previous file is unchanged)"), "{err}");
        writer.submit(list(&["SOL/USD"]));
        assert_eq!(reports.recv().await.unwrap().upto, 2);
        std::fs::remove_dir_all(blocker.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn what_is_queued_is_written_before_the_task_ends() {
        let path = scratch("drain");
        let (writer, _reports, task) = ConfigWriter::spawn(path.clone());
        writer.submit(list(&["ADA/USD"]));
        drop(writer);
        task.await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("symbols = [\"ADA/USD\"] # keep"), "{text}");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
