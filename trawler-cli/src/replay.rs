//! `trawler replay FILE...`: WARC files served on 127.0.0.1 as the site they recorded, until
//! Ctrl-C, SIGTERM or SIGHUP.
//!
//! The archive's origin is printed on stdout (one line, so a script can read where to
//! point a crawler or a browser), what is served on stderr. Recorded answers come back as
//! they were (status, headers, body, redirects); a URL never recorded answers 404.

use crate::CliError;
use crate::args::ReplayArgs;
use std::process::ExitCode;
use trawler::archive::{ReplayIndex, ReplayServer};

/// Serves the archive until a signal; exit 0 then, 2 for files that cannot be read, 1 if
/// the port cannot be had.
pub(crate) fn run(args: &ReplayArgs, errors: bool) -> Result<ExitCode, CliError> {
    for f in &args.files {
        if !f.is_file() {
            return Err(CliError::Keep(format!("{}: no such file", f.display())));
        }
    }
    let index = ReplayIndex::open(&args.files).map_err(|e| CliError::Keep(e.to_string()))?;
    if index.is_empty() {
        return Err(CliError::Keep(
            "the files hold no response to serve".to_string(),
        ));
    }
    let (urls, origins) = (index.len(), index.origins().to_vec());
    let server = ReplayServer::start(index, args.port)
        .map_err(|e| CliError::Serve(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;
    let mut site = server.url();
    if let Some(first) = origins
        .first()
        .and_then(|o| trawler::url::Url::parse(o).ok())
    {
        site.set_path(first.path());
    }
    println!("{site}");
    if errors {
        eprintln!(
            "trawler: serving {urls} recorded URLs of {} at {site} (Ctrl-C stops)",
            origins.join(", ")
        );
    }
    wait_for_signal();
    server.stop();
    Ok(ExitCode::SUCCESS)
}

/// Blocks until SIGINT, SIGTERM or SIGHUP.
fn wait_for_signal() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    match signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        Ok(mut signals) => {
            let _ = signals.forever().next();
        }
        // Without handlers the signals end the process as they would anyway.
        Err(_) => loop {
            std::thread::park();
        },
    }
}
