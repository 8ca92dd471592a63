//! Emoji as crypto communities use them: rockets and moons are hype, charts are direction, skulls and
//! blood are losses. Weights on the VADER scale.

use super::tag::{FEAR, GREED, HYPE, NONE};

/// (emoji alternatives, valence, indicator tags).
pub(super) const EMOJI: &[(&str, f32, u8)] = &[
    ("🚀", 2.5, HYPE),
    ("🌙|🌕|🌝", 1.5, HYPE),
    ("📈", 2.0, NONE),
    ("📉", -2.0, NONE),
    ("💎|🙌", 1.0, NONE),
    ("🔥", 1.5, HYPE),
    ("💰|💵|💲", 1.2, GREED),
    ("🤑", 1.8, GREED),
    ("😱|😨|😰", -2.0, FEAR),
    ("😭|😢|😞", -1.6, NONE),
    ("💀|☠", -1.8, NONE),
    ("🩸", -2.0, FEAR),
    ("🐻", -1.5, NONE),
    ("🐂", 1.5, NONE),
    ("🟢|✅", 0.8, NONE),
    ("🔴|❌", -0.9, NONE),
    ("⚠", -1.2, FEAR),
    ("🚨", -0.6, FEAR),
    ("👍", 1.0, NONE),
    ("👎", -1.2, NONE),
    ("😀|😃|😄|😁|😊", 1.2, NONE),
    ("😂|🤣", 0.4, NONE),
    ("😡|😠", -1.8, NONE),
    ("🤬", -2.0, NONE),
    ("🤡", -1.2, NONE),
    ("💩", -2.0, NONE),
    ("🎉|🥳|🍾", 1.6, NONE),
    ("🏆", 1.2, NONE),
    ("😍", 1.8, NONE),
    ("🙏", 0.5, NONE),
    ("🤯", 0.5, HYPE),
    ("🐋", 0.0, NONE),
];
