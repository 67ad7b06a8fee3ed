//! `rlaif train`: trains PPO on one env, with a progress bar, a metrics CSV, checkpoints and
//! a JSON summary.

use crate::feedback_args::{FeedbackArgs, answer_queue};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rlaif::backend::{self, BackendChoice};
use rlaif::experiment::config::MAX_TOTAL_STEPS;
use rlaif::experiment::{CsvWriter, ExperimentConfig, Metric, Settings, Trainer};
use rlaif::feedback::demos::YOUR_DEMONSTRATIONS;
use rlaif::feedback::labels_file::LabelsFile;
use std::io::{IsTerminal, Write};
use std::time::Instant;

#[derive(Args)]
pub struct TrainArgs {
    /// Environment id (see `rlaif envs`).
    #[arg(long)]
    env: String,
    /// Experiment config JSON (default: the env's built-in preset).
    #[arg(long, conflicts_with = "lesson")]
    preset: Option<String>,
    /// A lesson's config instead (`static/presets/lessons/ID.json`, built in; it must be a
    /// lesson of --env).
    #[arg(long)]
    lesson: Option<String>,
    /// Total environment steps, 1 to 10^12 (overrides the preset; with --resume, the resumed
    /// run's new total).
    #[arg(long)]
    steps: Option<u64>,
    /// Seed (overrides the preset).
    #[arg(long)]
    seed: Option<u64>,
    /// Number of envs stepped together (overrides the preset).
    #[arg(long)]
    n_envs: Option<usize>,
    /// cpu, gpu or auto (times both on the actual model and keeps the faster).
    #[arg(long, default_value = "cpu")]
    backend: BackendChoice,
    /// Write per-episode and per-update metrics to this CSV file.
    #[arg(long)]
    csv: Option<String>,
    /// Write a checkpoint of the run to this file at the end.
    #[arg(long)]
    checkpoint: Option<String>,
    /// Resume the run saved in this checkpoint file (its config wins over the flags, except
    /// --steps, which extends the run).
    #[arg(long)]
    resume: Option<String>,
    /// Preference mode: add the labels of this labels file (exported by the page or by
    /// --labels-out) before training; the reward model learns from them first.
    #[arg(long)]
    labels: Option<String>,
    /// Preference mode: write every label of the run, with its segments, to this labels file
    /// at the end.
    #[arg(long)]
    labels_out: Option<String>,
    /// Print a JSON summary on stdout and no progress bar.
    #[arg(long)]
    json: bool,
    /// Feedback weight in [0, 1] (with --feedback).
    #[arg(long)]
    lambda: Option<f64>,
    #[command(flatten)]
    feedback: FeedbackArgs,
}

