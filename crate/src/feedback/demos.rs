//! Demonstrations: recorded episodes that a learned teacher clones (`demo:FILE`).
//!
//! The file format is JSON, documented in `static/demos/README.md`:
//!
//! ```json
//! {"format": "rlaif-demos", "version": 1, "env_id": "CartPole-v1", "observation_dim": 4,
//!  "action_space": {"type": "Discrete", "n": 2},
//!  "episodes": [{"seed": 7, "observations": [[0.01, 0.0, -0.02, 0.03], ...],
//!                "actions": [1, ...], "rewards": [1.0, ...]}]}
//! ```
//!
//! `observations[t]` is what the env showed before `actions[t]`, and `rewards[t]` is what that
//! action earned, so the three arrays of an episode have one entry per step. Loading checks
//! everything against the env itself and names the episode and step of the first problem:
//! a file from a hand edit or another tool gets a clear error, never a panic.

use super::teacher::{Teacher, TeacherView};
use crate::env::{self, Action, Env, Space};
use serde::{Deserialize, Serialize};

/// The `format` tag every demonstrations file starts with.
pub const FORMAT: &str = "rlaif-demos";
/// The format version this build reads and writes.
pub const VERSION: u64 = 1;
/// Largest file accepted (64 MiB): about a million CartPole steps, far beyond what cloning needs.
pub const MAX_BYTES: usize = 64 << 20;
/// The teacher name of the demonstrations a person records: on the page, the episodes they
/// played, kept in their browser. A lesson with this teacher asks the person for them; the
/// CLI, which has no person at a keyboard, takes a file instead (`--teacher demo:FILE`).
pub const YOUR_DEMONSTRATIONS: &str = "demo:your-demonstrations";
/// Longest episode the recorder runs: a guard for envs without a time limit.
pub const MAX_EPISODE_STEPS: usize = 100_000;

/// One action: an index for `Discrete` spaces, a vector for `Box` spaces.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DemoAction {
    Discrete(usize),
    Continuous(Vec<f32>),
}

impl DemoAction {
    pub fn as_action(&self) -> Action<'_> {
        match self {
            DemoAction::Discrete(a) => Action::Discrete(*a),
            DemoAction::Continuous(a) => Action::Continuous(a),
        }
    }
}

/// One recorded episode; the three arrays have one entry per step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Episode {
    /// The seed the env was reset with, if known (the page's own play may not have one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub observations: Vec<Vec<f32>>,
    pub actions: Vec<DemoAction>,
    pub rewards: Vec<f64>,
}

impl Episode {
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The undiscounted return.
    pub fn total_reward(&self) -> f64 {
        self.rewards.iter().sum()
    }

    /// Discounted return from each step to the end of the episode.
    pub fn returns_to_go(&self, gamma: f64) -> Vec<f64> {
        let mut out = vec![0.0; self.rewards.len()];
        let mut g = 0.0;
        for (o, r) in out.iter_mut().zip(&self.rewards).rev() {
            g = r + gamma * g;
            *o = g;
        }
        out
    }
}

/// Validated demonstrations for one env.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Demos {
    pub format: &'static str,
    pub version: u64,
    pub env_id: String,
    pub observation_dim: usize,
    pub action_space: Space,
    pub episodes: Vec<Episode>,
}

/// Why demonstrations could not be loaded or recorded.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DemosError {
    #[error("file is {bytes} bytes, more than the {max} allowed")]
    TooLarge { bytes: usize, max: usize },
    #[error("not valid JSON for demonstrations: {0}")]
    Json(String),
    #[error("not a demonstrations file: \"format\" is {found}, expected \"{FORMAT}\"")]
    NotDemos { found: String },
    #[error("unsupported demonstrations version {found} (this build reads version {VERSION})")]
    Version { found: String },
    #[error("unknown environment id '{0}' (run `rlaif envs` for the list)")]
    UnknownEnv(String),
    #[error("{0}")]
    Mismatch(String),
    #[error("no episodes: demonstrations need at least one step")]
    NoEpisodes,
    #[error("episode {episode}: {problem}")]
    Episode { episode: usize, problem: String },
    #[error("episode {episode}, step {step}: {problem}")]
    Step {
        episode: usize,
        step: usize,
        problem: String,
    },
}

