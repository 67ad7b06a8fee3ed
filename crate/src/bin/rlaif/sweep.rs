//! `rlaif sweep`: the same experiment over a grid of lambdas and seeds, run one after the
//! other, to show what the feedback weight does. Writes each run's metrics CSV, a
//! `summary.csv`, a table on stdout and a plot of the learning curves by lambda.

use crate::feedback_args::{FeedbackArgs, answer_queue};
use crate::train::{ConfigSource, config_from_flags, make_trainer};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use plotters::prelude::*;
use rlaif::backend::DEFAULT_CPU;
use rlaif::experiment::trainer::MEAN_WINDOW;
use rlaif::experiment::{CsvWriter, ExperimentConfig, Metric, Settings};
use rlaif::feedback::FeedbackMode;
use rlaif::feedback::simulated_person::SimulatedPerson;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct SweepArgs {
    /// Environment id.
    #[arg(long)]
    env: String,
    /// Experiment config JSON (default: the env's built-in preset).
    #[arg(long, conflicts_with = "lesson")]
    preset: Option<String>,
    /// A lesson's config instead (built in; it must be a lesson of --env).
    #[arg(long)]
    lesson: Option<String>,
    /// Lambdas to try, comma-separated; lambda 0 runs plain PPO (no feedback) as the baseline.
    #[arg(long, value_delimiter = ',', required = true)]
    lambda: Vec<f64>,
    /// Seeds, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    seeds: Vec<u64>,
    /// Environment steps per run (the budget an unsolved run counts as).
    #[arg(long)]
    steps: Option<u64>,
    /// Number of envs stepped together (overrides the preset).
    #[arg(long)]
    n_envs: Option<usize>,
    /// Output folder (created if missing).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    feedback: FeedbackArgs,
}

/// One finished run.
struct RunResult {
    lambda: f64,
    seed: u64,
    env_steps: u64,
    solved_at: Option<u64>,
    final_mean_return: Option<f64>,
    final_mean_ai_return: Option<f64>,
    labels_used: u64,
    /// A (simulated) person's answers.
    labels_you: u64,
    wall_seconds: f64,
    /// (env steps, mean return of the last 20 episodes) at each update.
    curve: Vec<(u64, f64)>,
}

