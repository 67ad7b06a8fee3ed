//! The labelling panel: two short segments of the agent's episodes (or a random policy's,
//! before the agent has any) side by side, for a person to say which is better, and the AI
//! labeler's verdict on the same pair to compare with. The person's labels train nothing.
//!
//! The AI verdict is the preference mode's: the perfect [`Labeler`] comparing the teacher's
//! per-step scores summed over each segment, the scores taken as the trainer takes them
//! (`score(Phi(s), a, s')`, `Phi` after a terminal step 0, stored as `f32`).
//!
//! [`Session`] is plain Rust, tested natively; [`Labeling`] is its thin JS face.

use crate::draw::{self, Pen};
use crate::random_policy::{RandomPolicy, push_action};
use js_sys::{Object, Reflect};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use rlaif::env::{self, Env, EnvError, Scene, registry::MakeError};
use rlaif::experiment::EpisodeRecording;
use rlaif::feedback::{
    Label, Labeler, LabelerConfig, PreferenceConfig, Teacher, TeacherError, TeacherView, teacher,
    teacher::value_after,
};
use std::collections::VecDeque;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// The agent's episodes kept to draw segments from, newest last.
pub const MAX_EPISODES: usize = 16;
/// Random-policy episodes rolled out when the agent has none to show.
pub const RANDOM_EPISODES: usize = 8;
/// Segment returns closer than this are "equally good" to the AI labeler.
pub const EQUAL_TOLERANCE: f64 = 1e-6;
/// A random-policy episode longer than this is given up on (every env ends sooner).
const MAX_RANDOM_STEPS: usize = 100_000;

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
    fn from_label(label: Label) -> Self {
        match label {
            Label::First => Side::Left,
            Label::Second => Side::Right,
            Label::Equal | Label::Skip => Side::Equal,
        }
    }
}

/// Where a pair's segments come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Agent,
    RandomPolicy,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Agent => "agent",
            Origin::RandomPolicy => "random policy",
        }
    }
}

/// A finished episode with the teacher's score of each of its steps.
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
    obs: Vec<f32>,
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
            obs: vec![0.0; env.spec().observation_space.flat_dim()],
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
            Origin::RandomPolicy => self.random.clone(),
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

    /// Replays `recording` and scores each step as the trainer does; an error if it does not
    /// replay (an illegal action, or an end at another step than its last).
    fn score(&mut self, recording: &EpisodeRecording) -> Result<Vec<f64>, String> {
        let (discrete, width) = action_shape(&*self.env);
        if recording.is_empty() {
            return Err("it has no actions".into());
        }
        if !recording.actions.len().is_multiple_of(width) {
            return Err(format!(
                "it has {} action values, not a whole number of {width}-value actions",
                recording.actions.len()
            ));
        }
        let steps = recording.len(width);
        let env = &mut *self.env;
        let obs = &mut self.obs;
        env.reset(Some(recording.seed), obs);
        let mut phi = self.teacher.value(TeacherView {
            env: &*env,
            obs: &obs[..],
        });
        let mut scores = Vec::with_capacity(steps);
        for t in 0..steps {
            let action = recording
                .action(t, discrete, width)
                .ok_or_else(|| format!("step {} has no action", t + 1))?;
            let step = env
                .step(action, obs)
                .map_err(|e| format!("step {}: {e}", t + 1))?;
            let view = TeacherView {
                env: &*env,
                obs: &obs[..],
            };
            let score = self.teacher.score(phi, action, view, &step);
            // The rollout buffer holds scores as f32; the labeler reads them back.
            scores.push(f64::from(score as f32));
            phi = value_after(&mut *self.teacher, view, &step);
            let done = step.terminated || step.truncated;
            if done != (t + 1 == steps) {
                let what = if done { "ended" } else { "went on" };
                return Err(format!("it {what} at step {} of {steps}", t + 1));
            }
        }
        Ok(scores)
    }
}

