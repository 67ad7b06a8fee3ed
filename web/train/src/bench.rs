//! `bench`: ms per update of a run's own config on each backend this worker has, for the
//! page's measured `auto` (`web/backend-choice.js`). Each backend trains a fresh copy of the
//! run (same config, same seed) for one untimed update (WebGPU compiles its shaders then) and
//! a few timed ones. The time includes the rollout's env steps, since what matters is how fast
//! the run trains where it is moved, not the update alone.

use burn::tensor::Device;
use rlaif::experiment::{ExperimentConfig, Trainer};
use rlaif::feedback::config::LabelSource;

/// The config a measurement trains: the run's, with what cannot be timed in a few updates
/// replaced. A person's labels would keep it waiting: the AI labels instead. A `demo:` teacher
/// would first be learned from demonstrations: the measurement trains without feedback.
pub fn bench_config(config: &ExperimentConfig) -> ExperimentConfig {
    let mut config = config.clone();
    config.seeds = 1;
    config.feedback.preference.label_source = LabelSource::Ai;
    if config
        .feedback
        .teacher
        .as_deref()
        .is_some_and(|t| t.starts_with("demo:"))
    {
        config.feedback = Default::default();
    }
    config
}

/// Milliseconds per update of `config` on `device` over `updates` timed updates, or why it
/// could not be measured; `now` is the clock (ms).
pub async fn ms_per_update(
    config: &ExperimentConfig,
    device: &Device,
    updates: u32,
    now: impl Fn() -> f64,
) -> Result<f64, String> {
    let config = bench_config(config);
    let slice = config.batch_size() as u64;
    let mut trainer = Trainer::new(config, device).map_err(|e| e.to_string())?;
    let mut train = async |n: u64| -> Result<(), String> {
        let goal = trainer.updates() + n;
        while trainer.updates() < goal {
            let report = trainer
                .step_slice_async(slice)
                .await
                .map_err(|e| e.to_string())?;
            if report.finished {
                return Err("the run is too short to time".into());
            }
            if report.waiting_for_labels.is_some() {
                return Err("the run waits for labels".into());
            }
        }
        Ok(())
    };
    train(1).await?;
    let start = now();
    train(u64::from(updates)).await?;
    Ok((now() - start) / f64::from(updates))
}
