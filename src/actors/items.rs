//! The pipeline task: runs scraped items through the user's pipelines, in order.
//!
//! Takes: batches of items (one per parsed page) and a durable crawl's commit marks, on a
//! channel from the supervisor. Sends: [`ItemsProcessed`] per batch, [`PipelinesMarked`]
//! per mark (each pipeline's position, once the items before the mark went through) and
//! [`PipelinesClosed`] once, to the supervisor.
//!
//! A plain task on the supervisor's thread rather than an actor: pipelines are async and
//! hold state (files, connections), so they run one item at a time with nothing shared.
//! The channel is unbounded in type only: the supervisor counts the batches it sent and
//! not yet confirmed against its concurrency budget, so a slow pipeline slows fetching
//! instead of filling memory. Dropping the sender closes the pipelines. A panicking
//! pipeline ends the task; the supervisor then counts later items as dropped.

use crate::actors::messages::{ItemsProcessed, PipelinesClosed, PipelinesMarked};
use crate::harvest::panic_message;
use crate::pipeline::DynPipeline;
use actix::Recipient;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use tokio::sync::mpsc;

/// The pipelines of a crawl, in the order items go through them.
pub(crate) type Pipelines<I> = Vec<Box<dyn DynPipeline<I>>>;

/// What the supervisor sends the pipeline task.
pub(crate) enum ToPipelines<I> {
    /// One page's items.
    Items(Vec<I>),
    /// A durable crawl's commit waits for every item sent before: say each pipeline's
    /// position ([`PipelinesMarked`]).
    Mark,
}

/// Where the pipeline task reports.
pub(crate) struct Reports {
    pub(crate) processed: Recipient<ItemsProcessed>,
    pub(crate) marked: Recipient<PipelinesMarked>,
    pub(crate) closed: Recipient<PipelinesClosed>,
}

/// Starts the task on the current arbiter and returns the sender for item batches and
/// marks. `cuts`: a durable crawl's positions to cut each pipeline back to before the first
/// item (a missing one is 0); `None` for a crawl in memory.
pub(crate) fn spawn<I: Send + 'static>(
    mut pipes: Pipelines<I>,
    cuts: Option<Vec<u64>>,
    reports: Reports,
) -> mpsc::UnboundedSender<ToPipelines<I>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<ToPipelines<I>>();
    let Reports {
        processed,
        marked,
        closed,
    } = reports;
    let closed2 = closed.clone();
    let task = async move {
        if let Some(cuts) = cuts {
            for (i, p) in pipes.iter_mut().enumerate() {
                let at = cuts.get(i).copied().unwrap_or(0);
                if let Err(e) = p.resume_at_boxed(at).await {
                    tracing::warn!(error = %e, pipeline = i, "a pipeline could not cut its output back");
                }
            }
        }
        while let Some(message) = rx.recv().await {
            let batch = match message {
                ToPipelines::Items(batch) => batch,
                ToPipelines::Mark => {
                    let mut positions = Vec::with_capacity(pipes.len());
                    for (i, p) in pipes.iter_mut().enumerate() {
                        positions.push(p.position_boxed().await.unwrap_or_else(|e| {
                            tracing::warn!(error = %e, pipeline = i, "a pipeline could not say its position");
                            None
                        }));
                    }
                    marked.do_send(PipelinesMarked { positions });
                    continue;
                }
            };
            let (mut passed, mut errors) = (0, 0);
            'items: for mut item in batch {
                for p in pipes.iter_mut() {
                    match p.process(item).await {
                        Ok(Some(i)) => item = i,
                        Ok(None) => continue 'items,
                        Err(e) => {
                            tracing::warn!(error = %e, "pipeline error; item dropped");
                            errors += 1;
                            continue 'items;
                        }
                    }
                }
                passed += 1;
            }
            processed.do_send(ItemsProcessed { passed, errors });
        }
        let mut errors = 0;
        for p in pipes.iter_mut() {
            if let Err(e) = p.close_boxed().await {
                tracing::warn!(error = %e, "pipeline failed to close");
                errors += 1;
            }
        }
        closed.do_send(PipelinesClosed { errors });
    };
    actix_rt::spawn(async move {
        if let Err(p) = AssertUnwindSafe(task).catch_unwind().await {
            tracing::error!(panic = %panic_message(&*p), "a pipeline panicked; later items are dropped");
            closed2.do_send(PipelinesClosed { errors: 1 });
        }
    });
    tx
}
