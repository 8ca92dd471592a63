//! Order-book throughput on real recorded streams, one core: level updates applied per second
//! (pre-parsed), applied with every message's checksum verified, and frames parsed per second.
//! Streams: Kraken's 2021 v1 capture (7 pairs, depth 1000, checksummed) and Bybit's XRPUSDT
//! `orderbook.500` recording (1,000-level snapshot + 2,966 updates), each replayed from its
//! snapshot once per iteration.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use cst_core::book::{Book, BookScale, BookSide, LevelUpdate};
use cst_kraken::checksum::{ChecksumCache, book_checksum};
use cst_kraken::ws::frame::{BookMessageKind, Frame, Protocol, parse_frame};
use cst_kraken::ws::replay::read_recording;
use cst_kraken::ws::{BookFeed, v1};
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

/// CPU time of the benchmark thread: on a machine shared with other builds, wall time also
/// counts the time other processes held the core; this does not.
struct ThreadCpu;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpu {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;
    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }
    fn end(&self, i: Self::Intermediate) -> Duration {
        i.elapsed()
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// One message's changes and the exchange checksum, for one book (index into the stream's books).
struct Message {
    book: usize,
    changes: Vec<(BookSide, LevelUpdate)>,
    checksum: Option<u32>,
}

/// A stream pre-parsed into snapshots and messages.
struct Stream {
    snapshots: Vec<Book>,
    messages: Vec<Message>,
    updates: u64,
}

fn kraken_frames() -> Vec<String> {
    let text = cst_testdata::read_text("kraken/ws-v1-capture-2021/KRAKEN.ws.50.0.txt.gz");
    let rec = read_recording(&text).unwrap();
    rec.frames
        .iter()
        .filter(|f| f.text.starts_with('[') || f.text.starts_with('{'))
        .map(|f| f.text.to_string())
        .collect()
}

fn kraken_stream(frames: &[String]) -> Stream {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut s = Stream { snapshots: Vec::new(), messages: Vec::new(), updates: 0 };
    for f in frames {
        let Ok(Frame::Book(m)) = v1::parse(f) else { continue };
        if m.kind == BookMessageKind::Snapshot {
            let scale = BookScale::infer(m.asks.iter().chain(&m.bids).map(|l| (l.price, l.qty))).unwrap();
            let parse = |v: &[cst_kraken::ws::LevelText]| -> Vec<LevelUpdate> {
                v.iter().map(|l| scale.parse_level(l.price, l.qty).unwrap()).collect()
            };
            let mut book = Book::new(m.depth.unwrap(), scale);
            book.load_snapshot(&parse(&m.bids), &parse(&m.asks));
            index.insert(m.symbol.to_string(), s.snapshots.len());
            s.snapshots.push(book);
            continue;
        }
        let book = index[m.symbol];
        let scale = s.snapshots[book].scale();
        let mut changes = Vec::new();
        for (side, levels) in [(BookSide::Ask, &m.asks), (BookSide::Bid, &m.bids)] {
            changes.extend(levels.iter().map(|l| (side, scale.parse_level(l.price, l.qty).unwrap())));
        }
        s.updates += changes.len() as u64;
        s.messages.push(Message { book, changes, checksum: m.checksum });
    }
    s
}

#[derive(serde::Deserialize)]
struct BybitMsg<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(borrow)]
    data: BybitData<'a>,
}

#[derive(serde::Deserialize)]
struct BybitData<'a> {
    #[serde(borrow)]
    b: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    a: Vec<(&'a str, &'a str)>,
}

fn bybit_lines() -> Vec<String> {
    let text = cst_testdata::read_text("other-exchanges/bybit-l2-2024/XRPUSDT_ob500_2024-12-01.jsonl.gz");
    text.lines().map(str::to_string).collect()
}

