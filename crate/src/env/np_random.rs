//! NumPy's default generator, bit for bit: what `np.random.default_rng(seed)` and Gymnasium's
//! `np_random` give, so that an env reset with a seed starts where the Python env does.
//!
//! Three layers, each as NumPy 2 has it: [`SeedSequence`] turns the seed into state words;
//! [`Pcg64`] is the bit generator (128-bit LCG, XSL-RR output, and NumPy's buffered 32-bit
//! halves); [`Generator`] draws from it the way `numpy.random.Generator` does (`random`,
//! `uniform`, `integers` with Lemire's bounded method, `shuffle`, `choice`).

/// `SeedSequence`'s constants (numpy/random/bit_generator.pyx).
const INIT_A: u32 = 0x43b0_d7e5;
const MULT_A: u32 = 0x931e_8875;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const XSHIFT: u32 = 16;
const POOL_SIZE: usize = 4;

/// PCG's default 128-bit multiplier.
const PCG_MULT: u128 = 0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645;

/// NumPy's `SeedSequence(entropy)` for a non-negative integer seed without a spawn key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedSequence {
    pool: [u32; POOL_SIZE],
}

fn hashmix(value: u32, hash_const: &mut u32) -> u32 {
    let mut value = value ^ *hash_const;
    *hash_const = hash_const.wrapping_mul(MULT_A);
    value = value.wrapping_mul(*hash_const);
    value ^ (value >> XSHIFT)
}

fn mix(x: u32, y: u32) -> u32 {
    let result = MIX_MULT_L
        .wrapping_mul(x)
        .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
    result ^ (result >> XSHIFT)
}

impl SeedSequence {
    /// Mixes the seed's 32-bit words (least significant first, one word for 0) into the pool.
    pub fn new(entropy: u64) -> Self {
        let words: Vec<u32> = if entropy >> 32 == 0 {
            vec![entropy as u32]
        } else {
            vec![entropy as u32, (entropy >> 32) as u32]
        };
        let mut hash_const = INIT_A;
        let mut pool = [0u32; POOL_SIZE];
        for (i, slot) in pool.iter_mut().enumerate() {
            *slot = hashmix(words.get(i).copied().unwrap_or(0), &mut hash_const);
        }
        for src in 0..POOL_SIZE {
            for dst in 0..POOL_SIZE {
                if src != dst {
                    pool[dst] = mix(pool[dst], hashmix(pool[src], &mut hash_const));
                }
            }
        }
        // A u64 seed has at most two words, so none is left over for the pool's second pass.
        Self { pool }
    }

    /// `generate_state(n, np.uint32)`.
    pub fn generate_state_u32(&self, n_words: usize) -> Vec<u32> {
        let mut hash_const = INIT_B;
        (0..n_words)
            .map(|i| {
                let mut value = self.pool[i % POOL_SIZE] ^ hash_const;
                hash_const = hash_const.wrapping_mul(MULT_B);
                value = value.wrapping_mul(hash_const);
                value ^ (value >> XSHIFT)
            })
            .collect()
    }

    /// `generate_state(n, np.uint64)`: pairs of 32-bit words, the first one low.
    pub fn generate_state_u64(&self, n_words: usize) -> Vec<u64> {
        self.generate_state_u32(2 * n_words)
            .chunks_exact(2)
            .map(|w| u64::from(w[0]) | (u64::from(w[1]) << 32))
            .collect()
    }
}

/// NumPy's `PCG64` bit generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcg64 {
    state: u128,
    inc: u128,
    /// The high half of the last 64-bit output, kept for the next 32-bit draw.
    buffered_u32: Option<u32>,
}

