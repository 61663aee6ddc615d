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

#[test]
fn the_interval_takes_the_order_statistics_the_binomial_allows() {
    let v = |n: usize| (1..=n).map(|i| i as f64).collect::<Vec<_>>();
    assert_eq!(median_interval(&[]), None);
    // One value: nothing can be said of the median's place.
    assert_eq!(median_interval(&v(1)), Some((1.0, 1.0, 0.0)));
    // Five: lowest and highest, 1 - 2/32.
    assert_eq!(median_interval(&v(5)), Some((1.0, 5.0, 0.9375)));
    // Six: still the ends, now 1 - 2/64.
    assert_eq!(median_interval(&v(6)), Some((1.0, 6.0, 1.0 - 2.0 / 64.0)));
    // Nine: second lowest to second highest, 1 - 2 * 10/512.
    assert_eq!(median_interval(&v(9)), Some((2.0, 8.0, 1.0 - 20.0 / 512.0)));
    // Fifteen: 4th to 12th, 1 - 2 * (1 + 15 + 105 + 455)/32768.
    let (lo, hi, c) = median_interval(&v(15)).unwrap();
    assert_eq!((lo, hi), (4.0, 12.0));
    assert!((c - (1.0 - 2.0 * 576.0 / 32768.0)).abs() < 1e-12, "{c}");
    // Thirty: 10th to 21st (the 11th would give under 95 %).
    let (lo, hi, c) = median_interval(&v(30)).unwrap();
    assert_eq!((lo, hi), (10.0, 21.0));
    assert!((CONFIDENCE..0.96).contains(&c), "{c}");
}

#[test]
fn the_interval_holds_the_true_median_as_often_as_it_says() {
    // Skewed samples (an exponential, median ln 2) of several sizes, from a fixed
    // generator: the share of intervals that hold the true median is at least the
    // confidence they claim, give or take the simulation's own noise.
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
