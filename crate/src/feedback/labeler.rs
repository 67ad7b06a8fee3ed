//! The simulated AI labeler: compares two trajectory segments by the teacher's per-step
//! scores, with B-Pref's noise knobs (Lee et al. 2021) so that imperfect AI feedback can be
//! dialled in and watched.
//!
//! Order of the decision, as in B-Pref: skip, equal, rational choice (argmax or
//! Bradley-Terry sampling with `beta`), then a mistake flips the choice. Unlike B-Pref, every
//! threshold reads the myopic return, so `gamma` affects them too (with `gamma = 1` the two
//! agree).

use super::config::LabelerConfig;
use crate::agent::AgentRng;

/// The labeler's answer to "which segment is better?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    First,
    Second,
    /// Both equally good (their returns differ by less than the `equal` threshold).
    Equal,
    /// Not answered: neither segment's return reached the `skip` threshold.
    Skip,
}

impl Label {
    /// The Bradley-Terry target `P(first > second)`: 1, 0 or 0.5; a skipped query has none.
    pub fn target(self) -> Option<f32> {
        match self {
            Label::First => Some(1.0),
            Label::Second => Some(0.0),
            Label::Equal => Some(0.5),
            Label::Skip => None,
        }
    }

    /// The other segment preferred; `Equal` and `Skip` stay.
    pub fn flipped(self) -> Self {
        match self {
            Label::First => Label::Second,
            Label::Second => Label::First,
            other => other,
        }
    }
}

/// A noisy labeler with its own random stream (so a seed fixes every label, and the stream's
/// state can be checkpointed).
#[derive(Clone, Debug)]
pub struct Labeler {
    config: LabelerConfig,
    rng: AgentRng,
}

impl Labeler {
    pub fn new(config: LabelerConfig, seed: u64) -> Self {
        Self {
            config,
            rng: AgentRng::new(seed),
        }
    }

    pub fn config(&self) -> &LabelerConfig {
        &self.config
    }

    /// The random stream's state, for checkpoints.
    pub fn rng_state(&self) -> [u64; 4] {
        self.rng.state()
    }

    /// Restores a state written by [`Labeler::rng_state`]; the all-zero state is refused.
    pub fn set_rng_state(&mut self, state: [u64; 4]) -> Result<(), String> {
        self.rng = AgentRng::from_state(state)
            .ok_or_else(|| "labeler random state is all zeros".to_string())?;
        Ok(())
    }

    /// The myopic return `sum_t gamma^(H-1-t) * score_t` of a segment of `H` steps: the
    /// last step counts fully, earlier ones fade.
    pub fn myopic_return(&self, scores: &[f64]) -> f64 {
        let gamma = self.config.gamma;
        // Horner's scheme from the first step: ((s0 * g + s1) * g + s2) ...
        scores.iter().fold(0.0, |acc, &s| acc * gamma + s)
    }

    /// Labels a pair of segments from their per-step teacher scores. Segments are expected
    /// to have equal lengths; each return is taken over its own length regardless.
    pub fn label(&mut self, a: &[f64], b: &[f64]) -> Label {
        let ra = self.myopic_return(a);
        let rb = self.myopic_return(b);
        if let Some(skip) = self.config.skip
            && ra < skip
            && rb < skip
        {
            return Label::Skip;
        }
        let diff = ra - rb;
        if diff.abs() < self.config.equal {
            return Label::Equal;
        }
        let choice = match self.config.beta {
            Some(beta) => {
                if self.rng.uniform() < sigmoid(beta * diff) {
                    Label::First
                } else {
                    Label::Second
                }
            }
            None if diff > 0.0 => Label::First,
            None if diff < 0.0 => Label::Second,
            // A tie (or a NaN score) has no better segment.
            None => return Label::Equal,
        };
        // Only draw when mistakes are possible, so a perfect labeler uses no randomness.
        if self.config.mistake > 0.0 && self.rng.uniform() < self.config.mistake {
            choice.flipped()
        } else {
            choice
        }
    }
}

