//! The actors of a crawl and how data flows between them.
//!
//! ```text
//!                    ┌──────────────────── CrawlSupervisor (crawl thread) ───────────────────┐
//!                    │ frontier · rate limits · in-flight tickets · retry timers · report    │
//!                    └──┬───────────────▲─────────────────────▲──────────────┬───────────────┘
//!              1 FetchBatch      4 Fetched             6 PagesParsed     7 items│ ▲ 8 ItemsProcessed
//!                       │      (no page to parse)     (items + links)         ▼ │
//!   worker arbiter i:   ▼               │                     │          pipeline task
//!                 ┌──────────┐  3 Parse ┌───────────┐         │
//!                 │ Fetcher  │─────────▶│  Parser   │─────────┘
//!                 │ awc::Client         │ spider.parse, extract, admit
//!                 └──────────┘          └───────────┘
//! ```
//!
//! 1. The supervisor pops requests the frontier and rate limits allow, within the
//!    concurrency budget, and sends each worker its share as one `FetchBatch`.
//! 2. The fetcher runs each request as a future on its arbiter (middleware, timeout, capped body).
//! 3. An HTML 2xx page goes to the parser on the same arbiter (the body never changes thread).
//! 4. Anything else (redirect, error, non-HTML, retryable status) goes back as `Fetched`.
//! 5. The parser runs the spider, extracts links and admits them (canonicalize, seen-set,
//!    scope, `should_follow`) right there, in parallel with the other workers.
//! 6. `PagesParsed` brings the pages' outcomes, items and admitted links to the supervisor
//!    (the pages a parser parsed in one turn of its thread, together), which records
//!    outcomes, queues the links (or schedules retries) and, once the messages of a burst
//!    are in, dispatches more.
//! 7. Items go to the pipeline task, 8. which reports when they are through.
//!
//! Beside pages, the supervisor sends fetchers `FetchFile` jobs for the crawl's own
//! requests, robots.txt and sitemaps (first on each host: its robots.txt, while its pages
//! wait in the frontier). The fetcher reads and interprets the file on its thread and
//! answers `FileFetched`; no middleware or parser is involved.
//!
//! The crawl ends when nothing is queued, waiting for a retry, in flight or in the
//! pipelines; the pipelines are then closed and the report is sent.

pub(crate) mod fetcher;
pub(crate) mod items;
pub(crate) mod messages;
pub(crate) mod parser;
pub(crate) mod pin;
pub(crate) mod supervisor;
