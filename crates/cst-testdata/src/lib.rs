//! Finds the shared real market data (`../shared/data` beside the repository, or the folder
//! named by `CST_SHARED_DATA`) for tests and benchmarks, and reads files whether gzipped or not.
//! It fails loudly when the data is missing: a test that silently skips proves nothing.

use flate2::read::GzDecoder;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// The environment variable that overrides the data location.
pub const ENV_VAR: &str = "CST_SHARED_DATA";

/// The root of the shared data folder.
///
/// # Panics
/// When the folder does not exist, with a message saying where it was looked for.
pub fn shared_data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var(ENV_VAR) {
        let p = PathBuf::from(dir);
        assert!(p.is_dir(), "{ENV_VAR}={} is not a directory", p.display());
        return p;
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = workspace.join("../shared/data");
    assert!(p.is_dir(), "shared market data not found at {} (set {ENV_VAR} to its location)", p.display());
    p.canonicalize().unwrap_or(p)
}

/// Absolute path of a file under the shared data folder, e.g. `kraken/ohlcvt/daily/ETHUSD_1440.csv`.
///
/// # Panics
/// When the file does not exist.
pub fn path(relative: &str) -> PathBuf {
    let p = shared_data_dir().join(relative);
    assert!(p.is_file(), "shared data file missing: {}", p.display());
    p
}

/// Reads a shared data file as text, gunzipping `.gz` files.
///
/// # Panics
/// When the file is missing or unreadable.
pub fn read_text(relative: &str) -> String {
    read_path(&path(relative))
}

/// Reads any file as text, gunzipping `.gz` files.
///
/// # Panics
/// When the file is missing or unreadable.
pub fn read_path(p: &Path) -> String {
    let file = File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
    let mut reader: Box<dyn Read> = if p.extension().is_some_and(|e| e == "gz") {
        Box::new(GzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
    text
}
