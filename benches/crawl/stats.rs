//! The two statistics the crawl benchmark reports: a median, and how far a median of a
//! few noisy runs can be trusted.
//!
//! On a shared machine one run's speed moves by ±15 % with its neighbours' load, so a
//! median of five pairs can land 0.05–0.15 either side of the true ratio. The interval
//! here says how wide that is, with no assumption on the shape of the runs' spread (only
//! that the pairs are independent and alike): between the `k`-th lowest and the `k`-th
//! highest of `n` values lies the true median unless at least `n - k + 1` of them fall on
//! one side of it, which happens with probability `2 · P(B ≤ k - 1)`, `B` binomial
//! `(n, ½)` (the order-statistic interval for a median). More pairs (`--reps`) narrow it
//! overall, first at 9 (2nd lowest to 2nd highest).

/// The confidence [`median_interval`] aims for.
pub(crate) const CONFIDENCE: f64 = 0.95;

/// The median of sorted `v`; NaN when it is empty.
pub(crate) fn middle(v: &[f64]) -> f64 {
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// An interval of sorted `v` that holds the true median: `(low, high, confidence)`, the
/// `k`-th lowest to the `k`-th highest value with the largest `k` whose confidence is at
/// least [`CONFIDENCE`]; with too few values for that (five or fewer), the lowest and
/// highest, with what they give (five values: 0.9375; one: 0). `None` when `v` is empty.
pub(crate) fn median_interval(v: &[f64]) -> Option<(f64, f64, f64)> {
    let n = v.len();
    if n == 0 {
        return None;
    }
    // P(B ≤ j), the binomial (n, ½) lower tail, its terms taken in logarithms so that
    // 2^-n does not underflow for large n.
    let tail = |j: usize| -> f64 {
        let mut ln_term = -(n as f64) * std::f64::consts::LN_2; // ln P(B = 0)
        let mut sum = ln_term.exp();
        for i in 1..=j {
            ln_term += ((n + 1 - i) as f64 / i as f64).ln();
            sum += ln_term.exp();
        }
        sum
    };
    let confidence = |k: usize| 1.0 - 2.0 * tail(k - 1);
    let mut k = 1;
    while k < n.div_ceil(2) && confidence(k + 1) >= CONFIDENCE {
        k += 1;
    }
    Some((v[k - 1], v[n - k], confidence(k).max(0.0)))
}
