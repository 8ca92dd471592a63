//! Book rules pinned to Kraken's published book examples.
#![allow(clippy::unwrap_used)]

use super::*;
use rust_decimal::dec;

/// `[price, qty, ts]` triples of one side of a Kraken v1 book message.
fn side_texts(v: &serde_json::Value, key: &str) -> Vec<(String, String)> {
    v[key]
        .as_array()
        .expect("side array")
        .iter()
        .map(|l| (l[0].as_str().expect("price").to_string(), l[1].as_str().expect("qty").to_string()))
        .collect()
}

fn parse_side(scale: BookScale, texts: &[(String, String)]) -> Vec<LevelUpdate> {
    texts.iter().map(|(p, q)| scale.parse_level(p, q).expect("level")).collect()
}

/// Kraken support article "How to maintain a valid order book": XBT/USD depth-10 snapshot.
fn support_article_book(depth: usize) -> Book {
    let text = cst_testdata::read_text("kraken/api-examples/checksum/ws_v1_book_snapshot_support_article.json");
    let msg: serde_json::Value = serde_json::from_str(&text).expect("json");
    let (bids, asks) = (side_texts(&msg[1], "bs"), side_texts(&msg[1], "as"));
    let scale = BookScale::infer(bids.iter().chain(&asks).map(|(p, q)| (p.as_str(), q.as_str()))).expect("scale");
    let mut book = Book::new(depth, scale);
    book.load_snapshot(&parse_side(scale, &bids), &parse_side(scale, &asks));
    book
}

/// Kraken docs v1 checksum example (top 10 of a depth-1000 book).
fn docs_top10_book(depth: usize) -> Book {
    let text = cst_testdata::read_text("kraken/api-examples/checksum/ws_v1_book_top10_docs_example.json");
    let msg: serde_json::Value = serde_json::from_str(&text).expect("json");
    let scale = BookScale::new(5, 8).expect("scale");
    let mut book = Book::new(depth, scale);
    book.load_snapshot(&parse_side(scale, &side_texts(&msg, "bs")), &parse_side(scale, &side_texts(&msg, "as")));
    book
}

#[test]
fn infers_kraken_precision_from_the_snapshot_texts() {
    let book = support_article_book(10);
    assert_eq!(book.scale(), BookScale { price_decimals: 5, qty_decimals: 8 });
    assert_eq!(book.len(BookSide::Bid), 10);
    assert_eq!(book.len(BookSide::Ask), 10);
}

#[test]
fn best_bid_ask_mid_and_spread_are_exact() {
    let book = support_article_book(10);
    let bid = book.best_bid().expect("bid");
    let ask = book.best_ask().expect("ask");
    assert_eq!((bid.price.value(), bid.qty.value()), (dec!(5290.1), dec!(1.431956)));
    assert_eq!((ask.price.value(), ask.qty.value()), (dec!(5290.8), dec!(1)));
    assert_eq!(book.mid(), Some(dec!(5290.45)));
    assert_eq!(book.spread(), Some(dec!(0.7)));
}

#[test]
fn levels_come_best_first_on_both_sides() {
    let book = support_article_book(10);
    let bids: Vec<Decimal> = book.levels(BookSide::Bid).map(|l| l.price.value()).collect();
    let asks: Vec<Decimal> = book.levels(BookSide::Ask).map(|l| l.price.value()).collect();
    assert!(bids.windows(2).all(|w| w[0] > w[1]), "{bids:?}");
    assert!(asks.windows(2).all(|w| w[0] < w[1]), "{asks:?}");
    assert_eq!(bids.last(), Some(&dec!(5283.9)));
    assert_eq!(asks.last(), Some(&dec!(5294.5)));
}

#[test]
fn depth_within_bps_counts_only_levels_inside_the_band_around_mid() {
    let book = support_article_book(10);
    // mid 5290.45: 1 bp band reaches 5289.920955 on the bid side, 2 bp 5289.39191 / 5291.50809.
    assert_eq!(book.depth_within_bps(BookSide::Bid, 1).map(Qty::value), Some(dec!(1.431956)));
    assert_eq!(book.depth_within_bps(BookSide::Bid, 2).map(Qty::value), Some(dec!(3.925956)));
    assert_eq!(book.depth_within_bps(BookSide::Ask, 2).map(Qty::value), Some(dec!(5.49956524)));
    assert_eq!(book.depth_within_bps(BookSide::Ask, 0).map(Qty::value), Some(dec!(0)));
}

#[test]
fn zero_quantity_deletes_and_a_new_best_takes_over() {
    let mut book = support_article_book(10);
    let scale = book.scale();
    let del = scale.parse_level("5290.10000", "0.00000000").expect("level");
    book.apply_message(&[(BookSide::Bid, del)]);
    assert_eq!(book.best_bid().map(|l| l.price.value()), Some(dec!(5289.8)));
    assert_eq!(book.len(BookSide::Bid), 9);
}

