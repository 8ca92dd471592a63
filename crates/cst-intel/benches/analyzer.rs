//! Analyzer throughput on the real labelled financial tweets (2,388 texts): texts per second for
//! the whole file, plus the tokenizer alone, and the evaluation pass end to end.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use cst_intel::evaluation::{LabelMap, evaluate_csv};
use cst_intel::sentiment::{Analyzer, tokenize};
use std::hint::black_box;

fn tweets() -> (String, Vec<String>) {
    let raw = cst_testdata::read_text("sentiment/financial-tweets/sent_valid.csv");
    let mut reader = csv::Reader::from_reader(raw.as_bytes());
    let texts = reader.records().map(|r| r.expect("row").get(0).expect("text").to_string()).collect();
    (raw, texts)
}

fn bench(c: &mut Criterion) {
    let (raw, texts) = tweets();
    let analyzer = Analyzer::new();
    let mut group = c.benchmark_group("sentiment");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("analyze_financial_tweets", |b| {
        b.iter(|| {
            for t in &texts {
                let _ = black_box(analyzer.analyze(black_box(t)));
            }
        })
    });
    group.bench_function("tokenize_financial_tweets", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(tokenize(black_box(t)));
            }
        })
    });
    let map = LabelMap::parse("0=bearish,1=bullish,2=neutral").expect("map");
    group.bench_function("evaluate_csv_financial_tweets", |b| {
        b.iter(|| evaluate_csv(black_box(raw.as_bytes()), "text", "label", &map, &analyzer).expect("report"))
    });
    group.finish();
    c.bench_function("lexicon_build", |b| b.iter(Analyzer::new));
}

criterion_group!(benches, bench);
criterion_main!(benches);
