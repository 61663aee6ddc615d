//! The actors of a crawl and how data flows between them.
//!
//! ```text
//!          ┌──────────── CrawlSupervisor (crawl thread) ────────────┐
//!          │ timers · restarts · commits · pipelines · the report    │
//!          └──────┬──────────────────▲──────────────────────────────┘
//!                 │ lock        Attend / Results          7 items ▼ ▲ 8 ItemsProcessed
//!          ┌──────▼──────────────────┴──────┐             pipeline task
//!          │ Hub: Engine (frontier · rate   │
//!          │ limits · tickets · retries)    │◀──── 6 lock, results, dispatch ────┐
//!          └──────┬─────────────────────────┘                                   │
//!          1 FetchBatch                                                          │
//!   worker arbiter i:   ▼                                                        │
//!                 ┌──────────┐  3 Parse ┌───────────┐                            │
//!                 │ Fetcher  │─────────▶│  Parser   │────────────────────────────┘
//!                 │ transport│─────────▶│ spider.parse, extract, admit
//!                 └──────────┘4 Fetched └───────────┘
//! ```
//!
//! 1. The engine pops requests the frontier and rate limits allow, within the
//!    concurrency budget, and each worker's share goes to its fetcher as one `FetchBatch`.
//! 2. The fetcher runs each request as a future on its arbiter (middleware, timeout, capped body).
//! 3. An HTML 2xx page goes to the parser on the same arbiter (the body never changes thread).
//! 4. Anything else (redirect, error, non-HTML, retryable status) goes to the parser too,
//!    as `Fetched`.
//! 5. The parser runs the spider, extracts links and admits them (canonicalize, seen-set,
//!    scope, `should_follow`) right there, in parallel with the other workers.
//! 6. At the end of a turn of its thread, the parser takes the hub's lock and hands the
//!    engine that turn's results (outcomes, items, admitted links), which records the
//!    outcomes, queues the links (or schedules retries) and dispatches more, to this
//!    worker and the others (see `hub.rs`). When the lock is taken (or the crawl is
//!    shared), the results go to the supervisor as one `Results` message instead; when
//!    the engine needs a timer, a commit or its end, the parser sends `Attend`.
//! 7. Items go to the pipeline task, 8. which reports when they are through.
//!
//! Beside pages, the engine's dispatch sends fetchers `FetchFile` jobs for the crawl's own
//! requests, robots.txt and sitemaps (first on each host: its robots.txt, while its pages
//! wait in the frontier). The fetcher reads and interprets the file on its thread and
//! answers `FileFetched`; no middleware or parser is involved.
//!
//! The crawl ends when nothing is queued, waiting for a retry, in flight or in the
//! pipelines; the pipelines are then closed and the report is sent.

pub(crate) mod fetcher;
pub(crate) mod hub;
pub(crate) mod items;
pub(crate) mod messages;
pub(crate) mod parser;
pub(crate) mod pin;
pub(crate) mod supervisor;
