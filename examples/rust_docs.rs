//! Crawls the Rust documentation installed with the toolchain, served from disk by a small
//! static file server on 127.0.0.1, and reports pages, pages/s and the slowest pages.
//!
//! Run with: `cargo run --release --example rust_docs [-- --pages 5000]`
//!
//! The docs come with rustup's `rust-docs` component (`rustc --print sysroot` +
//! `share/doc/rust/html`); without them the example says so and exits successfully.

use actix_web::{App, HttpServer};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use trawler::prelude::*;

/// Serves `root` on 127.0.0.1 from a thread of its own; returns the base URL.
fn serve(root: PathBuf) -> std::io::Result<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            let files = move || App::new().service(actix_files::Files::new("/", &root));
            let server = HttpServer::new(files).workers(1).bind("127.0.0.1:0")?;
            let _ = tx.send(server.addrs()[0]);
            server.run().await
        })
    });
    let addr = rx
        .recv()
        .map_err(|_| std::io::Error::other("the file server did not start"))?;
    Ok(format!("http://{addr}/"))
}

fn main() -> Result<(), BoxError> {
    let pages: u64 = match std::env::args().skip_while(|a| a != "--pages").nth(1) {
        Some(n) => n.parse()?,
        None => 2_000,
    };
    let sysroot = std::process::Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()?;
    let docs = PathBuf::from(String::from_utf8(sysroot.stdout)?.trim()).join("share/doc/rust/html");
    if !docs.join("std/index.html").is_file() {
        println!(
            "no Rust docs at {}: skipping (`rustup component add rust-docs`)",
            docs.display()
        );
        return Ok(());
    }
    let start = format!("{}std/index.html", serve(docs)?);
    let slowest = Arc::new(Mutex::new(Vec::<(Duration, String)>::new()));
    let record = slowest.clone();
    let config = CrawlConfig::builder()
        .seed(start)
        .max_pages(pages)
        .build()?;
    let report = Crawler::new(config, FnSpider::<()>::new())
        .on_outcome(move |o| {
            let mut top = record.lock().unwrap();
            top.push((o.elapsed, o.url.to_string()));
            top.sort_by_key(|(took, _)| std::cmp::Reverse(*took));
            top.truncate(5);
        })
        .run()?;
    println!("{report}");
    println!(
        "{} pages at {:.0} pages/s; the slowest:",
        report.fetched,
        report.pages_per_sec()
    );
    for (took, url) in slowest.lock().unwrap().iter() {
        println!("  {:>8.1} ms  {url}", took.as_secs_f64() * 1e3);
    }
    Ok(())
}