pub fn run(args: &SweepArgs) -> Result<(), String> {
    let source = ConfigSource::from_flags(args.preset.as_deref(), args.lesson.as_deref());
    let settings = Settings {
        total_steps: args.steps,
        n_envs: args.n_envs,
        ..args.feedback.settings()?
    };
    let base = config_from_flags(&args.env, source, &settings)?;
    if base.feedback.mode == FeedbackMode::None {
        return Err("a sweep needs --feedback (direct, shaping, preference or advice)".into());
    }
    for &l in &args.lambda {
        if !(0.0..=1.0).contains(&l) {
            return Err(format!("lambda {l} is outside [0, 1]"));
        }
    }
    if args.seeds.is_empty() {
        return Err("--seeds is empty".into());
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let threshold = base
        .reward_threshold
        .or_else(|| {
            rlaif::env::make(&base.env_id)
                .ok()
                .and_then(|e| e.spec().reward_threshold)
        })
        .ok_or_else(|| format!("{} has no reward threshold to race to", base.env_id))?;

    let runs = (args.lambda.len() * args.seeds.len()) as u64;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(
            Some(runs.saturating_mul(base.total_steps)),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}  ETA {eta}")
                .map_err(|e| e.to_string())?,
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut results = Vec::new();
    for &lambda in &args.lambda {
        for &seed in &args.seeds {
            let mut config = base.clone();
            config.seed = seed;
            config.feedback.lambda = lambda;
            if lambda == 0.0 {
                config.feedback = Default::default();
            }
            bar.set_message(format!("lambda {lambda}, seed {seed}"));
            let csv = args.out.join(format!("run-lambda{lambda}-seed{seed}.csv"));
            let done = bar.position();
            // Plain PPO (lambda 0) asks nobody.
            let person = if lambda == 0.0 {
                None
            } else {
                args.feedback.simulated_person(&config)?
            };
            let r = run_one(config, lambda, person, &csv, &mut |steps| {
                bar.set_position(done + steps)
            })?;
            bar.set_position(done + base.total_steps);
            results.push(r);
        }
    }
    bar.finish_and_clear();

    write_summary(&args.out.join("summary.csv"), &results)?;
    let table = table(&base, &args.lambda, &results, threshold);
    print!("{table}");
    std::fs::write(args.out.join("table.md"), &table)
        .map_err(|e| format!("cannot write the table: {e}"))?;
    let plot = args.out.join("curves.svg");
    plot_curves(&plot, &base, &args.lambda, &results, threshold)?;
    eprintln!(
        "rlaif: wrote {} run CSVs, summary.csv, table.md and curves.svg to {}",
        results.len(),
        args.out.display()
    );
    Ok(())
}

fn run_one(
    config: ExperimentConfig,
    lambda: f64,
    mut person: Option<SimulatedPerson>,
    csv_path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<RunResult, String> {
    let seed = config.seed;
    let mut trainer = make_trainer(config, &DEFAULT_CPU.device())?;
    let start = Instant::now();
    trainer.set_clock(move || start.elapsed().as_secs_f64());
    let mut file = std::fs::File::create(csv_path)
        .map_err(|e| format!("cannot create {}: {e}", csv_path.display()))?;
    let mut csv = CsvWriter::new();
    let mut text = String::new();
    let mut curve = Vec::new();
    let slice = trainer.config().batch_size() as u64;
    while !trainer.is_finished() {
        let result = trainer.step_slice(slice);
        let metrics = trainer.drain_metrics();
        for m in &metrics {
            if let Metric::Update(u) = m
                && u.mean_return.is_finite()
            {
                curve.push((u.env_steps, u.mean_return))
            }
        }
        text.clear();
        csv.write(&metrics, &mut text);
        file.write_all(text.as_bytes())
            .map_err(|e| format!("writing {}: {e}", csv_path.display()))?;
        progress(trainer.env_steps());
        let report = result.map_err(|e| format!("lambda {lambda}, seed {seed}: {e}"))?;
        if let Some(person) = &mut person {
            answer_queue(&mut trainer, person)?;
        } else if let Some((given, needed)) = report.waiting_for_labels {
            return Err(format!(
                "lambda {lambda}, seed {seed}: the run waits for a person's labels ({given} of \
                 {needed}): add --person to answer them with a simulated one"
            ));
        }
    }
    Ok(RunResult {
        lambda,
        seed,
        env_steps: trainer.env_steps(),
        solved_at: trainer.solved_at(),
        final_mean_return: trainer.mean_return(),
        final_mean_ai_return: trainer.mean_ai_return(),
        labels_used: trainer.labels_used(),
        labels_you: trainer.labels_you(),
        wall_seconds: start.elapsed().as_secs_f64(),
        curve,
    })
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.4}")).unwrap_or_default()
}

fn write_summary(path: &Path, results: &[RunResult]) -> Result<(), String> {
    let mut s = String::from(
        "lambda,seed,env_steps,solved,solved_at_step,final_mean_return,final_mean_ai_return,labels_used,labels_you,wall_seconds\n",
    );
    for r in results {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{:.2}\n",
            r.lambda,
            r.seed,
            r.env_steps,
            r.solved_at.is_some(),
            r.solved_at.map(|s| s.to_string()).unwrap_or_default(),
            opt(r.final_mean_return),
            opt(r.final_mean_ai_return),
            r.labels_used,
            r.labels_you,
            r.wall_seconds
        ));
    }
    std::fs::write(path, s).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The median of `xs` (the mean of the middle two for an even count).
pub fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    Some(if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    })
}

