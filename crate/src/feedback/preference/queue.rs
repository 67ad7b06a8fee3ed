//! Queries waiting for a person, and the log of every label given.
//!
//! With labels from a person ([`LabelSource::You`](crate::feedback::config::LabelSource) or
//! `Both`) a round's queries cannot be answered at once: they wait in a bounded
//! [`QueryQueue`] (the oldest dropped when it is full, since their segments come from an
//! older policy) until the person answers them, and each answer enters the reward model's
//! training set as it arrives. Every query carries its segments as seeds and actions
//! ([`SegmentRef`]), so a page can replay what it asks about, and a labels file can carry
//! the labels to another run.

use super::super::labeler::Label;
use super::super::reward_model::LabelledPair;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

/// Queries waiting at most (more are dropped, oldest first).
pub const QUEUE_CAPACITY: usize = 64;

/// Query ids are unique within the process, across runs: an answer to a query of a run that
/// was reset names an id the new run never asked, so it is refused instead of being applied.
static NEXT_QUERY_ID: AtomicU64 = AtomicU64::new(1);

fn next_query_id() -> u64 {
    NEXT_QUERY_ID.fetch_add(1, Ordering::Relaxed)
}

/// A segment as its episode's seed and actions, so that it replays in a fresh env of the
/// run's id: reset with `seed`, step `actions`, and the segment is steps
/// `start..start + len`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRef {
    /// Pass to `Env::reset(Some(seed))`.
    pub seed: u64,
    /// The segment's first step within its episode (0: the episode's first).
    pub start: usize,
    /// Steps in the segment.
    pub len: usize,
    /// The actions as sent to the env, from the episode's first step to the segment's last:
    /// one float per step (the index) for discrete actions, the clipped vector otherwise.
    pub actions: Vec<f32>,
}

/// Who gave a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelOrigin {
    /// The AI labeler.
    Ai,
    /// A person (on the page, or from a labels file).
    You,
}

impl LabelOrigin {
    pub fn name(self) -> &'static str {
        match self {
            LabelOrigin::Ai => "ai",
            LabelOrigin::You => "you",
        }
    }
}

/// An answer as a person gives it: which segment is better, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    Left,
    Right,
    /// About the same.
    Equal,
    /// Can't tell: no label, but the query is answered.
    Skip,
}

impl Answer {
    pub const ALL: [Answer; 4] = [Answer::Left, Answer::Right, Answer::Equal, Answer::Skip];

    pub fn name(self) -> &'static str {
        match self {
            Answer::Left => "left",
            Answer::Right => "right",
            Answer::Equal => "equal",
            Answer::Skip => "skip",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == text)
            .ok_or_else(|| {
                let shown: String = text.chars().take(40).collect();
                format!("unknown answer {shown:?}: expected left, right, equal or skip")
            })
    }

    /// The labeler's answer in a person's words (left is the first segment).
    pub fn from_label(label: Label) -> Self {
        match label {
            Label::First => Answer::Left,
            Label::Second => Answer::Right,
            Label::Equal => Answer::Equal,
            Label::Skip => Answer::Skip,
        }
    }

    pub fn label(self) -> Label {
        match self {
            Answer::Left => Label::First,
            Answer::Right => Label::Second,
            Answer::Equal => Label::Equal,
            Answer::Skip => Label::Skip,
        }
    }
}

/// One label of the run, as a labels file keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRecord {
    pub left: SegmentRef,
    pub right: SegmentRef,
    pub answer: Answer,
    pub source: LabelOrigin,
    /// The run's env steps when the label was given (the run's clock: wall time is not
    /// reproducible).
    pub at_step: u64,
}

/// A query waiting for a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// Unique within the process (see [`NEXT_QUERY_ID`]).
    pub id: u64,
    pub left: SegmentRef,
    pub right: SegmentRef,
    /// The AI labeler's verdict on the same pair, to compare the person's with.
    pub ai: Answer,
    /// The reward model's `P(left > right)` when the query was asked; `None` before it was
    /// first trained.
    pub model: Option<f64>,
    /// The run's env steps when it was asked (its age is the run's steps since).
    pub asked_at: u64,
    /// The reward model's inputs for the pair (its target is set by the answer).
    pub(super) pair: LabelledPair,
}

/// Queries waiting for a person, oldest first, at most `capacity`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryQueue {
    capacity: usize,
    waiting: VecDeque<Query>,
    /// Queries dropped unanswered because the queue was full.
    dropped: u64,
}

impl QueryQueue {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            waiting: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Queues a query under a fresh id, dropping the oldest when full; returns the id.
    pub(super) fn push(&mut self, mut query: Query) -> u64 {
        query.id = next_query_id();
        let id = query.id;
        if self.waiting.len() == self.capacity {
            self.waiting.pop_front();
            self.dropped += 1;
        }
        self.waiting.push_back(query);
        id
    }

    /// Takes the query `id` out of the queue.
    pub(super) fn take(&mut self, id: u64) -> Option<Query> {
        let at = self.waiting.iter().position(|q| q.id == id)?;
        self.waiting.remove(at)
    }

    /// Puts restored queries back (from a checkpoint), keeping their ids, and makes sure
    /// that new ids never repeat them.
    pub(super) fn restore(&mut self, queries: Vec<Query>, dropped: u64) {
        self.waiting.clear();
        if let Some(max) = queries.iter().map(|q| q.id).max() {
            NEXT_QUERY_ID.fetch_max(max + 1, Ordering::Relaxed);
        }
        self.waiting = queries.into();
        while self.waiting.len() > self.capacity {
            self.waiting.pop_front();
        }
        self.dropped = dropped;
    }

    /// Empties the queue (its queries are neither answered nor counted as dropped).
    pub(super) fn clear(&mut self) {
        self.waiting.clear();
    }

    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Waiting queries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Query> {
        self.waiting.iter()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}