/// Whether `env`'s actions are discrete, and the floats each action takes in a recording.
fn action_shape(env: &dyn Env) -> (bool, usize) {
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

/// Plays one segment on a loop: the episode replayed from its seed to the segment's start
/// (not shown), then the segment step by step, then again from its start.
pub struct SegmentPlayer {
    env: Box<dyn Env>,
    obs: Vec<f32>,
    segment: Option<Segment>,
    /// Steps of the segment played; 0 shows its first state.
    t: usize,
}

impl SegmentPlayer {
    pub fn new(env_id: &str) -> Result<Self, LabelingError> {
        let env = env::make(env_id)?;
        Ok(Self {
            obs: vec![0.0; env.spec().observation_space.flat_dim()],
            env,
            segment: None,
            t: 0,
        })
    }

    /// Shows `segment`'s first state.
    pub fn load(&mut self, segment: Segment) -> Result<(), LabelingError> {
        self.segment = Some(segment);
        self.restart()
    }

    /// Steps of the segment played so far, 0 at its first state.
    pub fn position(&self) -> usize {
        self.t
    }

    /// Back to the segment's first state.
    fn restart(&mut self) -> Result<(), LabelingError> {
        self.t = 0;
        let Some(segment) = &self.segment else {
            return Ok(());
        };
        let (discrete, width) = action_shape(&*self.env);
        let recording = &segment.episode.recording;
        self.env.reset(Some(recording.seed), &mut self.obs);
        for t in 0..segment.start {
            if let Some(a) = recording.action(t, discrete, width) {
                self.env.step(a, &mut self.obs)?;
            }
        }
        Ok(())
    }

    /// One step of the segment, or back to its start after its last.
    pub fn step(&mut self) -> Result<(), LabelingError> {
        let Some(segment) = &self.segment else {
            return Ok(());
        };
        if self.t >= segment.len {
            return self.restart();
        }
        let (discrete, width) = action_shape(&*self.env);
        if let Some(a) = segment
            .episode
            .recording
            .action(segment.start + self.t, discrete, width)
        {
            self.env.step(a, &mut self.obs)?;
        }
        self.t += 1;
        Ok(())
    }

    pub fn scene(&self) -> Scene {
        self.env.scene()
    }
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
}

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
        self.answered_this = false;
        Ok(self.pair.insert(pair))
    }

    pub fn pair(&self) -> Option<&Pair> {
        self.pair.as_ref()
    }

    /// Whether the pair on show has been answered.
    pub fn is_answered(&self) -> bool {
        self.answered_this
    }

    /// The person's choice on the pair on show, counted once.
    pub fn answer(&mut self, choice: Side) -> Result<Answer, LabelingError> {
        let pair = self.pair.as_ref().ok_or(LabelingError::NoPair)?;
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

    /// Advances both players one frame, each looping its own segment.
    pub fn step(&mut self) -> Result<(), LabelingError> {
        self.left.step()?;
        self.right.step()
    }

    pub fn players(&self) -> (&SegmentPlayer, &SegmentPlayer) {
        (&self.left, &self.right)
    }
}

/// The labelling panel's model for the page: pairs, players and counts.
#[wasm_bindgen]
pub struct Labeling {
    session: Session,
}

