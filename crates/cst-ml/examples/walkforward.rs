//! Walk-forward evaluation on the real 2023 H1 15-minute set of five Kraken pairs:
//! `cargo run --release -p cst-ml --example walkforward [-- small]`.

use cst_core::instrument::InstrumentSet;
use cst_core::interval::Interval;
use cst_ml::dataset::{Dataset, LabelConfig};
use cst_ml::labels::{Fee, LabelKind, Side};
use cst_ml::pipeline::TrainConfig;
use cst_ml::series::{Series, parse_ohlcvt};
use cst_ml::walkforward::{self, WalkForwardConfig};

fn main() {
    let small = std::env::args().any(|a| a == "small");
    let side = if std::env::args().any(|a| a == "short") { Side::Short } else { Side::Long };
    let pairs = [
        ("XBT/USD", "XBTUSD"),
        ("ETH/USD", "ETHUSD"),
        ("SOL/USD", "SOLUSD"),
        ("DOT/USD", "DOTUSD"),
        ("AVAX/USD", "AVAXUSD"),
    ];
    let series: Vec<Series> = pairs
        .iter()
        .map(|(p, f)| {
            let text =
                cst_testdata::read_text(&format!("kraken/ohlcvt/intraday-2023/h1-15m/{f}_15_2023H1_train.csv.gz"));
            Series::from_rows(p, Interval::M15, &parse_ohlcvt(&text).expect("csv"))
        })
        .collect();
    let inst = InstrumentSet::from_asset_pairs_json(&cst_testdata::read_text(
        "kraken/rest-capture-2025/spot/http_asset_pairs.json",
    ))
    .expect("pairs");
    let fee = Fee::entry_tier(inst.iter().next().expect("one pair"));
    let labels = LabelConfig { horizons: vec![1, 4, 16], fee, side, kind: LabelKind::NetDirection };
    let cfg = if small { TrainConfig::small(labels.clone()) } else { TrainConfig::full(labels.clone()) };
    let ds = Dataset::from_series(&series, &labels, i64::MIN, i64::MAX);
    let rows: Vec<usize> = (0..ds.len()).collect();
    eprintln!("rows {} gaps {} fee {:?}", ds.len(), ds.gaps, fee);
    let t0 = std::time::Instant::now();
    let rep = walkforward::run(&ds, &rows, &cfg, &WalkForwardConfig::default(), &mut |h, f| {
        eprintln!("h{h} fold {f} {:?}", t0.elapsed())
    })
    .expect("walk-forward");
    println!("{}", serde_json::to_string_pretty(&rep).expect("json"));
}