impl Pcg64 {
    /// `PCG64(SeedSequence(seed))`.
    pub fn new(seed: u64) -> Self {
        let words = SeedSequence::new(seed).generate_state_u64(4);
        let initstate = (u128::from(words[0]) << 64) | u128::from(words[1]);
        let initseq = (u128::from(words[2]) << 64) | u128::from(words[3]);
        let mut rng = Self {
            state: 0,
            inc: (initseq << 1) | 1,
            buffered_u32: None,
        };
        rng.step();
        rng.state = rng.state.wrapping_add(initstate);
        rng.step();
        rng
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    /// `next_uint64`: advance, then the XSL-RR output of the new state.
    pub fn next_u64(&mut self) -> u64 {
        self.step();
        let s = self.state;
        (((s >> 64) as u64) ^ (s as u64)).rotate_right((s >> 122) as u32)
    }

    /// `next_uint32`: the low half of a fresh 64-bit output, then its high half.
    pub fn next_u32(&mut self) -> u32 {
        if let Some(high) = self.buffered_u32.take() {
            return high;
        }
        let next = self.next_u64();
        self.buffered_u32 = Some((next >> 32) as u32);
        next as u32
    }

    /// `next_double`: 53 random bits in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }
}

/// `numpy.random.Generator(PCG64(seed))`, as `gymnasium.utils.seeding.np_random(seed)` makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    bits: Pcg64,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        Self {
            bits: Pcg64::new(seed),
        }
    }

    /// `random()`: uniform in [0, 1).
    pub fn random(&mut self) -> f64 {
        self.bits.next_f64()
    }

    /// `uniform(low, high)`: `low + (high - low) * random()`, as NumPy computes it.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.bits.next_f64()
    }

    /// `integers(low, high)` with the default `int64` dtype: uniform in `[low, high)`. An
    /// empty range (NumPy raises) gives `low`.
    pub fn integers(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        // The inclusive width fits in u64 even for the full i64 range.
        let range = high.wrapping_sub(low).wrapping_sub(1) as u64;
        low.wrapping_add(self.bounded_u64(range) as i64)
    }

    /// `integers(low, high)` for a `usize` range, as MiniGrid's `_rand_int` uses it.
    pub fn integers_usize(&mut self, low: usize, high: usize) -> usize {
        let low_i = i64::try_from(low).unwrap_or(i64::MAX);
        let high_i = i64::try_from(high).unwrap_or(i64::MAX);
        usize::try_from(self.integers(low_i, high_i)).unwrap_or(low)
    }

    /// `random_bounded_uint64_fill` for one value in `[0, range]`, without the mask.
    fn bounded_u64(&mut self, range: u64) -> u64 {
        if range == 0 {
            0
        } else if range == u64::from(u32::MAX) {
            u64::from(self.bits.next_u32())
        } else if range < u64::from(u32::MAX) {
            u64::from(self.lemire_u32(range as u32))
        } else if range == u64::MAX {
            self.bits.next_u64()
        } else {
            self.lemire_u64(range)
        }
    }

    /// Lemire's nearly-divisionless method on 32-bit draws (`buffered_bounded_lemire_uint32`).
    fn lemire_u32(&mut self, range: u32) -> u32 {
        let excl = range + 1;
        let mut m = u64::from(self.bits.next_u32()) * u64::from(excl);
        let mut leftover = m as u32;
        if leftover < excl {
            let threshold = (u32::MAX - range) % excl;
            while leftover < threshold {
                m = u64::from(self.bits.next_u32()) * u64::from(excl);
                leftover = m as u32;
            }
        }
        (m >> 32) as u32
    }

    /// The 64-bit form (`bounded_lemire_uint64`).
    fn lemire_u64(&mut self, range: u64) -> u64 {
        let excl = range + 1;
        let mut m = u128::from(self.bits.next_u64()) * u128::from(excl);
        let mut leftover = m as u64;
        if leftover < excl {
            let threshold = (u64::MAX - range) % excl;
            while leftover < threshold {
                m = u128::from(self.bits.next_u64()) * u128::from(excl);
                leftover = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// `random_interval(max)`: masked rejection sampling in `[0, max]`, as `shuffle` uses.
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        loop {
            let value = if max <= u64::from(u32::MAX) {
                u64::from(self.bits.next_u32()) & mask
            } else {
                self.bits.next_u64() & mask
            };
            if value <= max {
                return value;
            }
        }
    }

    /// `shuffle(x)`: NumPy's Fisher-Yates, from the last element down.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.interval(i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// `choice(items)` with replacement and no weights: `items[integers(0, len)]`; `None` when
    /// empty (NumPy raises).
    pub fn choice<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.integers_usize(0, items.len())).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Draws printed by NumPy itself (`tests/fixtures/gen_numpy_random.py`).
    const FIXTURE: &str = include_str!("../../tests/fixtures/numpy_random.json");

    fn int(v: &Value) -> i64 {
        v.as_i64().expect("integer")
    }

    /// Replays one scripted call, returning what NumPy's call returned as JSON.
    fn run(rng: &mut Generator, call: &[Value]) -> Value {
        match call[0].as_str().expect("call name") {
            "random" => rng.random().into(),
            "uniform" => rng
                .uniform(
                    call[1].as_f64().expect("low"),
                    call[2].as_f64().expect("high"),
                )
                .into(),
            "integers" => {
                // The two bounds beyond i64 in the script are written as u64/negative values.
                let low = call[1].as_i64().expect("low");
                let high = call[2].as_i64().expect("high");
                rng.integers(low, high).into()
            }
            "shuffle" => {
                let mut items: Vec<i64> = (0..int(&call[1])).collect();
                rng.shuffle(&mut items);
                items.into()
            }
            "choice" => {
                let items: Vec<i64> = (int(&call[1])..int(&call[2])).collect();
                rng.choice(&items).expect("non-empty").into()
            }
            other => panic!("unknown call {other}"),
        }
    }

    #[test]
    fn every_layer_matches_numpy_for_every_fixture_seed() {
        let fixture: Value = serde_json::from_str(FIXTURE).expect("fixture parses");
        let cases = fixture["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 10);
        for case in cases {
            let seed: u64 = case["seed"].as_str().expect("seed").parse().expect("u64");
            let words: Vec<u32> = case["state_u32"]
                .as_array()
                .expect("words")
                .iter()
                .map(|w| u32::try_from(int(w)).expect("u32"))
                .collect();
            assert_eq!(
                SeedSequence::new(seed).generate_state_u32(8),
                words,
                "seed {seed}"
            );
            let mut bits = Pcg64::new(seed);
            for raw in case["raw_u64"].as_array().expect("raw") {
                let raw: u64 = raw.as_str().expect("raw").parse().expect("u64");
                assert_eq!(bits.next_u64(), raw, "seed {seed}");
            }
            let mut rng = Generator::new(seed);
            for (i, call) in case["calls"].as_array().expect("calls").iter().enumerate() {
                let args = call["call"].as_array().expect("call");
                let got = run(&mut rng, args);
                let want = &call["value"];
                match (want.as_f64(), got.as_f64()) {
                    (Some(w), Some(g)) if want.is_f64() => {
                        assert_eq!(w.to_bits(), g.to_bits(), "seed {seed} call {i} {args:?}")
                    }
                    _ => assert_eq!(&got, want, "seed {seed} call {i} {args:?}"),
                }
            }
        }
    }

    #[test]
    fn empty_ranges_do_not_panic() {
        let mut rng = Generator::new(3);
        assert_eq!(rng.integers(4, 4), 4);
        assert_eq!(rng.choice::<u8>(&[]), None);
        let mut none: [u8; 0] = [];
        rng.shuffle(&mut none);
    }
}
