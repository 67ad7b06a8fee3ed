//! `rlaif bench ...`: speed measurements (never part of the tests).

use clap::{Args, Subcommand};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rlaif::env::{Action, Env, EnvOptions, Space, VecEnv, make, registry};
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Environment steps per second, single env and a VecEnv, on one thread, random actions.
    Envs(EnvBenchArgs),
}

#[derive(Args)]
pub struct EnvBenchArgs {
    /// Only these ids (default: every registered env).
    #[arg(long = "env")]
    envs: Vec<String>,
    /// Seconds of stepping per measurement.
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Number of envs in the VecEnv measurement.
    #[arg(long, default_value_t = 16)]
    num_envs: usize,
    /// Print JSON Lines instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(command: BenchCommand) -> Result<(), String> {
    match command {
        BenchCommand::Envs(args) => bench_envs(&args),
    }
}

/// A pool of pre-drawn random numbers, so the benchmark measures the env, not the RNG.
struct RandomPool {
    values: Vec<u32>,
    next: usize,
}

impl RandomPool {
    fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        Self {
            values: (0..1 << 16).map(|_| rng.random()).collect(),
            next: 0,
        }
    }

    fn next(&mut self) -> u32 {
        self.next = (self.next + 1) & (self.values.len() - 1);
        self.values[self.next]
    }

    /// A uniformly random legal action according to `mask`.
    fn legal(&mut self, mask: &[bool]) -> usize {
        let legal = mask.iter().filter(|&&m| m).count().max(1);
        let k = self.next() as usize % legal;
        mask.iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .nth(k)
            .map_or(0, |(i, _)| i)
    }

    /// A uniform value in `[low, high]`.
    fn uniform(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * (self.next() as f32 / u32::MAX as f32)
    }
}

fn bench_envs(args: &EnvBenchArgs) -> Result<(), String> {
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        return Err("--seconds must be a positive number".into());
    }
    if args.num_envs == 0 {
        return Err("--num-envs must be at least 1".into());
    }
    let ids = if args.envs.is_empty() {
        registry::ids()
    } else {
        args.envs.clone()
    };
    let budget = Duration::from_secs_f64(args.seconds);
    if !args.json {
        println!(
            "{:<28} {:>16} {:>18}",
            "env",
            "single (steps/s)",
            format!("VecEnv({}) steps/s", args.num_envs)
        );
    }
    for id in &ids {
        let single = bench_single(id, budget)?;
        let vec = bench_vec(id, args.num_envs, budget)?;
        if args.json {
            println!(
                "{}",
                serde_json::json!({"env_id": id, "single_steps_per_s": single,
                    "vec_env_steps_per_s": vec, "num_envs": args.num_envs})
            );
        } else {
            println!("{id:<28} {:>16} {:>18}", group(single), group(vec));
        }
    }
    Ok(())
}

fn bench_single(id: &str, budget: Duration) -> Result<f64, String> {
    let mut env = make(id).map_err(|e| e.to_string())?;
    let spec = env.spec().clone();
    let mut obs = vec![0.0f32; spec.observation_space.flat_dim()];
    let mut mask = vec![true; spec.action_space.n().unwrap_or(0)];
    let mut continuous = vec![0.0f32; spec.action_space.flat_dim()];
    let mut pool = RandomPool::new(0);
    env.reset(Some(0), &mut obs);
    let mut steps = 0u64;
    let start = Instant::now();
    while start.elapsed() < budget {
        // Check the clock every 1024 steps so timing does not dominate fast envs.
        for _ in 0..1024 {
            let step = match &spec.action_space {
                Space::Discrete { .. } => {
                    env.action_mask(&mut mask);
                    let a = pool.legal(&mask);
                    env.step(Action::Discrete(a), &mut obs)
                }
                Space::Box { low, high, .. } => {
                    for (c, (&l, &h)) in continuous.iter_mut().zip(low.iter().zip(high)) {
                        *c = pool.uniform(l, h);
                    }
                    env.step(Action::Continuous(&continuous), &mut obs)
                }
            }
            .map_err(|e| format!("{id}: {e}"))?;
            if step.terminated || step.truncated {
                env.reset(None, &mut obs);
            }
        }
        steps += 1024;
    }
    Ok(steps as f64 / start.elapsed().as_secs_f64())
}

fn bench_vec(id: &str, num_envs: usize, budget: Duration) -> Result<f64, String> {
    let mut vec = VecEnv::new(id, num_envs, &EnvOptions::default()).map_err(|e| e.to_string())?;
    let spec = vec.spec().clone();
    let n_actions = spec.action_space.n().unwrap_or(0);
    let act_dim = spec.action_space.flat_dim();
    let mut discrete = vec![0usize; num_envs];
    let mut continuous = vec![0.0f32; num_envs * act_dim];
    let mut pool = RandomPool::new(0);
    vec.reset(0);
    let mut steps = 0u64;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..64 {
            match &spec.action_space {
                Space::Discrete { .. } => {
                    for (i, a) in discrete.iter_mut().enumerate() {
                        *a = pool.legal(&vec.masks[i * n_actions..(i + 1) * n_actions]);
                    }
                    vec.step_discrete(&discrete)
                }
                Space::Box { low, high, .. } => {
                    for (j, c) in continuous.iter_mut().enumerate() {
                        *c = pool.uniform(low[j % act_dim], high[j % act_dim]);
                    }
                    vec.step_continuous(&continuous)
                }
            }
            .map_err(|e| format!("{id}: {e}"))?;
        }
        steps += 64 * num_envs as u64;
    }
    Ok(steps as f64 / start.elapsed().as_secs_f64())
}

/// 12345678.9 -> "12,345,679".
fn group(x: f64) -> String {
    let digits = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
