//! `rlaif bench ...`: speed measurements (never part of the tests).

use clap::{Args, Subcommand};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rlaif::env::{Action, Env, EnvOptions, Space, VecEnv, make, registry};
use rlaif::experiment::config::MAX_ROLLOUT_TRANSITIONS;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Environment steps per second, single env and a VecEnv, on one thread, random actions.
    Envs(EnvBenchArgs),
    /// Milliseconds per PPO minibatch step (forward + backward + Adam) per backend, for
    /// hidden sizes 64 and 256 and batch sizes 64, 1024 and 8192 (a 4-input, 2-action
    /// actor-critic like CartPole's).
    Update(UpdateBenchArgs),
}

#[derive(Args)]
pub struct UpdateBenchArgs {
    /// Backends to measure: ndarray, flex, gpu (default: both CPU backends, and the GPU in a
    /// build with the `wgpu` feature).
    #[arg(long = "backend")]
    backends: Vec<String>,
    /// Hidden sizes (each 1 to 1024, as `ppo.hidden`).
    #[arg(long = "hidden", default_values_t = [64usize, 256])]
    hidden: Vec<usize>,
    /// Batch sizes (each 1 to 1048576, a rollout's most transitions).
    #[arg(long = "batch", default_values_t = [64usize, 1024, 8192])]
    batch: Vec<usize>,
    /// Timed steps per measurement are chosen to take about this many seconds (above 0, at
    /// most 3600).
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Print JSON Lines instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct EnvBenchArgs {
    /// Only these ids (default: every registered env).
    #[arg(long = "env")]
    envs: Vec<String>,
    /// Seconds of stepping per measurement (above 0, at most 3600).
    #[arg(long, default_value_t = 1.0)]
    seconds: f64,
    /// Number of envs in the VecEnv measurement (1 to 4096).
    #[arg(long, default_value_t = 16)]
    num_envs: usize,
    /// Print JSON Lines instead of a table.
    #[arg(long)]
    json: bool,
}

/// The longest `--seconds` a measurement may take: an hour is already more than any
/// measurement needs, and a bound keeps `Duration::from_secs_f64` from overflowing.
const MAX_SECONDS: f64 = 3600.0;

/// The most envs `--num-envs` may ask for, so that a typo cannot allocate without bound.
const MAX_NUM_ENVS: usize = 4096;

/// `--seconds` as a duration: finite, above 0 and at most [`MAX_SECONDS`].
fn measurement_time(seconds: f64) -> Result<Duration, String> {
    if seconds > 0.0 && seconds <= MAX_SECONDS {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!(
            "--seconds {seconds} is outside the allowed range (above 0, at most {MAX_SECONDS})"
        ))
    }
}

pub fn run(command: BenchCommand) -> Result<(), String> {
    match command {
        BenchCommand::Envs(args) => bench_envs(&args),
        BenchCommand::Update(args) => bench_update(&args),
    }
}

/// The widest `--hidden`: `ppo.hidden`'s bound, since a wider net is never trained.
const MAX_HIDDEN: usize = 1024;

/// `--hidden` and `--batch` within the ranges a run may use (`--batch` is one minibatch of a
/// rollout, which holds at most [`MAX_ROLLOUT_TRANSITIONS`]), so that a typo cannot allocate
/// without bound.
fn check_update_sizes(args: &UpdateBenchArgs) -> Result<(), String> {
    let flags = [
        ("--hidden", &args.hidden, MAX_HIDDEN),
        ("--batch", &args.batch, MAX_ROLLOUT_TRANSITIONS),
    ];
    for (flag, values, max) in flags {
        if let Some(v) = values.iter().find(|&&v| !(1..=max).contains(&v)) {
            return Err(format!(
                "{flag} {v} is outside the allowed range (1 to {max})"
            ));
        }
    }
    Ok(())
}

fn bench_update(args: &UpdateBenchArgs) -> Result<(), String> {
    use rlaif::agent::ActionSpec;
    use rlaif::backend::{CpuBackend, gpu_device};
    measurement_time(args.seconds)?;
    check_update_sizes(args)?;
    let names = if args.backends.is_empty() {
        let mut v = vec!["ndarray".to_string(), "flex".to_string()];
        if cfg!(feature = "wgpu") {
            v.push("gpu".into());
        }
        v
    } else {
        args.backends.clone()
    };
    if !args.json {
        println!(
            "{:<10} {:>6} {:>6} {:>12}",
            "backend", "hidden", "batch", "ms/step"
        );
    }
    let start = Instant::now();
    let mut clock = move || start.elapsed().as_secs_f64();
    for name in &names {
        let device = match name.as_str() {
            "ndarray" => CpuBackend::NdArray.device(),
            "flex" => CpuBackend::Flex.device(),
            "gpu" => match gpu_device() {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("rlaif: gpu: {e}; skipped");
                    continue;
                }
            },
            other => return Err(format!("unknown backend '{other}' (ndarray, flex, gpu)")),
        };
        for &hidden in &args.hidden {
            for &batch in &args.batch {
                let action = ActionSpec::Discrete {
                    n: 2,
                    masked: false,
                };
                // One probe step sizes the run to about `seconds`.
                let probe = rlaif::backend::time_minibatch_steps(
                    &device, 4, action, hidden, batch, 1, 1, &mut clock,
                );
                let steps = ((args.seconds * 1000.0 / probe.max(0.01)) as usize).clamp(3, 2000);
                let ms = rlaif::backend::time_minibatch_steps(
                    &device, 4, action, hidden, batch, 2, steps, &mut clock,
                );
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({"backend": name, "hidden": hidden, "batch": batch,
                            "ms_per_step": ms, "steps": steps})
                    );
                } else {
                    println!("{name:<10} {hidden:>6} {batch:>6} {ms:>12.3}");
                }
            }
        }
    }
    Ok(())
}

