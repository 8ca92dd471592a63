//! Evaluation of the analyzer on a labelled CSV: accuracy, per-class precision/recall/F1, macro-F1 and
//! the confusion matrix. Rows whose text the analyzer refuses, or whose label is not in the label map,
//! are counted as rejections by reason, never silently scored.

use crate::sentiment::{Analyzer, Label};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The label map text is malformed (`0=bearish,1=bullish,2=neutral` expected).
    #[error("bad label map {0:?}: expected VALUE=bearish|neutral|bullish pairs separated by commas")]
    LabelMap(String),
    /// The CSV lacks a named column.
    #[error("column {0:?} not in the CSV header {1:?}")]
    MissingColumn(String, Vec<String>),
    /// The CSV header could not be read.
    #[error("cannot read CSV: {0}")]
    Csv(#[from] csv::Error),
    /// No row could be scored.
    #[error("no scorable rows ({0} rejected)")]
    NoRows(u64),
}

/// Maps the dataset's label values to our labels.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMap(Vec<(String, Label)>);

impl LabelMap {
    /// Parses `0=bearish,1=bullish,2=neutral`.
    pub fn parse(text: &str) -> Result<Self, EvalError> {
        let bad = || EvalError::LabelMap(text.to_string());
        let mut pairs = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (value, name) = part.split_once('=').ok_or_else(bad)?;
            let label = Label::parse(name).ok_or_else(bad)?;
            pairs.push((value.trim().to_string(), label));
        }
        if pairs.is_empty() { Err(bad()) } else { Ok(Self(pairs)) }
    }

    /// The label of a dataset value.
    pub fn label(&self, value: &str) -> Option<Label> {
        self.0.iter().find(|(v, _)| v == value.trim()).map(|(_, l)| *l)
    }
}

/// Counts of (actual, predicted) label pairs, rows and columns in [`Label::ALL`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// `counts[actual][predicted]`.
    pub counts: [[u64; 3]; 3],
}

fn index(label: Label) -> usize {
    match label {
        Label::Bearish => 0,
        Label::Neutral => 1,
        Label::Bullish => 2,
    }
}

impl Confusion {
    /// Records one prediction.
    pub fn add(&mut self, actual: Label, predicted: Label) {
        self.counts[index(actual)][index(predicted)] += 1;
    }

    /// Number of recorded rows.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Share of rows predicted correctly.
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..3).map(|i| self.counts[i][i]).sum();
        ratio(correct, self.total())
    }

    /// Precision, recall and F1 of one label (0 where undefined).
    pub fn class_scores(&self, label: Label) -> ClassScores {
        let i = index(label);
        let tp = self.counts[i][i];
        let predicted: u64 = (0..3).map(|a| self.counts[a][i]).sum();
        let actual: u64 = self.counts[i].iter().sum();
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, actual);
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        ClassScores { label, support: actual, precision, recall, f1 }
    }

    /// Unweighted mean of the three per-class F1 scores.
    pub fn macro_f1(&self) -> f64 {
        Label::ALL.iter().map(|l| self.class_scores(*l).f1).sum::<f64>() / 3.0
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 { 0.0 } else { num as f64 / den as f64 }
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScores {
    /// The class.
    pub label: Label,
    /// Rows whose true label is this class.
    pub support: u64,
    /// Share of predictions of this class that were right.
    pub precision: f64,
    /// Share of rows of this class that were found.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// The result of an evaluation run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// Rows scored.
    pub rows: u64,
    /// Accuracy over the scored rows.
    pub accuracy: f64,
    /// Macro-averaged F1 over bearish, neutral, bullish.
    pub macro_f1: f64,
    /// Accuracy over every labelled row, counting refused texts as neutral predictions (comparable
    /// with baselines that scored every row).
    pub accuracy_all_rows: f64,
    /// Macro-F1 over every labelled row, refused texts counted as neutral predictions.
    pub macro_f1_all_rows: f64,
    /// Per-class scores in bearish, neutral, bullish order.
    pub classes: Vec<ClassScores>,
    /// The confusion matrix (rows = actual, columns = predicted).
    pub confusion: Confusion,
    /// Rejected rows by reason.
    pub rejected: BTreeMap<String, u64>,
}

impl EvalReport {
    fn from_confusion(confusion: Confusion, all_rows: &Confusion, rejected: BTreeMap<String, u64>) -> Self {
        Self {
            rows: confusion.total(),
            accuracy: confusion.accuracy(),
            macro_f1: confusion.macro_f1(),
            accuracy_all_rows: all_rows.accuracy(),
            macro_f1_all_rows: all_rows.macro_f1(),
            classes: Label::ALL.iter().map(|l| confusion.class_scores(*l)).collect(),
            confusion,
            rejected,
        }
    }
}

/// Scores every row of a labelled CSV with the analyzer.
pub fn evaluate_csv(
    input: impl Read,
    text_column: &str,
    label_column: &str,
    labels: &LabelMap,
    analyzer: &Analyzer,
) -> Result<EvalReport, EvalError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let column = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| EvalError::MissingColumn(name.to_string(), header.clone()))
    };
    let (text_at, label_at) = (column(text_column)?, column(label_column)?);
    let mut confusion = Confusion::default();
    let mut all_rows = Confusion::default();
    let mut rejected: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.records() {
        let outcome = match record {
            Ok(r) => score_row(&r, text_at, label_at, labels, analyzer),
            Err(_) => Err((None, "malformed CSV row".to_string())),
        };
        match outcome {
            Ok((actual, predicted)) => {
                confusion.add(actual, predicted);
                all_rows.add(actual, predicted);
            }
            Err((actual, reason)) => {
                if let Some(actual) = actual {
                    all_rows.add(actual, Label::Neutral);
                }
                *rejected.entry(reason).or_default() += 1;
            }
        }
    }
    if confusion.total() == 0 {
        return Err(EvalError::NoRows(rejected.values().sum()));
    }
    Ok(EvalReport::from_confusion(confusion, &all_rows, rejected))
}

