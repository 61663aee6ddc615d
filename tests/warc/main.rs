//! WARC archives of real exchanges with a local site, checked by an independent reader
//! (Python's warcio: `warcio check`, `warcio index`, `ArchiveIterator`), read back by the
//! project's own reader, reached by CDXJ offset, and served again by the replay server.
//! Needs the `warc` feature and warcio (`python3 -m pip install warcio`).

mod client;
mod crawl;
mod files;
mod site;
mod warcio;

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use trawler::archive::{
    BodyForm, Exchange, ReplayIndex, ReplayServer, WarcConfig, WarcReader, WarcRecord, WarcWriter,
    read_cdxj, read_record_at,
};
use url::Url;

/// The client's body cap: `/big` (200 KB) is cut here and recorded as truncated.
const CAP: usize = 64 * 1024;
const PATHS: [&str; 11] = [
    "/",
    "/gzip",
    "/chunked",
    "/old",
    "/abs",
    "/new",
    "/missing",
    "/image.png",
    "/big",
    "/same-a",
    "/same-b",
];

fn url_of(addr: std::net::SocketAddr, path: &str) -> Url {
    Url::parse(&format!("http://{addr}{path}")).unwrap()
}

/// Fetches every path of the site and records the exchanges; returns the files and exchanges.
fn record(site: &site::Site, config: WarcConfig) -> (Vec<PathBuf>, Vec<Exchange>) {
    let mut writer = WarcWriter::create(config).unwrap();
    let mut exchanges = Vec::new();
    for path in PATHS {
        let ex = client::fetch(site.addr, path, &url_of(site.addr, path), CAP);
        writer.write(&ex).unwrap();
        exchanges.push(ex);
    }
    (writer.finish().unwrap(), exchanges)
}

