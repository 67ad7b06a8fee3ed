//! Teachers: the "AI models" that judge. One file per env family, one registry line each.
//!
//! A teacher sees the env itself (planners read its state) and the raw observation (what a
//! learned teacher reads), and answers three questions:
//! - [`Teacher::value`]: how good is this state (the potential `Phi` of shaping);
//! - [`Teacher::score`]: how good was this step (direct feedback, and what the AI labeler sums);
//! - [`Teacher::policy`]: what would you do here (advice, and the teacher-agreement metric).
//!
//! | teacher | envs | what it is |
//! |---|---|---|
//! | `shortest-path` | `Grid-*-v0` | breadth-first planner through keys, doors and lava |
//! | `lqr` | CartPole-v1 | LQR on the linearised cart-pole (gain from the Riccati equation) |
//! | `energy` | MountainCar-v0, MountainCarContinuous-v0, Acrobot-v1, Pendulum-v1 | energy pumping (Pendulum: then PD at the top) |
//! | `minimax` | TicTacToe-v0 | perfect play |
//! | `alpha-beta[:DEPTH]` | ConnectFour-v0, TicTacToe-v0 | depth-limited search, default depth 4 |
//! | `inverted[:TEACHER]` | every env above | the opposite of a teacher (the default when none is named) |

mod acrobot;
mod cartpole;
mod games;
mod grid;
mod inverted;
mod mountain_car;
mod pendulum;

pub mod learned;

use crate::env::{Action, Env, Step};

/// What a teacher may look at: the env (before any auto-reset) and its raw observation.
#[derive(Clone, Copy)]
pub struct TeacherView<'a> {
    pub env: &'a dyn Env,
    /// The observation as the env wrote it (not normalised).
    pub obs: &'a [f32],
}

/// Why a teacher could not be made.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TeacherError {
    #[error("unknown teacher {name:?} for {env_id}; teachers for it: {known}")]
    Unknown {
        name: String,
        env_id: String,
        known: String,
    },
    #[error(
        "{env_id} has no built-in teacher; use a teacher learned from demonstrations (demo:FILE)"
    )]
    NoTeacher { env_id: String },
    #[error("bad teacher option: {0}")]
    BadOption(String),
    #[error("bad demonstrations: {0}")]
    Demos(String),
    #[error("teacher name is {len} bytes long; at most {MAX_NAME_LEN} are allowed")]
    NameTooLong { len: usize },
    #[error("teacher {name:?} nests {depth} teachers; at most {MAX_NESTING} may wrap one another")]
    TooDeep { name: String, depth: usize },
}

/// The longest teacher name [`make`] reads, in bytes: built-in names with their options are
/// far shorter (`demo:FILE` teachers are loaded by the caller and never come here).
pub const MAX_NAME_LEN: usize = 256;

/// How many teachers may wrap one another (`inverted:inverted:...:energy` counts each
/// `inverted`, and the one it ends with): each level is a call deeper, so thousands would
/// overflow the stack.
pub const MAX_NESTING: usize = 8;

/// The AI that judges the agent. Values and scores are on the env's reward scale: a score is
/// comparable to one step's env reward, a value to a return.
pub trait Teacher: Send {
    /// The name this teacher was made from (as `--teacher` takes it).
    fn name(&self) -> String;