fn js_error(e: LabelingError) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen]
impl Labeling {
    /// `teacher` is a registry name, or `""` for the env's default. No pair is on show until
    /// `nextPair()`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        env_id: &str,
        teacher: &str,
        segment_len: u32,
        seed: u32,
    ) -> Result<Labeling, JsError> {
        let teacher = (!teacher.is_empty()).then_some(teacher);
        let session = Session::new(env_id, teacher, segment_len as usize, u64::from(seed))
            .map_err(js_error)?;
        Ok(Labeling { session })
    }

    /// The preference mode's default segment length.
    #[wasm_bindgen(js_name = defaultSegmentLen)]
    pub fn default_segment_len() -> u32 {
        u32::try_from(PreferenceConfig::default().segment_len).unwrap_or(25)
    }

    #[wasm_bindgen(getter, js_name = envId)]
    pub fn env_id(&self) -> String {
        self.session.source().env_id().to_string()
    }

    /// Keeps the agent's finished episode (a worker `metrics` message's `episode`).
    #[wasm_bindgen(js_name = addEpisode)]
    pub fn add_episode(
        &mut self,
        seed: u64,
        actions: Vec<f32>,
        number: Option<f64>,
    ) -> Result<(), JsError> {
        self.session
            .add_episode(EpisodeRecording {
                number: number.map_or(0, |n| n as u64),
                seed,
                actions,
                // Not shown: the panel compares the teacher's returns.
                episode_return: 0.0,
            })
            .map_err(js_error)
    }

    /// Forgets the agent's episodes, when its run is discarded.
    #[wasm_bindgen(js_name = forgetAgent)]
    pub fn forget_agent(&mut self) {
        self.session.forget_agent();
    }

    /// Shows a new pair of segments (at their first states).
    #[wasm_bindgen(js_name = nextPair)]
    pub fn next_pair(&mut self) -> Result<(), JsError> {
        self.session.next_pair().map(|_| ()).map_err(js_error)
    }

    /// Moves on to a new pair without counting the one on show.
    pub fn skip(&mut self) -> Result<(), JsError> {
        self.next_pair()
    }

    /// "agent" or "random policy": where the pair on show (or else the next) comes from.
    pub fn source(&self) -> String {
        let origin = match self.session.pair() {
            Some(pair) => pair.origin,
            None => self.session.source().origin(),
        };
        origin.name().to_string()
    }

    /// `choice` is "left", "right" or "equal". Returns `{ ai, agreed, answered, agreements,
    /// aiLeft, aiRight }`: the AI labeler's verdict, whether it is yours, the running counts
    /// and the teacher's return over each segment.
    pub fn answer(&mut self, choice: &str) -> Result<Object, JsError> {
        let choice = Side::parse(choice).map_err(js_error)?;
        let a = self.session.answer(choice).map_err(js_error)?;
        Ok(object(&[
            ("ai", a.ai.name().into()),
            ("agreed", a.agreed.into()),
            ("answered", a.answered.into()),
            ("agreements", a.agreements.into()),
            ("aiLeft", a.ai_left.into()),
            ("aiRight", a.ai_right.into()),
        ]))
    }

    /// The pair on show for captions: `{ source, answered, left, right }`, each side
    /// `{ episode, start, len, episodeLen, position }` (steps counted from 0); `null` before
    /// the first pair.
    pub fn pair(&self) -> JsValue {
        let Some(pair) = self.session.pair() else {
            return JsValue::NULL;
        };
        let (left, right) = self.session.players();
        let side = |s: &Segment, p: &SegmentPlayer| -> JsValue {
            object(&[
                ("episode", (s.episode.recording.number as f64).into()),
                ("start", (s.start as f64).into()),
                ("len", (s.len as f64).into()),
                ("episodeLen", (s.episode.steps() as f64).into()),
                ("position", (p.position() as f64).into()),
            ])
            .into()
        };
        object(&[
            ("source", pair.origin.name().into()),
            ("answered", self.session.is_answered().into()),
            ("left", side(&pair.left, left)),
            ("right", side(&pair.right, right)),
        ])
        .into()
    }

    /// Advances both segments one frame, each looping.
    pub fn step(&mut self) -> Result<(), JsError> {
        self.session.step().map_err(js_error)
    }

    /// Draws the left segment's current state on `left`, the right's on `right`.
    pub fn draw(&self, left: &HtmlCanvasElement, right: &HtmlCanvasElement) -> Result<(), JsValue> {
        let (l, r) = self.session.players();
        draw_on(left, &l.scene())?;
        draw_on(right, &r.scene())
    }
}

fn draw_on(canvas: &HtmlCanvasElement, scene: &Scene) -> Result<(), JsValue> {
    let ctx = canvas
        .get_context("2d")?
        .ok_or_else(|| JsError::new("the canvas has no 2D context"))?
        .dyn_into::<CanvasRenderingContext2d>()?;
    let pen = Pen::new(ctx, f64::from(canvas.width()), f64::from(canvas.height()));
    draw::scene(&pen, scene)
}

