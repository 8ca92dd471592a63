//! The terms-of-service rule table per platform and its enforcement before every request: auth
//! present, only official API endpoints (no HTML scraping), the platform's User-Agent rule, and the
//! published request rate. Retention and commercial-use notes travel with the rule for operators.

use super::post::Platform;

/// One platform's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TosRule {
    /// The platform.
    pub platform: Platform,
    /// Whether every request must carry credentials.
    pub auth_required: bool,
    /// Requests allowed per window (our pacing never exceeds the published limit).
    pub requests_per_window: u32,
    /// The window length.
    pub window_secs: i64,
    /// Where the limit comes from.
    pub rate_source: &'static str,
    /// Path prefixes of the official API endpoints we may call (anything else is refused).
    pub allowed_paths: &'static [&'static str],
    /// Hosts that serve the web site, never to be scraped.
    pub forbidden_hosts: &'static [&'static str],
    /// The User-Agent rule.
    pub user_agent: UserAgentRule,
    /// How long posts may be kept, in days.
    pub retention_days: u32,
    /// Commercial-use and content notes.
    pub commercial_use: &'static str,
}

/// What the platform requires of the User-Agent header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAgentRule {
    /// Any descriptive agent naming the application.
    Descriptive,
    /// Reddit: `<platform>:<app id>:<version> (by /u/<username>)`.
    Reddit,
    /// Discord: `DiscordBot (<url>, <version>)`.
    DiscordBot,
}

/// The rule table.
pub const RULES: [TosRule; 5] = [
    TosRule {
        platform: Platform::Rss,
        auth_required: false,
        requests_per_window: 1,
        window_secs: 300,
        rate_source: "politeness: one fetch per feed per 5 minutes (feeds update on that scale)",
        allowed_paths: &["/"],
        forbidden_hosts: &[],
        user_agent: UserAgentRule::Descriptive,
        retention_days: 365,
        commercial_use: "publishers license their feeds: keep headline, summary and link; never republish full articles",
    },
    TosRule {
        platform: Platform::Reddit,
        auth_required: true,
        requests_per_window: 1_000,
        window_secs: 600,
        rate_source: "Reddit Data API: 100 queries per minute per OAuth client id, averaged over 10 minutes",
        allowed_paths: &["/api/v1/access_token", "/r/"],
        forbidden_hosts: &["old.reddit.com", "np.reddit.com"],
        user_agent: UserAgentRule::Reddit,
        retention_days: 30,
        commercial_use: "Data API terms: honour user deletions; commercial use needs a separate agreement with Reddit",
    },
    TosRule {
        platform: Platform::Telegram,
        auth_required: true,
        requests_per_window: 60,
        window_secs: 60,
        rate_source: "Bot API: no published getUpdates limit; one poll per second, long polling preferred",
        allowed_paths: &["/bot"],
        forbidden_hosts: &["t.me", "web.telegram.org"],
        user_agent: UserAgentRule::Descriptive,
        retention_days: 30,
        commercial_use: "only chats the bot was added to by their admins; Telegram Bot API terms apply",
    },
    TosRule {
        platform: Platform::X,
        auth_required: true,
        requests_per_window: 60,
        window_secs: 900,
        rate_source: "X API v2 recent search: 60 requests per 15 minutes (Basic tier, app auth)",
        allowed_paths: &["/2/tweets/search/recent", "/2/tweets", "/2/users/"],
        forbidden_hosts: &["x.com", "twitter.com", "www.x.com", "mobile.twitter.com"],
        user_agent: UserAgentRule::Descriptive,
        retention_days: 30,
        commercial_use: "Developer Agreement: scraping is prohibited; honour deletions; redistribute tweet ids only",
    },
    TosRule {
        platform: Platform::Discord,
        auth_required: true,
        requests_per_window: 5,
        window_secs: 5,
        rate_source: "Discord: 50 requests/s global, per-route buckets from X-RateLimit headers; we poll 1/s",
        allowed_paths: &["/api/v10/channels/"],
        forbidden_hosts: &[],
        user_agent: UserAgentRule::DiscordBot,
        retention_days: 30,
        commercial_use: "Developer Policy: bot tokens only (no self-bots), message content intent required, no selling data",
    },
];

/// The rule of a platform.
pub fn rule(platform: Platform) -> &'static TosRule {
    match platform {
        Platform::Rss => &RULES[0],
        Platform::Reddit => &RULES[1],
        Platform::Telegram => &RULES[2],
        Platform::X => &RULES[3],
        Platform::Discord => &RULES[4],
    }
}

