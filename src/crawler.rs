//! The entry point: a [`Crawler`] puts a config, a spider, pipelines and middleware
//! together, runs the actors, and returns the [`CrawlReport`].
//!
//! `run` blocks the calling thread and runs the crawl on a thread of its own (with its own
//! actix `System`) plus one arbiter thread per worker. So it works the same from a plain
//! `main`, a test, or inside another async runtime, without nesting runtimes.

use crate::actors::fetcher::FetchSettings;
use crate::actors::items::Pipelines;
use crate::actors::supervisor::{CrawlSupervisor, Finished, OutcomeFn, Setup};
use crate::config::CrawlConfig;
use crate::engine::journal::resume_from;
use crate::error::{ConfigError, Error};
use crate::fetch::client::ClientSettings;
use crate::fetch::http::HttpTransports;
use crate::fetch::limits;
use crate::fetch::record::Recorder;
use crate::fetch::transport::TransportFactory;
use crate::middleware::Middleware;
use crate::outcome::Outcome;
use crate::pipeline::Pipeline;
use crate::progress::Progress;
use crate::report::{CrawlReport, StopReason};
use crate::spider::Spider;
use crate::store::{CrawlStore, MemoryStore, OutcomeLog, StoreError};
use actix::Actor;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Stops a running crawl from another thread (a Ctrl-C handler, a timer): in-flight
/// requests finish, queued ones are recorded as skipped, and `run` returns the report.
///
/// ```no_run
/// use std::time::Duration;
/// use trawler::prelude::*;
///
/// let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").build()?;
/// let crawler = Crawler::new(config, FnSpider::<()>::new());
/// let stop = crawler.stop_handle();
/// // Crawl for ten seconds at most.
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_secs(10));
///     stop.stop();
/// });
/// let report = crawler.run()?;
/// let stopped = report.stop_reason == StopReason::Requested;
/// println!("{} pages{}", report.fetched, if stopped { " (stopped at 10 s)" } else { "" });
/// # Ok::<(), BoxError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Asks the crawl to stop (it notices within about 100 ms).
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A crawl, ready to run.
pub struct Crawler<S: Spider> {
    config: CrawlConfig,
    spider: S,
    pipelines: Pipelines<S::Item>,
    middleware: Vec<Arc<dyn Middleware>>,
    on_outcome: Option<OutcomeFn>,
    stop: StopHandle,
    progress: Progress,
    transports: Option<Arc<dyn TransportFactory>>,
    store: Option<Box<dyn CrawlStore>>,
    outcome_log: Option<Box<dyn OutcomeLog>>,
    revisits: Option<Arc<dyn crate::revisit::PageCache>>,
    #[cfg(feature = "warc")]
    archive: Option<crate::archive::WarcConfig>,
    #[cfg(feature = "browser")]
    render: Option<crate::browser::RenderConfig>,
}

impl<S: Spider> std::fmt::Debug for Crawler<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crawler")
            .field("config", &self.config)
            .field("pipelines", &self.pipelines.len())
            .field("middleware", &self.middleware.len())
            .finish_non_exhaustive()
    }
}

impl<S: Spider> Crawler<S> {
    /// A crawl of `config` with `spider`.
    pub fn new(config: CrawlConfig, spider: S) -> Self {
        Crawler {
            config,
            spider,
            pipelines: Vec::new(),
            middleware: Vec::new(),
            on_outcome: None,
            stop: StopHandle::default(),
            progress: Progress::default(),
            transports: None,
            store: None,
            outcome_log: None,
            revisits: None,
            #[cfg(feature = "warc")]
            archive: None,
            #[cfg(feature = "browser")]
            render: None,
        }
    }

    /// Renders the pages `config`'s rule picks in a headless Chromium (see
    /// [`crate::browser`]); the rest, robots.txt and sitemaps go through the HTTP client (or
    /// the [`transport`](Self::transport) given). A browser that cannot be found or started
    /// is an [`Error::Browser`] before anything is fetched. By default, nothing is rendered.
    #[cfg(feature = "browser")]
    #[must_use]
    pub fn render(mut self, config: crate::browser::RenderConfig) -> Self {
        self.render = Some(config);
        self
    }

