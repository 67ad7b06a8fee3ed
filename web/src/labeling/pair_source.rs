//! Episodes to show segments of (the agent's, a random policy's, or a run's queued ones),
//! each scored step by step by the teacher, and the pairs drawn from them.

use super::{EQUAL_TOLERANCE, LabelingError, MAX_EPISODES, RANDOM_EPISODES, Side};
use crate::random_policy::{RandomPolicy, push_action};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use rlaif::env::{self, Env};
use rlaif::experiment::EpisodeRecording;
use rlaif::feedback::{Labeler, LabelerConfig, Teacher, teacher};
use std::collections::VecDeque;
use std::rc::Rc;

/// A random-policy episode longer than this is given up on (every env ends sooner).
const MAX_RANDOM_STEPS: usize = 100_000;

/// Where a pair's segments come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Agent,
    RandomPolicy,
    /// A pair a preference run queued for a person.
    Queue,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Agent => "agent",
            Origin::RandomPolicy => "random policy",
            Origin::Queue => "queue",
        }
    }
}

/// An episode (finished, or a queued segment's up to its last step) with the teacher's
/// score of each of its steps.
#[derive(Debug)]
pub struct Episode {
    pub recording: EpisodeRecording,
    pub scores: Vec<f64>,
}

impl Episode {
    pub fn steps(&self) -> usize {
        self.scores.len()
    }
}

/// Steps `start..start + len` of an episode.
#[derive(Clone, Debug)]
pub struct Segment {
    pub episode: Rc<Episode>,
    pub start: usize,
    pub len: usize,
}

impl Segment {
    /// The teacher's scores of the segment's steps.
    pub fn scores(&self) -> &[f64] {
        &self.episode.scores[self.start..self.start + self.len]
    }
}

/// Two segments and what the AI labeler says of them.
#[derive(Clone, Debug)]
pub struct Pair {
    pub left: Segment,
    pub right: Segment,
    pub origin: Origin,
    pub ai: Side,
    /// The teacher's return over each segment, what the labeler compared.
    pub ai_left: f64,
    pub ai_right: f64,
}

/// Episodes to draw pairs from, the teacher that scores them and the labeler that judges.
pub struct PairSource {
    env_id: String,
    env: Box<dyn Env>,
    teacher: Box<dyn Teacher>,
    labeler: Labeler,
    segment_len: usize,
    seed: u64,
    /// Picks the pairs.
    rng: StdRng,
    agent: VecDeque<Rc<Episode>>,
    /// Rolled out on first need.
    random: Vec<Rc<Episode>>,
}

impl PairSource {
    /// `teacher` is a registry name (`None`: the env's default).
    pub fn new(
        env_id: &str,
        teacher: Option<&str>,
        segment_len: usize,
        seed: u64,
    ) -> Result<Self, LabelingError> {
        if segment_len == 0 {
            return Err(LabelingError::ZeroSegment);
        }
        let env = env::make(env_id)?;
        let teacher = teacher::make(teacher, env_id)?;
        let labeler = Labeler::new(
            LabelerConfig {
                equal: EQUAL_TOLERANCE,
                ..LabelerConfig::default()
            },
            seed,
        );
        Ok(Self {
            env_id: env_id.to_string(),
            env,
            teacher,
            labeler,
            segment_len,
            seed,
            rng: StdRng::seed_from_u64(seed ^ 0x5851_f42d_4c95_7f2d),
            agent: VecDeque::new(),
            random: Vec::new(),
        })
    }

    pub fn env_id(&self) -> &str {
        &self.env_id
    }

    /// Keeps the agent's finished episode (the oldest goes past [`MAX_EPISODES`]); an
    /// episode that does not replay in this env is an error and is not kept.
    pub fn add_episode(&mut self, recording: EpisodeRecording) -> Result<(), LabelingError> {
        let scores = self
            .score(&recording)
            .map_err(|why| LabelingError::BadEpisode {
                env_id: self.env_id.clone(),
                why,
            })?;
        if self.agent.len() == MAX_EPISODES {
            self.agent.pop_front();
        }
        self.agent.push_back(Rc::new(Episode { recording, scores }));
        Ok(())
    }

    /// Forgets the agent's episodes (its run was discarded): pairs come from the random
    /// policy again until a new run's episodes arrive.
    pub fn forget_agent(&mut self) {
        self.agent.clear();
    }

    /// Floats each action takes in a recording (1 for a discrete action).
    pub fn action_width(&self) -> usize {
        action_shape(&*self.env).1
    }

    /// The agent's episodes kept.
    pub fn agent_episodes(&self) -> usize {
        self.agent.len()
    }

    /// Whether the next pair comes from the agent's episodes.
    pub fn origin(&self) -> Origin {
        if self.starts(&self.agent) >= 2 {
            Origin::Agent
        } else {
            Origin::RandomPolicy
        }
    }

