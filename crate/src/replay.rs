//! Replays a fixed action sequence from a given physical state or from a reset seed, printing
//! every step as JSON Lines. This is the interface behind `rlaif replay FILE`, and what the
//! Gymnasium and MiniGrid reference fixtures are checked through.
//!
//! Input: `{"env_id": "CartPole-v1", "state": [..], "actions": [..]}` or
//! `{"env_id": "MiniGrid-DoorKey-8x8-v0", "seed": 3, "actions": [..]}` (exactly one of `state`
//! and `seed`). The env is made with [`registry::make`] (so its time limit counts from the
//! reset); with `state` it is reset with seed 0 and its state overwritten, with `seed` it is
//! reset with that seed as `env.reset(seed=S)` would. The actions are applied in order until a
//! step is terminated or truncated.
//! Output: `{"t":0,"obs":[..],"state":[..]}`, then per step
//! `{"t":k,"action":a,"obs":[..],"reward":r,"terminated":b,"truncated":b,"state":[..]}`
//! (`state` left out for an env without one). A MiniGrid env records MiniGrid's own encoding
//! instead: `obs` is the `(7, 7, 3)` image flattened row-major, with `direction` and
//! `agent_pos`, and the first line adds `grid` (`grid.encode()` flattened) and `mission`.
//! Floats print in the shortest form that parses back to the same f64. JSON has no NaN or
//! infinity, so a step whose observation, reward or state is not finite is an error naming
//! the step and the value, and nothing is printed (not even the steps before it).

use crate::env::minigrid::Snapshot;
use crate::env::{Action, Env, EnvError, Space, registry};
use serde::Serialize;
use serde_json::Value;

/// Why a replay could not run. Each message is one line.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("invalid replay JSON: {0}")]
    Input(String),
    #[error(transparent)]
    Make(#[from] registry::MakeError),
    #[error("environment '{0}' has no settable physical state")]
    StateNotSupported(String),
    #[error("state has {got} values, '{env_id}' expects {expected}")]
    WrongStateLength {
        env_id: String,
        got: usize,
        expected: usize,
    },
    #[error("action {index} ({action}): {reason}")]
    InvalidAction {
        index: usize,
        action: String,
        reason: String,
    },
    #[error("step {index} failed: {source}")]
    Step { index: usize, source: EnvError },
    #[error("step {t}: {field} is {value}, which JSON cannot represent")]
    NotFinite { t: usize, field: String, value: f64 },
    #[error("cannot write the replay: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    env_id: String,
    /// The physical state to start from (classic control).
    #[serde(default)]
    state: Option<Vec<f64>>,
    /// The seed to reset with.
    #[serde(default)]
    seed: Option<u64>,
    actions: Vec<Value>,
}

/// Where the replay starts.
enum Start {
    State(Vec<f64>),
    Seed(u64),
}

impl Input {
    fn start(&self) -> Result<Start, ReplayError> {
        match (&self.state, self.seed) {
            (Some(state), None) => Ok(Start::State(state.clone())),
            (None, Some(seed)) => Ok(Start::Seed(seed)),
            _ => Err(ReplayError::Input(
                "give exactly one of `state` (a physical state) and `seed` (a reset seed)".into(),
            )),
        }
    }
}

/// First line: the observation after the reset (and the overwritten state).
#[derive(Serialize)]
struct StartLine<'a> {
    t: usize,
    obs: &'a [f64],
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a [f64]>,
}

/// One line per step, keys in this order.
#[derive(Serialize)]
struct StepLine<'a> {
    t: usize,
    action: &'a Value,
    obs: &'a [f64],
    reward: f64,
    terminated: bool,
    truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'a [f64]>,
}

/// A MiniGrid env's first line: MiniGrid's image, agent and layout.
#[derive(Serialize)]
struct MiniGridStartLine<'a> {
    t: usize,
    obs: &'a [u8],
    direction: u8,
    agent_pos: [usize; 2],
    grid: &'a [u8],
    mission: &'a str,
}

