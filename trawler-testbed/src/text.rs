//! Filler prose and the byte-writing helpers every generated body uses.
//!
//! Pages are written straight into one pre-sized `Vec<u8>` per response; these helpers
//! keep that free of `format!` temporaries. The prose comes from a pool of paragraphs
//! built once per testbed from the seed: copying a pooled paragraph is a memcpy, which
//! is what lets a 20 KB page cost a few microseconds.

use super::rng::Rng;

/// Vocabulary of the filler.
#[rustfmt::skip] // one word per line would triple this file for nothing.
pub(crate) const WORDS: &[&str] = &[
    "actor", "mailbox", "crawler", "frontier", "scheduler", "politeness", "robots", "sitemap",
    "fetch", "parse", "link", "extract", "queue", "budget", "latency", "throughput",
    "backpressure", "supervisor", "restart", "message", "channel", "worker", "pool", "shard",
    "hash", "dedupe", "bloom", "filter", "canonical", "redirect", "header", "status", "cookie",
    "session", "timeout", "retry", "jitter", "exponential", "backoff", "metric", "trace", "span",
    "histogram", "counter", "gauge", "sample", "window", "rate", "limit", "token", "bucket",
    "domain", "host", "path", "query", "fragment", "anchor", "title", "meta", "description",
    "keyword", "content", "body", "paragraph", "section", "article", "footer", "navigation",
    "index", "archive", "category", "tag", "author", "date", "update", "release", "version",
    "stable", "nightly", "feature", "config", "option", "default", "system", "network", "socket",
    "buffer", "stream", "chunk", "encoding", "compression", "storage", "disk", "memory", "cache",
    "eviction", "policy", "snapshot", "checkpoint", "recovery", "durable", "the", "of", "and",
    "to", "in", "is", "for", "on", "with", "as", "by", "at", "from", "that", "this", "be", "are",
    "was", "it", "an", "or", "which", "their", "more", "can", "will", "has", "have", "not", "all",
    "new", "one", "also", "but", "into", "other", "about", "river", "mountain", "harbor",
    "lantern", "meadow", "orchard", "granite", "willow", "copper", "falcon", "quartz", "ember",
    "summit", "valley", "cedar", "maple", "thunder", "breeze", "coral", "prairie", "glacier",
];

/// Paragraphs in the pool; enough that neighbouring pages rarely look alike.
const POOL_PARAGRAPHS: usize = 256;

/// One pooled paragraph (plain text, no markup) and the offsets of its spaces, which are
/// where links may be slotted in without splitting a word.
#[derive(Debug)]
pub(crate) struct Paragraph {
    pub(crate) text: String,
    pub(crate) gaps: Vec<u32>,
}

/// The shared pool of filler paragraphs.
#[derive(Debug)]
pub(crate) struct Filler {
    pub(crate) paragraphs: Vec<Paragraph>,
    /// Mean paragraph length in bytes, used to spread links evenly over a page.
    pub(crate) mean_len: usize,
}

impl Filler {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0x5eed_f111);
        let paragraphs: Vec<Paragraph> =
            (0..POOL_PARAGRAPHS).map(|_| paragraph(&mut rng)).collect();
        let mean_len = paragraphs.iter().map(|p| p.text.len()).sum::<usize>() / POOL_PARAGRAPHS;
        Self {
            paragraphs,
            mean_len,
        }
    }
}

#[allow(clippy::cast_possible_truncation)] // a paragraph is far below 4 GiB.
fn paragraph(rng: &mut Rng) -> Paragraph {
    let words = rng.range(40, 140);
    let mut text = String::with_capacity(1024);
    let mut gaps = Vec::with_capacity(160);
    let mut capital = true;
    for i in 0..words {
        if i > 0 {
            gaps.push(text.len() as u32);
            text.push(' ');
        }
        let word = *rng.pick(WORDS);
        if capital {
            let mut chars = word.chars();
            text.extend(chars.next().map(|c| c.to_ascii_uppercase()));
            text.push_str(chars.as_str());
        } else {
            text.push_str(word);
        }
        let r = rng.unit();
        capital = r < 0.07;
        if capital || i + 1 == words {
            text.push('.');
        } else if r < 0.12 {
            text.push(',');
        }
    }
    Paragraph { text, gaps }
}

/// A random word of the vocabulary.
pub(crate) fn word(rng: &mut Rng) -> &'static str {
    WORDS[rng.index(WORDS.len())]
}

/// Appends a string.
pub(crate) fn push(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

/// Appends `n` in decimal, zero-padded to at least `width` digits.
pub(crate) fn push_num(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        digits[i] = b'0' + u8::try_from(v % 10).unwrap_or(0);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for _ in (digits.len() - i)..width {
        out.push(b'0');
    }
    out.extend_from_slice(&digits[i..]);
}

/// Appends a word with its first letter upper-cased.
pub(crate) fn push_capitalized(out: &mut Vec<u8>, word: &str) {
    let bytes = word.as_bytes();
    if let Some((first, rest)) = bytes.split_first() {
        out.push(first.to_ascii_uppercase());
        out.extend_from_slice(rest);
    }
}

/// True if `s` is exactly how [`push_num`] writes `value` with `width`: a canonical form
/// test, so that `/s3/p12.html` is not an alias of `/s03/p000012.html`.
pub(crate) fn is_canonical_num(s: &str, width: usize) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = s.parse().ok()?;
    let natural = value.checked_ilog10().map_or(1, |d| d as usize + 1);
    (s.len() == natural.max(width)).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_padded_and_canonical_forms_round_trip() {
        let mut out = Vec::new();
        push_num(&mut out, 42, 6);
        push(&mut out, " ");
        push_num(&mut out, 1_234_567, 6);
        push(&mut out, " ");
        push_num(&mut out, 0, 2);
        assert_eq!(out, b"000042 1234567 00");
        assert_eq!(is_canonical_num("000042", 6), Some(42));
        assert_eq!(is_canonical_num("1234567", 6), Some(1_234_567));
        assert_eq!(is_canonical_num("42", 6), None);
        assert_eq!(is_canonical_num("0000042", 6), None);
        assert_eq!(is_canonical_num("+00042", 6), None);
    }

    #[test]
    fn filler_is_deterministic_and_gaps_are_spaces() {
        let (a, b) = (Filler::new(3), Filler::new(3));
        assert_eq!(a.paragraphs[17].text, b.paragraphs[17].text);
        for p in &a.paragraphs {
            assert!(
                p.gaps
                    .iter()
                    .all(|&g| p.text.as_bytes()[g as usize] == b' ')
            );
            assert!(!p.text.contains('"') && !p.text.contains('<'));
        }
        assert!(a.mean_len > 200, "{}", a.mean_len);
    }
}