/// Random actions drawn before the clock starts, so the benchmark measures the env, not the
/// RNG (as a Gymnasium benchmark over pre-sampled actions does). Games draw among the legal
/// moves at step time, since legality depends on the position.
struct ActionPool {
    space: Space,
    masked: bool,
    draws: Vec<u32>,
    continuous: Vec<f32>,
    next: usize,
}

const POOL: usize = 1 << 12;

impl ActionPool {
    fn new(space: &Space, masked: bool, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let draws: Vec<u32> = (0..POOL).map(|_| rng.random()).collect();
        let continuous = match space {
            Space::Box { low, high, .. } => (0..POOL)
                .flat_map(|_| {
                    low.iter()
                        .zip(high)
                        .map(|(&l, &h)| rng.random_range(l..=h))
                        .collect::<Vec<_>>()
                })
                .collect(),
            Space::Discrete { .. } => Vec::new(),
        };
        Self {
            space: space.clone(),
            masked,
            draws,
            continuous,
            next: 0,
        }
    }

    fn advance(&mut self) -> usize {
        self.next = (self.next + 1) & (POOL - 1);
        self.next
    }

    /// The next discrete action: uniform over `0..n`, or over the legal moves of `mask`.
    fn discrete(&mut self, n: usize, mask: &[bool]) -> usize {
        let k = self.advance();
        let draw = self.draws[k] as usize;
        if !self.masked {
            return draw % n;
        }
        let legal = mask.iter().filter(|&&m| m).count().max(1);
        mask.iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .nth(draw % legal)
            .map_or(0, |(i, _)| i)
    }

    /// The next continuous action, `dim` values.
    fn continuous(&mut self, dim: usize) -> &[f32] {
        let k = self.advance();
        &self.continuous[k * dim..(k + 1) * dim]
    }
}

fn bench_envs(args: &EnvBenchArgs) -> Result<(), String> {
    let budget = measurement_time(args.seconds)?;
    if !(1..=MAX_NUM_ENVS).contains(&args.num_envs) {
        return Err(format!(
            "--num-envs {} is outside the allowed range (1 to {MAX_NUM_ENVS})",
            args.num_envs
        ));
    }
    let ids = if args.envs.is_empty() {
        registry::ids()
    } else {
        args.envs.clone()
    };
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
    let masked = spec.masked_actions;
    let mut obs = vec![0.0f32; spec.observation_space.flat_dim()];
    let n = spec.action_space.n().unwrap_or(0);
    let dim = spec.action_space.flat_dim();
    let mut mask = vec![true; n];
    let mut pool = ActionPool::new(&spec.action_space, masked, 0);
    env.reset(Some(0), &mut obs);
    let mut steps = 0u64;
    let start = Instant::now();
    while start.elapsed() < budget {
        // Check the clock every 1024 steps so timing does not dominate fast envs.
        for _ in 0..1024 {
            let step = match pool.space {
                Space::Discrete { .. } => {
                    if masked {
                        env.action_mask(&mut mask);
                    }
                    let a = pool.discrete(n, &mask);
                    env.step(Action::Discrete(a), &mut obs)
                }
                Space::Box { .. } => env.step(Action::Continuous(pool.continuous(dim)), &mut obs),
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
    let masked = spec.masked_actions;
    let n = spec.action_space.n().unwrap_or(0);
    let dim = spec.action_space.flat_dim();
    let mut discrete = vec![0usize; num_envs];
    let mut continuous = vec![0.0f32; num_envs * dim];
    let mut pool = ActionPool::new(&spec.action_space, masked, 0);
    vec.reset(0);
    let mut steps = 0u64;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..64 {
            match spec.action_space {
                Space::Discrete { .. } => {
                    for (i, a) in discrete.iter_mut().enumerate() {
                        *a = pool.discrete(n, &vec.masks[i * n..(i + 1) * n]);
                    }
                    vec.step_discrete(&discrete)
                }
                Space::Box { .. } => {
                    for row in continuous.chunks_exact_mut(dim) {
                        row.copy_from_slice(pool.continuous(dim));
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
