//! Writer and reader together: every record written reads back, linked and digested.

use std::fs;
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use url::Url;

use super::*;

fn exchange(path: &str, head: ResponseHead, body: &[u8], form: BodyForm) -> Exchange {
    let url = Url::parse(&format!("http://127.0.0.1:8080{path}")).unwrap();
    Exchange {
        request: RequestHead::new("GET", path)
            .header("Host", "127.0.0.1:8080")
            .header("Accept-Encoding", "gzip"),
        url,
        remote_ip: Some("127.0.0.1".parse().unwrap()),
        fetched_at: UNIX_EPOCH + Duration::from_secs(1_735_689_599),
        response: head,
        body: Bytes::copy_from_slice(body),
        body_form: form,
        truncated: false,
    }
}

fn html(len: usize) -> ResponseHead {
    ResponseHead::new(200, "OK")
        .header("Content-Type", "text/html; charset=utf-8")
        .header("Content-Length", len.to_string())
}

fn records(path: &std::path::Path) -> Vec<WarcRecord> {
    WarcReader::open(path)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn exchanges_read_back_linked_and_digested() {
    let dir = tempfile::tempdir().unwrap();
    let config = WarcConfig::new(dir.path(), "t")
        .revisits(true)
        .info("operator", "tests\r\nX: y");
    let mut w = WarcWriter::create(config).unwrap();
    let page = b"<html><body>hello</body></html>";
    let a = w
        .write(&exchange("/a", html(page.len()), page, BodyForm::Wire))
        .unwrap();
    let chunked = ResponseHead::new(200, "OK").header("Transfer-Encoding", "chunked");
    let wire = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    w.write(&exchange("/wire", chunked.clone(), wire, BodyForm::Wire))
        .unwrap();
    let decoded = w
        .write(&exchange(
            "/dec",
            chunked,
            b"hello world",
            BodyForm::TransferDecoded,
        ))
        .unwrap();
    let mut cut = exchange("/cut", html(1000), &page[..10], BodyForm::Wire);
    cut.truncated = true;
    w.write(&cut).unwrap();
    let again = w
        .write(&exchange("/copy", html(page.len()), page, BodyForm::Wire))
        .unwrap();
    assert!(!a.revisit && !decoded.revisit && again.revisit);
    assert_eq!(
        w.position().unwrap().len,
        fs::metadata(&a.response.file).unwrap().len()
    );
    let files = w.finish().unwrap();
    assert_eq!(files.len(), 1);

    let all = records(&files[0]);
    let kinds: Vec<&str> = all.iter().map(WarcRecord::kind).collect();
    assert_eq!(
        kinds,
        [
            "warcinfo", "request", "response", "request", "response", "request", "response",
            "request", "response", "request", "revisit"
        ]
    );
    let info = String::from_utf8(all[0].block.clone()).unwrap();
    assert!(info.contains("software: trawler/") && info.contains("operator: tests  X: y\r\n"));
    for r in &all {
        assert_eq!(r.version, "WARC/1.1");
        r.verify_digests()
            .unwrap_or_else(|e| panic!("{}: {e}", r.record_id()));
        assert_eq!(read_record_at(&files[0], r.offset).unwrap(), *r);
    }
    for pair in all[1..].chunks(2) {
        assert_eq!(
            pair[0].field("WARC-Concurrent-To"),
            Some(pair[1].record_id())
        );
        assert_eq!(
            pair[1].field("WARC-Concurrent-To"),
            Some(pair[0].record_id())
        );
        assert_eq!(pair[0].field("WARC-IP-Address"), Some("127.0.0.1"));
        assert_eq!(
            pair[1].field("WARC-Date"),
            Some("2024-12-31T23:59:59.000000Z")
        );
    }
    assert_eq!(
        all[1].block,
        b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept-Encoding: gzip\r\n\r\n"
    );
    assert_eq!(all[2].http_response().unwrap().body, page);
    // Chunk framing: kept as received, or added around a decoded body; undone on reading.
    assert!(all[4].block.ends_with(wire));
    assert_eq!(all[4].http_response().unwrap().body, b"hello world");
    assert!(all[6].block.ends_with(b"b\r\nhello world\r\n0\r\n\r\n"));
    assert_eq!(all[6].http_response().unwrap().body, b"hello world");
    // Truncation is marked; only the truncated record has the field.
    assert_eq!(all[8].field("WARC-Truncated"), Some("length"));
    assert_eq!(
        all.iter()
            .filter(|r| r.field("WARC-Truncated").is_some())
            .count(),
        1
    );
    // The revisit: headers only, pointing at the first response with that payload.
    let revisit = &all[10];
    assert_eq!(revisit.field("WARC-Refers-To"), Some(all[2].record_id()));
    assert_eq!(
        revisit.field("WARC-Refers-To-Target-URI"),
        Some("http://127.0.0.1:8080/a")
    );
    assert_eq!(
        revisit.field("WARC-Payload-Digest"),
        all[2].field("WARC-Payload-Digest")
    );
    assert!(revisit.http_response().unwrap().body.is_empty());

    // The index: one sorted line per response or revisit, each pointing at its record.
    let cdxj = read_cdxj(&files[0].with_extension("").with_extension("cdxj")).unwrap();
    assert_eq!(cdxj.len(), 5);
    assert!(cdxj.windows(2).all(|w| w[0].to_line() <= w[1].to_line()));
    for entry in &cdxj {
        let r = read_record_at(&files[0], entry.offset().unwrap()).unwrap();
        assert_eq!(r.target_uri(), Some(entry.url.as_str()));
        assert_eq!(entry.length, r.length.to_string());
        assert_eq!(entry.timestamp, "20241231235959");
    }
    let copy = cdxj.iter().find(|e| e.url.ends_with("/copy")).unwrap();
    assert_eq!(
        (copy.mime.as_str(), copy.status.as_str()),
        ("warc/revisit", "200")
    );
    let first = cdxj.iter().find(|e| e.url.ends_with("/a")).unwrap();
    assert_eq!(
        (first.mime.as_str(), first.digest.clone()),
        ("text/html", copy.digest.clone())
    );
}

#[test]
fn files_roll_at_max_size_and_each_starts_with_warcinfo() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::create(WarcConfig::new(dir.path(), "roll").max_size(2_000)).unwrap();
    for i in 0..12 {
        let body = format!("page {i} {}", "x".repeat(i * 97)).into_bytes();
        let body: Vec<u8> = body
            .iter()
            .enumerate()
            .map(|(j, b)| b ^ (j as u8 % 7))
            .collect();
        w.write(&exchange(
            &format!("/{i}"),
            html(body.len()),
            &body,
            BodyForm::Wire,
        ))
        .unwrap();
    }
    let files = w.finish().unwrap();
    assert!(files.len() > 2, "{files:?}");
    let mut urls = Vec::new();
    for file in &files {
        let all = records(file);
        assert_eq!(all[0].kind(), "warcinfo");
        assert_eq!(
            all[0].field("WARC-Filename"),
            file.file_name().unwrap().to_str()
        );
        // A file takes one exchange past the limit only when it holds nothing else.
        let size = fs::metadata(file).unwrap().len();
        assert!(
            size <= 2_000 || all.len() == 3,
            "{} bytes, {} records",
            size,
            all.len()
        );
        urls.extend(
            all.iter()
                .filter(|r| r.kind() == "response")
                .map(|r| r.target_uri().unwrap().to_owned()),
        );
    }
    let expected: Vec<String> = (0..12)
        .map(|i| format!("http://127.0.0.1:8080/{i}"))
        .collect();
    assert_eq!(urls, expected);
}