/// A MiniGrid env's line per step.
#[derive(Serialize)]
struct MiniGridStepLine<'a> {
    t: usize,
    action: &'a Value,
    obs: &'a [u8],
    direction: u8,
    agent_pos: [usize; 2],
    reward: f64,
    terminated: bool,
    truncated: bool,
}

/// An action checked against the action space.
enum Checked {
    Discrete(usize),
    Continuous(Vec<f32>),
}

/// Checks an action given as JSON: an integer for `Discrete`, an array of numbers (taken as
/// f32) for `Box`. Anything outside the space is an error, even where Gymnasium would clip.
fn check_action(space: &Space, index: usize, value: &Value) -> Result<Checked, ReplayError> {
    let invalid = |reason: String| ReplayError::InvalidAction {
        index,
        action: value.to_string(),
        reason,
    };
    match space {
        Space::Discrete { n } => {
            let a = value
                .as_u64()
                .ok_or_else(|| invalid(format!("expected an integer in 0..{n}")))?;
            match usize::try_from(a) {
                Ok(a) if a < *n => Ok(Checked::Discrete(a)),
                _ => Err(invalid(format!("outside Discrete({n})"))),
            }
        }
        Space::Box { low, .. } => {
            let items = value
                .as_array()
                .ok_or_else(|| invalid(format!("expected an array of {} numbers", low.len())))?;
            if items.len() != low.len() {
                return Err(invalid(format!(
                    "has {} values, the action space has {}",
                    items.len(),
                    low.len()
                )));
            }
            let a = items
                .iter()
                .map(|v| v.as_f64().map(|x| x as f32))
                .collect::<Option<Vec<f32>>>()
                .ok_or_else(|| invalid("expected numbers".into()))?;
            if a.iter().any(|v| !v.is_finite()) {
                return Err(invalid("not finite as float32".into()));
            }
            if !space.contains_continuous(&a) {
                return Err(invalid(format!("outside {}", space.describe())));
            }
            Ok(Checked::Continuous(a))
        }
    }
}

fn widen(obs: &[f32]) -> Vec<f64> {
    obs.iter().map(|&v| f64::from(v)).collect()
}

/// An error for the first non-finite value of `values` (named `name[i]`) at step `t`.
fn check_finite(t: usize, name: &str, values: &[f64]) -> Result<(), ReplayError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(ReplayError::NotFinite {
            t,
            field: format!("{name}[{i}]"),
            value: values[i],
        }),
        None => Ok(()),
    }
}

fn pos(snapshot: &Snapshot) -> [usize; 2] {
    [snapshot.agent_pos.0, snapshot.agent_pos.1]
}

fn write_line(out: &mut Vec<u8>, line: &impl Serialize) -> Result<(), ReplayError> {
    serde_json::to_writer(&mut *out, line).map_err(std::io::Error::from)?;
    out.push(b'\n');
    Ok(())
}

/// Runs the replay described by `input` (JSON) and writes its JSON Lines to `out`. Nothing is
/// written unless the whole replay succeeds.
pub fn replay(input: &str, out: &mut impl std::io::Write) -> Result<(), ReplayError> {
    let input: Input =
        serde_json::from_str(input).map_err(|e| ReplayError::Input(e.to_string()))?;
    input.start()?;
    let env = registry::make(&input.env_id)?;
    replay_env(env, &input, out)
}

/// The replay proper, on an already-made env (time limit included). The lines are collected
/// first (an input's replay is no longer than its actions), so a failing step prints nothing.
fn replay_env(
    env: Box<dyn Env>,
    input: &Input,
    out: &mut impl std::io::Write,
) -> Result<(), ReplayError> {
    let mut lines = Vec::new();
    replay_lines(env, input, &mut lines)?;
    out.write_all(&lines)?;
    Ok(())
}

