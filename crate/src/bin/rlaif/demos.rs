//! `rlaif demos`: record demonstrations with a teacher, and check a demonstrations file.

use clap::Subcommand;
use rlaif::feedback::demos::{self, Demos};
use rlaif::feedback::teacher;

#[derive(Subcommand)]
pub enum DemosCommand {
    /// Record episodes of a built-in teacher playing greedily, as a demonstrations file.
    Record {
        /// Environment id (see `rlaif envs`).
        #[arg(long)]
        env: String,
        /// Number of episodes.
        #[arg(long)]
        episodes: usize,
        /// The file to write.
        #[arg(long)]
        out: String,
        /// Teacher name (default: the env's default teacher).
        #[arg(long)]
        teacher: Option<String>,
        /// Episode i is reset with seed S + i.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Validate a demonstrations file and print a summary.
    Check {
        /// The demonstrations file.
        file: String,
    },
}

pub fn run(command: DemosCommand) -> Result<(), String> {
    match command {
        DemosCommand::Record {
            env,
            episodes,
            out,
            teacher,
            seed,
        } => record(&env, episodes, &out, teacher.as_deref(), seed),
        DemosCommand::Check { file } => check(&file),
    }
}

fn record(
    env_id: &str,
    episodes: usize,
    out: &str,
    teacher: Option<&str>,
    seed: u64,
) -> Result<(), String> {
    if episodes == 0 {
        return Err("--episodes must be at least 1".into());
    }
    rlaif::env::make(env_id).map_err(|e| e.to_string())?;
    let mut expert = teacher::make(teacher, env_id).map_err(|e| e.to_string())?;
    let demos = demos::record(env_id, episodes, seed, &mut |view| {
        demos::greedy_action(expert.as_mut(), view)
    })
    .map_err(|e| e.to_string())?;
    std::fs::write(out, demos.to_json()).map_err(|e| format!("cannot write {out}: {e}"))?;
    println!(
        "wrote {out}: {} episodes of {} by {}, {}",
        demos.episodes.len(),
        demos.env_id,
        expert.name(),
        summary(&demos)
    );
    Ok(())
}

fn check(file: &str) -> Result<(), String> {
    let bytes =
        rlaif::input::read_file(file, rlaif::input::MAX_DEMOS_BYTES).map_err(|e| e.to_string())?;
    let demos = Demos::from_bytes(&bytes).map_err(|e| format!("{file}: {e}"))?;
    println!(
        "{file}: valid demonstrations for {}; {} episodes, {}",
        demos.env_id,
        demos.episodes.len(),
        summary(&demos)
    );
    Ok(())
}

fn summary(demos: &Demos) -> String {
    format!(
        "{} steps, mean return {:.2}",
        demos.steps(),
        demos.mean_return()
    )
}
