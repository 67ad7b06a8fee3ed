//! The labelling panel: two short segments side by side, for a person to say which is
//! better. It shows either pairs it draws itself from the agent's latest episodes (or a
//! random policy's, before the agent has any), to compare a person's judgement with the AI
//! labeler's, or the pairs a preference run queued for a person (labels from `you` or
//! `both`), whose answers the page sends to the run.
//!
//! The AI verdict is the preference mode's: the perfect [`Labeler`](rlaif::feedback::Labeler)
//! comparing the teacher's per-step scores summed over each segment, the scores taken as the
//! trainer takes them (`score(Phi(s), a, s')`, `Phi` after a terminal step 0, stored as `f32`).
//!
//! One concept a file: [`pair_source`] (episodes and the pairs drawn from them), [`player`]
//! (one segment replayed on a loop), [`session`] (the pair on show, both players in sync,
//! the counts) and [`js`] (the thin JS face, [`Labeling`]). All but `js` are plain Rust,
//! tested natively.

pub mod js;
pub mod pair_source;
pub mod player;
pub mod session;
#[cfg(test)]
mod tests;

pub use js::Labeling;
pub use pair_source::{Episode, Origin, Pair, PairSource, Segment};
pub use player::SegmentPlayer;
pub use session::{Answer, QueuedSegment, Session};

use rlaif::env::{EnvError, registry::MakeError};
use rlaif::feedback::{Label, TeacherError};

/// The agent's episodes kept to draw segments from, newest last.
pub const MAX_EPISODES: usize = 16;
/// Random-policy episodes rolled out when the agent has none to show.
pub const RANDOM_EPISODES: usize = 8;
/// Segment returns closer than this are "equally good" to the AI labeler.
pub const EQUAL_TOLERANCE: f64 = 1e-6;

#[derive(Debug, thiserror::Error)]
pub enum LabelingError {
    #[error(transparent)]
    Env(#[from] MakeError),
    #[error(transparent)]
    Teacher(#[from] TeacherError),
    #[error("the segment length must be at least 1 step")]
    ZeroSegment,
    #[error("the episode does not replay in {env_id}: {why}")]
    BadEpisode { env_id: String, why: String },
    #[error("the random policy failed in {env_id}: {why}")]
    RandomPolicy { env_id: String, why: String },
    #[error("there are not two different segments to compare")]
    TooFew,
    #[error("there is no pair to answer: ask for the next pair first")]
    NoPair,
    #[error("this pair is answered already: ask for the next pair")]
    Answered,
    #[error("unknown choice {0:?}: expected left, right or equal")]
    BadChoice(String),
    #[error("replaying a segment failed: {0}")]
    Replay(#[from] EnvError),
    #[error("a queued pair is answered by the run it came from, not by the panel")]
    Queued,
    #[error("the queued segment does not replay: {0}")]
    BadQueued(String),
}

/// Which segment is better, by a person or the AI labeler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
    Equal,
}

impl Side {
    pub fn parse(text: &str) -> Result<Self, LabelingError> {
        match text {
            "left" => Ok(Side::Left),
            "right" => Ok(Side::Right),
            "equal" => Ok(Side::Equal),
            other => Err(LabelingError::BadChoice(other.chars().take(40).collect())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
            Side::Equal => "equal",
        }
    }

    /// The labeler's answer for the pair (left, right); a perfect labeler never skips.
    pub(crate) fn from_label(label: Label) -> Self {
        match label {
            Label::First => Side::Left,
            Label::Second => Side::Right,
            Label::Equal | Label::Skip => Side::Equal,
        }
    }
}
