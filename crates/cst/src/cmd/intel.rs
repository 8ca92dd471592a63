//! `cst intel ...`: credentials check, feed ingestion into a JSONL file, and sentiment features.

use anyhow::Context;
use clap::Subcommand;
use cst_core::interval::Interval;
use cst_core::num::Money;
use cst_core::time::Timestamp;
use cst_intel::clock::SystemClock;
use cst_intel::features::{ScoredPost, sentiment_bars};
use cst_intel::ingest::credentials::check_all;
use cst_intel::ingest::gate::IngestError;
use cst_intel::ingest::post::Post;
use cst_intel::ingest::sink::JsonlSink;
use cst_intel::ingest::sources::Batch;
use cst_intel::ingest::sources::discord::DiscordSource;
use cst_intel::ingest::sources::reddit::{RedditCredentials, RedditEndpoints, RedditSource};
use cst_intel::ingest::sources::rss::{DEFAULT_FEEDS, RssSource};
use cst_intel::ingest::sources::telegram::TelegramSource;
use cst_intel::ingest::sources::x::XSource;
use cst_intel::llm::breaker::BreakerConfig;
use cst_intel::llm::client::ChatClient;
use cst_intel::llm::config::LlmConfig;
use cst_intel::llm::cost::PriceTable;
use cst_intel::llm::flags::FeatureFlags;
use cst_intel::llm::{GovernedLlm, Limits};
use cst_intel::secret::Secret;
use cst_intel::sentiment::Analyzer;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const USER_AGENT: &str = concat!("cst-intel/", env!("CARGO_PKG_VERSION"), " (+https://github.com/cryptosmarttrader)");

/// Intelligence commands.
#[derive(Debug, Subcommand)]
pub enum IntelCommand {
    /// Say which platform credentials are set or missing, and how to get them (values never shown).
    CheckCredentials {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fetch RSS/Atom feeds once and append new posts to a JSONL file.
    FetchFeeds {
        /// Feed URLs (default: the main crypto news outlets).
        #[arg(long = "url")]
        urls: Vec<String>,
        /// The JSONL file to append to.
        #[arg(long)]
        out: PathBuf,
    },
    /// Fetch once from the social platforms named (credentials from the environment, see
    /// check-credentials) and append new posts to a JSONL file.
    FetchSocial {
        /// Subreddits to read (`/r/<name>/new`).
        #[arg(long = "subreddit")]
        subreddits: Vec<String>,
        /// X recent-search queries.
        #[arg(long = "x-query")]
        x_queries: Vec<String>,
        /// Read the Telegram bot's updates.
        #[arg(long)]
        telegram: bool,
        /// Discord channel ids to read.
        #[arg(long = "discord-channel")]
        discord_channels: Vec<String>,
        /// The JSONL file to append to.
        #[arg(long)]
        out: PathBuf,
    },
    /// Analyze one text through the governed LLM (flags, budget, rate limits, breaker), falling back
    /// to the lexicon. Settings from CST_LLM_* and CST_ENVIRONMENT variables.
    Analyze {
        /// The text.
        text: String,
        /// Request a structured news analysis instead of sentiment.
        #[arg(long)]
        news: bool,
    },
    /// Compute causal sentiment bars for one asset from a JSONL post file.
    Features {
        /// The JSONL post file.
        #[arg(long)]
        posts: PathBuf,
        /// Kraken asset code (XBT, ETH, SOL, ...).
        #[arg(long)]
        asset: String,
        /// Bar interval (1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w).
        #[arg(long, default_value = "1h")]
        interval: Interval,
        /// Trailing bars forming the baseline.
        #[arg(long, default_value_t = 24)]
        baseline_bars: u32,
    },
}

/// Runs one intel command.
pub fn run(cmd: IntelCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IntelCommand::CheckCredentials { json } => check_credentials(json),
        IntelCommand::FetchFeeds { urls, out } => fetch_feeds(urls, &out),
        IntelCommand::FetchSocial { subreddits, x_queries, telegram, discord_channels, out } => {
            fetch_social(&SocialTargets { subreddits, x_queries, telegram, discord_channels }, &out)
        }
        IntelCommand::Analyze { text, news } => analyze(&text, news),
        IntelCommand::Features { posts, asset, interval, baseline_bars } => {
            features(&posts, &asset, interval, baseline_bars)
        }
    }
}

