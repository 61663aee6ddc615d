//! The pipeline task: runs scraped items through the user's pipelines, in order.
//!
//! Takes: batches of items (one per parsed page) on a channel from the supervisor.
//! Sends: [`ItemsProcessed`] per batch and [`PipelinesClosed`] once, to the supervisor.
//!
//! A plain task on the supervisor's thread rather than an actor: pipelines are async and
//! hold state (files, connections), so they run one item at a time with nothing shared.
//! The channel is unbounded in type only: the supervisor counts the batches it sent and
//! not yet confirmed against its concurrency budget, so a slow pipeline slows fetching
//! instead of filling memory. Dropping the sender closes the pipelines. A panicking
//! pipeline ends the task; the supervisor then counts later items as dropped.

use crate::actors::messages::{ItemsProcessed, PipelinesClosed};
use crate::harvest::panic_message;
use crate::pipeline::DynPipeline;
use actix::Recipient;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use tokio::sync::mpsc;

/// The pipelines of a crawl, in the order items go through them.
pub(crate) type Pipelines<I> = Vec<Box<dyn DynPipeline<I>>>;

/// Starts the task on the current arbiter and returns the sender for item batches.
pub(crate) fn spawn<I: Send + 'static>(
    mut pipes: Pipelines<I>,
    processed: Recipient<ItemsProcessed>,
    closed: Recipient<PipelinesClosed>,
) -> mpsc::UnboundedSender<Vec<I>> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<I>>();
    let closed2 = closed.clone();
    let task = async move {
        while let Some(batch) = rx.recv().await {
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
