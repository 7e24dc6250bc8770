//! A small, self-contained PRNG and the shape helpers of the generator.
//!
//! Everything here uses only integer arithmetic and the IEEE-754 basic
//! operations (+ − × ÷ √, which are correctly rounded everywhere), never a
//! library `exp`/`ln`/`cos` whose last bit may differ between platforms or
//! versions, and no PRNG crate whose stream may change with an upgrade: the
//! same seed gives the same bytes for ever.

/// The SplitMix64 increment (the golden ratio in 64 bits).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finalizer: a bijective 64-bit mix.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stream key: the hash of a seed and up to three coordinates. Distinct
/// coordinates give independent-looking streams.
pub fn key(seed: u64, a: u64, b: u64, c: u64) -> u64 {
    let h = mix64(seed.wrapping_add(GOLDEN.wrapping_mul(a.wrapping_add(1))));
    let h = mix64(h ^ b.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    mix64(h ^ c.wrapping_mul(0xA076_1D64_78BD_642F))
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for
/// synthetic data. One instance per row, seeded from [`key`], so every row
/// is a pure function of (seed, table, partition, row number).
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator starting at `state`.
    pub fn new(state: u64) -> Rng {
        Rng { state }
    }

    /// The generator of one stream key (see [`key`]).
    pub fn at(seed: u64, a: u64, b: u64, c: u64) -> Rng {
        Rng::new(key(seed, a, b, c))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix64(self.state)
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n) (Lemire's multiply-shift; 0 when n = 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in [lo, hi] (inclusive).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Index chosen by cumulative weights (the last index takes the rest).
    pub fn pick(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// Approximately standard normal: Irwin–Hall sum of four uniforms,
    /// rescaled to unit variance (tails cut at ±3.46σ, which is fine here).
    pub fn normal(&mut self) -> f64 {
        let s = self.unit() + self.unit() + self.unit() + self.unit();
        (s - 2.0) * 3.0_f64.sqrt()
    }

    /// Log-normal: `exp(mu + sigma·N(0,1))`, with the portable [`exp`].
    pub fn log_normal(&mut self, mu: f64, sigma: f64) -> f64 {
        exp(mu + sigma * self.normal())
    }
}

/// `e^x` from basic operations only: x = k·ln2 + r with |r| ≤ ln2/2, a
/// degree-16 Taylor polynomial for e^r, then an exact scaling by 2^k.
/// Relative error below 1e-14 for |x| ≤ 20 and 1e-12 up to 700 (the
/// range reduction's rounding); saturates outside.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -708.0 {
        return 0.0;
    }
    const LN2: f64 = std::f64::consts::LN_2;
    let k = (x / LN2 + if x < 0.0 { -0.5 } else { 0.5 }) as i64; // round half away
    let r = x - k as f64 * LN2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=16 {
        term *= r / f64::from(n);
        sum += term;
    }
    // 2^k as an exact double (k is within the normal exponent range here)
    let scale = f64::from_bits(((k + 1023) as u64) << 52);
    sum * scale
}

/// Round half away from zero to `digits` decimals, returned as the scaled
/// integer (e.g. cents for 2 digits) so no decimal rounding is left to chance.
pub fn scaled(x: f64, digits: u32) -> i64 {
    let m = 10f64.powi(digits as i32) * x;
    let r = if m < 0.0 { m - 0.5 } else { m + 0.5 };
    r.trunc() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_stream() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn streams_are_pure_functions_of_their_key() {
        let a: Vec<u64> = (0..4).map(|_| Rng::at(42, 1, 2, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(key(42, 1, 2, 3), key(42, 1, 2, 4));
        assert_ne!(key(42, 1, 2, 3), key(43, 1, 2, 3));
        assert_ne!(key(42, 1, 2, 3), key(42, 2, 1, 3));
    }

    #[test]
    fn uniform_helpers_stay_in_range_and_look_uniform() {
        let mut r = Rng::new(7);
        let mut buckets = [0u32; 10];
        for _ in 0..100_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            buckets[(u * 10.0) as usize] += 1;
            let b = r.below(7);
            assert!(b < 7);
            let x = r.range(-3, 3);
            assert!((-3..=3).contains(&x));
        }
        assert!(
            buckets.iter().all(|&n| (9_500..10_500).contains(&n)),
            "{buckets:?}"
        );
        assert_eq!(r.below(0), 0);
    }

    #[test]
    fn pick_follows_the_weights() {
        let mut r = Rng::new(9);
        let mut n = [0u32; 3];
        for _ in 0..100_000 {
            n[r.pick(&[0.7, 0.2, 0.1])] += 1;
        }
        assert!((69_000..71_000).contains(&n[0]), "{n:?}");
        assert!((9_400..10_600).contains(&n[2]), "{n:?}");
    }

    #[test]
    fn normal_has_unit_variance_and_log_normal_is_skewed() {
        let mut r = Rng::new(11);
        let xs: Vec<f64> = (0..200_000).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
        let mut spend: Vec<f64> = (0..100_001).map(|_| r.log_normal(3.6, 0.6)).collect();
        spend.sort_by(f64::total_cmp);
        let median = spend[50_000];
        let mean = spend.iter().sum::<f64>() / spend.len() as f64;
        assert!((median - 36.6).abs() < 1.0, "{median}");
        assert!(
            mean > median * 1.1,
            "right-skewed: mean {mean} median {median}"
        );
    }

    #[test]
    fn portable_exp_agrees_with_the_platform() {
        for i in -7000..=7000 {
            let x = f64::from(i) / 10.0;
            let (a, b) = (exp(x), x.exp());
            let tolerance = if x.abs() <= 20.0 { 1e-14 } else { 1e-12 };
            assert!(
                ((a - b) / b).abs() < tolerance,
                "exp({x}) = {a}, platform {b}"
            );
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
    }

    #[test]
    fn scaled_rounds_half_away_from_zero() {
        assert_eq!(scaled(2.5, 0), 3);
        assert_eq!(scaled(-2.5, 0), -3);
        assert_eq!(scaled(0.125, 2), 13);
        assert_eq!(scaled(-0.125, 2), -13);
        assert_eq!(scaled(0.3, 1), 3);
        assert_eq!(scaled(-1.0, 2), -100);
    }
}
