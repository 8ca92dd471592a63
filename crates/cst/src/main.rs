//! `cst`, the CryptoSmartTrader binary: parses the command line and runs one command.
//! Each command group lives in its own module under `cmd/`; this file only dispatches.

mod cmd;
mod home;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// CryptoSmartTrader: Kraken market data, signals, risk-guarded trading.
#[derive(Debug, Parser)]
#[command(name = "cst", version, about)]
struct Cli {
    #[command(flatten)]
    home: home::HomeArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Market data: import, check, list, resample, export.
    #[command(subcommand)]
    Data(cmd::data::DataCommand),
    /// HTTP API, web dashboard and /metrics over the stored data (no engine).
    Serve(cmd::serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(c) => cmd::data::run(&cli.home, c),
        Command::Serve(a) => cmd::serve::run(&cli.home, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