fn bybit_stream(lines: &[String]) -> Stream {
    let msgs: Vec<BybitMsg> = lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let all = msgs.iter().flat_map(|m| m.data.b.iter().chain(&m.data.a)).copied();
    let scale = BookScale::infer(all).unwrap();
    let parse =
        |v: &[(&str, &str)]| -> Vec<LevelUpdate> { v.iter().map(|(p, q)| scale.parse_level(p, q).unwrap()).collect() };
    let mut book = Book::new(500, scale);
    assert_eq!(msgs[0].kind, "snapshot");
    book.load_snapshot(&parse(&msgs[0].data.b), &parse(&msgs[0].data.a));
    let mut s = Stream { snapshots: vec![book], messages: Vec::new(), updates: 0 };
    for m in &msgs[1..] {
        assert_eq!(m.kind, "delta");
        let mut changes: Vec<(BookSide, LevelUpdate)> =
            parse(&m.data.b).into_iter().map(|u| (BookSide::Bid, u)).collect();
        changes.extend(parse(&m.data.a).into_iter().map(|u| (BookSide::Ask, u)));
        s.updates += changes.len() as u64;
        s.messages.push(Message { book: 0, changes, checksum: None });
    }
    s
}

fn apply_all(books: &mut [Book], messages: &[Message]) {
    for m in messages {
        books[m.book].apply_message(&m.changes);
    }
}

/// Applies every message and checks our checksum after each; counts matches. With `incremental`
/// the checksum comes from a [`ChecksumCache`] (as [`BookFeed`] does), else from a full recompute.
fn apply_all_checked(books: &mut [Book], messages: &[Message], incremental: bool) -> u64 {
    let mut matched = 0;
    let mut caches = vec![ChecksumCache::default(); books.len()];
    for m in messages {
        let book = &mut books[m.book];
        book.apply_message(&m.changes);
        let sum = if incremental { caches[m.book].checksum(book) } else { book_checksum(book) };
        matched += u64::from(m.checksum.is_none_or(|c| c == sum));
    }
    matched
}

fn bench_stream<M: Measurement>(c: &mut Criterion<M>, name: &str, s: &Stream) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(s.updates));
    g.bench_function("apply", |b| {
        b.iter_batched_ref(
            || s.snapshots.clone(),
            |books| apply_all(books, black_box(&s.messages)),
            BatchSize::SmallInput,
        )
    });
    for (name, incremental) in
        [("apply+checksum_every_message", true), ("apply+checksum_recomputed_every_message", false)]
    {
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || s.snapshots.clone(),
                |books| {
                    assert_eq!(apply_all_checked(books, black_box(&s.messages), incremental), s.messages.len() as u64)
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

fn kraken<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let frames = kraken_frames();
    let stream = kraken_stream(&frames);
    bench_stream(c, &format!("{clock}/kraken_v1_2021"), &stream);
    let mut g = c.benchmark_group(format!("{clock}/kraken_v1_2021_frames"));
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| frames.iter().filter(|f| parse_frame(Protocol::V1, black_box(f)).is_ok()).count())
    });
    g.bench_function("parse+apply+checksum", |b| {
        b.iter(|| {
            let mut feed = BookFeed::new(1000);
            for f in &frames {
                if let Ok(Frame::Book(m)) = parse_frame(Protocol::V1, black_box(f)) {
                    feed.on_message(&m);
                }
            }
            feed
        })
    });
    g.finish();
}

fn bybit<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let lines = bybit_lines();
    let stream = bybit_stream(&lines);
    bench_stream(c, &format!("{clock}/bybit_xrpusdt_2024"), &stream);
    let mut g = c.benchmark_group(format!("{clock}/bybit_xrpusdt_2024_frames"));
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            lines.iter().map(|l| serde_json::from_str::<BybitMsg>(black_box(l)).unwrap().data.b.len()).sum::<usize>()
        })
    });
    g.finish();
}

fn wall_clock(c: &mut Criterion) {
    kraken(c, "wall");
    bybit(c, "wall");
}

fn thread_cpu(c: &mut Criterion<ThreadCpu>) {
    kraken(c, "cpu");
    bybit(c, "cpu");
}

criterion_group!(wall, wall_clock);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = thread_cpu
}
criterion_main!(wall, cpu);
