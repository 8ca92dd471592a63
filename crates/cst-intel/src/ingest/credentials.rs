//! Which credentials each source needs, where they are read from (environment or `<VAR>_FILE`
//! secret files), and how to obtain them. Reports say set/missing, never the values.

use super::post::Platform;
use crate::secret::Secret;
use serde::Serialize;

/// One credential a source needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// Who needs it (a platform or the LLM).
    pub consumer: &'static str,
    /// The environment variable (or `<VAR>_FILE` naming a secret file).
    pub var: &'static str,
    /// Whether the source cannot run without it.
    pub required: bool,
    /// How to obtain it.
    pub how_to_get: &'static str,
}

/// Every credential the intel sources read.
pub const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        consumer: "reddit",
        var: "CST_REDDIT_CLIENT_ID",
        required: true,
        how_to_get: "create a 'script' app at https://www.reddit.com/prefs/apps; the id is under the app name",
    },
    Requirement {
        consumer: "reddit",
        var: "CST_REDDIT_CLIENT_SECRET",
        required: true,
        how_to_get: "the 'secret' of the same Reddit app",
    },
    Requirement {
        consumer: "reddit",
        var: "CST_REDDIT_USER_AGENT",
        required: true,
        how_to_get: "your own string in Reddit's format: <platform>:<app id>:<version> (by /u/<your username>)",
    },
    Requirement {
        consumer: "telegram",
        var: "CST_TELEGRAM_BOT_TOKEN",
        required: true,
        how_to_get: "talk to @BotFather in Telegram (/newbot), then add the bot to the channels to read",
    },
    Requirement {
        consumer: "x",
        var: "CST_X_BEARER_TOKEN",
        required: true,
        how_to_get: "create a project and app at https://developer.x.com (Basic tier or above for search); copy the app's Bearer Token",
    },
    Requirement {
        consumer: "discord",
        var: "CST_DISCORD_BOT_TOKEN",
        required: true,
        how_to_get: "https://discord.com/developers/applications -> New Application -> Bot -> Reset Token; enable the Message Content intent and invite the bot with Read Message History",
    },
    Requirement {
        consumer: "llm",
        var: "CST_LLM_API_KEY",
        required: false,
        how_to_get: "an OpenAI API key (https://platform.openai.com/api-keys), or none for a local Ollama/llama.cpp server (set CST_LLM_BASE_URL)",
    },
];

/// The status of one credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialStatus {
    /// Who needs it.
    pub consumer: &'static str,
    /// The variable.
    pub var: &'static str,
    /// Set (in the environment or a secret file).
    pub present: bool,
    /// Whether it is required.
    pub required: bool,
    /// How to obtain it.
    pub how_to_get: &'static str,
}

/// Checks every credential.
pub fn check_all() -> Vec<CredentialStatus> {
    REQUIREMENTS
        .iter()
        .map(|r| CredentialStatus {
            consumer: r.consumer,
            var: r.var,
            present: Secret::from_env(r.var).is_some(),
            required: r.required,
            how_to_get: r.how_to_get,
        })
        .collect()
}

/// Whether a platform's required credentials are all present (RSS needs none).
pub fn platform_ready(platform: Platform, statuses: &[CredentialStatus]) -> bool {
    statuses.iter().filter(|s| s.consumer == platform.as_str() && s.required).all(|s| s.present)
}