    /// Keeps every exchange of the crawl in WARC files (see [`crate::archive`]): pages,
    /// redirects, error pages, robots.txt and sitemaps, each a `request` and a `response`
    /// record with the body as it came (content coding kept). The files are written by a
    /// thread of their own; when it falls behind, fetching waits for it. In a durable crawl
    /// the archive is part of each commit: give the config a fixed
    /// [`stamp`](crate::archive::WarcConfig::stamp), and a resumed run cuts the files back
    /// to the last commit, so they hold each committed exchange once and no torn record.
    /// By default, none.
    #[cfg(feature = "warc")]
    #[must_use]
    pub fn archive(mut self, config: crate::archive::WarcConfig) -> Self {
        self.archive = Some(config);
        self
    }

    /// Keeps the crawl's pages in `cache` for the next crawl, and asks again only for
    /// what changed since the last crawl that kept them there (see [`crate::revisit`]):
    /// unchanged pages answer `304` and are parsed again from the cache. By default, none.
    #[cfg(feature = "durable")]
    #[must_use]
    pub fn revisits(mut self, cache: crate::revisit::RevisitCache) -> Self {
        self.revisits = Some(Arc::new(cache));
        self
    }

    /// Tells a durable crawl where the `on_outcome` callback writes its records, so each
    /// commit covers them and a resumed crawl cuts back what was written after the last
    /// commit (see [`OutcomeLog`]): one record per URL across kills. Without a durable
    /// [`store`](Self::store) it is never called. By default, none.
    #[must_use]
    pub fn outcome_log<L: OutcomeLog + 'static>(mut self, log: L) -> Self {
        self.outcome_log = Some(Box::new(log));
        self
    }

    /// Keeps the crawl's state in `store` instead of the process's memory (see
    /// [`store`](crate::store) for what a store keeps and when). By default, a
    /// [`MemoryStore`](crate::store::MemoryStore).
    #[must_use]
    pub fn store<T: CrawlStore>(mut self, store: T) -> Self {
        self.store = Some(Box::new(store));
        self
    }

    /// Fetches through `transports` (one [`Transport`](crate::Transport) made per worker
    /// thread) instead of the default HTTP client: a browser, an archive, canned pages in a
    /// test. Request hooks, retries, redirects and every rule above the transport stay the
    /// same.
    #[must_use]
    pub fn transport<T: TransportFactory>(mut self, transports: T) -> Self {
        self.transports = Some(Arc::new(transports));
        self
    }

    /// Adds a pipeline stage; items go through the stages in the order they were added.
    #[must_use]
    pub fn pipeline<P: Pipeline<S::Item>>(mut self, pipeline: P) -> Self {
        self.pipelines.push(Box::new(pipeline));
        self
    }

    /// Adds a request/response middleware; hooks run in the order they were added.
    #[must_use]
    pub fn middleware<M: Middleware>(mut self, middleware: M) -> Self {
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// Calls `f` with every outcome as it is recorded, once each and in order (on the
    /// crawl's thread that recorded it, a worker's mostly, while no other thread works the
    /// crawl's state: keep it quick, e.g. write a line to a buffered file). A panic in `f`
    /// ends the crawl with [`Error::SupervisorDied`].
    #[must_use]
    pub fn on_outcome<F: FnMut(&Outcome) + Send + 'static>(mut self, f: F) -> Self {
        self.on_outcome = Some(Box::new(f));
        self
    }

    /// A handle to stop this crawl early from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// A handle on this crawl's live counters (pages done, queued, in flight ...), to
    /// read from another thread while `run` blocks, e.g. for a progress bar.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use trawler::prelude::*;
    ///
    /// let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").build()?;
    /// let crawler = Crawler::new(config, FnSpider::<()>::new());
    /// let progress = crawler.progress();
    /// let printer = std::thread::spawn(move || {
    ///     while !progress.is_finished() {
    ///         let now = progress.snapshot();
    ///         let rate = now.pages_per_sec();
    ///         eprintln!("{} done, {} queued, {rate:.0} pages/s", now.done(), now.queued);
    ///         std::thread::sleep(Duration::from_secs(1));
    ///     }
    /// });
    /// let report = crawler.run()?;
    /// printer.join().ok();
    /// # Ok::<(), BoxError>(())
    /// ```
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Runs the crawl to its end and returns the report. Blocks the calling thread.
    ///
    /// Per-URL failures are outcomes in the report; `Err` means the crawl itself could not
    /// run (bad plugin setup, no threads, a crashed supervisor).
    pub fn run(self) -> Result<CrawlReport, Error> {
        if let Err(e) = self.spider.open() {
            return Err(match e.downcast::<ConfigError>() {
                Ok(c) => Error::Config(*c),
                Err(e) => Error::SpiderOpen(e),
            });
        }
        install_crypto_provider();
        let tls = crate::tls::client_config(&self.config.extra_roots, self.config.http2)
            .map_err(Error::Config)?;
        let Crawler {
            mut config,
            spider,
            pipelines,
            middleware,
            on_outcome,
            stop,
            progress,
            transports,
            store,
            mut outcome_log,
            revisits,
            #[cfg(feature = "warc")]
            archive,
            #[cfg(feature = "browser")]
            render,
        } = self;
        fit_open_files(&mut config)?;
        let mut store = store.unwrap_or_else(|| Box::new(MemoryStore::new()));
        let resume = resume_from(
            &config,
            &mut *store,
            outcome_log.as_mut().map(|l| {
                let l: &mut dyn OutcomeLog = &mut **l;
                l
            }),
        )
        .map_err(|error| Error::Store {
            error,
            report: None,
        })?;
        #[cfg(feature = "warc")]
        let archive = open_archive(archive, &*store, resume.as_ref())?;
        #[cfg(not(feature = "warc"))]
        let archive: Option<Arc<dyn Recorder>> = None;
        let client = ClientSettings::for_crawl(&config, tls);
        let transports: Arc<dyn TransportFactory> =
            transports.unwrap_or_else(|| Arc::new(HttpTransports { settings: client }));
        #[cfg(feature = "browser")]
        let (transports, chrome) = match render {
            None => (transports, None),
            Some(render) => {
                let rendering = crate::browser::launch(render, transports, &config)?;
                let chrome = rendering.chrome.clone();
                (
                    Arc::new(rendering) as Arc<dyn TransportFactory>,
                    Some(chrome),
                )
            }
        };
        let fetch = Arc::new(FetchSettings {
            request_timeout: config.request_timeout,
            max_body: config.max_body,
            user_agent: config.user_agent.clone(),
            retry: config.retry.clone(),
            middleware,
            request_headers: Arc::new(config.request_headers.clone()),
            transports,
            fence: store.fence(),
            cookies: cookie_jars(&config, resume.as_ref()),
            revisits: revisits.clone(),
            archive: archive.clone(),
        });
        let setup_archive = archive.clone();
        let thread = std::thread::Builder::new()
            .name("trawler-crawl".into())
            .spawn(move || {
                let system = actix::System::new();
                let arbiters = (0..config.workers)
                    .map(|_| actix_rt::Arbiter::try_new())
                    .collect::<std::io::Result<Vec<_>>>()
                    .map_err(Error::Runtime)?;
                if config.pin_workers {
                    crate::actors::pin::pin_arbiters(&arbiters);
                }
                let (done, report) = tokio::sync::oneshot::channel();
                let setup = Setup {
                    config: Arc::new(config),
                    spider: Arc::new(spider),
                    fetch,
                    arbiters: arbiters.iter().map(|a| a.handle()).collect(),
                    pipelines,
                    on_outcome,
                    stop_flag: stop.0,
                    progress,
                    store,
                    resume,
                    outcome_log,
                    archive: setup_archive,
                    done,
                };
                let report = system.block_on(async move {
                    CrawlSupervisor::new(setup).start();
                    match report.await {
                        Ok(Finished {
                            report,
                            store_error: Some(error),
                            ..
                        }) => Err(Error::Store {
                            error,
                            report: Some(Box::new(report)),
                        }),
                        Ok(Finished {
                            report,
                            out_of_files: None,
                            ..
                        }) => Ok(report),
                        Ok(Finished {
                            report,
                            out_of_files: Some(what),
                            ..
                        }) => Err(Error::OutOfFiles {
                            detail: with_file_limit(&what),
                            report: Box::new(report),
                        }),
                        Err(_) => Err(Error::SupervisorDied),
                    }
                });
                for a in arbiters {
                    a.stop();
                    let _ = a.join();
                }
                report
            })
            .map_err(Error::Runtime)?;
        let mut result = thread.join().unwrap_or(Err(Error::SupervisorDied));
        #[cfg(feature = "browser")]
        if let Some(chrome) = chrome {
            chrome.shutdown();
        }
        if let Some(Err(e)) = archive.map(|a| a.finish()) {
            result = match result {
                Ok(report) => Err(Error::Store {
                    error: StoreError::Archive(e),
                    report: Some(Box::new(report)),
                }),
                failed => failed,
            };
        }
        if let (Some(cache), Ok(report)) = (&revisits, &mut result) {
            // The kept pages this crawl never met are gone, if it ran to its end.
            let completed = report.stop_reason == StopReason::Completed;
            report.revisits.gone += cache.finish(completed).unwrap_or(0);
        }
        result
    }
}