fn check_credentials(json: bool) -> anyhow::Result<ExitCode> {
    let statuses = check_all();
    if json {
        println!("{}", serde_json::to_string_pretty(&statuses)?);
    } else {
        println!("rss: no credentials needed");
        for s in &statuses {
            let state = if s.present {
                "set"
            } else if s.required {
                "MISSING"
            } else {
                "not set (optional)"
            };
            println!("{:<9} {:<26} {state}", s.consumer, s.var);
            if !s.present {
                println!("          how to get it: {}", s.how_to_get);
                println!("          set it in the environment or put it in a file named by {}_FILE", s.var);
            }
        }
    }
    let missing = statuses.iter().any(|s| s.required && !s.present);
    Ok(if missing { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

fn fetch_feeds(urls: Vec<String>, out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let urls = if urls.is_empty() { DEFAULT_FEEDS.iter().map(|u| u.to_string()).collect() } else { urls };
    let http = cst_intel::http::client(USER_AGENT, Duration::from_secs(20))?;
    let mut sink = JsonlSink::open(out)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut failed = 0;
    for url in urls {
        let mut source = RssSource::new(&url, USER_AGENT);
        match runtime.block_on(source.fetch(&http, &SystemClock)) {
            Ok(batch) => {
                let written = sink.write(&batch.posts)?;
                println!("{url}: {} posts, {written} new, rejected {:?}", batch.posts.len(), batch.rejected);
            }
            Err(e) => {
                failed += 1;
                eprintln!("{url}: {e}");
            }
        }
    }
    Ok(if failed > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// What `fetch-social` reads.
struct SocialTargets {
    subreddits: Vec<String>,
    x_queries: Vec<String>,
    telegram: bool,
    discord_channels: Vec<String>,
}

fn secret(var: &str) -> anyhow::Result<Secret> {
    Secret::from_env(var).with_context(|| format!("{var} is not set (run `cst intel check-credentials`)"))
}

fn fetch_social(t: &SocialTargets, out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let http = cst_intel::http::client(USER_AGENT, Duration::from_secs(20))?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut sink = JsonlSink::open(out)?;
    let mut results: Vec<(String, Result<Batch, IngestError>)> = Vec::new();
    for sub in &t.subreddits {
        let creds = RedditCredentials {
            client_id: secret("CST_REDDIT_CLIENT_ID")?.expose().to_string(),
            client_secret: secret("CST_REDDIT_CLIENT_SECRET")?,
            user_agent: secret("CST_REDDIT_USER_AGENT")?.expose().to_string(),
        };
        let mut src = RedditSource::new(creds, RedditEndpoints::default(), sub);
        results.push((format!("reddit r/{sub}"), runtime.block_on(src.fetch(&http, &SystemClock))));
    }
    for query in &t.x_queries {
        let mut src = XSource::new("https://api.x.com", secret("CST_X_BEARER_TOKEN")?, query, USER_AGENT);
        results.push((format!("x {query:?}"), runtime.block_on(src.fetch(&http, &SystemClock))));
    }
    if t.telegram {
        let mut src = TelegramSource::new("https://api.telegram.org", secret("CST_TELEGRAM_BOT_TOKEN")?, USER_AGENT);
        results.push(("telegram".into(), runtime.block_on(src.fetch(&http, &SystemClock))));
    }
    for channel in &t.discord_channels {
        let ua = concat!("DiscordBot (https://github.com/cryptosmarttrader, ", env!("CARGO_PKG_VERSION"), ")");
        let mut src = DiscordSource::new("https://discord.com", secret("CST_DISCORD_BOT_TOKEN")?, channel, ua);
        results.push((format!("discord {channel}"), runtime.block_on(src.fetch(&http, &SystemClock))));
    }
    let mut failed = 0;
    for (name, result) in results {
        match result {
            Ok(batch) => {
                let written = sink.write(&batch.posts)?;
                println!("{name}: {} posts, {written} new, rejected {:?}", batch.posts.len(), batch.rejected);
            }
            Err(e) => {
                failed += 1;
                eprintln!("{name}: {e}");
            }
        }
    }
    Ok(if failed > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

fn analyze(text: &str, news: bool) -> anyhow::Result<ExitCode> {
    let config = LlmConfig::from_env()?;
    let flags = FeatureFlags::from_env().map_err(anyhow::Error::msg)?;
    let http = cst_intel::http::client(USER_AGENT, Duration::from_millis(config.timeout_ms))?;
    let client = ChatClient::new(http, &config.base_url, &config.model, config.api_key.clone());
    let limits = Limits {
        max_tokens: config.max_tokens,
        requests_per_minute: config.requests_per_minute,
        tokens_per_minute: config.tokens_per_minute,
        daily_budget: Money::new(config.daily_budget_usd),
        breaker: BreakerConfig::default(),
    };
    let prices = PriceTable::builtin(&config.model);
    let mut llm = GovernedLlm::new(client, Arc::new(SystemClock), flags, prices, limits);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let key = format!("cli:{}", text.len());
    let out = if news {
        serde_json::to_string_pretty(&runtime.block_on(llm.news(&key, text))?)?
    } else {
        serde_json::to_string_pretty(&runtime.block_on(llm.sentiment(&key, text))?)?
    };
    println!("{out}");
    eprint!("{}", llm.metrics().to_prometheus());
    Ok(ExitCode::SUCCESS)
}

fn features(path: &std::path::Path, asset: &str, interval: Interval, baseline_bars: u32) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let analyzer = Analyzer::new();
    let mut scored = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let post: Post =
            serde_json::from_str(line).with_context(|| format!("{}:{}: not a post", path.display(), i + 1))?;
        scored.extend(ScoredPost::from_post(&post, &analyzer));
    }
    let (Some(first), Some(last)) =
        (scored.iter().map(|p| p.received_at).min(), scored.iter().map(|p| p.received_at).max())
    else {
        anyhow::bail!("no scorable posts in {}", path.display());
    };
    let to = Timestamp::from_nanos(last.as_nanos() + 1);
    for bar in sentiment_bars(&scored, asset, interval, first, to, baseline_bars) {
        println!("{}", serde_json::to_string(&bar)?);
    }
    Ok(ExitCode::SUCCESS)
}
