//! The crawl benchmark's statistics: the median and the interval it reports for the
//! median of its per-pair ratios, checked against known binomial figures and by
//! simulation.

#[path = "../benches/crawl/stats.rs"]
mod stats;

use stats::{CONFIDENCE, median_interval, middle};

#[test]
fn the_median_of_odd_and_even_counts() {
    assert!(middle(&[]).is_nan());
    assert_eq!(middle(&[3.0]), 3.0);
    assert_eq!(middle(&[1.0, 2.0, 9.0]), 2.0);
    assert_eq!(middle(&[1.0, 2.0, 4.0, 9.0]), 3.0);
}

/// The reference: among the `k` from 1 to the middle, the largest whose interval reaches the
/// confidence (1 when none does), and that confidence, from exact integer binomial sums
/// (n ≤ 100).
fn reference(n: usize) -> (usize, f64) {
    let mut row = vec![1u128; 1]; // C(n, i) for i = 0..=n, built row by row
    for m in 1..=n {
        let mut next = vec![1u128; m + 1];
        for i in 1..m {
            next[i] = row[i - 1] + row[i];
        }
        row = next;
    }
    let total = 2f64.powi(n as i32);
    let tail = |j: usize| row[..=j].iter().sum::<u128>() as f64 / total;
    let confidence = |k: usize| 1.0 - 2.0 * tail(k - 1);
    let k = (2..=n.div_ceil(2))
        .filter(|&k| confidence(k) >= CONFIDENCE)
        .max()
        .unwrap_or(1);
    (k, confidence(k))
}

#[test]
fn the_interval_takes_the_order_statistics_the_binomial_allows() {
    let v = |n: usize| (1..=n).map(|i| i as f64).collect::<Vec<_>>();
    assert_eq!(median_interval(&[]), None);
    for n in 1..=100 {
        let (k, c) = reference(n);
        let (lo, hi, got) = median_interval(&v(n)).unwrap();
        assert_eq!((lo, hi), (k as f64, (n + 1 - k) as f64), "n {n}");
        assert!((got - c).abs() < 1e-9, "n {n}: {got} against {c}");
    }
    // Known points: one value says nothing; five give lowest–highest at 1 - 2/32; nine the
    // 2nd to 8th at 1 - 2 * 10/512; fifteen the 4th to 12th; thirty the 10th to 21st.
    assert_eq!(reference(1), (1, 0.0));
    assert_eq!(reference(5), (1, 0.9375));
    assert_eq!(reference(9), (2, 1.0 - 20.0 / 512.0));
    assert_eq!(reference(15).0, 4);
    assert_eq!(reference(30).0, 10);
    // Far beyond what 2^-n holds in a float: still an interval around the middle, at
    // just over the confidence asked.
    let n = 2000;
    let (lo, hi, c) = median_interval(&v(n)).unwrap();
    assert_eq!(lo + hi, (n + 1) as f64, "symmetric");
    assert_eq!(lo, 956.0, "exact binomial sums give the 956th");
    assert!((CONFIDENCE..0.96).contains(&c), "{c}");
}

#[test]
fn the_interval_holds_the_true_median_as_often_as_it_says() {
    // Skewed samples (an exponential, median ln 2) of several sizes, from a fixed
    // generator: the share of intervals that hold the true median is the confidence they
    // claim, give or take the simulation's own noise (about 5 standard errors).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let truth = std::f64::consts::LN_2;
    for n in [5, 9, 15, 30] {
        let trials = 4000;
        let (mut held, mut claimed) = (0, 0.0);
        for _ in 0..trials {
            let mut v: Vec<f64> = (0..n).map(|_| -(1.0 - uniform()).ln()).collect();
            v.sort_by(f64::total_cmp);
            let (lo, hi, c) = median_interval(&v).unwrap();
            held += usize::from(lo <= truth && truth <= hi);
            claimed = c;
        }
        let share = held as f64 / trials as f64;
        let off = (share - claimed).abs();
        assert!(off <= 0.015, "n {n}: held {share}, claimed {claimed}");
    }
}
