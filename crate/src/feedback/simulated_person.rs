//! A simulated person, for measuring RLHF beside RLAIF without one: it answers a run's
//! queued queries the way a person judging the task would, by the task's own measure of
//! progress (the env's reference teacher, whichever teacher the run's AI labeler uses), with
//! B-Pref's noise knobs for a person's mistakes, indifference and myopia (Lee et al. 2021).
//!
//! It sees what the page shows a person: each segment replayed from its seed and actions in a
//! fresh env ([`SegmentRef`]), never the run's reward model or the AI labeler's verdict.

use super::config::LabelerConfig;
use super::labeler::Labeler;
use super::preference::{Answer, SegmentRef};
use super::teacher::{self, Teacher};
use crate::env::{self, Env};
use crate::experiment::EpisodeRecording;

/// The knobs of a person who labels with care: one label in ten flipped (B-Pref's "mistake"
/// teacher), otherwise the segment that made more progress.
pub fn careful_person() -> LabelerConfig {
    LabelerConfig {
        mistake: 0.1,
        ..LabelerConfig::default()
    }
}

/// Parses `key=value` pairs separated by commas (`mistake`, `beta`, `gamma`, `skip`,
/// `equal`) on top of [`careful_person`]; `""` or `default` is the careful person.
pub fn parse_person(spec: &str) -> Result<LabelerConfig, String> {
    let mut config = careful_person();
    let spec = spec.trim();
    if spec.is_empty() || spec == "default" {
        return Ok(config);
    }
    for part in spec.split(',') {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("person setting {part:?} is not key=value"))?;
        let x: f64 = value
            .trim()
            .parse()
            .map_err(|_| format!("person setting {key}: {value:?} is not a number"))?;
        match key.trim() {
            "mistake" => config.mistake = x,
            "beta" => config.beta = Some(x),
            "gamma" => config.gamma = x,
            "skip" => config.skip = Some(x),
            "equal" => config.equal = x,
            other => {
                return Err(format!(
                    "unknown person setting {other:?}: expected mistake, beta, gamma, skip or equal"
                ));
            }
        }
    }
    config.validate()?;
    Ok(config)
}

pub struct SimulatedPerson {
    env: Box<dyn Env>,
    teacher: Box<dyn Teacher>,
    labeler: Labeler,
    /// Floats each action takes in a segment (1 for a discrete action).
    width: usize,
}

impl SimulatedPerson {
    /// A person judging `env_id` by its reference teacher, with `config`'s noise; `seed`
    /// fixes every answer.
    pub fn new(env_id: &str, config: LabelerConfig, seed: u64) -> Result<Self, String> {
        config.validate()?;
        let env = env::make(env_id).map_err(|e| e.to_string())?;
        let teacher = teacher::make(None, env_id).map_err(|e| e.to_string())?;
        let space = &env.spec().action_space;
        let width = space.n().map_or(space.flat_dim().max(1), |_| 1);
        Ok(Self {
            env,
            teacher,
            labeler: Labeler::new(config, seed),
            width,
        })
    }

    /// Which of two segments is better, as this person sees them.
    pub fn judge(&mut self, left: &SegmentRef, right: &SegmentRef) -> Result<Answer, String> {
        let a = self.scores(left)?;
        let b = self.scores(right)?;
        Ok(Answer::from_label(self.labeler.label(&a, &b)))
    }

    /// The reference teacher's score of each step of `segment`, replayed from its seed.
    fn scores(&mut self, segment: &SegmentRef) -> Result<Vec<f64>, String> {
        let steps = segment.start + segment.len;
        if Some(segment.actions.len()) != steps.checked_mul(self.width) {
            return Err(format!(
                "the segment has {} action values for {steps} steps",
                segment.actions.len()
            ));
        }
        let episode = EpisodeRecording {
            number: 0,
            seed: segment.seed,
            actions: segment.actions.clone(),
            episode_return: 0.0,
        };
        let mut scores = episode.teacher_scores(&mut *self.env, &mut *self.teacher, false)?;
        Ok(scores.split_off(segment.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment of Grid-Empty-8x8 from seed 1: `actions` from the episode's start.
    fn segment(start: usize, actions: &[f32]) -> SegmentRef {
        SegmentRef {
            seed: 1,
            start,
            len: actions.len() - start,
            actions: actions.to_vec(),
        }
    }

    #[test]
    fn a_noiseless_person_prefers_progress_and_a_careless_one_flips_some() {
        // MiniGrid actions: 0 left, 1 right, 2 forward. The agent starts facing right at the
        // top left; forward moves toward the goal, turning in place does not.
        let toward = segment(0, &[2.0, 2.0, 2.0]);
        let idle = segment(0, &[0.0, 1.0, 0.0]);
        let exact = LabelerConfig::default();
        let mut p = SimulatedPerson::new("Grid-Empty-8x8-v0", exact, 1).unwrap();
        assert_eq!(p.judge(&toward, &idle).unwrap(), Answer::Left);
        assert_eq!(p.judge(&idle, &toward).unwrap(), Answer::Right);

        let careless = parse_person("mistake=0.5").unwrap();
        let mut p = SimulatedPerson::new("Grid-Empty-8x8-v0", careless, 7).unwrap();
        let lefts = (0..400)
            .filter(|_| p.judge(&toward, &idle).unwrap() == Answer::Left)
            .count();
        assert!(
            (140..260).contains(&lefts),
            "{lefts} of 400 right with half flipped"
        );
    }

    #[test]
    fn bad_segments_and_settings_are_errors() {
        let mut p = SimulatedPerson::new("Grid-Empty-8x8-v0", careful_person(), 1).unwrap();
        let mut short = segment(0, &[2.0, 2.0]);
        short.len = 5;
        assert!(p.judge(&short, &segment(0, &[2.0])).is_err());
        assert!(parse_person("mistake=2").is_err());
        assert!(parse_person("wisdom=1").is_err());
        assert!(parse_person("mistake").is_err());
        assert_eq!(parse_person("").unwrap(), careful_person());
        assert_eq!(parse_person("equal=0.5").unwrap().equal, 0.5);
        assert!(SimulatedPerson::new("NoSuch-v0", careful_person(), 1).is_err());
    }
}