fn records(file: &Path) -> Vec<WarcRecord> {
    WarcReader::open(file)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn cdxj_of(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .replace(".warc.gz", ".cdxj");
    file.with_file_name(name)
}

/// What the site sent for `path` once transfer and content coding are undone.
fn decoded(path: &str) -> Vec<u8> {
    let mut body = site::body_of(path);
    body.truncate(CAP);
    body
}

#[test]
fn a_recorded_site_passes_warcio_and_reads_back() {
    warcio::require();
    let dir = tempfile::tempdir().unwrap();
    let site = site::Site::start();
    let config = WarcConfig::new(dir.path(), "site").revisits(true);
    let (files, exchanges) = record(&site, config);
    site.stop();
    assert_eq!(files.len(), 1);
    let file = &files[0];
    let ours = records(file);
    let kinds: Vec<&str> = ours.iter().map(WarcRecord::kind).collect();
    assert_eq!(kinds.len(), 1 + 2 * PATHS.len());
    assert_eq!(
        kinds.iter().filter(|k| **k == "revisit").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        ours.last().unwrap().kind(),
        "revisit",
        "/same-b repeats /same-a's payload"
    );

    // warcio check: every digest it can check passes (it does not check revisits).
    assert_eq!(warcio::check(file), ours.len() - 1);

    // warcio index: the same records, at the same offsets and lengths, as our reader's.
    let fields = "warc-type,warc-target-uri,offset,length,http:status";
    let (ok, out, err) = warcio::warcio(&["index", "-f", fields, file.to_str().unwrap()]);
    assert!(ok, "warcio index: {err}");
    let theirs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(theirs.len(), ours.len());
    for (t, o) in theirs.iter().zip(&ours) {
        assert_eq!(t["warc-type"], o.kind());
        assert_eq!(t["offset"], o.offset.to_string());
        assert_eq!(t["length"], o.length.to_string());
        if let Some(uri) = o.target_uri() {
            assert_eq!(t["warc-target-uri"], uri);
        }
        if matches!(o.kind(), "response" | "revisit") {
            let status = o.http_response().unwrap().head.status.to_string();
            assert_eq!(t["http:status"], status);
        }
    }

    // warcio's ArchiveIterator: each response's content, transfer and content coding undone,
    // is what the site sent (cut at the cap for /big).
    let script = r#"
import sys, json
from warcio.archiveiterator import ArchiveIterator
out = {}
with open(sys.argv[1], 'rb') as f:
    for r in ArchiveIterator(f, check_digests='raise'):
        if r.rec_type == 'response':
            uri = r.rec_headers.get_header('WARC-Target-URI')
            out[uri] = [r.http_headers.get_statuscode(), r.content_stream().read().hex(),
                        r.rec_headers.get_header('WARC-Truncated')]
print(json.dumps(out))
"#;
    let (ok, out, err) = warcio::python(script, &[file.to_str().unwrap()]);
    assert!(ok, "ArchiveIterator: {err}");
    let seen: HashMap<String, (String, String, Option<String>)> =
        serde_json::from_str(&out).unwrap();
    assert_eq!(seen.len(), PATHS.len() - 1);
    for ex in exchanges
        .iter()
        .filter(|e| !e.url.path().ends_with("same-b"))
    {
        let path = ex.url.path();
        let (status, hex, truncated) = &seen[ex.url.as_str()];
        assert_eq!(status, &ex.response.status.to_string(), "{path}");
        let expected: String = decoded(path).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, &expected, "{path}: warcio's decoded content");
        assert_eq!(truncated.is_some(), path == "/big", "{path}");
    }

    // Our reader: digests verify, and bodies are the wire bodies with chunk framing undone.
    for r in &ours {
        r.verify_digests().unwrap();
    }
    let by_uri: HashMap<&str, &WarcRecord> = ours
        .iter()
        .filter(|r| r.kind() == "response")
        .map(|r| (r.target_uri().unwrap(), r))
        .collect();
    for ex in &exchanges {
        let path = ex.url.path();
        let Some(r) = by_uri.get(ex.url.as_str()) else {
            continue;
        };
        let http = r.http_response().unwrap();
        assert_eq!(http.head, ex.response, "{path}");
        let body = if path == "/gzip" {
            gunzip(&http.body)
        } else {
            http.body.clone()
        };
        assert_eq!(body, decoded(path), "{path}");
    }
    let chunked = by_uri[url_of(site_addr(&exchanges), "/chunked").as_str()];
    assert!(
        chunked.http_response().unwrap().head.is_chunked(),
        "the stream was chunked"
    );
    assert!(
        chunked.block.ends_with(b"0\r\n\r\n"),
        "chunk framing kept as received"
    );

    // Random access: every CDXJ line's offset reaches its record, for us and for warcio.
    let index = read_cdxj(&cdxj_of(file)).unwrap();
    assert_eq!(index.len(), PATHS.len());
    let mut offsets = Vec::new();
    for entry in &index {
        let r = read_record_at(file, entry.offset().unwrap()).unwrap();
        assert_eq!(r.target_uri(), Some(entry.url.as_str()));
        assert_eq!(r.length.to_string(), entry.length);
        offsets.push(entry.offset.clone());
    }
    let script = r#"
import sys
from warcio.archiveiterator import ArchiveIterator
with open(sys.argv[1], 'rb') as f:
    for off in sys.argv[2:]:
        f.seek(int(off))
        r = next(iter(ArchiveIterator(f)))
        print(r.rec_type, r.rec_headers.get_header('WARC-Target-URI'))
"#;
    let mut args = vec![file.to_str().unwrap()];
    args.extend(offsets.iter().map(String::as_str));
    let (ok, out, err) = warcio::python(script, &args);
    assert!(ok, "seek + ArchiveIterator: {err}");
    let expected: Vec<String> = index
        .iter()
        .map(|e| {
            let kind = if e.mime == "warc/revisit" {
                "revisit"
            } else {
                "response"
            };
            format!("{kind} {}", e.url)
        })
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
}

fn site_addr(exchanges: &[Exchange]) -> std::net::SocketAddr {
    let url = &exchanges[0].url;
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
        .parse()
        .unwrap()
}

