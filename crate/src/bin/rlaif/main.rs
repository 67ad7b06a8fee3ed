//! `rlaif`: the RLAIF Playground's command-line tool.

mod bench;
mod demos;
mod envs;
mod feedback_args;
mod replay;
mod sweep;
mod train;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rlaif",
    version,
    about = "RLAIF Playground: RL with AI feedback, from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every environment id with its spaces, time limit and reward threshold.
    Envs {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Replay a state and actions through an environment and print every step as JSON Lines.
    ///
    /// FILE is JSON: {"env_id": "CartPole-v1", "state": [..], "actions": [..]}; `-` reads stdin.
    Replay {
        /// The replay file, or `-` for standard input.
        file: String,
    },
    /// Train PPO on an environment.
    Train(train::TrainArgs),
    /// Train over a grid of lambdas and seeds; write CSVs, a summary, a table and a plot.
    Sweep(sweep::SweepArgs),
    /// Record and check demonstrations (what `demo:FILE` teachers learn from).
    Demos {
        #[command(subcommand)]
        what: demos::DemosCommand,
    },
    /// Measure speed.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Envs { json } => envs::run(json),
        Command::Replay { file } => replay::run(&file),
        Command::Bench { what } => bench::run(what),
        Command::Train(args) => train::run(&args),
        Command::Sweep(args) => sweep::run(&args),
        Command::Demos { what } => demos::run(what),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rlaif: {message}");
            ExitCode::from(2)
        }
    }
}