    /// Two different segments (another episode or another start), uniformly among all
    /// pairs of segment starts: from the agent's episodes once they hold two segments, from
    /// the random policy's until then.
    pub fn next_pair(&mut self) -> Result<Pair, LabelingError> {
        let origin = self.origin();
        if origin == Origin::RandomPolicy && self.random.is_empty() {
            self.roll_out_random()?;
        }
        let pool: Vec<Rc<Episode>> = match origin {
            Origin::Agent => self.agent.iter().cloned().collect(),
            // `origin()` never names the queue: its pairs come from the run.
            Origin::RandomPolicy | Origin::Queue => self.random.clone(),
        };
        let total = self.starts(&pool);
        if total < 2 {
            return Err(LabelingError::TooFew);
        }
        let a = self.rng.random_range(0..total);
        let mut b = self.rng.random_range(0..total - 1);
        if b >= a {
            b += 1;
        }
        match (self.segment_at(&pool, a), self.segment_at(&pool, b)) {
            (Some(left), Some(right)) => Ok(self.judge(left, right, origin)),
            _ => Err(LabelingError::TooFew),
        }
    }

    /// The AI labeler's verdict on `left` against `right`.
    pub fn judge(&mut self, left: Segment, right: Segment, origin: Origin) -> Pair {
        let ai = Side::from_label(self.labeler.label(left.scores(), right.scores()));
        Pair {
            ai_left: self.labeler.myopic_return(left.scores()),
            ai_right: self.labeler.myopic_return(right.scores()),
            left,
            right,
            origin,
            ai,
        }
    }

    /// Segment starts in `pool`: an episode longer than a segment has one per step it can
    /// start at, a shorter one just its whole self.
    fn starts<'a>(&self, pool: impl IntoIterator<Item = &'a Rc<Episode>>) -> usize {
        pool.into_iter()
            .map(|e| e.steps().saturating_sub(self.segment_len) + 1)
            .sum()
    }

    /// The `k`-th segment start of `pool`, counted as [`PairSource::starts`] counts.
    fn segment_at(&self, pool: &[Rc<Episode>], mut k: usize) -> Option<Segment> {
        for episode in pool {
            let n = episode.steps().saturating_sub(self.segment_len) + 1;
            if k < n {
                return Some(Segment {
                    episode: Rc::clone(episode),
                    start: k,
                    len: self.segment_len.min(episode.steps()),
                });
            }
            k -= n;
        }
        None
    }

    /// Rolls out [`RANDOM_EPISODES`] episodes of a uniformly random policy, seeded.
    fn roll_out_random(&mut self) -> Result<(), LabelingError> {
        let mut policy = RandomPolicy::new(&*self.env, self.seed ^ 0x9e37_79b9_7f4a_7c15);
        for k in 0..RANDOM_EPISODES {
            let (recording, scores) = random_episode(
                &mut *self.env,
                &mut policy,
                self.seed.wrapping_add(k as u64),
                k as u64 + 1,
            )
            .and_then(|r| self.score(&r).map(|scores| (r, scores)))
            .map_err(|why| LabelingError::RandomPolicy {
                env_id: self.env_id.clone(),
                why,
            })?;
            self.random.push(Rc::new(Episode { recording, scores }));
        }
        Ok(())
    }

    /// A queued segment's episode, from its first step to the segment's last, scored: an
    /// error if it does not replay (an illegal action, or an end before its last step).
    pub fn queued_episode(&mut self, recording: EpisodeRecording) -> Result<Rc<Episode>, String> {
        let scores = self.score_steps(&recording, false)?;
        Ok(Rc::new(Episode { recording, scores }))
    }

    /// Replays `recording` and scores each step as the trainer does; an error if it does not
    /// replay (an illegal action, or an end at another step than its last).
    fn score(&mut self, recording: &EpisodeRecording) -> Result<Vec<f64>, String> {
        self.score_steps(recording, true)
    }

    /// [`PairSource::score`]; with `whole` false the recording may stop before its episode
    /// ends (a segment in the middle of one), but may not end early.
    fn score_steps(
        &mut self,
        recording: &EpisodeRecording,
        whole: bool,
    ) -> Result<Vec<f64>, String> {
        recording.teacher_scores(&mut *self.env, &mut *self.teacher, whole)
    }
}

/// Whether `env`'s actions are discrete, and the floats each action takes in a recording.
pub(crate) fn action_shape(env: &dyn Env) -> (bool, usize) {
    let space = &env.spec().action_space;
    match space.n() {
        Some(_) => (true, 1),
        None => (false, space.flat_dim().max(1)),
    }
}

/// One episode of uniformly random legal actions (uniform in the action box; unbounded
/// dimensions in [-1, 1]) from `seed`.
fn random_episode(
    env: &mut dyn Env,
    policy: &mut RandomPolicy,
    seed: u64,
    number: u64,
) -> Result<EpisodeRecording, String> {
    let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
    env.reset(Some(seed), &mut obs);
    let (mut actions, mut total) = (Vec::new(), 0.0);
    for _ in 0..MAX_RANDOM_STEPS {
        let action = policy.act(env).ok_or("no legal action")?;
        push_action(action, &mut actions);
        let step = env.step(action, &mut obs).map_err(|e| e.to_string())?;
        total += step.reward;
        if step.terminated || step.truncated {
            return Ok(EpisodeRecording {
                number,
                seed,
                actions,
                episode_return: total,
            });
        }
    }
    Err(format!("no episode ended within {MAX_RANDOM_STEPS} steps"))
}