#[test]
fn a_torn_tail_is_found_and_position_marks_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::create(WarcConfig::new(dir.path(), "torn")).unwrap();
    w.write(&exchange("/a", html(3), b"abc", BodyForm::Wire))
        .unwrap();
    let pos = w.position().unwrap();
    w.write(&exchange("/b", html(3), b"def", BodyForm::Wire))
        .unwrap();
    let full = w.position().unwrap().len;
    drop(w);
    assert_eq!(complete_len(&pos.file).unwrap(), full);
    // Cut the last exchange in the middle of its response record, as a crash would.
    let bytes = fs::read(&pos.file).unwrap();
    fs::write(&pos.file, &bytes[..usize::try_from(full).unwrap() - 20]).unwrap();
    let found = complete_len(&pos.file).unwrap();
    assert!(
        found > pos.len && found < full,
        "{} < {found} < {full}",
        pos.len
    );
    assert!(WarcReader::open(&pos.file).unwrap().any(|r| r.is_err()));
    // Cut back to the writer's position: every record reads, the last is /a's response.
    fs::write(&pos.file, &bytes[..usize::try_from(pos.len).unwrap()]).unwrap();
    let all = records(&pos.file);
    assert_eq!(
        all.last().unwrap().target_uri(),
        Some("http://127.0.0.1:8080/a")
    );
}

