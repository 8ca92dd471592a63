//! Words that change the strength or direction of the sentiment term after them.

/// Words that flip the next sentiment term within the negation window (contractions in `n't` too).
pub(super) const NEGATORS: &[&str] = &[
    "not", "no", "never", "nor", "neither", "without", "cannot", "hardly", "none", "nothing", "nobody", "fails",
    "failed", "fail", "lack", "lacks", "lacked", "isnt", "dont", "doesnt", "didnt", "wont", "cant",
];

/// Multipliers for the sentiment term that follows (> 1 intensifies, < 1 dampens).
pub(super) const INTENSIFIERS: &[(&str, f32)] = &[
    ("very", 1.3),
    ("extremely", 1.5),
    ("massive", 1.4),
    ("massively", 1.4),
    ("huge", 1.4),
    ("hugely", 1.4),
    ("really", 1.25),
    ("super", 1.3),
    ("so", 1.2),
    ("incredibly", 1.4),
    ("absolutely", 1.4),
    ("totally", 1.3),
    ("sharply", 1.4),
    ("significantly", 1.3),
    ("strongly", 1.3),
    ("heavily", 1.3),
    ("big", 1.2),
    ("biggest", 1.3),
    ("major", 1.2),
    ("deeply", 1.3),
    ("seriously", 1.3),
    ("insanely", 1.5),
    ("mega", 1.4),
    ("most", 1.2),
    ("much", 1.15),
    ("slightly", 0.6),
    ("somewhat", 0.7),
    ("marginally", 0.6),
    ("modestly", 0.7),
    ("barely", 0.5),
    ("kinda", 0.7),
    ("little", 0.7),
    ("partially", 0.7),
    ("mildly", 0.6),
    ("fairly", 0.8),
];

/// Words after which the rest of the text weighs more than what came before ("good, but ...").
pub(super) const CONTRASTS: &[&str] = &["but", "however", "yet", "although", "though"];
