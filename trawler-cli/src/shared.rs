//! `trawler crawl --redis URL --crawl-id NAME` and `trawler status`: a crawl shared by
//! many processes through a Redis server.
//!
//! Every worker runs the same command; each writes its own records. A worker is named
//! (`--worker`, by default this machine's name and the records file's path), and Redis
//! keeps how far each worker's records were committed: a worker started again under its
//! name (after a kill, say) cuts its file back to that point first, so the records of all
//! the workers' files hold each URL once. A worker that lost its leases (it was paused or
//! cut off from Redis for longer than a lease lasts) is told so by the library; its file
//! is cut back the same way when it rejoins, which it does at once.

use crate::args::{CrawlArgs, StatusArgs};
use crate::output::RecordWriter;
use crate::runner::{self, Ui};
use crate::{CliError, exit, settings};
use std::process::ExitCode;
use std::time::Duration;
use trawler::prelude::*;
use trawler::store::{RedisStore, StoreError};

/// Runs one worker of a shared crawl and returns the exit status.
pub(crate) fn run(args: &CrawlArgs, url: &str, crawl: &str, ui: &Ui) -> Result<ExitCode, CliError> {
    if args.sitemaps {
        return Err(CliError::State(
            "--sitemaps: sitemaps are not offered for shared crawls (--redis) yet".into(),
        ));
    }
    let config = settings::crawl_config(args).build()?;
    args.keep.spider(args.render.screenshots_dir())?;
    let (path, format) = args.output.target().unwrap_or(("-", args.output.format));
    let worker = match (&args.worker, path) {
        (Some(name), _) => Some(name.clone()),
        (None, "-") => None,
        (None, file) => Some(default_name(file)),
    };
    let limit = args.redis_patience.unwrap_or(PATIENCE);
    let fresh = || Patience {
        limit,
        ..Patience::default()
    };
    let mut patience = fresh();
    let mut joined = false;
    loop {
        let mut store = match RedisStore::connect(url, crawl) {
            Ok(s) => s,
            // Unreachable at the start: said at once, no waiting.
            Err(StoreError::Unavailable(why)) if joined && patience.wait(&why, ui) => continue,
            Err(e) => return Err(store_error(e)),
        };
        if let Some(name) = &worker {
            store = store.worker(name).map_err(store_error)?;
        }
        let committed = match store.committed_position() {
            Ok(c) => c,
            Err(StoreError::Unavailable(why)) if patience.wait(&why, ui) => continue,
            Err(e) => return Err(store_error(e)),
        };
        // After a first run, the file is this worker's own: join cuts it back.
        let ours = joined || committed.is_some();
        let (spider, contents) = args.keep.spider(args.render.screenshots_dir())?;
        let columns = spider.columns();
        let crawler = args
            .keep
            .apply(Crawler::new(config.clone(), spider), None)?;
        let crawler = args.render.apply(crawler, &args.allow_host)?;
        let writer = RecordWriter::create(path, format, args.output.overwrite, ours)
            .map_err(|source| CliError::Create {
                path: path.to_string(),
                source,
            })?
            .with_contents(contents, columns);
        let log = store.committed_log();
        let crawler = crawler.store(store);
        // Every worker's start URLs may be fetched by another one: no exit 3 here.
        let how = runner::Durability {
            durable: true,
            resuming: true,
        };
        joined = true;
        let started = std::time::Instant::now();
        let result = runner::run(crawler, Some(writer), &args.output.only, ui, how);
        if started.elapsed() >= limit {
            // It got on with the crawl since the last trouble: patience afresh.
            patience = fresh();
        }
        let failed = match result {
            Ok(done) => return Ok(exit::exit_code(&done, args.fail_on_errors, ui.errors)),
            Err(CliError::Crawl(trawler::Error::Store { error, .. })) => match error {
                StoreError::LeaseLost(why) | StoreError::Unavailable(why)
                    if patience.wait(&why, ui) =>
                {
                    continue;
                }
                other => store_error(other),
            },
            Err(e) => e,
        };
        // Leaving for good: the records past the last commit go (other workers fetch
        // those URLs again and record them).
        cut_back(path, log.get());
        return Err(failed);
    }
}

/// How long a worker keeps trying to get back into its crawl when Redis is lost, or
/// when it lost its leases, by default (`--redis-patience`); it waits longer after each
/// failure.
const PATIENCE: Duration = Duration::from_secs(60);

/// A worker's waits since it last got on with the crawl.
#[derive(Debug, Default)]
struct Patience {
    limit: Duration,
    waited: Duration,
    tries: u32,
}

impl Patience {
    /// Says why the worker left the crawl and waits before it rejoins; false once it has
    /// waited its limit in all (it then stops, what it committed kept).
    fn wait(&mut self, why: &str, ui: &Ui) -> bool {
        if self.waited >= self.limit {
            return false;
        }
        let pause = Duration::from_millis(500 << self.tries.min(4)).min(self.limit - self.waited);
        self.tries += 1;
        self.waited += pause;
        if ui.errors {
            eprintln!(
                "trawler: {why}; rejoining the crawl in {:.1} s",
                pause.as_secs_f64()
            );
        }
        std::thread::sleep(pause);
        true
    }
}

/// Cuts the records file at `path` back to `position`, if both are known.
fn cut_back(path: &str, position: Option<u64>) {
    if let (false, Some(p)) = (path == "-", position)
        && let Ok(f) = std::fs::OpenOptions::new().write(true).open(path)
        && f.metadata().is_ok_and(|m| m.len() > p)
    {
        let _ = f.set_len(p);
    }
}

/// A worker's default name: this machine's and its records file's.
fn default_name(file: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let path =
        std::path::absolute(file).map_or_else(|_| file.to_string(), |p| p.display().to_string());
    format!("{host}:{path}").replace('|', "/")
}

/// A shared crawl's failure, in one line.
fn store_error(e: StoreError) -> CliError {
    match e {
        StoreError::OtherCrawl(why) => CliError::State(why),
        StoreError::Invalid(why) => CliError::State(why),
        other => CliError::Shared(other.to_string()),
    }
}

/// `trawler status`: prints a shared crawl's progress.
pub(crate) fn status(a: &StatusArgs) -> Result<ExitCode, CliError> {
    let s = trawler::store::status(&a.redis, &a.crawl_id).map_err(store_error)?;
    if !s.exists {
        return Err(CliError::Shared(format!(
            "no crawl named {:?} in that Redis",
            a.crawl_id
        )));
    }
    if a.json {
        println!("{}", serde_json::to_string(&s).unwrap_or_default());
    } else {
        println!("crawl      {}", a.crawl_id);
        println!("queued     {}", s.queued);
        println!("in flight  {}", s.in_flight);
        println!("done       {}", s.done);
        println!("workers    {}", s.workers);
        println!(
            "finished   {}",
            if s.queued + s.in_flight == 0 && s.done > 0 {
                "yes"
            } else {
                "no"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
