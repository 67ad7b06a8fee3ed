//! Scalar arithmetic as NumPy and Python do it, where that differs from the obvious Rust.
//!
//! `sin`/`cos`: NumPy's float64 `np.sin`/`np.cos`, Python's `math.sin`/`math.cos` and Rust's
//! `f64::sin`/`f64::cos` on native targets all end in the C library's `sin`/`cos`. On x86-64
//! Linux (glibc 2.36, NumPy 2.4 with AVX-512 available) they agree bit-for-bit over 570,000
//! values from 1e-300 to 1e15 and the angles used in the fixtures, so the envs call
//! `f64::sin`/`f64::cos` directly. Other platforms (wasm's libm port, macOS) may differ in the
//! last bit, exactly as Gymnasium itself does across platforms.

use std::hint::black_box;

/// `x ** 2` on an `np.float64` scalar. NumPy's scalar power calls the C library's `pow`, and
/// glibc's `pow(x, 2.0)` is not always the correctly rounded `x * x` (about 1 value in 1,200
/// differs in the last bit). The exponent goes through `black_box` because LLVM otherwise
/// rewrites `pow(x, 2.0)` into `x * x`.
pub fn np_square(x: f64) -> f64 {
    x.powf(black_box(2.0))
}

/// `u ** 2` on an `np.float32` scalar: the C library's `powf`, which (like `pow`) is not
/// always the correctly rounded `u * u`.
pub fn np_square_f32(u: f32) -> f32 {
    u.powf(black_box(2.0))
}

/// Python's and NumPy's float `a % b`: floored, with the sign of `b` (also for a zero result).
pub fn py_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) { m + b } else { m }
    } else {
        0.0f64.copysign(b)
    }
}

/// Python's `min(max(x, lo), hi)`: the builtins keep the first argument unless the other one
/// compares strictly beyond it, so a NaN `x` passes through (unlike `f64::max`).
pub fn py_bound(x: f64, lo: f64, hi: f64) -> f64 {
    let y = if lo > x { lo } else { x };
    if hi < y { hi } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn py_mod_is_floored() {
        assert_eq!(py_mod(7.0, 3.0), 1.0);
        assert_eq!(py_mod(-7.0, 3.0), 2.0);
        assert_eq!(py_mod(7.0, -3.0), -2.0);
        assert!(py_mod(-6.0, 3.0).is_sign_positive());
        assert!(py_mod(6.0, -3.0).is_sign_negative());
    }

    #[test]
    fn squares_are_within_one_ulp_of_the_product() {
        let x = 0.349_378_790_869_554_9_f64;
        assert!(np_square(x).to_bits().abs_diff((x * x).to_bits()) <= 1);
        let u = f32::from_bits(0xbfdc_c281); // -1.7246858
        assert!(np_square_f32(u).to_bits().abs_diff((u * u).to_bits()) <= 1);
    }

    /// Values where NumPy's `x ** 2` (glibc `pow`/`powf`) is not `x * x`; recorded from
    /// NumPy 2.4 on glibc 2.36.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn squares_match_glibc_pow_where_it_differs_from_the_product() {
        let x = 0.349_378_790_869_554_9_f64;
        assert_eq!(np_square(x), 0.122_065_539_509_472_2);
        assert_ne!(np_square(x), x * x);
        let u = f32::from_bits(0xbfdc_c281); // -1.7246858
        assert_eq!(np_square_f32(u).to_bits(), 0x403e_5ee2);
        assert_ne!(np_square_f32(u), u * u);
    }

    #[test]
    fn bound_passes_nan_through() {
        assert!(py_bound(f64::NAN, -1.0, 1.0).is_nan());
        assert_eq!(py_bound(5.0, -1.0, 1.0), 1.0);
        assert_eq!(py_bound(-5.0, -1.0, 1.0), -1.0);
    }
}
