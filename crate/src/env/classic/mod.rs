//! Gymnasium's classic-control environments, bit-faithful to Gymnasium 1.x.
//!
//! Given the same internal state and actions, every env computes the same bits as Gymnasium:
//! f64 state in plain f64 arithmetic in Gymnasium's operation order (no FMA), NumPy 2's scalar
//! type rules where float32 values take part, and NumPy's own `x ** 2` (see [`npmath`]).
//! Resets draw from a [`Generator`], NumPy's `Generator(PCG64(SeedSequence(seed)))` bit for
//! bit, in the order and with the arithmetic of Gymnasium's `reset`, so `reset(Some(seed))`
//! starts exactly where Gymnasium's `reset(seed=seed)` does, and later unseeded resets continue
//! the same stream as Gymnasium's.

mod npmath;

pub mod acrobot;
pub mod cartpole;
pub mod mountain_car;
pub mod mountain_car_continuous;
pub mod pendulum;

pub use acrobot::Acrobot;
pub use cartpole::CartPole;
pub use mountain_car::MountainCar;
pub use mountain_car_continuous::MountainCarContinuous;
pub use pendulum::Pendulum;

use super::np_random::Generator;
use super::{EnvError, check_obs_len};

/// The generator an env uses before its first seeded reset: `Generator::new(0)`. Gymnasium
/// seeds from OS entropy there; a fixed seed keeps unseeded runs reproducible (so an env
/// reset only with `None` starts as Gymnasium's does after `reset(seed=0)`).
fn default_rng() -> Generator {
    Generator::new(0)
}

/// Reseeds `rng` for `reset(Some(seed))` as Gymnasium's `Env.reset(seed=seed)` does
/// (`Generator(PCG64(SeedSequence(seed)))`); `None` keeps the current stream.
fn reseed(rng: &mut Generator, seed: Option<u64>) {
    if let Some(seed) = seed {
        *rng = Generator::new(seed);
    }
}

/// Copies a state slice into a fixed-size array, checking its length.
fn state_array<const N: usize>(state: &[f64]) -> Result<[f64; N], EnvError> {
    state.try_into().map_err(|_| EnvError::WrongStateLength {
        got: state.len(),
        expected: N,
    })
}

/// Writes an observation, rounding each f64 to f32 as `np.array(..., dtype=np.float32)` does.
/// A buffer of the wrong length gets as many values as fit (reset and observe cannot fail).
fn write_obs<const N: usize>(obs: &mut [f32], values: [f64; N]) {
    for (o, v) in obs.iter_mut().zip(values) {
        *o = v as f32;
    }
}
