//! Structured JSON logs with secrets scrubbed on the way out.
//!
//! Two guards: secrets are held in [`crate::secret::Secret`] (prints `***`), and every log line
//! passes through [`RedactingWriter`], which replaces registered secret values and `Bearer`
//! tokens before a byte reaches the output, whatever code logged them.

use crate::secret::scrub;
use std::io::{self, Write};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Wraps a [`MakeWriter`] so that each log event is buffered, scrubbed, then written whole.
#[derive(Debug, Clone)]
pub struct RedactingMakeWriter<M> {
    inner: M,
}

impl<M> RedactingMakeWriter<M> {
    /// Scrubs everything `inner` would write.
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

/// One event's buffer; written to the inner writer, scrubbed, when dropped.
pub struct RedactingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.buf);
        let clean = scrub(&text);
        self.buf.clear();
        self.inner.write_all(clean.as_bytes())?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // A failed log write has nowhere to be reported.
        let _ = self.flush();
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for RedactingMakeWriter<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter { inner: self.inner.make_writer(), buf: Vec::new() }
    }
}

/// Installs JSON logging to stderr, filtered by `RUST_LOG` (default `info`). Returns false when a
/// global subscriber was already set.
pub fn init_json() -> bool {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_writer(RedactingMakeWriter::new(io::stderr))
        .try_init()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn capture(log: impl FnOnce()) -> String {
        let out = Captured::default();
        let sink = out.clone();
        let subscriber =
            tracing_subscriber::fmt().json().with_writer(RedactingMakeWriter::new(move || sink.clone())).finish();
        tracing::subscriber::with_default(subscriber, log);
        let bytes = out.0.lock().expect("lock").clone();
        String::from_utf8(bytes).expect("utf8")
    }

    #[test]
    fn logs_are_json_and_never_contain_secret_values() {
        let api_key = Secret::new("kraken-key-Zq8xL0pPr2Vb");
        let signature = Secret::new("hmac-sig-4f1a2b3c4d5e6f708192");
        let out = capture(|| {
            tracing::info!(key = ?api_key, sig = %signature, "signing request");
            // A careless call that exposes the raw value is still scrubbed.
            tracing::warn!(raw = api_key.expose(), "leak attempt {}", signature.expose());
            tracing::info!(header = "Authorization: Bearer abcdef0123456789", "request");
        });
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        for line in &lines {
            let v: serde_json::Value = serde_json::from_str(line).expect("every line is JSON");
            assert!(v.get("fields").is_some(), "{line}");
        }
        assert!(!out.contains("Zq8xL0pPr2Vb") && !out.contains("4f1a2b3c4d5e6f708192"), "{out}");
        assert!(!out.contains("abcdef0123456789"), "{out}");
        assert!(out.contains("***"));
        assert!(out.contains("signing request"));
    }
}
