//! `cst book ...`: order-book tools. `verify` replays a recorded WebSocket stream (our
//! recorder's format or cryptofeed's raw capture, gzipped or not) through the real book code
//! and checks Kraken's checksum on every message.

use anyhow::Context;
use clap::Subcommand;
use cst_kraken::ws::replay::{VerifyReport, read_recording, verify_books};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Order-book commands.
#[derive(Debug, Subcommand)]
pub enum BookCommand {
    /// Replay a recorded stream and verify every book checksum; exit code 1 on any mismatch.
    Verify {
        /// Recording (`cst record` output or a cryptofeed capture; `.gz` is read transparently).
        file: PathBuf,
        /// Book depth when neither the frames (v1 `book-1000`) nor the recorded subscribe requests name it.
        #[arg(long, default_value_t = 10)]
        depth: usize,
    },
}

/// Runs one book command.
pub fn run(cmd: BookCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BookCommand::Verify { file, depth } => verify(&file, depth),
    }
}

fn read_maybe_gz(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader: Box<dyn Read> =
        if path.extension().is_some_and(|e| e == "gz") { Box::new(GzDecoder::new(file)) } else { Box::new(file) };
    let mut text = String::new();
    reader.read_to_string(&mut text).with_context(|| format!("cannot read {} as UTF-8 text", path.display()))?;
    Ok(text)
}

fn verify(path: &Path, depth: usize) -> anyhow::Result<ExitCode> {
    let text = read_maybe_gz(path)?;
    let rec = read_recording(&text).with_context(|| format!("{} is not a recording", path.display()))?;
    let report = verify_books(&rec, depth);
    print_report(&report);
    if report.all_matched() {
        println!("OK: every book checksum matched");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("FAILED: checksum mismatches, refused levels, skipped updates or nothing to verify");
        Ok(ExitCode::FAILURE)
    }
}

fn print_report(r: &VerifyReport) {
    println!(
        "{:<12} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8} {:>8}",
        "pair", "snapshots", "updates", "levels", "matched", "mismatched", "refused", "skipped"
    );
    for (pair, s) in &r.pairs {
        println!(
            "{pair:<12} {:>9} {:>9} {:>9} {:>9} {:>10} {:>8} {:>8}",
            s.snapshots,
            s.updates_applied,
            s.levels_applied,
            s.checksums_matched,
            s.checksums_mismatched,
            s.bad_levels,
            s.skipped
        );
    }
    println!("frames: {}, malformed: {}", r.frames, r.malformed);
    for (raw, reason) in &r.malformed_samples {
        println!("malformed ({reason}): {raw}");
    }
}
