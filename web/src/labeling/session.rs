//! The panel's state: the pair on show, its two players stepping in sync, and the counts
//! of the person's answers against the AI labeler's.

use super::pair_source::{Origin, Pair, PairSource, Segment};
use super::player::SegmentPlayer;
use super::{LabelingError, Side};
use rlaif::experiment::EpisodeRecording;

/// A segment a run queued for a person, as the worker sends it: its episode's seed and the
/// env actions from the episode's first step to the segment's last.
#[derive(Clone, Debug, PartialEq)]
pub struct QueuedSegment {
    pub seed: u64,
    pub start: usize,
    pub len: usize,
    pub actions: Vec<f32>,
}

/// What answering a pair returns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Answer {
    pub ai: Side,
    pub agreed: bool,
    /// Pairs answered (skipped ones not counted) and those where the person agreed.
    pub answered: u32,
    pub agreements: u32,
    pub ai_left: f64,
    pub ai_right: f64,
}

/// The panel's state: the pair on show, its two players and the running counts.
pub struct Session {
    source: PairSource,
    pair: Option<Pair>,
    answered_this: bool,
    left: SegmentPlayer,
    right: SegmentPlayer,
    answered: u32,
    agreements: u32,
    /// Frames shown since both segments last started.
    frame: usize,
}

/// Frames a pair holds its last states for before both segments start again, so that a
/// person (and a screen reader) sees how each ends.
pub const HOLD_FRAMES: usize = 5;

impl Session {
    pub fn new(
        env_id: &str,
        teacher: Option<&str>,
        segment_len: usize,
        seed: u64,
    ) -> Result<Self, LabelingError> {
        Ok(Self {
            source: PairSource::new(env_id, teacher, segment_len, seed)?,
            pair: None,
            answered_this: false,
            left: SegmentPlayer::new(env_id)?,
            right: SegmentPlayer::new(env_id)?,
            answered: 0,
            agreements: 0,
            frame: 0,
        })
    }

    pub fn source(&self) -> &PairSource {
        &self.source
    }

    pub fn add_episode(&mut self, recording: EpisodeRecording) -> Result<(), LabelingError> {
        self.source.add_episode(recording)
    }

    /// See [`PairSource::forget_agent`]; the pair on show stays until the next one.
    pub fn forget_agent(&mut self) {
        self.source.forget_agent();
    }

    /// Shows a new pair; the one on show, answered or not, is left behind.
    pub fn next_pair(&mut self) -> Result<&Pair, LabelingError> {
        let pair = self.source.next_pair()?;
        self.left.load(pair.left.clone())?;
        self.right.load(pair.right.clone())?;
        self.frame = 0;
        self.answered_this = false;
        Ok(self.pair.insert(pair))
    }

    /// Forgets the pair on show (a queued pair answered, none waiting).
    pub fn clear_pair(&mut self) {
        self.pair = None;
    }

    pub fn pair(&self) -> Option<&Pair> {
        self.pair.as_ref()
    }

    /// Whether the pair on show has been answered.
    pub fn is_answered(&self) -> bool {
        self.answered_this
    }

    /// Shows a pair the run queued (see [`QueuedSegment`]); a segment that does not replay
    /// in this env is an error and the pair on show stays.
    pub fn show_queued(
        &mut self,
        left: QueuedSegment,
        right: QueuedSegment,
    ) -> Result<&Pair, LabelingError> {
        let mut segment = |q: QueuedSegment, number: u64| -> Result<Segment, LabelingError> {
            let width = self.source.action_width();
            if q.len == 0 || Some(q.actions.len()) != (q.start + q.len).checked_mul(width) {
                return Err(LabelingError::BadQueued(format!(
                    "{} action values for steps 1 to {} of {width}-value actions",
                    q.actions.len(),
                    q.start + q.len
                )));
            }
            let recording = EpisodeRecording {
                number,
                seed: q.seed,
                actions: q.actions,
                // Not shown: a person judges what they see.
                episode_return: 0.0,
            };
            let episode = self
                .source
                .queued_episode(recording)
                .map_err(LabelingError::BadQueued)?;
            Ok(Segment {
                episode,
                start: q.start,
                len: q.len,
            })
        };
        let (left, right) = (segment(left, 1)?, segment(right, 2)?);
        let pair = self.source.judge(left, right, Origin::Queue);
        self.left.load(pair.left.clone())?;
        self.right.load(pair.right.clone())?;
        self.frame = 0;
        self.answered_this = false;
        Ok(self.pair.insert(pair))
    }

    /// The person's choice on the pair on show, counted once.
    pub fn answer(&mut self, choice: Side) -> Result<Answer, LabelingError> {
        let pair = self.pair.as_ref().ok_or(LabelingError::NoPair)?;
        if pair.origin == Origin::Queue {
            return Err(LabelingError::Queued);
        }
        if self.answered_this {
            return Err(LabelingError::Answered);
        }
        self.answered_this = true;
        let agreed = choice == pair.ai;
        self.answered += 1;
        self.agreements += u32::from(agreed);
        Ok(Answer {
            ai: pair.ai,
            agreed,
            answered: self.answered,
            agreements: self.agreements,
            ai_left: pair.ai_left,
            ai_right: pair.ai_right,
        })
    }

    pub fn counts(&self) -> (u32, u32) {
        (self.answered, self.agreements)
    }

    /// Advances both players one frame in sync: each plays its segment and holds its last
    /// state until the longer has ended and [`HOLD_FRAMES`] have passed; then both start
    /// again together.
    pub fn step(&mut self) -> Result<(), LabelingError> {
        let Some(pair) = &self.pair else {
            return Ok(());
        };
        let longest = pair.left.len.max(pair.right.len);
        if self.frame >= longest + HOLD_FRAMES {
            self.frame = 0;
            self.left.restart()?;
            return self.right.restart();
        }
        self.frame += 1;
        self.left.advance()?;
        self.right.advance()
    }

    pub fn players(&self) -> (&SegmentPlayer, &SegmentPlayer) {
        (&self.left, &self.right)
    }
}