/// Per lambda: median steps to the threshold (an unsolved run counts as the budget), runs
/// solved, median final mean return, labels used.
fn table(
    base: &ExperimentConfig,
    lambdas: &[f64],
    results: &[RunResult],
    threshold: f64,
) -> String {
    let f = &base.feedback;
    let model = if f.mode == FeedbackMode::Preference {
        format!(
            " · reward model {} · labels from {}",
            f.preference.reward_model.name(),
            f.preference.label_source.name()
        )
    } else {
        String::new()
    };
    let mut s = format!(
        "{} · feedback {}{model} · teacher {} · schedule {} · {} steps per run · threshold \
         {threshold} (lambda 0 = plain PPO)\n\n",
        base.env_id,
        f.mode.name(),
        f.teacher.as_deref().unwrap_or("default"),
        f.schedule.to_text(),
        base.total_steps
    );
    s.push_str("| lambda | median steps to threshold | solved | median final mean return | final mean returns by seed | AI labels (median) | person's labels (median) |\n");
    s.push_str("|---|---|---|---|---|---|---|\n");
    for &l in lambdas {
        let runs: Vec<&RunResult> = results.iter().filter(|r| r.lambda == l).collect();
        let mut steps: Vec<f64> = runs
            .iter()
            .map(|r| r.solved_at.unwrap_or(base.total_steps) as f64)
            .collect();
        let solved = runs.iter().filter(|r| r.solved_at.is_some()).count();
        let mut finals: Vec<f64> = runs.iter().filter_map(|r| r.final_mean_return).collect();
        let by_seed: Vec<String> = runs
            .iter()
            .map(|r| {
                r.final_mean_return
                    .map_or("-".into(), |m| format!("{m:.3}"))
            })
            .collect();
        let mut labels: Vec<f64> = runs.iter().map(|r| r.labels_used as f64).collect();
        let mut yours: Vec<f64> = runs.iter().map(|r| r.labels_you as f64).collect();
        s.push_str(&format!(
            "| {l} | {} | {solved}/{} | {} | {} | {} | {} |\n",
            median(&mut steps).map_or("-".into(), |m| format!("{m:.0}")),
            runs.len(),
            median(&mut finals).map_or("-".into(), |m| format!("{m:.3}")),
            by_seed.join(", "),
            median(&mut labels).map_or("-".into(), |m| format!("{m:.0}")),
            median(&mut yours).map_or("-".into(), |m| format!("{m:.0}")),
        ));
    }
    s
}

fn plot_curves(
    path: &Path,
    base: &ExperimentConfig,
    lambdas: &[f64],
    results: &[RunResult],
    threshold: f64,
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("plotting {}: {e}", path.display());
    let points = results.iter().flat_map(|r| r.curve.iter());
    let (mut lo, mut hi) = (threshold, threshold);
    for &(_, y) in points {
        lo = lo.min(y);
        hi = hi.max(y);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{}: {} feedback, mean return of the last {MEAN_WINDOW} episodes",
                base.env_id,
                base.feedback.mode.name()
            ),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0u64..base.total_steps, (lo - pad)..(hi + pad))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("environment steps")
        .y_desc("mean return")
        .draw()
        .map_err(|e| err(&e))?;
    chart
        .draw_series(LineSeries::new(
            [(0, threshold), (base.total_steps, threshold)],
            BLACK.mix(0.4).stroke_width(1),
        ))
        .map_err(|e| err(&e))?
        .label(format!("threshold {threshold}"))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.mix(0.4)));
    for (k, &l) in lambdas.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        for (j, r) in results.iter().filter(|r| r.lambda == l).enumerate() {
            let series = chart
                .draw_series(LineSeries::new(
                    r.curve.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(|e| err(&e))?;
            if j == 0 {
                series
                    .label(if l == 0.0 {
                        "lambda 0 (plain PPO)".to_string()
                    } else {
                        format!("lambda {l}")
                    })
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                    });
            }
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
