//! Pages saved under a directory from a hostile set of URLs: every file lands inside the
//! directory, nothing is written anywhere else, symbolic links planted in the tree are never
//! followed, and a page and a directory wanting the same name both survive. Needs the `save`
//! feature.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use trawler::save::{SaveError, SavePath, save_page, write_under};
use url::Url;

const HOSTILE: [&str; 24] = [
    "http://h.test/",
    "http://h.test/../../../../outside",
    "http://h.test/%2e%2e/%2e%2e/outside2",
    "http://h.test/a/%2e%2e%2f%2e%2e%2f%2e%2e%2foutside3",
    "http://h.test/a%2F..%2F..%2F..%2Foutside4",
    "http://h.test/..%5C..%5C..%5Coutside5",
    "http://h.test/a\\..\\..\\outside6",
    "http://h.test/%00nul",
    "http://h.test/%2Fetc%2Fpasswd",
    "http://h.test/C:%5Cwindows%5Csystem32",
    "http://h.test/con",
    "http://h.test/NUL.txt",
    "http://h.test/.git/config",
    "http://h.test/dir./file. ",
    "http://h.test/About",
    "http://h.test/about",
    "http://h.test/ABOUT",
    "http://h.test/search?q=../../x&r=%2F",
    "http://h.test/search?q=../../y",
    "http://h.test/page?",
    "http://h.test/%E2%80%AEfdp.exe",
    "http://h.test/%F0%9F%A6%80/crab",
    "http://127.0.0.1:8080/port",
    "http://[::1]:81/v6",
];

/// Every regular file under `dir`, relative.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                out.insert(entry.path().strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

fn long_urls() -> Vec<String> {
    vec![
        format!("http://h.test/{}", "n".repeat(3_000)),
        format!("http://h.test/{}", "N".repeat(3_000)),
        format!("http://h.test/{}x.html", "deep/".repeat(300)),
        format!("http://h.test/q?{}", "%2e%2e%2f".repeat(500)),
    ]
}

#[test]
fn a_hostile_url_set_never_writes_outside() {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("save");
    let urls: Vec<String> = HOSTILE
        .iter()
        .map(|s| (*s).to_owned())
        .chain(long_urls())
        .collect();
    let mut written = BTreeSet::new();
    for (i, text) in urls.iter().enumerate() {
        let url = Url::parse(text).unwrap();
        let body = format!("page {i}");
        let path =
            save_page(&root, &url, body.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
        let canonical = path.canonicalize().unwrap();
        assert!(
            canonical.starts_with(root.canonicalize().unwrap()),
            "{text}: {path:?}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), body, "{text}");
        assert!(
            written.insert(path.clone()),
            "{text}: {path:?} already written"
        );
    }
    // Nothing beside the save directory, and exactly one file per URL inside it (no
    // temporary file left), with names distinct even where case is ignored.
    let beside: Vec<_> = fs::read_dir(base.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside, ["save"]);
    let inside = files(&root);
    assert_eq!(inside.len(), urls.len());
    let folded: BTreeSet<String> = inside
        .iter()
        .map(|p| p.to_string_lossy().to_lowercase())
        .collect();
    assert_eq!(folded.len(), urls.len());
    for p in &inside {
        let name = p.file_name().unwrap().to_str().unwrap();
        assert!(name.len() <= 200 && !name.starts_with('.'), "{p:?}");
    }
}

#[test]
fn a_page_and_a_directory_of_the_same_name_both_survive() {
    for order in [["/docs", "/docs/intro"], ["/docs/intro", "/docs"]] {
        let root = tempfile::tempdir().unwrap();
        for path in order {
            let url = Url::parse(&format!("http://h.test{path}")).unwrap();
            save_page(root.path(), &url, path.as_bytes()).unwrap();
        }
        let docs = root.path().join("h.test/docs");
        assert_eq!(
            fs::read_to_string(docs.join("index.html")).unwrap(),
            "/docs",
            "{order:?}"
        );
        assert_eq!(
            fs::read_to_string(docs.join("intro")).unwrap(),
            "/docs/intro",
            "{order:?}"
        );
        assert_eq!(files(root.path()).len(), 2, "{order:?}");
    }
}

#[cfg(unix)]
#[test]
fn symbolic_links_in_the_tree_are_not_followed() {
    use std::os::unix::fs::symlink;

    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("save");
    let outside = base.path().join("outside");
    fs::create_dir_all(root.join("h.test")).unwrap();
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("secret"), "untouched").unwrap();
    // A directory link on the way, and a file link at the target.
    symlink(&outside, root.join("h.test/evil")).unwrap();
    symlink(outside.join("secret"), root.join("h.test/page")).unwrap();

    let url = |p: &str| Url::parse(&format!("http://h.test{p}")).unwrap();
    let through = save_page(&root, &url("/evil/secret"), b"overwritten");
    assert!(
        matches!(through, Err(SaveError::NotPlain { .. })),
        "{through:?}"
    );
    let at = save_page(&root, &url("/page"), b"overwritten");
    assert!(matches!(at, Err(SaveError::NotPlain { .. })), "{at:?}");
    let under = save_page(&root, &url("/evil/"), b"overwritten");
    assert!(
        matches!(under, Err(SaveError::NotPlain { .. })),
        "{under:?}"
    );
    assert_eq!(
        fs::read_to_string(outside.join("secret")).unwrap(),
        "untouched"
    );
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 1);

    // The same names without links work, and SavePath is the layout used.
    let p = SavePath::for_url(&url("/fine/page.html")).unwrap();
    let written = write_under(&root, &p, b"ok").unwrap();
    assert_eq!(written, root.join(p.to_path_buf()));
}
