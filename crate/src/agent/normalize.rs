//! Running mean and variance of observations (SB3's `VecNormalize` for observations).
//!
//! Control tasks have observations on very different scales (Acrobot's angular velocities
//! reach 28, CartPole's angle stays under 0.21); normalising them keeps one learning rate
//! sensible for every input. Statistics merge whole batches with Chan's parallel formula.

/// Per-dimension running statistics; `count` starts at a tiny epsilon as in SB3.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningNorm {
    pub mean: Vec<f64>,
    pub var: Vec<f64>,
    pub count: f64,
    /// Normalised values are clipped to `[-clip, clip]`.
    pub clip: f32,
}

const EPS_COUNT: f64 = 1e-4;
const EPS_VAR: f64 = 1e-8;

impl RunningNorm {
    pub fn new(dim: usize, clip: f32) -> Self {
        Self {
            mean: vec![0.0; dim],
            var: vec![1.0; dim],
            count: EPS_COUNT,
            clip,
        }
    }

    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Merges a batch of rows (`batch.len()` a multiple of `dim`) into the statistics.
    pub fn update(&mut self, batch: &[f32]) {
        let dim = self.dim();
        let n = batch.len() / dim;
        if n == 0 {
            return;
        }
        let nf = n as f64;
        for d in 0..dim {
            let mut m = 0.0;
            for row in 0..n {
                m += batch[row * dim + d] as f64;
            }
            m /= nf;
            let mut v = 0.0;
            for row in 0..n {
                let x = batch[row * dim + d] as f64 - m;
                v += x * x;
            }
            v /= nf;
            let delta = m - self.mean[d];
            let total = self.count + nf;
            let new_mean = self.mean[d] + delta * nf / total;
            let m2 = self.var[d] * self.count + v * nf + delta * delta * self.count * nf / total;
            self.mean[d] = new_mean;
            self.var[d] = m2 / total;
        }
        self.count += nf;
    }

    /// Writes `(x - mean) / sqrt(var + eps)`, clipped, for every row of `input` into `out`.
    pub fn normalize(&self, input: &[f32], out: &mut [f32]) {
        let dim = self.dim();
        for (i, (o, &x)) in out.iter_mut().zip(input).enumerate() {
            let d = i % dim;
            let z = (x as f64 - self.mean[d]) / (self.var[d] + EPS_VAR).sqrt();
            *o = (z as f32).clamp(-self.clip, self.clip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_two_pass_mean_and_variance_over_several_batches() {
        let rows: Vec<[f32; 2]> = (0..37)
            .map(|i| [i as f32 * 0.5 - 3.0, ((i * 7) % 11) as f32 * 10.0])
            .collect();
        let mut norm = RunningNorm::new(2, 10.0);
        for chunk in rows.chunks(5) {
            let flat: Vec<f32> = chunk.iter().flatten().copied().collect();
            norm.update(&flat);
        }
        for d in 0..2 {
            let xs: Vec<f64> = rows.iter().map(|r| r[d] as f64).collect();
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
            // The epsilon prior count shifts the result by about 1e-4 / 37.
            assert!((norm.mean[d] - m).abs() < 1e-4 * (1.0 + m.abs()), "{d}");
            assert!((norm.var[d] - v).abs() < 1e-4 * (1.0 + v), "{d}");
        }
        assert!((norm.count - 37.0).abs() < 1e-3);
        let mut out = [0.0f32; 2];
        norm.normalize(&[norm.mean[0] as f32, 1e9], &mut out);
        assert!(out[0].abs() < 1e-5);
        assert_eq!(out[1], 10.0, "clipped");
    }
}
