//! `cst data ...`: import, check, list, resample and export market data.

use crate::home::HomeArgs;
use clap::Subcommand;
use std::process::ExitCode;

/// Market-data commands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// List the stored series.
    List,
}

/// Runs one data command.
pub fn run(_home: &HomeArgs, _cmd: DataCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("data commands are being built")
}