/// Where a run's config starts: the env's preset, a config file, or a built-in lesson.
#[derive(Clone, Copy)]
pub enum ConfigSource<'a> {
    Preset,
    File(&'a str),
    Lesson(&'a str),
}

impl<'a> ConfigSource<'a> {
    /// From the `--preset FILE` and `--lesson ID` flags (clap lets at most one through).
    pub fn from_flags(preset: Option<&'a str>, lesson: Option<&'a str>) -> Self {
        match (preset, lesson) {
            (Some(path), _) => Self::File(path),
            (None, Some(id)) => Self::Lesson(id),
            (None, None) => Self::Preset,
        }
    }
}

/// The run's config: the preset (or `--preset FILE`, or `--lesson ID`), then the flags'
/// settings, validated.
pub fn config_from_flags(
    env: &str,
    source: ConfigSource,
    settings: &Settings,
) -> Result<ExperimentConfig, String> {
    let mut config = match source {
        ConfigSource::File(path) => {
            let text = rlaif::input::read_text_file(path, rlaif::input::MAX_CONFIG_BYTES)
                .map_err(|e| e.to_string())?;
            ExperimentConfig::from_json(&text).map_err(|e| format!("{path}: {e}"))?
        }
        ConfigSource::Lesson(id) => {
            let lesson = ExperimentConfig::lesson(id).map_err(|e| e.to_string())?;
            if lesson.env_id != env {
                return Err(format!(
                    "lesson {id:?} is a lesson of {}, not of {env}",
                    lesson.env_id
                ));
            }
            lesson
        }
        ConfigSource::Preset => ExperimentConfig::preset(env).map_err(|e| e.to_string())?,
    };
    let settings = Settings {
        env_id: Some(env.to_string()),
        ..settings.clone()
    };
    settings.apply(&mut config).map_err(|e| e.to_string())?;
    Ok(config)
}

pub fn run(args: &TrainArgs) -> Result<(), String> {
    if let Some(s) = args.steps
        && ExperimentConfig::check_total_steps(s).is_err()
    {
        return Err(format!(
            "--steps must be 1 to {MAX_TOTAL_STEPS} (the run's total env steps, also with \
             --resume), got {s}"
        ));
    }
    let source = ConfigSource::from_flags(args.preset.as_deref(), args.lesson.as_deref());
    let settings = Settings {
        lambda: args.lambda,
        total_steps: args.steps,
        seed: args.seed,
        n_envs: args.n_envs,
        ..args.feedback.settings()?
    };
    let config = config_from_flags(&args.env, source, &settings)?;
    rlaif::env::make(&config.env_id).map_err(|e| e.to_string())?;

    let start = Instant::now();
    let clock = move || start.elapsed().as_secs_f64();
    let selected = backend::select(args.backend, |device| {
        time_actual_model(&config, device, &mut { clock })
    });
    for note in &selected.notes {
        eprintln!("rlaif: {note}");
    }
    let mut trainer = match &args.resume {
        Some(path) => {
            let bytes = rlaif::input::read_file(path, rlaif::input::MAX_CHECKPOINT_BYTES)
                .map_err(|e| e.to_string())?;
            // A `demo:FILE` teacher is not in the checkpoint: it is learned from FILE again.
            let saved = Trainer::checkpoint_config(&bytes).map_err(|e| format!("{path}: {e}"))?;
            let demos = demos_of(&saved)?;
            let mut t = Trainer::resume_with_demonstrations(
                &bytes,
                &selected.device,
                Some(&args.env),
                demos.as_deref(),
            )
            .map_err(|e| format!("{path}: {e}"))?;
            if let Some(s) = args.steps {
                t.set_total_steps(s).map_err(|e| format!("--steps: {e}"))?;
            }
            t
        }
        None => make_trainer(config, &selected.device)?,
    };
    if let Some(path) = &args.labels {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let labels = LabelsFile::read(file).map_err(|e| format!("{path}: {e}"))?;
        trainer
            .import_labels(&labels)
            .map_err(|e| format!("{path}: {e}"))?;
    }
    // A resumed run's person follows the run's config as saved.
    let mut person = args.feedback.simulated_person(trainer.config())?;
    let train_start = Instant::now();
    trainer.set_clock(move || train_start.elapsed().as_secs_f64());

    let total = trainer.config().total_steps;
    let bar = if args.json || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}  {per_sec}  ETA {eta}")
                .map_err(|e| e.to_string())?,
        );
        bar
    };
    bar.set_position(trainer.env_steps());
    let mut csv_file = match &args.csv {
        Some(path) => {
            Some(std::fs::File::create(path).map_err(|e| format!("cannot create {path}: {e}"))?)
        }
        None => None,
    };
    let mut csv = CsvWriter::new();
    let mut text = String::new();
    // Slices of about a second of work keep the bar and the CSV flowing.
    let slice = (trainer.config().batch_size() as u64).max(1);
    while !trainer.is_finished() {
        let result = trainer.step_slice(slice);
        let metrics = trainer.drain_metrics();
        if let Some(file) = &mut csv_file {
            text.clear();
            csv.write(&metrics, &mut text);
            file.write_all(text.as_bytes())
                .map_err(|e| format!("writing the CSV: {e}"))?;
        }
        if metrics.iter().any(|m| matches!(m, Metric::Update(_))) {
            let mean = trainer
                .mean_return()
                .map_or("-".to_string(), |m| format!("{m:.1}"));
            bar.set_message(format!(
                "{} episodes, mean return {mean}",
                trainer.episodes()
            ));
        }
        bar.set_position(trainer.env_steps());
        let report = result.map_err(|e| e.to_string())?;
        if let Some(person) = &mut person {
            answer_queue(&mut trainer, person)?;
            continue;
        }
        if let Some((answered, needed)) = report.waiting_for_labels {
            return Err(format!(
                "the run waits for your first labels ({answered} of {needed}): give them with \
                 --labels FILE (a labels file exported by the page), or use --labels-from ai"
            ));
        }
    }
    bar.finish_and_clear();
    let wall = train_start.elapsed().as_secs_f64();
    if let Some(path) = &args.checkpoint {
        let bytes = trainer.checkpoint().map_err(|e| e.to_string())?;
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    if let Some(path) = &args.labels_out {
        std::fs::write(path, trainer.labels_file().to_json())
            .map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    let final_mean = trainer.mean_return();
    let solved = match (trainer.reward_threshold(), final_mean) {
        (Some(t), Some(m)) => m >= t,
        _ => false,
    };
    if args.json {
        // Without feedback there is no weight or schedule to report.
        let feedback = &trainer.config().feedback;
        let with_feedback = feedback.mode != rlaif::feedback::FeedbackMode::None;
        let summary = serde_json::json!({
            "env_id": trainer.config().env_id,
            "seed": trainer.config().seed,
            "backend": selected.name,
            "env_steps": trainer.env_steps(),
            "episodes": trainer.episodes(),
            "wall_seconds": wall,
            "final_mean_return": final_mean,
            "solved": solved,
            "solved_at_step": trainer.solved_at(),
            "solved_at_seconds": trainer.solved_seconds(),
            "feedback": trainer.config().feedback.mode.name(),
            "teacher": trainer.teacher_name(),
            "lambda": with_feedback.then_some(feedback.lambda),
            "lambda_schedule": with_feedback.then(|| feedback.schedule.to_text()),
            "labels_used": trainer.labels_used(),
            "labels_you": trainer.labels_you(),
            "reward_model": (feedback.mode == rlaif::feedback::FeedbackMode::Preference)
                .then(|| feedback.preference.reward_model.name()),
            "reward_model_frozen": trainer.reward_model_frozen(),
            "final_mean_ai_return": trainer.mean_ai_return(),
        });
        println!("{summary}");
    } else {
        eprintln!(
            "{}: {} steps, {} episodes in {wall:.2} s on {}; mean return of the last 20 episodes {}{}",
            trainer.config().env_id,
            trainer.env_steps(),
            trainer.episodes(),
            selected.name,
            final_mean.map_or("-".into(), |m| format!("{m:.2}")),
            match trainer.solved_at() {
                Some(s) => format!("; solved at step {s}"),
                None => String::new(),
            }
        );
    }
    Ok(())
}

/// A fresh trainer; a `demo:FILE` teacher is learned from that demonstrations file first.
pub fn make_trainer(
    config: ExperimentConfig,
    device: &burn::tensor::Device,
) -> Result<Trainer, String> {
    let demos = demos_of(&config)?;
    Trainer::with_demonstrations(config, device, demos.as_deref()).map_err(|e| e.to_string())
}

/// The demonstrations file a `demo:FILE` teacher is learned from, read; `None` for any other
/// teacher.
fn demos_of(config: &ExperimentConfig) -> Result<Option<Vec<u8>>, String> {
    match config.feedback.teacher.as_deref() {
        Some(name) if name.starts_with("demo:") && !config.feedback.is_none() => {
            let path = &name["demo:".len()..];
            let bytes = rlaif::input::read_file(path, rlaif::input::MAX_DEMOS_BYTES).map_err(
                |e| match name {
                    // A lesson for the page's person: here the demonstrations are a file.
                    YOUR_DEMONSTRATIONS => format!(
                        "this run's teacher learns from your demonstrations: record some (the \
                         page's \"Play it yourself\", or `rlaif demos record`) and pass \
                         --teacher demo:FILE ({e})"
                    ),
                    _ => e.to_string(),
                },
            )?;
            Ok(Some(bytes))
        }
        _ => Ok(None),
    }
}

/// Times a few PPO minibatch steps of this run's model on `device` (for `--backend auto`).
fn time_actual_model(
    config: &ExperimentConfig,
    device: &burn::tensor::Device,
    clock: &mut dyn FnMut() -> f64,
) -> f64 {
    let Ok(env) = rlaif::env::make(&config.env_id) else {
        return f64::INFINITY;
    };
    let spec = env.spec();
    let action = match &spec.action_space {
        rlaif::env::Space::Discrete { n } => rlaif::agent::ActionSpec::Discrete {
            n: *n,
            masked: false,
        },
        rlaif::env::Space::Box { low, .. } => {
            rlaif::agent::ActionSpec::Continuous { dim: low.len() }
        }
    };
    backend::time_minibatch_steps(
        device,
        spec.observation_space.flat_dim(),
        action,
        config.ppo.hidden,
        config.ppo.minibatch_size.min(config.batch_size()),
        2,
        5,
        clock,
    )
}