/// A plain JS object, so the page needs no `free()` for results.
fn object(fields: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (key, value) in fields {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj
}

#[cfg(test)]
mod tests {
    use super::*;
    use rlaif::env::{Action, registry};

    /// Chooses an action (as a recording stores it) in the env's current state.
    type Policy<'a> = dyn FnMut(&dyn Env, &[f32]) -> Vec<f32> + 'a;

    /// One episode of `id` from `seed` under `policy`: its recording and every frame, the
    /// reset's first, then one after each step.
    fn record(id: &str, seed: u64, policy: &mut Policy<'_>) -> (EpisodeRecording, Vec<Scene>) {
        let mut env = env::make(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        let spec = env.spec().clone();
        let mut obs = vec![0.0; spec.observation_space.flat_dim()];
        env.reset(Some(seed), &mut obs);
        let (mut actions, mut scenes) = (Vec::new(), vec![env.scene()]);
        loop {
            let a = policy(&*env, &obs);
            actions.extend_from_slice(&a);
            let action = match spec.action_space.n() {
                Some(_) => Action::Discrete(a[0] as usize),
                None => Action::Continuous(&a),
            };
            let step = env
                .step(action, &mut obs)
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            scenes.push(env.scene());
            if step.terminated || step.truncated {
                break;
            }
        }
        let recording = EpisodeRecording {
            number: seed,
            seed,
            actions,
            episode_return: 0.0,
        };
        (recording, scenes)
    }

    /// Uniformly random legal actions (the page's random policy, seeded by `seed`).
    fn random(seed: u64) -> impl FnMut(&dyn Env, &[f32]) -> Vec<f32> {
        let mut policy: Option<RandomPolicy> = None;
        move |env, _| {
            let policy = policy.get_or_insert_with(|| RandomPolicy::new(env, seed));
            let mut action = Vec::new();
            push_action(policy.act(env).expect("a legal action"), &mut action);
            action
        }
    }

    /// The default teacher's favourite action (discrete envs).
    fn greedy(id: &str) -> impl FnMut(&dyn Env, &[f32]) -> Vec<f32> {
        let mut t = teacher::make(None, id).unwrap();
        move |env, obs| {
            let mut p = vec![0.0; env.spec().action_space.n().unwrap()];
            t.policy(TeacherView { env, obs }, &mut p);
            let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
            vec![best as f32]
        }
    }

    /// The teacher's return over steps `start..start + len` of `recording`, summed here from
    /// its values: `sum_t Phi(s_t+1) - Phi(s_t)` (the default score).
    fn value_gain(id: &str, teacher: &str, r: &EpisodeRecording, start: usize, len: usize) -> f64 {
        let mut env = env::make(id).unwrap();
        let mut t = teacher::make(Some(teacher), id).unwrap();
        let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
        env.reset(Some(r.seed), &mut obs);
        let mut total = 0.0;
        for k in 0..start + len {
            let before = t.value(TeacherView {
                env: &*env,
                obs: &obs,
            });
            env.step(Action::Discrete(r.actions[k] as usize), &mut obs)
                .unwrap();
            let after = t.value(TeacherView {
                env: &*env,
                obs: &obs,
            });
            if k >= start {
                total += after - before;
            }
        }
        total
    }

    #[test]
    fn bad_inputs_are_errors_that_say_what_is_wrong() {
        let unknown = Session::new("NoSuchEnv-v0", None, 25, 1).err().unwrap();
        assert!(matches!(unknown, LabelingError::Env(_)), "{unknown}");
        assert!(unknown.to_string().contains("NoSuchEnv-v0"));
        let teacher = Session::new("CartPole-v1", Some("oracle"), 25, 1)
            .err()
            .unwrap();
        assert!(matches!(teacher, LabelingError::Teacher(_)), "{teacher}");
        assert!(teacher.to_string().contains("lqr, inverted"));
        assert!(matches!(
            Session::new("CartPole-v1", None, 0, 1).err(),
            Some(LabelingError::ZeroSegment)
        ));
        assert!(matches!(Side::parse("up"), Err(LabelingError::BadChoice(c)) if c == "up"));

        let mut s = Session::new("CartPole-v1", None, 5, 1).unwrap();
        assert!(matches!(s.answer(Side::Left), Err(LabelingError::NoPair)));
        let (good, _) = record("CartPole-v1", 2, &mut random(2));
        let mut bad = Vec::new();
        let mut short = good.clone();
        short.actions.pop();
        bad.push((short, "went on"));
        let mut long = good.clone();
        long.actions.push(0.0);
        bad.push((long, "ended at step"));
        let mut illegal = good.clone();
        illegal.actions[0] = 7.0;
        bad.push((illegal, "outside Discrete(2)"));
        bad.push((
            EpisodeRecording {
                actions: vec![],
                ..good.clone()
            },
            "no actions",
        ));
        for (episode, why) in bad {
            let err = s.add_episode(episode).err().unwrap();
            assert!(matches!(err, LabelingError::BadEpisode { .. }), "{err}");
            assert!(err.to_string().contains(why), "{err}");
        }
        // Nothing bad was kept.
        assert_eq!(s.source().agent_episodes(), 0);
        s.add_episode(good).unwrap();
        assert_eq!(s.source().agent_episodes(), 1);

        s.next_pair().unwrap();
        s.answer(Side::Left).unwrap();
        assert!(matches!(s.answer(Side::Left), Err(LabelingError::Answered)));
        assert_eq!(
            s.counts().0,
            1,
            "a second answer to one pair is not counted"
        );
    }

    #[test]
    fn segments_replay_the_recorded_frames_exactly_and_loop() {
        for id in registry::ids() {
            let episodes: Vec<_> = [11, 12]
                .iter()
                .map(|&seed| record(&id, seed, &mut random(seed)))
                .collect();
            let mut s = Session::new(&id, None, 4, 3).unwrap_or_else(|e| panic!("{id}: {e}"));
            for (recording, _) in &episodes {
                s.add_episode(recording.clone())
                    .unwrap_or_else(|e| panic!("{id}: {e}"));
            }
            for _ in 0..3 {
                let pair = s
                    .next_pair()
                    .unwrap_or_else(|e| panic!("{id}: {e}"))
                    .clone();
                assert_eq!(pair.origin, Origin::Agent, "{id}");
                assert!(
                    pair.left.episode.recording.seed != pair.right.episode.recording.seed
                        || pair.left.start != pair.right.start,
                    "{id}: the same segment twice"
                );
                let frames = |seg: &Segment| {
                    let (_, scenes) = episodes
                        .iter()
                        .find(|(r, _)| r.seed == seg.episode.recording.seed)
                        .unwrap();
                    scenes[seg.start..=seg.start + seg.len].to_vec()
                };
                let (left, right) = (frames(&pair.left), frames(&pair.right));
                // Two loops of each, the longer segment setting the pace.
                let longest = pair.left.len.max(pair.right.len) + 1;
                for k in 0..2 * longest {
                    let (l, r) = s.players();
                    assert_eq!(l.scene(), left[k % left.len()], "{id}: left frame {k}");
                    assert_eq!(r.scene(), right[k % right.len()], "{id}: right frame {k}");
                    s.step().unwrap_or_else(|e| panic!("{id}: {e}"));
                }
            }
        }
    }

    #[test]
    fn every_env_gives_random_policy_pairs_before_the_agent_has_episodes() {
        for id in registry::ids() {
            let mut s = Session::new(&id, None, 25, 1).unwrap_or_else(|e| panic!("{id}: {e}"));
            for _ in 0..3 {
                let p = s.next_pair().unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(p.origin, Origin::RandomPolicy, "{id}");
                let key = |g: &Segment| (g.episode.recording.number, g.start);
                assert_ne!(key(&p.left), key(&p.right), "{id}: the same segment twice");
                for g in [&p.left, &p.right] {
                    assert!(g.len >= 1 && g.len <= 25 && g.start + g.len <= g.episode.steps());
                }
                let (l, r) = (p.left.scores().iter().sum(), p.right.scores().iter().sum());
                assert_eq!((p.ai_left, p.ai_right), (l, r), "{id}");
                let expected = match l - r {
                    d if d.abs() < EQUAL_TOLERANCE => Side::Equal,
                    d if d > 0.0 => Side::Left,
                    _ => Side::Right,
                };
                assert_eq!(p.ai, expected, "{id}: {l} vs {r}");
            }
        }
    }

    #[test]
    fn the_ai_prefers_the_segment_with_more_teacher_progress() {
        let id = "Grid-Empty-8x8-v0";
        let (toward, _) = record(id, 5, &mut greedy(id));
        let (wander, _) = record(id, 5, &mut random(5));
        let gain_toward = value_gain(id, "shortest-path", &toward, 0, toward.actions.len());
        let gain_wander = value_gain(id, "shortest-path", &wander, 0, wander.actions.len());
        // The premise: the teacher's path reaches the goal, the random walk does not.
        assert!(
            gain_toward > 0.5 && gain_wander < gain_toward,
            "{gain_toward} {gain_wander}"
        );

        for (teacher, sign) in [("shortest-path", 1.0), ("inverted", -1.0)] {
            // Segments longer than both episodes: each is one whole segment, so the only pair.
            let mut s = Session::new(id, Some(teacher), 1000, 1).unwrap();
            s.add_episode(toward.clone()).unwrap();
            s.add_episode(wander.clone()).unwrap();
            for _ in 0..4 {
                let pair = s.next_pair().unwrap().clone();
                let left_is_toward = pair.left.episode.recording == toward;
                let (gl, gr) = if left_is_toward {
                    (gain_toward, gain_wander)
                } else {
                    (gain_wander, gain_toward)
                };
                assert!(
                    (pair.ai_left - sign * gl).abs() < 1e-5,
                    "{teacher}: {pair:?}"
                );
                assert!(
                    (pair.ai_right - sign * gr).abs() < 1e-5,
                    "{teacher}: {pair:?}"
                );
                let better_is_left = left_is_toward == (sign > 0.0);
                let expected = if better_is_left {
                    Side::Left
                } else {
                    Side::Right
                };
                assert_eq!(pair.ai, expected, "{teacher}");
            }
        }

        // Short segments in the middle of episodes: the verdict follows the summed scores.
        let mut s = Session::new(id, None, 3, 9).unwrap();
        s.add_episode(toward.clone()).unwrap();
        s.add_episode(wander.clone()).unwrap();
        for _ in 0..20 {
            let pair = s.next_pair().unwrap().clone();
            let gain = |seg: &Segment| {
                value_gain(
                    id,
                    "shortest-path",
                    &seg.episode.recording,
                    seg.start,
                    seg.len,
                )
            };
            let (gl, gr) = (gain(&pair.left), gain(&pair.right));
            let expected = if (gl - gr).abs() < 1e-5 {
                Side::Equal
            } else if gl > gr {
                Side::Left
            } else {
                Side::Right
            };
            assert_eq!(pair.ai, expected, "{gl} vs {gr}: {pair:?}");
        }
    }

    #[test]
    fn answers_count_agreements_and_skips_count_nothing() {
        let mut s = Session::new("Grid-DoorKey-8x8-v0", None, 6, 2).unwrap();
        assert_eq!(s.source().origin(), Origin::RandomPolicy);
        let other = |side| match side {
            Side::Left => Side::Right,
            _ => Side::Left,
        };
        let mut expected = (0, 0);
        for k in 0..12 {
            let ai = s.next_pair().unwrap().ai;
            match k % 3 {
                0 => {
                    let a = s.answer(ai).unwrap();
                    assert!(a.agreed && a.ai == ai);
                    expected = (expected.0 + 1, expected.1 + 1);
                }
                1 => {
                    let a = s.answer(other(ai)).unwrap();
                    assert!(!a.agreed && a.ai == ai);
                    expected.0 += 1;
                }
                // Skipped: the next pair comes without an answer.
                _ => {}
            }
            assert_eq!(s.counts(), expected);
        }
        assert_eq!(expected, (8, 4));

        // The same segment on both sides is equally good.
        let pair = s.next_pair().unwrap().clone();
        let mut source = PairSource::new("Grid-DoorKey-8x8-v0", None, 6, 2).unwrap();
        let same = source.judge(pair.left.clone(), pair.left.clone(), Origin::RandomPolicy);
        assert_eq!(same.ai, Side::Equal);
    }

    #[test]
    fn pairs_are_deterministic_and_come_from_the_latest_agent_episodes() {
        let id = "CartPole-v1";
        let pairs = |s: &mut Session| {
            (0..10)
                .map(|_| {
                    let p = s.next_pair().unwrap();
                    let key = |g: &Segment| (g.episode.recording.seed, g.start, g.len);
                    (key(&p.left), key(&p.right), p.ai)
                })
                .collect::<Vec<_>>()
        };
        let mut a = Session::new(id, None, 10, 4).unwrap();
        let mut b = Session::new(id, None, 10, 4).unwrap();
        assert_eq!(pairs(&mut a), pairs(&mut b));
        assert_eq!(a.pair().unwrap().origin, Origin::RandomPolicy);
        let mut c = Session::new(id, None, 10, 5).unwrap();
        assert_ne!(pairs(&mut a), pairs(&mut c));

        for seed in 100..100 + MAX_EPISODES as u64 + 4 {
            a.add_episode(record(id, seed, &mut random(seed)).0)
                .unwrap();
        }
        assert_eq!(a.source().agent_episodes(), MAX_EPISODES);
        // Only the newest 16 (seeds 104..120) are drawn from.
        for (left, right, _) in pairs(&mut a) {
            assert!(
                left.0 >= 104 && right.0 >= 104,
                "an old episode: {left:?} {right:?}"
            );
        }
        assert_eq!(a.pair().unwrap().origin, Origin::Agent);
        // A discarded run's episodes are forgotten: the random policy's pairs come back.
        a.forget_agent();
        assert_eq!(a.source().agent_episodes(), 0);
        assert_eq!(a.next_pair().unwrap().origin, Origin::RandomPolicy);
    }
}
