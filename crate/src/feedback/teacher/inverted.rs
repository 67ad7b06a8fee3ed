//! `inverted[:TEACHER]`: a deliberately wrong teacher, for the lesson that bad AI feedback
//! hurts (direct) or cannot change the optimum (shaping). It wraps another teacher (the env's
//! default when no name follows) and says the opposite: values and scores negated, and advice
//! spread over the legal actions the wrapped teacher likes least (for a continuous action,
//! its negation).

use super::{Teacher, TeacherError, TeacherView};
use crate::env::{Action, Space, Step};

/// Largest discrete action space the advice handles without allocating.
const MAX_ACTIONS: usize = 64;

/// Judges every env that some other teacher judges.
pub fn judges(env_id: &str) -> bool {
    super::entries()
        .iter()
        .filter(|e| e.name != "inverted")
        .any(|e| (e.judges)(env_id))
}

pub fn make(env_id: &str, option: Option<&str>) -> Result<Box<dyn Teacher>, TeacherError> {
    let inner = super::make(option, env_id)?;
    Ok(Box::new(Inverted {
        inner,
        scratch: Vec::new(),
    }))
}

pub struct Inverted {
    inner: Box<dyn Teacher>,
    scratch: Vec<f32>,
}

impl Teacher for Inverted {
    fn name(&self) -> String {
        format!("inverted:{}", self.inner.name())
    }

    fn value(&mut self, state: TeacherView<'_>) -> f64 {
        -self.inner.value(state)
    }

    fn score(
        &mut self,
        value_before: f64,
        action: Action<'_>,
        after: TeacherView<'_>,
        step: &Step,
    ) -> f64 {
        -self.inner.score(-value_before, action, after, step)
    }

    fn cell_values(&mut self, state: TeacherView<'_>) -> Option<Vec<Option<f64>>> {
        let mut values = self.inner.cell_values(state)?;
        for v in values.iter_mut().flatten() {
            *v = -*v;
        }
        Some(values)
    }

    fn policy(&mut self, state: TeacherView<'_>, out: &mut [f32]) {
        self.scratch.clear();
        self.scratch.resize(out.len(), 0.0);
        self.inner.policy(state, &mut self.scratch);
        if !matches!(state.env.spec().action_space, Space::Discrete { .. }) {
            for (o, s) in out.iter_mut().zip(&self.scratch) {
                *o = -s;
            }
            return;
        }
        let n = out.len().min(MAX_ACTIONS);
        let mut legal = [true; MAX_ACTIONS];
        state.env.action_mask(&mut legal[..n]);
        let least = (0..n)
            .filter(|&a| legal[a])
            .map(|a| self.scratch[a])
            .fold(f32::INFINITY, f32::min);
        let worst = |a: usize| a < n && legal[a] && self.scratch[a] <= least;
        let count = (0..n).filter(|&a| worst(a)).count().max(1) as f32;
        for (a, o) in out.iter_mut().enumerate() {
            *o = if worst(a) { 1.0 / count } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::make as make_teacher;
    use super::*;
    use crate::env::registry;

    #[test]
    fn values_are_negated_and_advice_points_the_wrong_way() {
        let mut env = registry::make("MountainCar-v0").unwrap();
        let mut obs = vec![0.0; 2];
        env.reset(Some(0), &mut obs);
        let mut right = make_teacher(Some("energy"), "MountainCar-v0").unwrap();
        let mut wrong = make_teacher(Some("inverted:energy"), "MountainCar-v0").unwrap();
        assert_eq!(wrong.name(), "inverted:energy");
        let moving = [-0.5f32, 0.01];
        let view = TeacherView {
            env: &*env,
            obs: &moving,
        };
        assert_eq!(wrong.value(view), -right.value(view));
        let (mut p, mut q) = ([0.0; 3], [0.0; 3]);
        right.policy(view, &mut p);
        wrong.policy(view, &mut q);
        assert_eq!(p, [0.0, 0.0, 1.0]);
        assert_eq!(q, [0.5, 0.5, 0.0]);
        let step = Step {
            reward: -1.0,
            terminated: false,
            truncated: false,
        };
        let after = TeacherView {
            env: &*env,
            obs: &[-0.49, 0.012],
        };
        let before = right.value(view);
        let s = right.score(before, Action::Discrete(2), after, &step);
        let t = wrong.score(-before, Action::Discrete(2), after, &step);
        assert_eq!(t, -s);
    }

    #[test]
    fn continuous_advice_is_negated_and_plain_inverted_wraps_the_default() {
        let mut env = registry::make("Pendulum-v1").unwrap();
        let mut obs = vec![0.0; 3];
        env.reset(Some(2), &mut obs);
        let mut right = make_teacher(None, "Pendulum-v1").unwrap();
        let mut wrong = make_teacher(Some("inverted"), "Pendulum-v1").unwrap();
        assert_eq!(wrong.name(), format!("inverted:{}", right.name()));
        let view = TeacherView {
            env: &*env,
            obs: &obs,
        };
        let (mut a, mut b) = ([0.0f32], [0.0f32]);
        right.policy(view, &mut a);
        wrong.policy(view, &mut b);
        assert_eq!(b[0], -a[0]);
        assert_eq!(wrong.value(view), -right.value(view));
    }

    #[test]
    fn inverted_game_advice_stays_on_legal_moves() {
        let mut env = registry::make("ConnectFour-v0").unwrap();
        let mut obs = vec![0.0; 42];
        env.reset(Some(0), &mut obs);
        env.step(Action::Discrete(3), &mut obs).unwrap();
        let mut mask = [false; 7];
        env.action_mask(&mut mask);
        let mut wrong = make_teacher(Some("inverted:alpha-beta:2"), "ConnectFour-v0").unwrap();
        let mut p = [0.0; 7];
        wrong.policy(
            TeacherView {
                env: &*env,
                obs: &obs,
            },
            &mut p,
        );
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        for (prob, legal) in p.iter().zip(mask) {
            assert!(legal || *prob == 0.0);
        }
    }
}
