//! `cst`, the CryptoSmartTrader binary: parses the command line and runs one command.
//! Each command group lives in its own module under `cmd/`; this file only dispatches.

mod cmd;
mod home;
mod runtime;

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
    /// Feature vectors (multi-timeframe, causal) of one series, as CSV.
    Features(cmd::features::FeaturesArgs),
    /// Technical indicators (the TA-Lib standard set) over one series, as CSV.
    Ta(cmd::ta::TaArgs),
    /// Order books: verify recorded streams against Kraken's checksums.
    #[command(subcommand)]
    Book(cmd::book::BookCommand),
    /// Record Kraken's public WebSocket stream to a replayable file.
    Record(cmd::record::RecordArgs),
    /// Sentiment: analyze texts, evaluate on labelled data.
    #[command(subcommand)]
    Sentiment(cmd::sentiment::SentimentCommand),
    /// Market intelligence: credentials, news ingestion, sentiment features.
    #[command(subcommand)]
    Intel(cmd::intel::IntelCommand),
    /// Backtest a strategy through the engine and the simulated Kraken venue.
    Backtest(cmd::backtest::BacktestArgs),
    /// Run the system: paper trading on replayed data, journaled, supervised.
    Run(Box<cmd::run::RunArgs>),
    /// HTTP API, web dashboard and /metrics over the stored data (no engine).
    Serve(cmd::serve::ServeArgs),
    /// Train a model (walk-forward report, then the final fit) and register it.
    Train(cmd::ml::TrainArgs),
    /// Evaluate a registered model out of sample.
    Evaluate(cmd::ml::EvaluateArgs),
    /// Model registry: list, show, promote, rollback, shadow (champion/challenger).
    #[command(subcommand)]
    Models(cmd::ml::ModelsCommand),
    /// Write a model's gated signals to CSV.
    Signals(cmd::ml::SignalsArgs),
    /// A model's drift alarms over a window; exit code 3 when any is active (retrain on it).
    Drift(cmd::ml_shadow::DriftArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data(c) => cmd::data::run(&cli.home, c),
        Command::Ta(a) => cmd::ta::run(&cli.home, a),
        Command::Features(a) => cmd::features::run(&cli.home, a),
        Command::Book(c) => cmd::book::run(c),
        Command::Record(a) => cmd::record::run(a),
        Command::Sentiment(c) => cmd::sentiment::run(c),
        Command::Intel(c) => cmd::intel::run(c),
        Command::Backtest(a) => cmd::backtest::run(&cli.home, a),
        Command::Run(a) => cmd::run::run(&cli.home, *a),
        Command::Serve(a) => cmd::serve::run(&cli.home, a),
        Command::Train(a) => cmd::ml::train(&cli.home, a),
        Command::Evaluate(a) => cmd::ml::evaluate(&cli.home, a),
        Command::Models(c) => cmd::ml::models(&cli.home, c),
        Command::Signals(a) => cmd::ml::signals(&cli.home, a),
        Command::Drift(a) => cmd::ml_shadow::drift(&cli.home, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