/// `1 / (1 + e^-x)` without overflow for large `|x|`.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labeler(config: LabelerConfig) -> Labeler {
        Labeler::new(config, 42)
    }

    /// Fraction of `n` labels of `(a, b)` that are `First`.
    fn first_rate(l: &mut Labeler, a: &[f64], b: &[f64], n: usize) -> f64 {
        (0..n).filter(|_| l.label(a, b) == Label::First).count() as f64 / n as f64
    }

    /// Five binomial standard deviations of a rate `p` over `n` draws.
    fn tolerance(p: f64, n: usize) -> f64 {
        5.0 * (p * (1.0 - p) / n as f64).sqrt()
    }

    #[test]
    fn a_perfect_labeler_picks_the_higher_return_and_ties_are_equal() {
        let mut l = labeler(LabelerConfig::default());
        assert_eq!(l.label(&[1.0, 2.0], &[1.0, 1.5]), Label::First);
        assert_eq!(l.label(&[0.0, 0.0], &[0.0, 0.1]), Label::Second);
        assert_eq!(l.label(&[1.0, 1.0], &[2.0, 0.0]), Label::Equal);
        assert_eq!(l.label(&[f64::NAN], &[1.0]), Label::Equal);
        assert_eq!(Label::First.target(), Some(1.0));
        assert_eq!(Label::Second.target(), Some(0.0));
        assert_eq!(Label::Equal.target(), Some(0.5));
        assert_eq!(Label::Skip.target(), None);
    }

    #[test]
    fn mistake_rate_flips_that_share_of_labels() {
        let n = 20_000;
        for mistake in [0.0, 0.1, 0.3, 0.5, 1.0] {
            let mut l = labeler(LabelerConfig {
                mistake,
                ..LabelerConfig::default()
            });
            let flipped = 1.0 - first_rate(&mut l, &[1.0], &[0.0], n);
            let tol = tolerance(mistake, n).max(1e-12);
            assert!(
                (flipped - mistake).abs() <= tol,
                "mistake {mistake}: flipped {flipped}"
            );
        }
    }

    #[test]
    fn beta_samples_preferences_from_the_bradley_terry_sigmoid() {
        let n = 20_000;
        for (beta, diff) in [(1.0, 1.0), (0.5, -2.0), (2.0, 0.25), (10.0, 1.0)] {
            let mut l = labeler(LabelerConfig {
                beta: Some(beta),
                ..LabelerConfig::default()
            });
            let p = 1.0 / (1.0 + (-beta * diff).exp());
            let rate = first_rate(&mut l, &[diff], &[0.0], n);
            assert!(
                (rate - p).abs() <= tolerance(p, n),
                "beta {beta}, diff {diff}: {rate} vs {p}"
            );
        }
    }

    #[test]
    fn mistakes_apply_on_top_of_beta_sampling() {
        let n = 20_000;
        let mut l = labeler(LabelerConfig {
            beta: Some(1.0),
            mistake: 0.2,
            ..LabelerConfig::default()
        });
        let p = 1.0 / (1.0 + (-1.0f64).exp());
        let expected = p * 0.8 + (1.0 - p) * 0.2;
        let rate = first_rate(&mut l, &[1.0], &[0.0], n);
        assert!((rate - expected).abs() <= tolerance(expected, n), "{rate}");
    }

    #[test]
    fn gamma_weights_recent_steps_more() {
        let early = [1.0, 0.0, 0.0, 0.0];
        let late = [0.0, 0.0, 0.0, 0.5];
        let mut myopic = labeler(LabelerConfig {
            gamma: 0.5,
            ..LabelerConfig::default()
        });
        assert!((myopic.myopic_return(&early) - 0.125).abs() < 1e-12);
        assert!((myopic.myopic_return(&late) - 0.5).abs() < 1e-12);
        assert_eq!(myopic.label(&early, &late), Label::Second);
        let mut far_sighted = labeler(LabelerConfig::default());
        assert_eq!(far_sighted.label(&early, &late), Label::First);
    }

    #[test]
    fn skip_and_equal_thresholds() {
        let mut l = labeler(LabelerConfig {
            skip: Some(1.0),
            equal: 0.3,
            mistake: 1.0,
            ..LabelerConfig::default()
        });
        // Neither reaches the skip threshold.
        assert_eq!(l.label(&[0.5, 0.4], &[0.2, 0.0]), Label::Skip);
        // One reaches it: answered (and, with mistake 1, always flipped).
        assert_eq!(l.label(&[0.5, 0.6], &[0.2, 0.0]), Label::Second);
        // Close returns are equal, and a mistake cannot flip "equal".
        assert_eq!(l.label(&[1.0, 0.5], &[1.0, 0.3]), Label::Equal);
        assert_eq!(l.label(&[1.0, 0.5], &[1.0, 0.19]), Label::Second);
    }

    #[test]
    fn same_seed_same_labels_and_the_state_round_trips() {
        let config = LabelerConfig {
            beta: Some(1.0),
            mistake: 0.3,
            ..LabelerConfig::default()
        };
        let mut a = Labeler::new(config, 9);
        let mut b = Labeler::new(config, 9);
        let xs: Vec<Label> = (0..200).map(|_| a.label(&[0.3], &[0.0])).collect();
        let ys: Vec<Label> = (0..200).map(|_| b.label(&[0.3], &[0.0])).collect();
        assert_eq!(xs, ys);
        let mut c = Labeler::new(config, 1);
        c.set_rng_state(a.rng_state()).unwrap();
        let xs: Vec<Label> = (0..50).map(|_| a.label(&[0.3], &[0.0])).collect();
        let zs: Vec<Label> = (0..50).map(|_| c.label(&[0.3], &[0.0])).collect();
        assert_eq!(xs, zs);
        assert!(c.set_rng_state([0; 4]).is_err());
    }
}
