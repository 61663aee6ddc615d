use super::*;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn brotli(data: &[u8], lgwin: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, lgwin);
    w.write_all(data).unwrap();
    drop(w);
    out
}

/// Feeds `body` in `step`-byte chunks, as a socket would.
fn decode(
    coding: Option<&str>,
    body: &[u8],
    cap: usize,
    step: usize,
) -> Result<(Vec<u8>, Decoded), DecodeError> {
    let mut d = BodyDecoder::new(coding, cap);
    for chunk in body.chunks(step.max(1)) {
        if !d.push(chunk)? {
            break;
        }
    }
    d.finish()
}

fn page() -> Vec<u8> {
    (0..20_000u32)
        .flat_map(|i| format!("<a href=\"/p{i}\">{i}</a>\n").into_bytes())
        .collect()
}

#[test]
fn every_coding_round_trips_in_any_chunking() {
    let text = page();
    let bodies = [
        (Some("gzip"), gzip(&text)),
        (Some("x-gzip"), gzip(&text)),
        (Some("deflate"), zlib(&text)),
        (Some("deflate"), raw_deflate(&text)),
        (Some("br"), brotli(&text, 22)),
        (Some("identity"), text.clone()),
        (None, text.clone()),
    ];
    for (coding, body) in &bodies {
        for step in [1, 7, 1024, usize::MAX] {
            let (out, how) = decode(*coding, body, 1 << 30, step).unwrap();
            assert_eq!(how, Decoded::Whole, "{coding:?} step {step}");
            assert!(out == text, "{coding:?} step {step}: {} bytes", out.len());
        }
    }
}

#[test]
fn stacked_codings_are_undone_last_first() {
    let text = page();
    let body = brotli(&gzip(&text), 22);
    let (out, how) = decode(Some("gzip, br"), &body, 1 << 30, 4096).unwrap();
    assert_eq!(how, Decoded::Whole);
    assert!(out == text);
}

#[test]
fn unknown_codings_pass_through_untouched() {
    let body = b"\x28\xb5\x2f\xfd not really zstd".to_vec();
    let (out, how) = decode(Some("zstd"), &body, 1 << 20, 3).unwrap();
    assert_eq!((out, how), (body.clone(), Decoded::Whole));
    let (out, _) = decode(Some("gzip, compress"), &body, 1 << 20, 3).unwrap();
    assert_eq!(out, body);
}

#[test]
fn bombs_stop_at_the_cap() {
    let zeros = vec![0u8; 64 << 20];
    let cap = 1 << 20;
    for (coding, body) in [
        ("gzip", gzip(&zeros)),
        ("deflate", zlib(&zeros)),
        ("br", brotli(&zeros, 24)),
    ] {
        assert!(
            body.len() < 1 << 20,
            "{coding}: a bomb is small ({} bytes)",
            body.len()
        );
        let (out, how) = decode(Some(coding), &body, cap, 16 * 1024).unwrap();
        assert_eq!(how, Decoded::Truncated, "{coding}");
        assert_eq!(out.len(), cap, "{coding}");
        assert!(out.iter().all(|&b| b == 0));
    }
}

#[test]
fn the_cap_applies_to_plain_bodies_too() {
    let (out, how) = decode(None, &[b'x'; 5000], 4096, 1000).unwrap();
    assert_eq!((out.len(), how), (4096, Decoded::Truncated));
    let (out, how) = decode(None, &[b'x'; 4096], 4096, 1000).unwrap();
    assert_eq!((out.len(), how), (4096, Decoded::Whole));
}

#[test]
fn cut_or_corrupt_streams_are_errors() {
    let text = page();
    for (coding, body) in [
        ("gzip", gzip(&text)),
        ("deflate", zlib(&text)),
        ("br", brotli(&text, 22)),
    ] {
        let cut = &body[..body.len() / 2];
        let err = decode(Some(coding), cut, 1 << 30, 512).unwrap_err();
        assert_eq!(err.coding, coding, "{err}");
        let mut bad = body.clone();
        for b in bad.iter_mut().skip(20).step_by(7) {
            *b ^= 0x5a;
        }
        assert!(
            decode(Some(coding), &bad, 1 << 30, 512).is_err(),
            "{coding} corrupt"
        );
    }
    assert!(
        decode(Some("deflate"), b"x", 100, 1).is_err(),
        "one byte of deflate"
    );
    // Servers send `Content-Encoding: gzip` on empty answers (a 204, a 304): nothing to undo.
    assert_eq!(
        decode(Some("gzip"), b"", 100, 1).unwrap(),
        (vec![], Decoded::Whole)
    );
}

#[test]
fn an_announced_length_sets_room_aside_within_the_cap_and_the_limit() {
    let room = |cap: usize, len: u64| {
        let mut d = BodyDecoder::new(None, cap);
        d.expect(len);
        d.out.borrow().capacity()
    };
    assert!(room(1 << 30, 20_000) >= 20_000);
    // A length is the server's word: the cap and the limit bound what it reserves.
    assert!(room(1_000, 20_000) < 2_000);
    assert!(room(1 << 30, u64::MAX) <= EXPECT_AT_MOST);
    // A body longer than announced still arrives whole.
    let mut d = BodyDecoder::new(None, 1 << 20);
    d.expect(3);
    assert!(d.push(b"longer than announced").unwrap());
    assert_eq!(d.finish().unwrap().0, b"longer than announced");
}
