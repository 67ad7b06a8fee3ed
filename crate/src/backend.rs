//! Which burn device trains: the CPU (the default; deterministic for a seed) or the GPU
//! through wgpu (behind the `wgpu` feature), or `auto`, which times a few PPO minibatch
//! steps of the actual model on each and keeps the faster.
//!
//! Tensors carry no backend type in burn 0.22: the choice is a runtime [`Device`], so
//! everything else in the crate is written once.

use crate::agent::ppo::{ActionSpec, Ppo, PpoConfig};
use crate::agent::rng::AgentRng;
use crate::agent::rollout::RolloutBuffer;
use burn::tensor::Device;
use std::fmt;
use std::str::FromStr;

/// The pure-Rust CPU backends compiled in. Both build for wasm32; ndarray only with the
/// `ndarray` feature (the CLI has it, the page's modules do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuBackend {
    #[cfg(feature = "ndarray")]
    NdArray,
    Flex,
}

/// The CPU backend used unless asked otherwise (the faster one for our small MLPs; see
/// `rlaif bench update`).
pub const DEFAULT_CPU: CpuBackend = CpuBackend::Flex;

impl CpuBackend {
    pub fn device(self) -> Device {
        match self {
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            // burn 0.22 prefers Flex; we keep whichever measures faster
            CpuBackend::NdArray => Device::ndarray(),
            CpuBackend::Flex => Device::flex(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "ndarray")]
            CpuBackend::NdArray => "cpu-ndarray",
            CpuBackend::Flex => "cpu-flex",
        }
    }
}

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    Cpu,
    Gpu,
    Auto,
}

impl FromStr for BackendChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            "auto" => Ok(Self::Auto),
            other => Err(format!(
                "unknown backend '{other}' (expected cpu, gpu or auto)"
            )),
        }
    }
}

impl fmt::Display for BackendChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Gpu => "gpu",
            Self::Auto => "auto",
        })
    }
}

/// The device picked, its short name, and what happened on the way (fallbacks, timings).
#[derive(Clone, Debug)]
pub struct Selected {
    pub device: Device,
    pub name: String,
    pub notes: Vec<String>,
}

impl Selected {
    pub fn cpu(kind: CpuBackend) -> Self {
        Self {
            device: kind.device(),
            name: kind.name().to_string(),
            notes: Vec::new(),
        }
    }
}

/// Initialises the native GPU device (Vulkan/Metal/DX12). Call once and keep the device.
#[cfg(all(feature = "wgpu", not(target_arch = "wasm32")))]
pub fn gpu_device() -> Result<Device, String> {
    std::panic::catch_unwind(|| Device::wgpu_options().init())
        .map_err(|_| "the GPU backend panicked while initialising".to_string())?
        .map_err(|e| format!("no usable GPU: {e}"))
}

/// Without the `wgpu` feature there is no GPU backend to initialise.
#[cfg(not(all(feature = "wgpu", not(target_arch = "wasm32"))))]
pub fn gpu_device() -> Result<Device, String> {
    Err("this build has no GPU backend (rebuild with `--features wgpu`)".into())
}

/// Resolves a choice natively. `time_ms(device)` measures ms per PPO minibatch step of the
/// actual model (see [`time_minibatch_steps`]); it is only called for `auto`. A GPU that
/// fails to initialise falls back to the CPU with a note saying why.
pub fn select(choice: BackendChoice, mut time_ms: impl FnMut(&Device) -> f64) -> Selected {
    let cpu = Selected::cpu(DEFAULT_CPU);
    match choice {
        BackendChoice::Cpu => cpu,
        BackendChoice::Gpu => match gpu_device() {
            Ok(device) => Selected {
                device,
                name: "gpu-wgpu".into(),
                notes: Vec::new(),
            },
            Err(e) => Selected {
                notes: vec![format!("{e}; falling back to the CPU")],
                ..cpu
            },
        },
        BackendChoice::Auto => match gpu_device() {
            Err(e) => Selected {
                notes: vec![format!("auto: {e}; using the CPU")],
                ..cpu
            },
            Ok(gpu) => {
                let cpu_ms = time_ms(&cpu.device);
                let gpu_ms = time_ms(&gpu);
                let timing = format!(
                    "auto: {cpu_ms:.2} ms per minibatch step on {}, {gpu_ms:.2} ms on gpu-wgpu",
                    cpu.name
                );
                if gpu_ms < cpu_ms {
                    Selected {
                        device: gpu,
                        name: "gpu-wgpu".into(),
                        notes: vec![format!("{timing}: using the GPU")],
                    }
                } else {
                    Selected {
                        notes: vec![format!("{timing}: using the CPU")],
                        ..cpu
                    }
                }
            }
        },
    }
}

/// Milliseconds per PPO minibatch step (forward, backward, Adam) of an actor-critic with the
/// given shape on `device`, after `warmup` untimed steps; the clock is the caller's (seconds).
#[allow(clippy::too_many_arguments)]
pub fn time_minibatch_steps(
    device: &Device,
    obs_dim: usize,
    action: ActionSpec,
    hidden: usize,
    batch: usize,
    warmup: usize,
    steps: usize,
    clock: &mut dyn FnMut() -> f64,
) -> f64 {
    let config = PpoConfig {
        n_steps: batch,
        n_epochs: 1,
        minibatch_size: batch,
        hidden,
        ..PpoConfig::default()
    };
    let mut ppo = Ppo::new(config, obs_dim, action, 0, device);
    let mut buf = RolloutBuffer::new(1, batch, obs_dim, action.stored_dim(), 0);
    let mut rng = AgentRng::new(0);
    for (i, x) in buf.obs.iter_mut().enumerate() {
        *x = ((i * 7919) % 200) as f32 / 100.0 - 1.0;
    }
    for (i, a) in buf.actions.iter_mut().enumerate() {
        *a = match action {
            ActionSpec::Discrete { n, .. } => (i % n) as f32,
            ActionSpec::Continuous { .. } => 0.1,
        };
    }
    for (i, r) in buf.returns.iter_mut().enumerate() {
        *r = (i % 5) as f32;
        buf.advantages[i] = (i % 3) as f32 - 1.0;
        buf.log_probs[i] = -0.7;
    }
    buf.len = batch;
    // `update` ends with one readback, which also waits for the device.
    let mut run = |ppo: &mut Ppo| {
        let _ = ppo.update(&buf, 1e-4, &mut rng, 0);
    };
    for _ in 0..warmup {
        run(&mut ppo);
    }
    let start = clock();
    for _ in 0..steps {
        run(&mut ppo);
    }
    (clock() - start) * 1000.0 / steps.max(1) as f64
}
