//! RSS 2.0, RSS 1.0 (RDF) and Atom feeds from any URL. An HTML page or non-XML body is refused as a
//! whole ("not a feed"); items without an id or usable text are counted, never stored half-parsed.

use super::Batch;
use crate::clock::Clock;
use crate::ingest::exchange::{Auth, Method, Request, exchange};
use crate::ingest::gate::{Gate, IngestError};
use crate::ingest::post::{Platform, RawPost};
use cst_core::time::Timestamp;

/// Main crypto news outlets' public feeds (configurable; any URL works).
pub const DEFAULT_FEEDS: &[&str] = &[
    "https://www.coindesk.com/arc/outboundfeeds/rss/",
    "https://cointelegraph.com/rss",
    "https://decrypt.co/feed",
    "https://www.theblock.co/rss.xml",
    "https://bitcoinmagazine.com/.rss/full/",
];

/// One feed.
#[derive(Debug)]
pub struct RssSource {
    url: String,
    user_agent: String,
    gate: Gate,
}

impl RssSource {
    /// A feed at `url`, fetched with a descriptive User-Agent.
    pub fn new(url: &str, user_agent: &str) -> Self {
        Self { url: url.to_string(), user_agent: user_agent.to_string(), gate: Gate::new(Platform::Rss) }
    }

    /// The gate (for its counters).
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    /// Fetches and parses the feed.
    pub async fn fetch(&mut self, http: &reqwest::Client, clock: &dyn Clock) -> Result<Batch, IngestError> {
        let req = Request { method: Method::Get, url: &self.url, auth: Auth::None, user_agent: &self.user_agent };
        let facts = exchange(http, &mut self.gate, clock, req).await?;
        let received = Timestamp::from_nanos(clock.now_ms() * 1_000_000);
        let items = parse_feed(&facts.body)?;
        Ok(Batch::from_raw(Platform::Rss, items, received))
    }
}

/// Parses a feed document into raw items.
pub fn parse_feed(body: &str) -> Result<Vec<RawPost>, IngestError> {
    let head = body.trim_start().get(..200).unwrap_or(body.trim_start()).to_ascii_lowercase();
    if head.starts_with("<!doctype html") || head.starts_with("<html") {
        return Err(IngestError::NotApi("HTML page, not a feed".into()));
    }
    let doc = roxmltree::Document::parse(body).map_err(|e| IngestError::NotApi(format!("not XML: {e}")))?;
    let root = doc.root_element();
    let item_tag = match root.tag_name().name() {
        "rss" | "RDF" => "item",
        "feed" => "entry",
        other => return Err(IngestError::NotApi(format!("XML root <{other}> is not RSS or Atom"))),
    };
    Ok(root.descendants().filter(|n| n.is_element() && n.tag_name().name() == item_tag).map(raw_item).collect())
}

fn child_text<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name).and_then(|c| c.text()).map(str::trim)
}

fn raw_item(item: roxmltree::Node<'_, '_>) -> RawPost {
    let title = child_text(item, "title").unwrap_or_default();
    let body =
        child_text(item, "description").or_else(|| child_text(item, "summary")).or_else(|| child_text(item, "content"));
    let link = child_text(item, "link").filter(|l| !l.is_empty()).map(str::to_string).or_else(|| atom_link(item));
    let id = child_text(item, "guid").or_else(|| child_text(item, "id")).map(str::to_string).or_else(|| link.clone());
    let published = child_text(item, "pubDate")
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
        .and_then(|d| d.timestamp_nanos_opt())
        .map(Timestamp::from_nanos)
        .or_else(|| {
            child_text(item, "published")
                .or_else(|| child_text(item, "updated"))
                .or_else(|| child_text(item, "date"))
                .and_then(|d| Timestamp::parse(d).ok())
        });
    let text = match body.map(strip_html).filter(|b| !b.is_empty()) {
        Some(b) if !title.is_empty() => format!("{title}. {b}"),
        Some(b) => b,
        None => title.to_string(),
    };
    RawPost {
        id: id.unwrap_or_default(),
        author: child_text(item, "creator").or_else(|| child_text(item, "author")).map(str::to_string),
        created_at: published,
        text,
        url: link,
        ..Default::default()
    }
}

fn atom_link(item: roxmltree::Node<'_, '_>) -> Option<String> {
    item.children()
        .filter(|c| c.is_element() && c.tag_name().name() == "link")
        .find(|c| c.attribute("rel").is_none_or(|r| r == "alternate"))
        .and_then(|c| c.attribute("href"))
        .map(str::to_string)
}

/// Removes tags and the common entities from an HTML summary.
fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let decoded = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}