fn replay_lines(
    mut env: Box<dyn Env>,
    input: &Input,
    out: &mut Vec<u8>,
) -> Result<(), ReplayError> {
    let spec = env.spec().clone();
    let actions = input
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| check_action(&spec.action_space, i, a))
        .collect::<Result<Vec<_>, _>>()?;

    let mut obs = vec![0.0f32; spec.observation_space.flat_dim()];
    match input.start()? {
        Start::State(state) => {
            env.reset(Some(0), &mut obs);
            env.set_state(&state).map_err(|e| match e {
                EnvError::WrongStateLength { got, expected } => ReplayError::WrongStateLength {
                    env_id: input.env_id.clone(),
                    got,
                    expected,
                },
                _ => ReplayError::StateNotSupported(input.env_id.clone()),
            })?;
            env.observe(&mut obs);
        }
        Start::Seed(seed) => env.reset(Some(seed), &mut obs),
    }
    if let Some(snapshot) = env.minigrid() {
        write_line(
            out,
            &MiniGridStartLine {
                t: 0,
                obs: &snapshot.image,
                direction: snapshot.direction,
                agent_pos: pos(&snapshot),
                grid: &snapshot.grid,
                mission: snapshot.mission,
            },
        )?;
    } else {
        let state = env.state();
        let wide = widen(&obs);
        check_finite(0, "obs", &wide)?;
        check_finite(0, "state", state.as_deref().unwrap_or_default())?;
        write_line(
            out,
            &StartLine {
                t: 0,
                obs: &wide,
                state: state.as_deref(),
            },
        )?;
    }

    for (i, (checked, raw)) in actions.iter().zip(&input.actions).enumerate() {
        let action = match checked {
            Checked::Discrete(a) => Action::Discrete(*a),
            Checked::Continuous(a) => Action::Continuous(a),
        };
        let step = env
            .step(action, &mut obs)
            .map_err(|source| ReplayError::Step { index: i, source })?;
        let check_reward = || {
            if step.reward.is_finite() {
                Ok(())
            } else {
                Err(ReplayError::NotFinite {
                    t: i + 1,
                    field: "reward".into(),
                    value: step.reward,
                })
            }
        };
        if let Some(snapshot) = env.minigrid() {
            check_reward()?;
            write_line(
                out,
                &MiniGridStepLine {
                    t: i + 1,
                    action: raw,
                    obs: &snapshot.image,
                    direction: snapshot.direction,
                    agent_pos: pos(&snapshot),
                    reward: step.reward,
                    terminated: step.terminated,
                    truncated: step.truncated,
                },
            )?;
        } else {
            let state = env.state();
            let wide = widen(&obs);
            check_finite(i + 1, "obs", &wide)?;
            check_reward()?;
            check_finite(i + 1, "state", state.as_deref().unwrap_or_default())?;
            write_line(
                out,
                &StepLine {
                    t: i + 1,
                    action: raw,
                    obs: &wide,
                    reward: step.reward,
                    terminated: step.terminated,
                    truncated: step.truncated,
                    state: state.as_deref(),
                },
            )?;
        }
        if step.terminated || step.truncated {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> Result<Vec<Value>, ReplayError> {
        let mut out = Vec::new();
        replay(input, &mut out)?;
        let text = String::from_utf8(out).unwrap();
        Ok(text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect())
    }

    fn err(input: &str) -> String {
        match run(input) {
            Ok(_) => panic!("expected an error for {input}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn prints_keys_in_order_and_floats_that_round_trip() {
        let mut out = Vec::new();
        replay(
            r#"{"env_id":"CartPole-v1","state":[0.0,0.0,0.0,0.0],"actions":[1]}"#,
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"t":0,"obs":[0.0,0.0,0.0,0.0],"state":[0.0,0.0,0.0,0.0]}"#
        );
        assert!(
            lines[1].starts_with(r#"{"t":1,"action":1,"obs":["#),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains(r#""reward":1.0,"terminated":false,"truncated":false,"state":["#)
        );
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn echoes_box_actions_and_stops_at_termination() {
        let lines = run(
            r#"{"env_id":"MountainCarContinuous-v0","state":[0.44,0.06],"actions":[[1.0],[0.5],[0.5]]}"#,
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1]["action"], serde_json::json!([1.0]));
        assert_eq!(lines[1]["terminated"], true);
    }

    #[test]
    fn truncates_at_the_time_limit_counted_from_reset() {
        let actions = vec!["1"; 205].join(",");
        let lines = run(&format!(
            r#"{{"env_id":"MountainCar-v0","state":[-0.5,0.0],"actions":[{actions}]}}"#
        ))
        .unwrap();
        assert_eq!(lines.len(), 201);
        assert_eq!(lines[200]["truncated"], true);
        assert_eq!(lines[199]["truncated"], false);
    }

    #[test]
    fn errors_are_one_line_and_name_the_problem() {
        let cases = [
            (
                r#"{"env_id":"Nope-v0","state":[],"actions":[]}"#,
                "unknown environment id 'Nope-v0'",
            ),
            (
                r#"{"env_id":"CartPole-v1","state":[0.0],"actions":[]}"#,
                "state has 1 values, 'CartPole-v1' expects 4",
            ),
            (
                r#"{"env_id":"CartPole-v1","state":[0,0,0,0],"actions":[2]}"#,
                "action 0 (2): outside Discrete(2)",
            ),
            (
                r#"{"env_id":"CartPole-v1","state":[0,0,0,0],"actions":[0,-1]}"#,
                "action 1 (-1): expected an integer in 0..2",
            ),
            (
                r#"{"env_id":"CartPole-v1","state":[0,0,0,0],"actions":[[1.0]]}"#,
                "action 0 ([1.0]): expected an integer in 0..2",
            ),
            (
                r#"{"env_id":"Pendulum-v1","state":[0,0],"actions":[1.0]}"#,
                "action 0 (1.0): expected an array of 1 numbers",
            ),
            (
                r#"{"env_id":"Pendulum-v1","state":[0,0],"actions":[[1.0,2.0]]}"#,
                "action 0 ([1.0,2.0]): has 2 values, the action space has 1",
            ),
            (
                r#"{"env_id":"Pendulum-v1","state":[0,0],"actions":[[2.5]]}"#,
                "action 0 ([2.5]): outside Box(-2, 2, (1,), float32)",
            ),
            (
                r#"{"env_id":"Pendulum-v1","state":[0,0],"actions":[[1e300]]}"#,
                "action 0 ([1e+300]): not finite as float32",
            ),
            (
                r#"{"env_id":"Pendulum-v1","state":[0,0],"actions":[["a"]]}"#,
                "action 0 ([\"a\"]): expected numbers",
            ),
            (
                r#"{"env_id":"Pendulum-v1","state":[0,0]}"#,
                "invalid replay JSON: missing field `actions`",
            ),
            (
                r#"{"env_id":"CartPole-v1","actions":[]}"#,
                "invalid replay JSON: give exactly one of `state` (a physical state) and `seed`",
            ),
            (
                r#"{"env_id":"CartPole-v1","state":[0,0,0,0],"seed":1,"actions":[]}"#,
                "invalid replay JSON: give exactly one of `state`",
            ),
            (
                r#"{"env_id":"CartPole-v1","seed":-1,"actions":[]}"#,
                "invalid replay JSON: invalid value: integer `-1`, expected u64",
            ),
            (
                r#"{"env_id":"CartPole-v1","seed":1,"actions":[],"obs":[]}"#,
                "invalid replay JSON: unknown field `obs`",
            ),
            (
                r#"{"env_id":"MiniGrid-Empty-8x8-v0","seed":0,"actions":[7]}"#,
                "action 0 (7): outside Discrete(7)",
            ),
        ];
        for (input, expected) in cases {
            let msg = err(input);
            assert!(msg.starts_with(expected), "{input}: {msg}");
            assert!(!msg.contains('\n'));
        }
    }

    #[test]
    fn a_seed_replays_minigrid_in_its_own_encoding() {
        let lines =
            run(r#"{"env_id":"MiniGrid-Empty-8x8-v0","seed":0,"actions":[2,1,2,2,2,2,2,0,2,2,2,2,2,2]}"#)
                .unwrap();
        let first = &lines[0];
        assert_eq!(first["obs"].as_array().map(Vec::len), Some(147));
        assert_eq!(first["grid"].as_array().map(Vec::len), Some(8 * 8 * 3));
        assert_eq!(first["agent_pos"], serde_json::json!([1, 1]));
        assert_eq!(first["direction"], 0);
        assert_eq!(first["mission"], "get to the green goal square");
        assert!(first.get("reward").is_none() && first.get("state").is_none());
        assert_eq!(lines[1]["agent_pos"], serde_json::json!([2, 1]));
        assert!(lines[1].get("grid").is_none());
        // Right along the top, down the right side: the goal at (6, 6) on step 12 of 256.
        let last = lines.last().unwrap();
        assert_eq!(lines.len(), 13);
        assert_eq!(last["terminated"], true);
        assert_eq!(last["reward"], 1.0 - 0.9 * (12.0 / 256.0));
    }

    #[test]
    fn a_seed_replays_other_envs_with_their_state_when_they_have_one() {
        let lines = run(r#"{"env_id":"CartPole-v1","seed":5,"actions":[0]}"#).unwrap();
        assert_eq!(lines[0]["state"].as_array().map(Vec::len), Some(4));
        assert_eq!(lines[1]["state"].as_array().map(Vec::len), Some(4));
        let lines = run(r#"{"env_id":"Grid-Empty-8x8-v0","seed":5,"actions":[0]}"#).unwrap();
        assert!(lines[0].get("state").is_none() && lines[1].get("state").is_none());
    }

    /// An env without physical state, like the grid worlds and games.
    struct Stateless(crate::env::EnvSpec);

    impl Env for Stateless {
        fn spec(&self) -> &crate::env::EnvSpec {
            &self.0
        }
        fn reset(&mut self, _seed: Option<u64>, obs: &mut [f32]) {
            obs.fill(0.0);
        }
        fn step(
            &mut self,
            _action: Action<'_>,
            _obs: &mut [f32],
        ) -> Result<crate::env::Step, EnvError> {
            Err(EnvError::NotReset)
        }
        fn observe(&self, obs: &mut [f32]) {
            obs.fill(0.0);
        }
        fn scene(&self) -> crate::env::Scene {
            crate::env::Scene::Pendulum {
                theta: 0.0,
                last_torque: 0.0,
            }
        }
    }

    #[test]
    fn an_env_without_settable_state_is_an_error() {
        let spec = crate::env::EnvSpec {
            id: "Stateless-v0".into(),
            observation_space: Space::box1(&[0.0], &[1.0]),
            action_space: Space::Discrete { n: 2 },
            max_episode_steps: None,
            reward_threshold: None,
            masked_actions: false,
        };
        let input = Input {
            env_id: "Stateless-v0".into(),
            state: Some(vec![0.0]),
            seed: None,
            actions: vec![],
        };
        let mut out = Vec::new();
        let e = replay_env(Box::new(Stateless(spec)), &input, &mut out).unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment 'Stateless-v0' has no settable physical state"
        );
        assert!(out.is_empty());
    }

    #[test]
    fn a_value_json_cannot_carry_is_an_error_naming_the_step_and_nothing_is_written() {
        // 1e300 is infinite as float32: the first observation already is.
        let msg = err(r#"{"env_id":"CartPole-v1","state":[0,0,1e300,0],"actions":[1]}"#);
        assert_eq!(msg, "step 0: obs[2] is inf, which JSON cannot represent");
        // A huge angular velocity is finite as float32, but the first step overflows it.
        let mut out = Vec::new();
        let e = replay(
            r#"{"env_id":"CartPole-v1","state":[0,0,0.5,1e38],"actions":[1,1]}"#,
            &mut out,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("step 1: obs[") && e.ends_with("is inf, which JSON cannot represent"),
            "{e}"
        );
        assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
    }

    #[test]
    fn nothing_is_written_when_an_action_is_invalid() {
        let mut out = Vec::new();
        let r = replay(
            r#"{"env_id":"CartPole-v1","state":[0,0,0,0],"actions":[0,0,5]}"#,
            &mut out,
        );
        assert!(r.is_err());
        assert!(out.is_empty());
    }
}
