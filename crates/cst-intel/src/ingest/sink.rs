//! A JSONL post sink: one JSON object per line, appended; on open it reads the existing file so
//! restarts do not store duplicates; retention is enforced by rewriting the file. `cst-store` can
//! replace it behind the same calls.

use super::post::{Deduplicator, Post};
use super::tos::rule;
use cst_core::time::Timestamp;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Why the sink failed.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// File I/O.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A line of the existing file is not a post.
    #[error("{path}:{line}: not a post: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Parser message.
        message: String,
    },
}

/// Appends new posts to a JSONL file.
#[derive(Debug)]
pub struct JsonlSink {
    path: PathBuf,
    file: File,
    dedup: Deduplicator,
}

impl JsonlSink {
    /// Opens (or creates) the file, remembering the posts already in it.
    pub fn open(path: &Path) -> Result<Self, SinkError> {
        let io = |source| SinkError::Io { path: path.to_path_buf(), source };
        let mut dedup = Deduplicator::new();
        if path.exists() {
            for (i, line) in BufReader::new(File::open(path).map_err(io)?).lines().enumerate() {
                let line = line.map_err(io)?;
                let post: Post = serde_json::from_str(&line).map_err(|e| SinkError::Corrupt {
                    path: path.to_path_buf(),
                    line: i + 1,
                    message: e.to_string(),
                })?;
                dedup.admit(&post);
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(io)?;
        Ok(Self { path: path.to_path_buf(), file, dedup })
    }

    /// Writes the posts not seen before; returns how many were written.
    pub fn write(&mut self, posts: &[Post]) -> Result<usize, SinkError> {
        let mut written = 0;
        for post in posts {
            if !self.dedup.admit(post) {
                continue;
            }
            let line = serde_json::to_string(post).map_err(|e| SinkError::Corrupt {
                path: self.path.clone(),
                line: 0,
                message: e.to_string(),
            })?;
            writeln!(self.file, "{line}").map_err(|source| SinkError::Io { path: self.path.clone(), source })?;
            written += 1;
        }
        self.file.flush().map_err(|source| SinkError::Io { path: self.path.clone(), source })?;
        Ok(written)
    }

    /// Rewrites the file keeping only posts still inside their platform's retention period
    /// (`TosRule::retention_days`, counted from receipt); returns how many were removed.
    pub fn enforce_retention(path: &Path, now: Timestamp) -> Result<usize, SinkError> {
        let io = |source| SinkError::Io { path: path.to_path_buf(), source };
        let text = std::fs::read_to_string(path).map_err(io)?;
        let mut kept = String::with_capacity(text.len());
        let mut removed = 0;
        for (i, line) in text.lines().enumerate() {
            let post: Post = serde_json::from_str(line).map_err(|e| SinkError::Corrupt {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })?;
            let keep_secs = i64::from(rule(post.source).retention_days) * 86_400;
            if post.received_at.add_secs(keep_secs) > now {
                kept.push_str(line);
                kept.push('\n');
            } else {
                removed += 1;
            }
        }
        // Write a sibling file and rename, so a crash never leaves a half-written store.
        let tmp = path.with_extension("jsonl.tmp");
        std::fs::write(&tmp, kept).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(removed)
    }

    /// Duplicates dropped so far.
    pub fn duplicates(&self) -> u64 {
        self.dedup.dropped
    }
}