#[test]
fn bad_configurations_and_oversized_blocks_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    for config in [
        WarcConfig::new(dir.path(), "x").max_size(0),
        WarcConfig::new(dir.path(), "../up"),
        WarcConfig::new(dir.path(), ""),
        WarcConfig::new(dir.path(), "x").compression(10),
    ] {
        assert!(matches!(
            WarcWriter::create(config),
            Err(WarcError::Config(_))
        ));
    }
    let mut w = WarcWriter::create(WarcConfig::new(dir.path(), "big")).unwrap();
    let body = vec![b'z'; 10_000];
    let written = w
        .write(&exchange("/big", html(body.len()), &body, BodyForm::Wire))
        .unwrap();
    let file = fs::File::open(&written.response.file).unwrap();
    let mut reader = WarcReader::new(std::io::BufReader::new(file), 0).max_block(5_000);
    let errors: Vec<_> = reader.by_ref().filter_map(Result::err).collect();
    assert!(matches!(errors[..], [WarcError::TooLarge { len, max: 5_000, .. }] if len > 10_000));
    assert!(reader.next().is_none(), "the reader stops after an error");
    let not_a_record = read_record_at(&written.response.file, written.response.offset + 1);
    assert!(matches!(not_a_record, Err(WarcError::Malformed { .. })));
}

/// The URLs of the response records of every file in `dir` with `prefix`, in file order.
fn archived(dir: &std::path::Path, prefix: &str) -> Vec<String> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(prefix) && name.ends_with(".warc.gz")
        })
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| records(f))
        .filter(|r| r.kind() == "response")
        .map(|r| r.target_uri().unwrap().to_owned())
        .collect()
}

#[test]
fn a_resumed_writer_cuts_back_to_its_mark_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = || WarcConfig::new(dir.path(), "c").stamp("s1").max_size(1_500);
    let page = vec![b'x'; 400];
    let mut w = WarcWriter::create(config()).unwrap();
    for i in 0..4 {
        w.write(&exchange(
            &format!("/{i}"),
            html(page.len()),
            &page,
            BodyForm::Wire,
        ))
        .unwrap();
    }
    let mark = w.mark().unwrap();
    assert!(mark.0 > 1, "rolled before the mark: {mark:?}");
    for i in 4..9 {
        w.write(&exchange(
            &format!("/{i}"),
            html(page.len()),
            &page,
            BodyForm::Wire,
        ))
        .unwrap();
    }
    // Killed: the last file unsorted, a torn record at its end.
    let last = w.files().pop().unwrap();
    drop(w);
    let mut f = fs::OpenOptions::new().append(true).open(&last).unwrap();
    std::io::Write::write_all(&mut f, b"\x1f\x8b\x08torn").unwrap();
    // Another crawl's files in the same directory are left alone.
    let other = WarcConfig::new(dir.path(), "c").stamp("s2");
    let mut o = WarcWriter::create(other).unwrap();
    o.write(&exchange("/other", html(page.len()), &page, BodyForm::Wire))
        .unwrap();
    o.finish().unwrap();

    let mut w = WarcWriter::resume(config(), Some(mark)).unwrap();
    assert_eq!(w.mark(), Some(mark));
    let kept: Vec<String> = (0..4)
        .map(|i| format!("http://127.0.0.1:8080/{i}"))
        .collect();
    assert_eq!(archived(dir.path(), "c-s1-"), kept);
    w.write(&exchange("/again", html(page.len()), &page, BodyForm::Wire))
        .unwrap();
    let files = w.finish().unwrap();
    let mut want = kept.clone();
    want.push("http://127.0.0.1:8080/again".into());
    assert_eq!(archived(dir.path(), "c-s1-"), want);
    for f in &files {
        for r in records(f) {
            r.verify_digests().unwrap();
        }
        // Each index line points at a response of its own file.
        let index = f.to_string_lossy().replace(".warc.gz", ".cdxj");
        for entry in read_cdxj(std::path::Path::new(&index)).unwrap() {
            let r = read_record_at(f, entry.offset().unwrap()).unwrap();
            assert_eq!(r.target_uri(), Some(entry.url.as_str()));
        }
    }
    assert_eq!(
        archived(dir.path(), "c-s2-"),
        ["http://127.0.0.1:8080/other"]
    );

    // Nothing committed: the stamp's files are all removed and the first started again.
    let w = WarcWriter::resume(config(), None).unwrap();
    assert_eq!(w.mark().map(|m| m.0), Some(1));
    w.finish().unwrap();
    assert!(archived(dir.path(), "c-s1-").is_empty());
    assert_eq!(archived(dir.path(), "c-s2-").len(), 1);

    // A mark past the file's end is refused; so is a resume without a stamp.
    let err = WarcWriter::resume(config(), Some((1, 1 << 40))).unwrap_err();
    assert!(err.to_string().contains("state says"), "{err}");
    let err = WarcWriter::resume(WarcConfig::new(dir.path(), "c"), None).unwrap_err();
    assert!(matches!(err, WarcError::Config(_)), "{err}");
}