#[test]
fn the_replay_server_answers_as_the_site_did() {
    let dir = tempfile::tempdir().unwrap();
    let site = site::Site::start();
    let origin = site.addr;
    let config = WarcConfig::new(dir.path(), "replay").revisits(true);
    let (files, exchanges) = record(&site, config);
    site.stop();

    let index = ReplayIndex::open(&files).unwrap();
    assert_eq!(index.len(), PATHS.len());
    let replay = ReplayServer::start(index, 0).unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", replay.url().port().unwrap())
        .parse()
        .unwrap();
    let own = |path: &str| url_of(addr, path);

    for ex in &exchanges {
        let path = ex.url.path();
        let again = client::fetch(addr, path, &own(path), usize::MAX);
        assert_eq!(again.response.status, ex.response.status, "{path}");
        for name in ["content-type", "content-encoding"] {
            assert_eq!(
                again.response.get(name),
                ex.response.get(name),
                "{path}: {name}"
            );
        }
        assert!(!again.response.is_chunked(), "{path}: served unframed");
        let dates = |h: &trawler::archive::ResponseHead| -> Vec<Vec<u8>> {
            let date = h
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("date"));
            date.map(|(_, v)| v.clone()).collect()
        };
        assert_eq!(
            dates(&again.response),
            dates(&ex.response),
            "{path}: the recorded Date"
        );
        let body = match path {
            "/gzip" => gunzip(&again.body),
            _ => again.body.to_vec(),
        };
        assert_eq!(body, decoded(path), "{path}");
    }
    // The recorded redirects: a relative Location as recorded, an absolute one into the
    // recorded site moved onto the replay, so following it stays there.
    let old = client::fetch(addr, "/old", &own("/old"), usize::MAX);
    assert_eq!(old.response.get("location"), Some("/new"));
    let abs = client::fetch(addr, "/abs", &own("/abs"), usize::MAX);
    let moved = Url::parse(abs.response.get("location").unwrap()).unwrap();
    assert_eq!(moved, own("/new"));
    let followed = client::fetch(addr, "/new", &moved, usize::MAX);
    assert_eq!(
        (followed.response.status, &followed.body[..]),
        (200, site::NEW.as_bytes())
    );
    // Never recorded: 404 from the replay itself, not the site's recorded 404 page.
    let never = client::fetch(addr, "/never", &own("/never"), usize::MAX);
    assert_eq!(never.response.status, 404);
    assert_eq!(&never.body[..], b"not in the archive\n");
    // A request in absolute form (as to a proxy) names the recorded URL itself.
    let recorded = url_of(origin, "/new");
    let proxied = client::fetch(addr, recorded.as_str(), &recorded, usize::MAX);
    assert_eq!(
        (proxied.response.status, &proxied.body[..]),
        (200, site::NEW.as_bytes())
    );
    replay.stop();
}

#[test]
fn rolled_files_and_decoded_bodies_pass_warcio() {
    warcio::require();
    let dir = tempfile::tempdir().unwrap();
    let site = site::Site::start();
    let config = WarcConfig::new(dir.path(), "rolled").max_size(4_000);
    let mut writer = WarcWriter::create(config).unwrap();
    for path in PATHS {
        let mut ex = client::fetch(site.addr, path, &url_of(site.addr, path), CAP);
        writer.write(&ex).unwrap();
        // The same exchange as an HTTP client hands it over: chunk framing already removed.
        if ex.response.is_chunked() {
            ex.body = Bytes::from(site::PARTS.concat());
            ex.body_form = BodyForm::TransferDecoded;
            writer.write(&ex).unwrap();
        }
    }
    let files = writer.finish().unwrap();
    site.stop();
    assert!(files.len() >= 3, "{} files", files.len());
    let mut responses = 0;
    for file in &files {
        let ours = records(file);
        assert_eq!(ours[0].kind(), "warcinfo");
        assert_eq!(warcio::check(file), ours.len(), "{}", file.display());
        let (ok, out, err) =
            warcio::warcio(&["index", "-f", "offset,warc-type", file.to_str().unwrap()]);
        assert!(ok, "{err}");
        let offsets: Vec<String> = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["warc-type"] == "response")
            .map(|v| v["offset"].as_str().unwrap().to_owned())
            .collect();
        let mut indexed: Vec<String> = read_cdxj(&cdxj_of(file))
            .unwrap()
            .into_iter()
            .map(|e| e.offset)
            .collect();
        let mut sorted = offsets.clone();
        sorted.sort();
        indexed.sort();
        assert_eq!(indexed, sorted, "{}", file.display());
        responses += offsets.len();
    }
    assert_eq!(responses, PATHS.len() + 1);
}