/// A request refused by the rules before it was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TosViolation {
    /// Credentials missing where the platform requires them.
    #[error("{0}: credentials required")]
    MissingAuth(&'static str),
    /// A web-site host (HTML scraping).
    #[error("{0}: host {1} is the web site, not the API (scraping is forbidden)")]
    ForbiddenHost(&'static str, String),
    /// A path outside the official endpoints.
    #[error("{0}: path {1} is not an allowed API endpoint")]
    ForbiddenPath(&'static str, String),
    /// The User-Agent breaks the platform's rule.
    #[error("{0}: User-Agent {1:?} breaks the platform rule")]
    UserAgent(&'static str, String),
    /// A URL that does not parse.
    #[error("{0}: bad URL")]
    BadUrl(&'static str),
}

/// The request about to be sent, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct PlannedRequest<'a> {
    /// Full URL (never logged: Telegram puts the token in the path).
    pub url: &'a str,
    /// Whether credentials are attached.
    pub has_auth: bool,
    /// The User-Agent header.
    pub user_agent: &'a str,
}

impl TosRule {
    /// Checks one request against the rules.
    pub fn check(&self, req: &PlannedRequest<'_>) -> Result<(), TosViolation> {
        let name = self.platform.as_str();
        if self.auth_required && !req.has_auth {
            return Err(TosViolation::MissingAuth(name));
        }
        let url = reqwest::Url::parse(req.url).map_err(|_| TosViolation::BadUrl(name))?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if self.forbidden_hosts.contains(&host.as_str()) {
            return Err(TosViolation::ForbiddenHost(name, host));
        }
        if self.platform == Platform::Reddit && host == "www.reddit.com" && url.path() != "/api/v1/access_token" {
            return Err(TosViolation::ForbiddenHost(name, host));
        }
        let path = url.path();
        let path_ok = self.allowed_paths.iter().any(|p| path.starts_with(p)) && !path.ends_with(".json");
        if !path_ok || (self.platform == Platform::Telegram && !path.ends_with("/getUpdates")) {
            let shown = if self.platform == Platform::Telegram { "/bot***/...".to_string() } else { path.to_string() };
            return Err(TosViolation::ForbiddenPath(name, shown));
        }
        if !self.user_agent.accepts(req.user_agent) {
            return Err(TosViolation::UserAgent(name, req.user_agent.to_string()));
        }
        Ok(())
    }
}

impl UserAgentRule {
    /// Whether a User-Agent satisfies the rule.
    pub fn accepts(self, ua: &str) -> bool {
        match self {
            UserAgentRule::Descriptive => ua.len() >= 3 && !ua.starts_with("Mozilla/"),
            UserAgentRule::Reddit => is_reddit_agent(ua),
            UserAgentRule::DiscordBot => ua.starts_with("DiscordBot (") && ua.ends_with(')') && ua.contains(','),
        }
    }
}

/// `<platform>:<app id>:<version> (by /u/<username>)`.
fn is_reddit_agent(ua: &str) -> bool {
    let Some((head, by)) = ua.split_once(" (by /u/") else { return false };
    let parts: Vec<&str> = head.split(':').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.trim().is_empty()) && by.len() > 1 && by.ends_with(')')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(url: &'a str, ua: &'a str) -> PlannedRequest<'a> {
        PlannedRequest { url, has_auth: true, user_agent: ua }
    }

    const REDDIT_UA: &str = "linux:cst-intel:0.1.0 (by /u/cst_bot)";

    #[test]
    fn reddit_requires_oauth_endpoints_and_its_user_agent_format() {
        let r = rule(Platform::Reddit);
        assert!(r.check(&req("https://oauth.reddit.com/r/CryptoCurrency/new?limit=100", REDDIT_UA)).is_ok());
        assert!(r.check(&req("https://www.reddit.com/api/v1/access_token", REDDIT_UA)).is_ok());
        assert!(matches!(
            r.check(&req("https://www.reddit.com/r/CryptoCurrency/new", REDDIT_UA)),
            Err(TosViolation::ForbiddenHost(..))
        ));
        assert!(matches!(
            r.check(&req("https://oauth.reddit.com/r/CryptoCurrency/new.json", REDDIT_UA)),
            Err(TosViolation::ForbiddenPath(..))
        ));
        assert!(matches!(
            r.check(&req("https://oauth.reddit.com/r/x/new", "python-requests/2.31")),
            Err(TosViolation::UserAgent(..))
        ));
    }

    #[test]
    fn x_refuses_the_web_site_and_unauthenticated_calls() {
        let r = rule(Platform::X);
        assert!(matches!(
            r.check(&req("https://x.com/search?q=btc", "cst-intel/0.1")),
            Err(TosViolation::ForbiddenHost(..))
        ));
        let anonymous =
            PlannedRequest { url: "https://api.x.com/2/tweets/search/recent", has_auth: false, user_agent: "cst" };
        assert_eq!(r.check(&anonymous), Err(TosViolation::MissingAuth("x")));
    }

    #[test]
    fn telegram_allows_only_get_updates_and_hides_the_token_in_errors() {
        let r = rule(Platform::Telegram);
        assert!(r.check(&req("https://api.telegram.org/bot123:SECRET/getUpdates?offset=1", "cst-intel/0.1")).is_ok());
        let err =
            r.check(&req("https://api.telegram.org/bot123:SECRET/sendMessage", "cst-intel/0.1")).expect_err("send");
        assert!(!err.to_string().contains("SECRET"));
    }

    #[test]
    fn discord_requires_a_bot_user_agent() {
        let r = rule(Platform::Discord);
        let url = "https://discord.com/api/v10/channels/1/messages";
        assert!(r.check(&req(url, "DiscordBot (https://example.org/cst, 0.1)")).is_ok());
        assert!(r.check(&req(url, "Mozilla/5.0")).is_err());
    }
}