/// (actual, predicted), or the actual label (when known) and the reason the row was refused.
fn score_row(
    r: &csv::StringRecord,
    text_at: usize,
    label_at: usize,
    labels: &LabelMap,
    analyzer: &Analyzer,
) -> Result<(Label, Label), (Option<Label>, String)> {
    let value = r.get(label_at).unwrap_or_default();
    let actual = labels.label(value).ok_or_else(|| (None, "label not in the label map".to_string()))?;
    let text = r.get(text_at).unwrap_or_default();
    let predicted = analyzer.analyze(text).map_err(|e| (Some(actual), format!("text refused: {}", e.reason())))?.label;
    Ok((actual, predicted))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "0=bearish,1=bullish,2=neutral";

    #[test]
    fn label_map_parses_and_refuses_unknown_names() {
        let map = LabelMap::parse(MAP).expect("map");
        assert_eq!(map.label("1"), Some(Label::Bullish));
        assert!(LabelMap::parse("0=down").is_err());
        assert!(LabelMap::parse("").is_err());
    }

    #[test]
    fn macro_f1_averages_the_three_classes() {
        let mut c = Confusion::default();
        for _ in 0..8 {
            c.add(Label::Neutral, Label::Neutral);
        }
        c.add(Label::Bearish, Label::Neutral);
        c.add(Label::Bullish, Label::Neutral);
        assert!((c.accuracy() - 0.8).abs() < 1e-12);
        // Only neutral has an F1: precision 0.8, recall 1 -> 0.888..., divided by three classes.
        assert!((c.macro_f1() - (2.0 * 0.8 / 1.8) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn unknown_labels_and_refused_texts_are_counted_not_scored() {
        let csv = "text,label\n$BTC surges,1\n,0\nbitcoin falls,7\nstocks plunge,0\n";
        let map = LabelMap::parse(MAP).expect("map");
        let report = evaluate_csv(csv.as_bytes(), "text", "label", &map, &Analyzer::new()).expect("report");
        assert_eq!(report.rows, 2);
        assert_eq!(report.accuracy, 1.0);
        assert_eq!(report.rejected.values().sum::<u64>(), 2);
    }

    #[test]
    fn missing_column_is_an_error_naming_the_header() {
        let map = LabelMap::parse(MAP).expect("map");
        let err = evaluate_csv("a,b\nx,1\n".as_bytes(), "text", "b", &map, &Analyzer::new()).expect_err("missing");
        assert!(err.to_string().contains("\"text\""));
    }

    #[test]
    fn real_financial_tweets_evaluate_every_row() {
        let text = cst_testdata::read_text("sentiment/financial-tweets/sent_valid.csv");
        let map = LabelMap::parse(MAP).expect("map");
        let report = evaluate_csv(text.as_bytes(), "text", "label", &map, &Analyzer::new()).expect("report");
        let rejected: u64 = report.rejected.values().sum();
        assert_eq!(report.rows + rejected, 2388);
        // Pinned to the dataset's published class sizes (PROVENANCE.md).
        let supports: Vec<u64> = report.classes.iter().map(|c| c.support).collect();
        assert_eq!(supports.iter().sum::<u64>() + rejected, 2388);
        assert!(report.macro_f1 > 0.447, "must beat VADER's macro-F1 0.447, got {}", report.macro_f1);
    }
}