#[test]
fn docs_update_outside_the_top_ten_is_truncated_away_at_depth_ten() {
    // Kraken's v1 checksum guide: this update arrives on the top-10 book and the checksum stays
    // the same, because all four levels fall beyond depth 10.
    let updates: Vec<(BookSide, LevelUpdate)> = [
        (BookSide::Ask, "0.05120"),
        (BookSide::Ask, "0.05275"),
        (BookSide::Bid, "0.04765"),
        (BookSide::Bid, "0.04940"),
    ]
    .iter()
    .map(|&(side, p)| (side, BookScale::new(5, 8).and_then(|s| s.parse_level(p, "0.00000500")).expect("level")))
    .collect();
    let mut shallow = docs_top10_book(10);
    let before: Vec<LevelUpdate> = shallow.raw_levels(BookSide::Ask).chain(shallow.raw_levels(BookSide::Bid)).collect();
    shallow.apply_message(&updates);
    let after: Vec<LevelUpdate> = shallow.raw_levels(BookSide::Ask).chain(shallow.raw_levels(BookSide::Bid)).collect();
    assert_eq!(before, after);

    let mut deep = docs_top10_book(1000);
    deep.apply_message(&updates);
    assert_eq!((deep.len(BookSide::Bid), deep.len(BookSide::Ask)), (12, 12));
}

#[test]
fn refuses_texts_finer_than_the_book_scale_and_zero_prices() {
    let scale = BookScale::new(5, 8).expect("scale");
    assert!(matches!(scale.parse_level("5290.100001", "1"), Err(BookError::Scale(ScaleError::TooPrecise { .. }))));
    assert_eq!(scale.parse_level("0.00000", "1"), Err(BookError::ZeroPrice));
    assert!(BookScale::new(19, 8).is_err());
}

/// A plain sorted-map book: obviously right, slow; the reference for the ladder.
#[derive(Default)]
struct ModelBook {
    bids: std::collections::BTreeMap<u64, u64>,
    asks: std::collections::BTreeMap<u64, u64>,
}

impl ModelBook {
    fn apply(&mut self, side: BookSide, u: LevelUpdate) {
        let m = if side == BookSide::Bid { &mut self.bids } else { &mut self.asks };
        if u.qty == 0 {
            m.remove(&u.price);
        } else {
            m.insert(u.price, u.qty);
        }
    }

    fn truncate(&mut self, depth: usize) {
        while self.bids.len() > depth {
            self.bids.pop_first();
        }
        while self.asks.len() > depth {
            self.asks.pop_last();
        }
    }

    fn levels(&self, side: BookSide) -> Vec<LevelUpdate> {
        let to = |(p, q): (&u64, &u64)| LevelUpdate { price: *p, qty: *q };
        match side {
            BookSide::Bid => self.bids.iter().rev().map(to).collect(),
            BookSide::Ask => self.asks.iter().map(to).collect(),
        }
    }
}

/// Bybit XRPUSDT `orderbook.500`: `(side, price, size)` changes per message, snapshot first.
fn bybit_messages() -> Vec<Vec<(BookSide, String, String)>> {
    let text = cst_testdata::read_text("other-exchanges/bybit-l2-2024/XRPUSDT_ob500_2024-12-01.jsonl.gz");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let side = |key: &str, s: BookSide| -> Vec<(BookSide, String, String)> {
                v["data"][key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| (s, x[0].as_str().unwrap().to_string(), x[1].as_str().unwrap().to_string()))
                    .collect()
            };
            let mut m = side("b", BookSide::Bid);
            m.extend(side("a", BookSide::Ask));
            m
        })
        .collect()
}

#[test]
fn matches_a_sorted_map_model_level_for_level_on_the_bybit_stream_at_every_depth() {
    let msgs = bybit_messages();
    let scale = BookScale::infer(msgs.iter().flatten().map(|(_, p, q)| (p.as_str(), q.as_str()))).unwrap();
    let parsed: Vec<Vec<(BookSide, LevelUpdate)>> =
        msgs.iter().map(|m| m.iter().map(|(s, p, q)| (*s, scale.parse_level(p, q).unwrap())).collect()).collect();
    for depth in [10, 25, 100, 500, 1000] {
        let mut book = Book::new(depth, scale);
        let mut model = ModelBook::default();
        let side_of = |s: BookSide| parsed[0].iter().filter(move |(x, _)| *x == s).map(|(_, u)| *u).collect::<Vec<_>>();
        book.load_snapshot(&side_of(BookSide::Bid), &side_of(BookSide::Ask));
        for (i, msg) in parsed.iter().enumerate() {
            if i > 0 {
                book.apply_message(msg);
            }
            for &(s, u) in msg {
                model.apply(s, u);
                model.truncate(depth);
            }
            for side in [BookSide::Bid, BookSide::Ask] {
                let ours: Vec<LevelUpdate> = book.raw_levels(side).collect();
                assert_eq!(ours, model.levels(side), "depth {depth}, message {i}, {side:?}");
            }
        }
    }
}
