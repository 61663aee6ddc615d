//! Runs Python's warcio, the independent reader every archive the tests write is checked with.
//!
//! A test that needs it fails (never skips) when it cannot run: install it with
//! `python3 -m pip install warcio`, as `.ci/run` does.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(120);

/// Runs `python3 -c CODE ARGS...`, bounded in time; returns (exit success, stdout, stderr).
pub(crate) fn python(code: &str, args: &[&str]) -> (bool, String, String) {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(code)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed to check archives with warcio; install python3");
    // Drained on their own threads, so a large output cannot fill the pipe and stall the child.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("python3 {args:?} did not finish within {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.success(),
        stdout.join().unwrap(),
        stderr.join().unwrap(),
    )
}

/// Fails the test with instructions if warcio cannot be imported.
pub(crate) fn require() {
    let (ok, _, err) = python("import warcio", &[]);
    assert!(
        ok,
        "these tests check archives with Python's warcio, which cannot be imported:\n{err}\n\
         install it with `python3 -m pip install warcio` (.ci/run does)"
    );
}

/// `warcio ARGS...` (the `warcio` command, run through the module that provides it).
pub(crate) fn warcio(args: &[&str]) -> (bool, String, String) {
    python(
        "import sys; from warcio.cli import main; sys.exit(main())",
        args,
    )
}

/// `warcio check -v FILE`: passes, and the number of records whose digests it verified.
pub(crate) fn check(file: &Path) -> usize {
    let (ok, out, err) = warcio(&["check", "-v", file.to_str().unwrap()]);
    assert!(
        ok,
        "warcio check failed on {}:\n{out}\n{err}",
        file.display()
    );
    assert!(!out.contains("failed"), "{out}");
    out.matches("digest pass").count()
}
