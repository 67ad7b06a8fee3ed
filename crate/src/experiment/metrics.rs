//! The metrics stream: one record per finished episode and one per PPO update, and a CSV
//! writer for them. Wall-clock figures come from the caller's clock and are absent without
//! one, so a run without a clock writes a byte-for-byte reproducible CSV.

use crate::agent::UpdateStats;
use crate::feedback::preference::PreferenceStats;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EpisodeMetrics {
    /// Environment steps (all envs) when the episode ended.
    pub env_steps: u64,
    /// 1-based count of finished episodes.
    pub episode: u64,
    pub env_index: usize,
    /// The environment's own return.
    pub episode_return: f64,
    pub length: u32,
    /// The feedback's return over the episode (teacher scores, shaping terms or reward-model
    /// rewards, before lambda); `None` without feedback or in advice mode.
    pub ai_return: Option<f64>,
}

/// What the feedback did during one rollout and update.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeedbackStats {
    /// Lambda used for this rollout.
    pub lambda: f64,
    /// Share of this rollout's steps where the agent took the teacher's preferred action.
    pub teacher_agreement: Option<f64>,
    /// The preference round's labels, accuracies, queue and agreement (all zero or `None`
    /// outside preference mode).
    pub preference: PreferenceStats,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpdateMetrics {
    /// 1-based update count.
    pub update: u64,
    pub env_steps: u64,
    pub learning_rate: f64,
    pub stats: UpdateStats,
    /// Mean return of the last 20 episodes (NaN before the first).
    pub mean_return: f64,
    /// Environment steps per second since the previous update, by the caller's clock.
    pub steps_per_second: Option<f64>,
    /// Seconds since training started, by the caller's clock.
    pub wall_seconds: Option<f64>,
    /// `None` without feedback.
    pub feedback: Option<FeedbackStats>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    Episode(EpisodeMetrics),
    Update(UpdateMetrics),
}

/// Formats metrics as CSV rows with one shared header; the `kind` column says which.
#[derive(Default)]
pub struct CsvWriter {
    header_written: bool,
}

pub const CSV_HEADER: &str = "kind,env_steps,episode,env_index,return,length,update,learning_rate,\
policy_loss,value_loss,entropy,approx_kl,clip_fraction,explained_variance,mean_return,\
ai_return,advice_loss,lambda,labels_used,labeler_accuracy,reward_model_accuracy,\
teacher_agreement,labels_you,queue,you_vs_ai,you_vs_model,ai_vs_model,reward_model_frozen,\
steps_per_second,wall_seconds";

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.3}")).unwrap_or_default()
}

/// Full precision, empty when absent.
fn opt_full(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

impl CsvWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the rows for `metrics` (and the header before the first) to `out`.
    pub fn write(&mut self, metrics: &[Metric], out: &mut String) {
        if !self.header_written {
            out.push_str(CSV_HEADER);
            out.push('\n');
            self.header_written = true;
        }
        for m in metrics {
            let _ = match m {
                Metric::Episode(e) => writeln!(
                    out,
                    "episode,{},{},{},{},{},,,,,,,,,,{},,,,,,,,,,,,,,",
                    e.env_steps,
                    e.episode,
                    e.env_index,
                    e.episode_return,
                    e.length,
                    opt_full(e.ai_return)
                ),
                Metric::Update(u) => {
                    let f = u.feedback;
                    let p = f.map(|f| f.preference);
                    writeln!(
                        out,
                        "update,{},,,,,{},{},{},{},{},{},{},{},{},,{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                        u.env_steps,
                        u.update,
                        u.learning_rate,
                        u.stats.policy_loss,
                        u.stats.value_loss,
                        u.stats.entropy,
                        u.stats.approx_kl,
                        u.stats.clip_fraction,
                        u.stats.explained_variance,
                        u.mean_return,
                        u.stats.advice_loss,
                        opt_full(f.map(|f| f.lambda)),
                        p.map(|p| p.labels_used.to_string()).unwrap_or_default(),
                        opt_full(p.and_then(|p| p.labeler_accuracy)),
                        opt_full(p.and_then(|p| p.reward_model_accuracy)),
                        opt_full(f.and_then(|f| f.teacher_agreement)),
                        p.map(|p| p.labels_you.to_string()).unwrap_or_default(),
                        p.map(|p| p.queue.to_string()).unwrap_or_default(),
                        opt_full(p.and_then(|p| p.you_vs_ai)),
                        opt_full(p.and_then(|p| p.you_vs_model)),
                        opt_full(p.and_then(|p| p.ai_vs_model)),
                        p.map(|p| u8::from(p.frozen).to_string())
                            .unwrap_or_default(),
                        opt(u.steps_per_second),
                        opt(u.wall_seconds)
                    )
                }
            };
        }
    }
}

/// Several seeds' values at one point of a curve: their mean and their range (the band the
/// page draws around a multi-seed run's mean).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// The spread of `values`, or `None` when there are none or any is not finite (a seed
    /// without a finished episode yet has no mean return: a band without it would lie).
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let (min, max) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        Some(Spread { mean, min, max })
    }
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn a_spread_is_the_mean_and_range_of_finite_values_only() {
        assert_eq!(
            Spread::of(&[-200.0, -150.0, -100.0]),
            Some(Spread {
                mean: -150.0,
                min: -200.0,
                max: -100.0
            })
        );
        assert_eq!(
            Spread::of(&[3.0]),
            Some(Spread {
                mean: 3.0,
                min: 3.0,
                max: 3.0
            })
        );
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[1.0, f64::NAN]), None);
        assert_eq!(Spread::of(&[f64::INFINITY, 1.0]), None);
    }
}
