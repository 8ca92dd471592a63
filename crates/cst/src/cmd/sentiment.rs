//! `cst sentiment ...`: analyze texts with the lexicon analyzer and evaluate it on labelled data.

use anyhow::Context;
use clap::Subcommand;
use cst_intel::evaluation::{EvalReport, LabelMap, evaluate_csv};
use cst_intel::sentiment::{Analyzer, Label};
use std::path::PathBuf;
use std::process::ExitCode;

/// Sentiment commands.
#[derive(Debug, Subcommand)]
pub enum SentimentCommand {
    /// Score texts given as arguments (one analysis per argument, JSON lines).
    Analyze {
        /// The texts.
        #[arg(required = true)]
        texts: Vec<String>,
    },
    /// Evaluate the analyzer on a labelled CSV: accuracy, macro-F1, confusion matrix.
    Eval {
        /// The CSV file (with a header row).
        #[arg(long)]
        input: PathBuf,
        /// Column holding the text.
        #[arg(long)]
        text_column: String,
        /// Column holding the label.
        #[arg(long)]
        label_column: String,
        /// Label values, e.g. `0=bearish,1=bullish,2=neutral`.
        #[arg(long)]
        labels: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs one sentiment command.
pub fn run(cmd: SentimentCommand) -> anyhow::Result<ExitCode> {
    let analyzer = Analyzer::new();
    match cmd {
        SentimentCommand::Analyze { texts } => {
            for text in texts {
                match analyzer.analyze(&text) {
                    Ok(s) => println!("{}", serde_json::to_string(&s)?),
                    Err(e) => println!("{}", serde_json::json!({ "error": e.to_string() })),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SentimentCommand::Eval { input, text_column, label_column, labels, json } => {
            let map = LabelMap::parse(&labels)?;
            let file = std::fs::File::open(&input).with_context(|| format!("cannot open {}", input.display()))?;
            let report = evaluate_csv(std::io::BufReader::new(file), &text_column, &label_column, &map, &analyzer)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_report(report: &EvalReport) {
    println!("rows scored: {}", report.rows);
    println!("accuracy:    {:.3}", report.accuracy);
    println!("macro-F1:    {:.3}", report.macro_f1);
    println!(
        "all rows (refused texts counted as neutral): accuracy {:.3}, macro-F1 {:.3}",
        report.accuracy_all_rows, report.macro_f1_all_rows
    );
    println!("\n{:<9} {:>9} {:>9} {:>9} {:>8}", "class", "precision", "recall", "F1", "support");
    for c in &report.classes {
        println!("{:<9} {:>9.3} {:>9.3} {:>9.3} {:>8}", c.label.as_str(), c.precision, c.recall, c.f1, c.support);
    }
    println!("\nconfusion (rows = actual, columns = predicted):");
    println!("{:<9} {:>8} {:>8} {:>8}", "", "bearish", "neutral", "bullish");
    for (label, row) in Label::ALL.iter().zip(report.confusion.counts.iter()) {
        println!("{:<9} {:>8} {:>8} {:>8}", label.as_str(), row[0], row[1], row[2]);
    }
    if !report.rejected.is_empty() {
        println!("\nrejected rows:");
        for (reason, n) in &report.rejected {
            println!("  {n:>6}  {reason}");
        }
    }
}
