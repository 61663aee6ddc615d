//! A keyed pseudo-random permutation of `0..n`, computable both ways in O(1).
//!
//! The site's spanning tree is a plain `B`-ary heap over *positions* (position `q`'s
//! children are `q*B+1 ..= q*B+B`), so a page's children are known without storing
//! anything. Pages are placed on positions through this permutation, so the tree looks
//! random (a page's parent is a hash-chosen page, its children scattered over sections)
//! while a 10M-page site still costs no memory. It is a balanced Feistel network on the
//! smallest even power of two covering `n`, with cycle walking to stay inside `0..n`
//! (fewer than 4 rounds-trips on average, since that power is below `4n`).

use super::rng::hash3;

/// Feistel rounds; 4 is plenty for shuffling (this is not cryptography).
const ROUNDS: u64 = 4;

/// A bijection on `0..n` chosen by a key.
#[derive(Debug, Clone)]
pub(crate) struct Permutation {
    n: u64,
    half_bits: u32,
    key: u64,
}

impl Permutation {
    pub(crate) fn new(n: u64, key: u64) -> Self {
        let bits = 64 - n.saturating_sub(1).leading_zeros();
        // Balanced halves need an even width; 2 bits minimum keeps the network non-trivial.
        let half_bits = bits.div_ceil(2).max(1);
        Self { n, half_bits, key }
    }

    fn mask(&self) -> u64 {
        (1u64 << self.half_bits) - 1
    }

    fn round(&self, r: u64, x: u64) -> u64 {
        hash3(self.key, r, x) & self.mask()
    }

    fn encrypt(&self, x: u64) -> u64 {
        let (mut l, mut r) = (x >> self.half_bits, x & self.mask());
        for i in 0..ROUNDS {
            (l, r) = (r, l ^ self.round(i, r));
        }
        (l << self.half_bits) | r
    }

    fn decrypt(&self, y: u64) -> u64 {
        let (mut l, mut r) = (y >> self.half_bits, y & self.mask());
        for i in (0..ROUNDS).rev() {
            (l, r) = (r ^ self.round(i, l), l);
        }
        (l << self.half_bits) | r
    }

    /// The image of `x` (`x < n`).
    pub(crate) fn apply(&self, x: u64) -> u64 {
        debug_assert!(x < self.n);
        let mut y = self.encrypt(x);
        // Cycle walking: the cycle through x must come back below n, since x is.
        while y >= self.n {
            y = self.encrypt(y);
        }
        y
    }

    /// The preimage of `y` (`y < n`): `invert(apply(x)) == x`.
    pub(crate) fn invert(&self, y: u64) -> u64 {
        debug_assert!(y < self.n);
        let mut x = self.decrypt(y);
        while x >= self.n {
            x = self.decrypt(x);
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_bijection_with_its_inverse() {
        for n in [1u64, 2, 3, 4, 5, 17, 255, 256, 1000, 4097] {
            let p = Permutation::new(n, 42 + n);
            let mut seen = vec![false; usize::try_from(n).unwrap()];
            for x in 0..n {
                let y = p.apply(x);
                assert!(y < n, "n={n} x={x} y={y}");
                assert!(!seen[usize::try_from(y).unwrap()], "n={n}: {y} hit twice");
                seen[usize::try_from(y).unwrap()] = true;
                assert_eq!(p.invert(y), x);
            }
        }
    }

    #[test]
    fn different_keys_shuffle_differently() {
        let (a, b) = (Permutation::new(1000, 1), Permutation::new(1000, 2));
        let same = (0..1000).filter(|&x| a.apply(x) == b.apply(x)).count();
        assert!(same < 20, "{same} fixed points in common");
        assert!((0..1000).filter(|&x| a.apply(x) == x).count() < 20);
    }
}
