//! What the dashboard shows, apart from how it is drawn: the state the keys change
//! (`state.rs`: mode, sort, selection, scrolls, status line) and the view model worked
//! out from it and one snapshot each frame (`model.rs`: display order, the table's lines,
//! scroll clamps). `app` changes the state and builds the model once per frame; `ui` draws
//! the model. Both depend on this module and `ui` never on `app`; nothing here touches the
//! terminal, a feed or the store.

pub mod columns;
pub mod holdings;
pub mod model;
pub mod state;

pub use model::{Table, TableLine, ViewModel};

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `.rs` file below `dir` (relative to the package root) that names `needle`.
    fn naming(dir: &str, needle: &str) -> Vec<String> {
        let mut hits = Vec::new();
        let mut todo = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
        while let Some(path) = todo.pop() {
            if path.is_dir() {
                todo.extend(path.read_dir().unwrap().map(|e| e.unwrap().path()));
            } else if path.extension().is_some_and(|e| e == "rs")
                && std::fs::read_to_string(&path).unwrap().contains(needle)
            {
                hits.push(path.display().to_string());
            }
        }
        hits
    }

    #[test]
    fn the_screen_draws_the_model_and_never_reaches_back_into_the_loop() {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/ui")
                .is_dir()
        );
        assert_eq!(naming("src/ui", "crate::app"), Vec::<String>::new());
        assert_eq!(naming("src/view", "crate::app"), Vec::<String>::new());
        assert_eq!(naming("src/view", "crate::ui"), Vec::<String>::new());
        // The check sees an import when there is one.
        assert!(!naming("src/app", "crate::ui").is_empty());
    }
}