/// The crawl's archive, when it keeps one: a new one, or a durable crawl's cut back to
/// its last commit.
#[cfg(feature = "warc")]
fn open_archive(
    config: Option<crate::archive::WarcConfig>,
    store: &dyn CrawlStore,
    resume: Option<&crate::engine::Resume>,
) -> Result<Option<Arc<dyn Recorder>>, Error> {
    use crate::archive::sink::ArchiveSink;
    let Some(config) = config else {
        return Ok(None);
    };
    let failed = |e: String| Error::Store {
        error: StoreError::Archive(e),
        report: None,
    };
    // A shared crawl's workers each write their own files, never cut back.
    let committed =
        (store.is_durable() && !store.is_shared()).then(|| resume.and_then(|r| r.saved.archive));
    let writer = ArchiveSink::writer(config, committed).map_err(|e| failed(e.to_string()))?;
    let sink = ArchiveSink::start(writer).map_err(Error::Runtime)?;
    Ok(Some(Arc::new(sink)))
}

/// Makes sure the sockets the crawl may hold fit in the open-file limit: raises the soft
/// limit if it must, or lowers the concurrency to what fits (with a warning).
fn fit_open_files(config: &mut CrawlConfig) -> Result<(), Error> {
    let (c, per_host, workers) = (
        config.concurrency,
        config.per_host_concurrency,
        config.workers,
    );
    let want = limits::needed(c, per_host, workers);
    let Some(limit) = limits::raise_open_files(want) else {
        return Ok(());
    };
    if limit >= want {
        return Ok(());
    }
    match limits::fitting_concurrency(limit, c, per_host, workers) {
        Some(fit) => {
            tracing::warn!(
                "the open-file limit ({limit}) allows {fit} requests in flight, not {c}: \
                 using {fit} (raise `ulimit -n` to about {want} for {c})"
            );
            config.concurrency = fit;
            config.per_host_concurrency = per_host.min(fit);
            Ok(())
        }
        None => Err(Error::OutOfFiles {
            detail: format!(
                "the open-file limit ({limit}) leaves no room for a socket beside what {workers} \
                 workers need"
            ),
            report: Box::default(),
        }),
    }
}

/// `what`, with the process's open-file limit when it can be read.
fn with_file_limit(what: &str) -> String {
    let limit = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            l.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_string))
        });
    match limit {
        Some(n) => format!("{what} (the limit is {n} open files)"),
        None => what.to_string(),
    }
}

/// awc's rustls build selects no crypto provider; install ring's once per process (a
/// provider the host program installed first is kept).
pub(crate) fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The crawl's cookie jars: none when cookies are off; a durable crawl's as it saved them.
fn cookie_jars(
    config: &CrawlConfig,
    resume: Option<&crate::engine::Resume>,
) -> Option<Arc<crate::cookies::CookieJars>> {
    if !config.cookies {
        return None;
    }
    let saved = resume.and_then(|r| r.cookies.as_deref());
    let jars = match saved.map(crate::cookies::CookieJars::load) {
        None => crate::cookies::CookieJars::default(),
        Some(Ok(jars)) => jars,
        Some(Err(e)) => {
            // Cookies are no URLs: the crawl goes on without the saved ones.
            tracing::warn!("the saved cookies cannot be read, starting without them: {e}");
            crate::cookies::CookieJars::default()
        }
    };
    Some(Arc::new(jars))
}
