//! The learning agent: a PPO actor-critic in burn, written once for every device.
//!
//! - [`nets`]: the actor and critic MLPs
//! - [`distribution`]: masked categorical and diagonal Gaussian policies
//! - [`rollout`]: the rollout buffer and GAE
//! - [`ppo`]: hyperparameters and the update
//! - [`normalize`]: running observation statistics
//! - [`rng`]: the checkpointable random generator

pub mod distribution;
pub mod host_copy;
pub mod nets;
pub mod normalize;
pub mod ppo;
pub mod rng;
pub mod rollout;

pub use ppo::{ActionSpec, NonFiniteLoss, Ppo, PpoConfig, UpdateStats};
pub use rng::AgentRng;