/// The file as written, before it is checked against the env.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDemos {
    #[allow(dead_code)] // checked by `Header` first
    format: serde::de::IgnoredAny,
    #[allow(dead_code)]
    version: serde::de::IgnoredAny,
    env_id: String,
    observation_dim: usize,
    action_space: RawSpace,
    episodes: Vec<RawEpisode>,
}

/// Read first, so a file of another kind is named as such instead of failing on a field.
#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// `Space` as serialised: infinite bounds are written as `null`.
#[derive(Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
enum RawSpace {
    Discrete {
        n: usize,
    },
    Box {
        low: Vec<Option<f32>>,
        high: Vec<Option<f32>>,
        shape: Vec<usize>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEpisode {
    #[serde(default)]
    seed: Option<u64>,
    observations: Vec<Vec<f32>>,
    actions: Vec<serde_json::Value>,
    rewards: Vec<f64>,
}

impl RawSpace {
    /// Whether this is the env's space (`null` stands for an infinite bound).
    fn matches(&self, space: &Space) -> bool {
        let same_bounds = |raw: &[Option<f32>], real: &[f32]| {
            raw.len() == real.len()
                && raw.iter().zip(real).all(|(r, &v)| match r {
                    Some(x) => *x == v,
                    None => v.is_infinite(),
                })
        };
        match (self, space) {
            (RawSpace::Discrete { n }, Space::Discrete { n: m }) => n == m,
            (
                RawSpace::Box { low, high, shape },
                Space::Box {
                    low: l,
                    high: h,
                    shape: s,
                },
            ) => shape == s && same_bounds(low, l) && same_bounds(high, h),
            _ => false,
        }
    }
}

impl Demos {
    /// Empty demonstrations for `env_id`, with the header taken from the env.
    pub fn new(env_id: &str) -> Result<Self, DemosError> {
        Self::for_env(env_id).map(|(demos, _)| demos)
    }

    /// Empty demonstrations and the env's observation space.
    fn for_env(env_id: &str) -> Result<(Self, Space), DemosError> {
        let env = env::make(env_id).map_err(|_| DemosError::UnknownEnv(env_id.into()))?;
        let spec = env.spec();
        let demos = Self {
            format: FORMAT,
            version: VERSION,
            env_id: env_id.into(),
            observation_dim: spec.observation_space.flat_dim(),
            action_space: spec.action_space.clone(),
            episodes: Vec::new(),
        };
        Ok((demos, spec.observation_space.clone()))
    }

    /// Total steps over every episode.
    pub fn steps(&self) -> usize {
        self.episodes.iter().map(Episode::len).sum()
    }

    /// Mean undiscounted return per episode (0 with no episodes).
    pub fn mean_return(&self) -> f64 {
        if self.episodes.is_empty() {
            return 0.0;
        }
        self.episodes.iter().map(Episode::total_reward).sum::<f64>() / self.episodes.len() as f64
    }

    /// The file's JSON text.
    pub fn to_json(&self) -> String {
        // Plain data with string keys and finite floats: serialisation cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads and validates a file's bytes (see the module docs for what is checked).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DemosError> {
        if bytes.len() > MAX_BYTES {
            return Err(DemosError::TooLarge {
                bytes: bytes.len(),
                max: MAX_BYTES,
            });
        }
        let header: Header =
            serde_json::from_slice(bytes).map_err(|e| DemosError::Json(e.to_string()))?;
        match &header.format {
            Some(serde_json::Value::String(s)) if s == FORMAT => {}
            other => {
                return Err(DemosError::NotDemos {
                    found: describe(other),
                });
            }
        }
        match &header.version {
            Some(v) if v.as_u64() == Some(VERSION) => {}
            other => {
                return Err(DemosError::Version {
                    found: describe(other),
                });
            }
        }
        let raw: RawDemos =
            serde_json::from_slice(bytes).map_err(|e| DemosError::Json(e.to_string()))?;
        Self::validate(raw)
    }

    /// [`Demos::from_bytes`] for text.
    pub fn from_json(text: &str) -> Result<Self, DemosError> {
        Self::from_bytes(text.as_bytes())
    }

    fn validate(raw: RawDemos) -> Result<Self, DemosError> {
        let (mut demos, obs_space) = Self::for_env(&raw.env_id)?;
        let obs_space = obs_space.describe();
        if raw.observation_dim != demos.observation_dim {
            return Err(DemosError::Mismatch(format!(
                "observation_dim is {}, but {} observes {obs_space} ({} values)",
                raw.observation_dim, demos.env_id, demos.observation_dim
            )));
        }
        if !raw.action_space.matches(&demos.action_space) {
            return Err(DemosError::Mismatch(format!(
                "action_space does not match {}'s {}",
                demos.env_id,
                demos.action_space.describe()
            )));
        }
        if raw.episodes.is_empty() {
            return Err(DemosError::NoEpisodes);
        }
        for (e, ep) in raw.episodes.into_iter().enumerate() {
            let episode = demos.check_episode(e, ep)?;
            demos.episodes.push(episode);
        }
        Ok(demos)
    }

    fn check_episode(&self, e: usize, ep: RawEpisode) -> Result<Episode, DemosError> {
        let at = |step: usize, problem: String| DemosError::Step {
            episode: e,
            step,
            problem,
        };
        let (n_obs, n_act, n_rew) = (ep.observations.len(), ep.actions.len(), ep.rewards.len());
        if n_act == 0 {
            return Err(DemosError::Episode {
                episode: e,
                problem: "no steps (an episode needs at least one action)".into(),
            });
        }
        if n_obs != n_act || n_rew != n_act {
            return Err(DemosError::Episode {
                episode: e,
                problem: format!(
                    "{n_obs} observations, {n_act} actions and {n_rew} rewards; \
                     each step needs one of each"
                ),
            });
        }
        for (t, obs) in ep.observations.iter().enumerate() {
            if obs.len() != self.observation_dim {
                return Err(at(
                    t,
                    format!(
                        "observation has {} values, expected {}",
                        obs.len(),
                        self.observation_dim
                    ),
                ));
            }
            if let Some(i) = obs.iter().position(|v| !v.is_finite()) {
                return Err(at(
                    t,
                    format!("observation value {i} is not a finite float32"),
                ));
            }
        }
        if let Some(t) = ep.rewards.iter().position(|r| !r.is_finite()) {
            return Err(at(t, "reward is not finite".into()));
        }
        let actions = ep
            .actions
            .iter()
            .enumerate()
            .map(|(t, a)| parse_action(a, &self.action_space).map_err(|p| at(t, p)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Episode {
            seed: ep.seed,
            observations: ep.observations,
            actions,
            rewards: ep.rewards,
        })
    }
}

/// How a header field was written, for an error message.
fn describe(v: &Option<serde_json::Value>) -> String {
    match v {
        None => "missing".into(),
        Some(v) => v.to_string(),
    }
}

/// Checks one action against the env's action space.
fn parse_action(a: &serde_json::Value, space: &Space) -> Result<DemoAction, String> {
    match space {
        // `as usize` would wrap a large index on wasm32 (2^32 + 1 becomes 1), so the page
        // would accept what the CLI rejects; fractions and negatives are not `u64`s.
        Space::Discrete { n } => match a.as_u64().and_then(|i| usize::try_from(i).ok()) {
            Some(i) if i < *n => Ok(DemoAction::Discrete(i)),
            _ => Err(format!(
                "action {a} is not an integer in {}",
                space.describe()
            )),
        },
        Space::Box { .. } => {
            let values = a
                .as_array()
                .map(|xs| xs.iter().map(|x| x.as_f64()).collect::<Option<Vec<_>>>())
                .ok_or_else(|| format!("action {a} is not an array of numbers"))?
                .ok_or_else(|| format!("action {a} is not an array of numbers"))?;
            let values: Vec<f32> = values.into_iter().map(|x| x as f32).collect();
            if values.len() != space.flat_dim() {
                return Err(format!(
                    "action has {} values, {} has {}",
                    values.len(),
                    space.describe(),
                    space.flat_dim()
                ));
            }
            if !space.contains_continuous(&values) {
                return Err(format!("action {a} is outside {}", space.describe()));
            }
            Ok(DemoAction::Continuous(values))
        }
    }
}

/// The action a teacher suggests, taken greedily: the most probable legal move for discrete
/// spaces (the lowest index on ties), the suggested vector for `Box` spaces.
pub fn greedy_action(teacher: &mut dyn Teacher, view: TeacherView<'_>) -> DemoAction {
    let space = &view.env.spec().action_space;
    match space {
        Space::Discrete { n } => {
            let mut probs = vec![0.0f32; *n];
            teacher.policy(view, &mut probs);
            let mut legal = vec![true; *n];
            view.env.action_mask(&mut legal);
            let best =
                (0..*n)
                    .filter(|&i| legal[i])
                    .fold(None, |best: Option<usize>, i| match best {
                        Some(b) if probs[b] >= probs[i] => Some(b),
                        _ => Some(i),
                    });
            DemoAction::Discrete(best.unwrap_or(0))
        }
        Space::Box { .. } => {
            let mut out = vec![0.0f32; space.flat_dim()];
            teacher.policy(view, &mut out);
            DemoAction::Continuous(out)
        }
    }
}

/// Records `episodes` episodes of `policy` on `env_id`. Episode `i` is reset with seed
/// `seed + i` (wrapping), so each episode can be replayed on its own.
pub fn record(
    env_id: &str,
    episodes: usize,
    seed: u64,
    policy: &mut dyn FnMut(TeacherView<'_>) -> DemoAction,
) -> Result<Demos, DemosError> {
    let mut demos = Demos::new(env_id)?;
    let mut env = env::make(env_id).map_err(|_| DemosError::UnknownEnv(env_id.into()))?;
    let mut obs = vec![0.0f32; demos.observation_dim];
    for e in 0..episodes {
        let ep_seed = seed.wrapping_add(e as u64);
        env.reset(Some(ep_seed), &mut obs);
        let mut ep = Episode {
            seed: Some(ep_seed),
            observations: Vec::new(),
            actions: Vec::new(),
            rewards: Vec::new(),
        };
        loop {
            let t = ep.len();
            if t >= MAX_EPISODE_STEPS {
                return Err(DemosError::Episode {
                    episode: e,
                    problem: format!("did not end within {MAX_EPISODE_STEPS} steps"),
                });
            }
            let action = policy(TeacherView {
                env: &env,
                obs: &obs,
            });
            let before = obs.clone();
            let step = env
                .step(action.as_action(), &mut obs)
                .map_err(|err| DemosError::Step {
                    episode: e,
                    step: t,
                    problem: format!("the policy's action was refused: {err}"),
                })?;
            // Envs clip Box actions; store what was applied so the file validates.
            let action = match (action, &demos.action_space) {
                (DemoAction::Continuous(a), Space::Box { low, high, .. }) => {
                    DemoAction::Continuous(
                        a.iter()
                            .zip(low.iter().zip(high))
                            .map(|(&v, (&l, &h))| v.clamp(l, h))
                            .collect(),
                    )
                }
                (a, _) => a,
            };
            ep.observations.push(before);
            ep.actions.push(action);
            ep.rewards.push(step.reward);
            if step.terminated || step.truncated {
                break;
            }
        }
        demos.episodes.push(ep);
    }
    Ok(demos)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::env::Step;

    /// A CartPole expert for tests: pushes the cart toward where the pole is falling, with a
    /// little pull back to the centre.
    pub struct LeanTeacher;

    impl LeanTeacher {
        fn push_right(obs: &[f32]) -> bool {
            0.05 * obs[0] + 0.2 * obs[1] + obs[2] + 0.5 * obs[3] > 0.0
        }
    }

    impl Teacher for LeanTeacher {
        fn name(&self) -> String {
            "lean".into()
        }
        fn value(&mut self, state: TeacherView<'_>) -> f64 {
            -(state.obs[2].abs() as f64)
        }
        fn policy(&mut self, state: TeacherView<'_>, out: &mut [f32]) {
            let right = Self::push_right(state.obs);
            out[0] = if right { 0.0 } else { 1.0 };
            out[1] = if right { 1.0 } else { 0.0 };
        }
    }

    pub fn lean_demos(episodes: usize, seed: u64) -> Demos {
        let mut teacher = LeanTeacher;
        record("CartPole-v1", episodes, seed, &mut |view| {
            greedy_action(&mut teacher, view)
        })
        .expect("CartPole records")
    }

    fn cartpole_file() -> serde_json::Value {
        serde_json::json!({
            "format": "rlaif-demos", "version": 1, "env_id": "CartPole-v1",
            "observation_dim": 4, "action_space": {"type": "Discrete", "n": 2},
            "episodes": [{"seed": 3,
                "observations": [[0.0, 0.1, 0.02, -0.1], [0.002, 0.2, 0.018, -0.3]],
                "actions": [1, 0], "rewards": [1.0, 1.0]}]
        })
    }

    fn load(v: &serde_json::Value) -> Result<Demos, DemosError> {
        Demos::from_json(&v.to_string())
    }

    #[test]
    fn accepts_a_valid_file() {
        let d = load(&cartpole_file()).expect("valid");
        assert_eq!(d.steps(), 2);
        assert_eq!(d.episodes[0].actions[1], DemoAction::Discrete(0));
        assert_eq!(d.mean_return(), 2.0);
    }

    #[test]
    fn rejects_each_kind_of_bad_file() {
        let mut cases: Vec<(serde_json::Value, &str)> = Vec::new();
        let mut edit = |f: &dyn Fn(&mut serde_json::Value), expect: &'static str| {
            let mut v = cartpole_file();
            f(&mut v);
            cases.push((v, expect));
        };
        edit(
            &|v| v["format"] = "gym-demos".into(),
            "\"format\" is \"gym-demos\"",
        );
        edit(&|v| v["version"] = 2.into(), "version 2");
        edit(
            &|v| v["env_id"] = "Nope-v0".into(),
            "unknown environment id 'Nope-v0'",
        );
        edit(&|v| v["observation_dim"] = 3.into(), "observation_dim is 3");
        edit(
            &|v| v["action_space"]["n"] = 3.into(),
            "action_space does not match CartPole-v1's Discrete(2)",
        );
        edit(&|v| v["episodes"] = serde_json::json!([]), "no episodes");
        edit(
            &|v| {
                v["episodes"][0]["observations"] = serde_json::json!([]);
                v["episodes"][0]["actions"] = serde_json::json!([]);
                v["episodes"][0]["rewards"] = serde_json::json!([]);
            },
            "episode 0: no steps",
        );
        edit(
            &|v| v["episodes"][0]["rewards"] = serde_json::json!([1.0]),
            "episode 0: 2 observations, 2 actions and 1 rewards",
        );
        edit(
            &|v| v["episodes"][0]["observations"][1] = serde_json::json!([0.0, 0.0, 0.0]),
            "episode 0, step 1: observation has 3 values, expected 4",
        );
        edit(
            &|v| v["episodes"][0]["observations"][1][2] = serde_json::json!(1e39),
            "number out of range at line 1",
        );
        edit(
            &|v| v["episodes"][0]["actions"][1] = 2.into(),
            "episode 0, step 1: action 2 is not an integer in Discrete(2)",
        );
        edit(
            &|v| v["episodes"][0]["actions"][0] = serde_json::json!([0.5]),
            "episode 0, step 0: action [0.5] is not an integer",
        );
        edit(
            &|v| v["episodes"][0]["actions"][0] = serde_json::json!(-1),
            "action -1 is not an integer",
        );
        edit(
            &|v| v["episodes"][0]["rewards"][0] = serde_json::Value::Null,
            "not valid JSON for demonstrations: invalid type: null",
        );
        edit(
            &|v| v["episodes"][0]["colour"] = "red".into(),
            "unknown field `colour`",
        );
        for (v, expect) in cases {
            let err = load(&v).expect_err(expect).to_string();
            assert!(err.contains(expect), "{err:?} should contain {expect:?}");
        }
        let err = Demos::from_json("{\"format\": \"rlaif-demos\", ").unwrap_err();
        assert!(matches!(err, DemosError::Json(_)), "{err}");
        let err = Demos::from_json("[\"x\", 2]").unwrap_err();
        assert!(matches!(err, DemosError::NotDemos { .. }), "{err}");
        let err = Demos::from_json("{\"version\": 1}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a demonstrations file: \"format\" is missing, expected \"rlaif-demos\""
        );
    }

    #[test]
    fn action_indices_are_checked_not_cast() {
        // 2^32 + 1 wraps to 1 as a 32-bit usize (the page's wasm32): it must be refused there
        // as it is here, as must every value that is not a whole index in range.
        for raw in [
            "4294967297",
            "4294967296",
            "18446744073709551615",
            "18446744073709551617",
            "1.5",
            "1.0",
            "-1",
            "-4294967295",
        ] {
            let file = cartpole_file().to_string();
            let text = file.replace("\"actions\":[1,0]", &format!("\"actions\":[1,{raw}]"));
            assert_ne!(text, file);
            let err = Demos::from_json(&text).map(|_| ()).unwrap_err().to_string();
            assert!(
                err.starts_with("episode 0, step 1: action ")
                    && err.ends_with(" is not an integer in Discrete(2)"),
                "{raw}: {err}"
            );
        }
    }

    #[test]
    fn rejects_non_finite_rewards_and_oversized_files() {
        // JSON has no NaN; an overflowing number is the way a non-finite value gets in.
        let text = cartpole_file().to_string();
        let bad = text.replace("\"rewards\":[1.0,1.0]", "\"rewards\":[1.0,1e999]");
        assert_ne!(bad, text);
        let err = Demos::from_json(&bad).unwrap_err().to_string();
        assert!(err.contains("number out of range at line 1"), "{err}");
        let big = vec![b' '; MAX_BYTES + 1];
        assert_eq!(
            Demos::from_bytes(&big).unwrap_err(),
            DemosError::TooLarge {
                bytes: MAX_BYTES + 1,
                max: MAX_BYTES
            }
        );
    }

    #[test]
    fn checks_box_actions_against_bounds() {
        let file = |action: serde_json::Value| {
            serde_json::json!({
                "format": "rlaif-demos", "version": 1, "env_id": "Pendulum-v1",
                "observation_dim": 3,
                "action_space": {"type": "Box", "low": [-2.0], "high": [2.0], "shape": [1]},
                "episodes": [{"observations": [[1.0, 0.0, 0.0]], "actions": [action],
                              "rewards": [-0.5]}]
            })
        };
        let ok = load(&file(serde_json::json!([1.5]))).expect("valid");
        assert_eq!(ok.episodes[0].actions[0], DemoAction::Continuous(vec![1.5]));
        assert_eq!(ok.episodes[0].seed, None);
        for (bad, expect) in [
            (
                serde_json::json!([2.5]),
                "action [2.5] is outside Box(-2, 2, (1,), float32)",
            ),
            (serde_json::json!([1.0, 1.0]), "action has 2 values"),
            (serde_json::json!(1), "action 1 is not an array of numbers"),
            (serde_json::json!(["a"]), "is not an array of numbers"),
        ] {
            let err = load(&file(bad)).unwrap_err().to_string();
            assert!(err.contains(expect), "{err:?} should contain {expect:?}");
        }
        let mut wrong_bounds = file(serde_json::json!([1.0]));
        wrong_bounds["action_space"]["high"] = serde_json::json!([3.0]);
        assert!(load(&wrong_bounds).is_err());
    }

    #[test]
    fn box_actions_are_recorded_clipped_and_round_trip() {
        // The env clips an out-of-bounds push; the file stores the push it applied.
        let mut push = |_: TeacherView<'_>| DemoAction::Continuous(vec![3.0]);
        let d = record("MountainCarContinuous-v0", 1, 5, &mut push).expect("records");
        assert!(d.steps() > 0);
        assert!(
            d.episodes[0]
                .actions
                .iter()
                .all(|a| *a == DemoAction::Continuous(vec![1.0]))
        );
        let back = Demos::from_json(&d.to_json()).expect("round trip");
        assert_eq!(back, d);
    }

    #[test]
    fn records_and_round_trips() {
        let d = lean_demos(3, 11);
        assert_eq!(d.episodes.len(), 3);
        assert_eq!(
            d.episodes.iter().map(|e| e.seed).collect::<Vec<_>>(),
            vec![Some(11), Some(12), Some(13)]
        );
        // The expert balances: every episode runs to the time limit.
        assert!(d.episodes.iter().all(|e| e.len() == 500), "{:?}", {
            d.episodes.iter().map(Episode::len).collect::<Vec<_>>()
        });
        let text = d.to_json();
        let back = Demos::from_json(&text).expect("round trip");
        assert_eq!(back, d);
        // Recording is deterministic by seed, and the first observation is the reset's.
        assert_eq!(lean_demos(3, 11), d);
        let mut env = env::make("CartPole-v1").expect("env");
        let mut obs = vec![0.0; 4];
        env.reset(Some(12), &mut obs);
        assert_eq!(d.episodes[1].observations[0], obs);
    }

    #[test]
    fn recording_reports_refused_actions_and_unknown_envs() {
        let err = record("CartPole-v1", 1, 0, &mut |_| DemoAction::Discrete(5)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "episode 0, step 0: the policy's action was refused: action 5 is outside Discrete(2)"
        );
        let err = record("Nope-v0", 1, 0, &mut |_| DemoAction::Discrete(0)).unwrap_err();
        assert_eq!(err, DemosError::UnknownEnv("Nope-v0".into()));
    }

    #[test]
    fn greedy_action_skips_illegal_moves() {
        struct Uniform;
        impl Teacher for Uniform {
            fn name(&self) -> String {
                "uniform".into()
            }
            fn value(&mut self, _: TeacherView<'_>) -> f64 {
                0.0
            }
            fn policy(&mut self, _: TeacherView<'_>, out: &mut [f32]) {
                out.fill(0.0);
            }
        }
        let mut env = env::make("TicTacToe-v0").expect("env");
        let mut obs = vec![0.0; env.spec().observation_space.flat_dim()];
        env.reset(Some(0), &mut obs);
        let _: Step = env.step(Action::Discrete(0), &mut obs).expect("legal");
        let view = TeacherView {
            env: &env,
            obs: &obs,
        };
        // Cell 0 is taken; with every probability zero the lowest legal cell wins.
        let a = greedy_action(&mut Uniform, view);
        let mut mask = vec![true; 9];
        env.action_mask(&mut mask);
        assert!(!mask[0]);
        let DemoAction::Discrete(i) = a else {
            panic!("discrete")
        };
        assert!(mask[i] && mask[..i].iter().all(|m| !m), "{i} {mask:?}");
    }
}
