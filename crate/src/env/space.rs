//! Gymnasium's `Discrete` and `Box` spaces.

use rand::{Rng, RngExt};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Space {
    /// Integers `0..n`.
    Discrete { n: usize },
    /// A float32 box; `low`/`high` are per element (may be infinite).
    Box {
        low: Vec<f32>,
        high: Vec<f32>,
        shape: Vec<usize>,
    },
}

impl Space {
    /// A 1-D box with the given bounds.
    pub fn box1(low: &[f32], high: &[f32]) -> Self {
        debug_assert_eq!(low.len(), high.len());
        Space::Box {
            low: low.to_vec(),
            high: high.to_vec(),
            shape: vec![low.len()],
        }
    }

    /// Number of f32 values an element of this space flattens to (1 for `Discrete`).
    pub fn flat_dim(&self) -> usize {
        match self {
            Space::Discrete { .. } => 1,
            Space::Box { shape, .. } => shape.iter().product(),
        }
    }

    /// Number of discrete actions, if discrete.
    pub fn n(&self) -> Option<usize> {
        match self {
            Space::Discrete { n } => Some(*n),
            Space::Box { .. } => None,
        }
    }

    /// Gymnasium-style one-line description: `Discrete(2)`, `Box(-inf, inf, (4,), float32)`.
    pub fn describe(&self) -> String {
        match self {
            Space::Discrete { n } => format!("Discrete({n})"),
            Space::Box { low, high, shape } => {
                let shape = match shape.as_slice() {
                    [d] => format!("({d},)"),
                    dims => format!(
                        "({})",
                        dims.iter()
                            .map(|d| d.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                let bound = |v: &[f32]| match v.first() {
                    Some(&first) if v.iter().all(|&x| x == first) => fmt_bound(first),
                    _ => format!(
                        "[{}]",
                        v.iter()
                            .map(|&x| fmt_bound(x))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                };
                format!("Box({}, {}, {shape}, float32)", bound(low), bound(high))
            }
        }
    }

    /// Whether a discrete action lies in the space.
    pub fn contains_discrete(&self, a: usize) -> bool {
        matches!(self, Space::Discrete { n } if a < *n)
    }

    /// Whether a continuous action lies in the space (finite and within bounds).
    pub fn contains_continuous(&self, a: &[f32]) -> bool {
        match self {
            Space::Box { low, high, .. } => {
                a.len() == low.len()
                    && a.iter()
                        .zip(low.iter().zip(high))
                        .all(|(&v, (&l, &h))| v.is_finite() && v >= l && v <= h)
            }
            Space::Discrete { .. } => false,
        }
    }

    /// Samples a discrete action uniformly (discrete spaces only).
    pub fn sample_discrete(&self, rng: &mut impl Rng) -> Option<usize> {
        self.n().map(|n| rng.random_range(0..n))
    }

    /// Samples a continuous action uniformly into `out` (bounded boxes only).
    pub fn sample_continuous(&self, rng: &mut impl Rng, out: &mut [f32]) -> bool {
        match self {
            Space::Box { low, high, .. } if out.len() == low.len() => {
                for ((o, &l), &h) in out.iter_mut().zip(low).zip(high) {
                    if !(l.is_finite() && h.is_finite()) {
                        return false;
                    }
                    *o = rng.random_range(l..=h);
                }
                true
            }
            _ => false,
        }
    }
}

fn fmt_bound(x: f32) -> String {
    if x == f32::INFINITY {
        "inf".into()
    } else if x == f32::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_like_gymnasium() {
        assert_eq!(Space::Discrete { n: 3 }.describe(), "Discrete(3)");
        let b = Space::box1(&[-2.0], &[2.0]);
        assert_eq!(b.describe(), "Box(-2, 2, (1,), float32)");
        assert_eq!(b.flat_dim(), 1);
        assert!(b.contains_continuous(&[1.5]));
        assert!(!b.contains_continuous(&[2.5]));
        assert!(!b.contains_continuous(&[f32::NAN]));
    }
}