    /// `Phi(s)`: how good the current state is, higher is better.
    fn value(&mut self, state: TeacherView<'_>) -> f64;

    /// How good the step that led to `after` was; `value_before` is `Phi` of the state it
    /// started from. The default is the progress `Phi(s') - Phi(s)`.
    fn score(
        &mut self,
        value_before: f64,
        _action: Action<'_>,
        after: TeacherView<'_>,
        _step: &Step,
    ) -> f64 {
        self.value(after) - value_before
    }

    /// Writes the suggested action at the current state: for `Discrete(n)`, `n` probabilities
    /// summing to 1 (zero on illegal moves); for a `Box` space, the suggested action itself.
    fn policy(&mut self, state: TeacherView<'_>, out: &mut [f32]);

    /// For a heatmap over a grid world: the value of standing on each cell (row-major, as
    /// [`crate::env::Scene::Grid`]'s tiles), facing the best way, with the rest of the state
    /// as it is; `None` where the agent cannot stand. `None` for teachers without a map.
    fn cell_values(&mut self, _state: TeacherView<'_>) -> Option<Vec<Option<f64>>> {
        None
    }
}

/// `Phi` of the state a step reached, which the next step's score and shaping term start
/// from: 0 after a terminal step (nothing follows it, Ng et al. 1999), else its value.
pub fn value_after(teacher: &mut dyn Teacher, after: TeacherView<'_>, step: &Step) -> f64 {
    if step.terminated {
        0.0
    } else {
        teacher.value(after)
    }
}

/// Makes a teacher for `env_id`; `option` is the text after the colon, if any.
pub type MakeTeacher =
    fn(env_id: &str, option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError>;

/// One registry line: a teacher, the envs it judges, and how to make it.
pub struct TeacherEntry {
    /// Name as `--teacher` takes it; options follow a colon (e.g. `alpha-beta:6`).
    pub name: &'static str,
    /// One line for pickers and `--help`.
    pub about: &'static str,
    /// Whether it can judge `env_id`.
    pub judges: fn(env_id: &str) -> bool,
    /// Makes it for `env_id`; `option` is the text after the colon, if any.
    pub make: MakeTeacher,
}

/// Every built-in teacher. The first entry that judges an env is its default.
pub fn entries() -> Vec<TeacherEntry> {
    vec![
        entry(
            "shortest-path",
            "shortest path through keys, doors and lava",
            grid::judges,
            grid::make,
        ),
        entry(
            "lqr",
            "LQR controller on the linearised cart-pole",
            cartpole::judges,
            cartpole::make,
        ),
        entry(
            "energy",
            "push along the velocity to gain energy",
            mountain_car::judges,
            mountain_car::make,
        ),
        entry(
            "energy",
            "pump energy into the swing",
            acrobot::judges,
            acrobot::make,
        ),
        entry(
            "energy",
            "swing up by energy, hold with PD",
            pendulum::judges,
            pendulum::make,
        ),
        entry(
            "minimax",
            "perfect play",
            games::judges_minimax,
            games::make_minimax,
        ),
        entry(
            "alpha-beta",
            "alpha-beta search, option: depth in plies (default 4)",
            games::judges_alpha_beta,
            games::make_alpha_beta,
        ),
        entry(
            "inverted",
            "the opposite of a teacher (option: which; default the env's)",
            inverted::judges,
            inverted::make,
        ),
    ]
}

fn entry(
    name: &'static str,
    about: &'static str,
    judges: fn(&str) -> bool,
    make: MakeTeacher,
) -> TeacherEntry {
    TeacherEntry {
        name,
        about,
        judges,
        make,
    }
}

/// Names of the teachers that can judge `env_id`, its default first.
pub fn names_for(env_id: &str) -> Vec<&'static str> {
    entries()
        .into_iter()
        .filter(|e| (e.judges)(env_id))
        .map(|e| e.name)
        .collect()
}

/// Makes the teacher `name` (with an optional `:option`) for `env_id`, or the env's default
/// teacher when `name` is `None`. `demo:FILE` teachers are loaded by the caller, from bytes.
pub fn make(name: Option<&str>, env_id: &str) -> Result<Box<dyn Teacher>, TeacherError> {
    if let Some(name) = name {
        if name.len() > MAX_NAME_LEN {
            return Err(TeacherError::NameTooLong { len: name.len() });
        }
        // Only `inverted` wraps another teacher (its option); the wrapped one adds a level.
        let depth = name
            .split(':')
            .take_while(|part| *part == "inverted")
            .count()
            + 1;
        if depth > MAX_NESTING {
            return Err(TeacherError::TooDeep {
                name: name.into(),
                depth,
            });
        }
    }
    let all = entries();
    let Some(name) = name else {
        return match all.iter().find(|e| (e.judges)(env_id)) {
            Some(e) => (e.make)(env_id, None),
            None => Err(TeacherError::NoTeacher {
                env_id: env_id.into(),
            }),
        };
    };
    let (base, option) = match name.split_once(':') {
        Some((b, o)) => (b, Some(o)),
        None => (name, None),
    };
    match all.iter().find(|e| e.name == base && (e.judges)(env_id)) {
        Some(e) => (e.make)(env_id, option),
        None => Err(TeacherError::Unknown {
            name: name.into(),
            env_id: env_id.into(),
            known: names_for(env_id).join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::registry;

    #[test]
    fn every_registered_env_has_a_default_teacher() {
        for id in registry::ids() {
            let names = names_for(&id);
            assert!(!names.is_empty(), "{id} has no teacher");
            assert_ne!(
                names[0], "inverted",
                "{id}: the wrong teacher is never the default"
            );
            let teacher = make(None, &id).unwrap();
            assert_eq!(teacher.name().split(':').next(), Some(names[0]));
            for name in names {
                assert!(make(Some(name), &id).is_ok(), "{name} for {id}");
            }
        }
    }

    #[test]
    fn names_list_the_default_first() {
        assert_eq!(names_for("CartPole-v1"), ["lqr", "inverted"]);
        assert_eq!(
            names_for("TicTacToe-v0"),
            ["minimax", "alpha-beta", "inverted"]
        );
        assert_eq!(names_for("ConnectFour-v0"), ["alpha-beta", "inverted"]);
        assert_eq!(names_for("Grid-DoorKey-8x8-v0")[0], "shortest-path");
        assert_eq!(names_for("Pendulum-v1"), ["energy", "inverted"]);
        assert!(names_for("Nope-v0").is_empty());
    }

    #[test]
    fn unknown_names_and_envs_are_errors_naming_what_exists() {
        let Err(err) = make(Some("oracle"), "CartPole-v1") else {
            panic!("an unknown teacher was made");
        };
        assert_eq!(
            err,
            TeacherError::Unknown {
                name: "oracle".into(),
                env_id: "CartPole-v1".into(),
                known: "lqr, inverted".into(),
            }
        );
        assert!(err.to_string().contains("lqr, inverted"));
        // A teacher that exists, but not for this env.
        assert!(matches!(
            make(Some("lqr"), "Pendulum-v1"),
            Err(TeacherError::Unknown { .. })
        ));
        assert!(matches!(
            make(None, "Nope-v0"),
            Err(TeacherError::NoTeacher { .. })
        ));
        assert!(matches!(
            make(Some("inverted:oracle"), "Acrobot-v1"),
            Err(TeacherError::Unknown { .. })
        ));
        assert!(matches!(
            make(Some("lqr:fast"), "CartPole-v1"),
            Err(TeacherError::BadOption(_))
        ));
    }

    #[test]
    fn nesting_and_name_length_are_bounded_with_a_clear_error() {
        // Eight levels, seven of them inverted, are allowed (and invert an even number of times).
        let ok = format!("{}shortest-path", "inverted:".repeat(MAX_NESTING - 1));
        let t = make(Some(&ok), "Grid-Empty-8x8-v0").unwrap();
        assert_eq!(t.name(), ok);
        let deep = format!("{}shortest-path", "inverted:".repeat(MAX_NESTING));
        let Err(err) = make(Some(&deep), "Grid-Empty-8x8-v0") else {
            panic!("nine nested teachers were made");
        };
        assert_eq!(
            err.to_string(),
            format!("teacher {deep:?} nests 9 teachers; at most 8 may wrap one another")
        );
        // Thousands of levels (once a stack overflow) are refused by their length.
        let huge = format!("{}shortest-path", "inverted:".repeat(5000));
        let Err(err) = make(Some(&huge), "Grid-Empty-8x8-v0") else {
            panic!("5001 nested teachers were made");
        };
        assert_eq!(
            err.to_string(),
            format!(
                "teacher name is {} bytes long; at most 256 are allowed",
                huge.len()
            )
        );
        // A bare chain of `inverted` with no teacher at its end is bounded too.
        let bare = "inverted:".repeat(20);
        assert!(matches!(
            make(Some(&bare), "CartPole-v1"),
            Err(TeacherError::TooDeep { depth: 21, .. })
        ));
    }

    #[test]
    fn inverted_wraps_a_named_teacher() {
        let mut env = registry::make("MountainCar-v0").unwrap();
        let mut obs = vec![0.0; 2];
        env.reset(Some(4), &mut obs);
        let mut t = make(Some("inverted:energy"), "MountainCar-v0").unwrap();
        let mut d = make(None, "MountainCar-v0").unwrap();
        let view = TeacherView {
            env: &*env,
            obs: &obs,
        };
        assert_eq!(t.value(view), -d.value(view));
    }

    /// Not an assertion on time: prints what value + policy cost per step along the teacher's
    /// own rollout (a fresh position each step), for the docs.
    #[test]
    fn per_step_cost_printout() {
        for id in registry::ids() {
            let mut env = registry::make(&id).unwrap();
            let n = env.spec().observation_space.flat_dim();
            let (discrete, a) = match &env.spec().action_space {
                crate::env::Space::Discrete { n } => (true, *n),
                crate::env::Space::Box { shape, .. } => (false, shape.iter().product()),
            };
            let mut obs = vec![0.0; n];
            let mut out = vec![0.0; a];
            env.reset(Some(0), &mut obs);
            let mut t = make(None, &id).unwrap();
            let steps = 200;
            let mut spent = std::time::Duration::ZERO;
            for _ in 0..steps {
                let start = std::time::Instant::now();
                let view = TeacherView {
                    env: &*env,
                    obs: &obs,
                };
                t.value(view);
                t.policy(view, &mut out);
                spent += start.elapsed();
                let step = if discrete {
                    let best = (0..a)
                        .max_by(|&x, &y| out[x].total_cmp(&out[y]))
                        .unwrap_or(0);
                    env.step(Action::Discrete(best), &mut obs)
                } else {
                    env.step(Action::Continuous(&out), &mut obs)
                };
                let step = step.unwrap();
                if step.terminated || step.truncated {
                    env.reset(None, &mut obs);
                }
            }
            let us = spent.as_secs_f64() * 1e6 / f64::from(steps);
            eprintln!("{id}: {} value+policy {us:.1} us per step", t.name());
        }
    }
}
