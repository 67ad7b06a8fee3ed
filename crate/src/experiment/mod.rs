//! Experiments: a config (env + PPO hyperparameters, with presets per env), the trainer the
//! CLI and the page share, its metrics stream and checkpoints.

pub mod checkpoint;
pub mod config;
mod feedback_run;
pub mod metrics;
pub mod recording;
mod rollout_episodes;
mod run_state;
pub mod settings;
pub mod trainer;

pub use checkpoint::CheckpointError;
pub use config::{ConfigError, ExperimentConfig};
pub use metrics::{CsvWriter, EpisodeMetrics, FeedbackStats, Metric, Spread, UpdateMetrics};
pub use recording::EpisodeRecording;
pub use settings::Settings;
pub use trainer::{SliceReport, TrainError, Trainer};
