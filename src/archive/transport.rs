//! [`ReplayTransport`]: a crawl that fetches from WARC files instead of the network.
//!
//! Put in place of the HTTP client with [`Crawler::transport`](crate::Crawler::transport),
//! it answers each request with the response recorded for its URL (status, headers, body
//! decoded as the HTTP client decodes it, cut at the crawl's body cap), and `404` with an
//! empty body for a URL never recorded, as [`ReplayServer`](super::ReplayServer) does. No
//! socket is opened. Everything above the transport (robots.txt, scope, redirects, the
//! spider, the pipelines) runs as in the recorded crawl, so a spider re-run against its
//! recording gives the same outcomes and items: a snapshot test that needs no network.

use super::WarcError;
use super::replay::ReplayIndex;
use crate::error::FetchError;
use crate::fetch::decode::{BodyDecoder, Decoded};
use crate::fetch::transport::{
    FetchRequest, FetchResponse, Transport, TransportError, TransportFactory, Wire,
};
use crate::headers::Headers;
use futures_util::future::LocalBoxFuture;
use std::path::Path;
use std::sync::Arc;

/// Fetches from an archive; see the module docs.
///
/// ```no_run
/// use trawler::archive::ReplayTransport;
/// use trawler::prelude::*;
///
/// let files = ["crawl-20261201120000-00001.warc.gz"];
/// let config = CrawlConfig::builder().seed("http://127.0.0.1:8080/").build()?;
/// let report = Crawler::new(config, FnSpider::<()>::new())
///     .transport(ReplayTransport::open(&files)?)
///     .run()?;
/// # Ok::<(), BoxError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReplayTransport {
    index: Arc<ReplayIndex>,
}

impl ReplayTransport {
    /// Indexes the responses of `files` (see [`ReplayIndex::open`]).
    ///
    /// # Errors
    ///
    /// The first [`WarcError`] met reading the files.
    pub fn open<P: AsRef<Path>>(files: &[P]) -> Result<Self, WarcError> {
        Ok(Self::new(ReplayIndex::open(files)?))
    }

    /// Answers from `index`.
    #[must_use]
    pub fn new(index: ReplayIndex) -> Self {
        ReplayTransport {
            index: Arc::new(index),
        }
    }

    /// How many distinct URLs the archive answers for.
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the archive holds no response.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

impl TransportFactory for ReplayTransport {
    fn make(&self) -> Box<dyn Transport> {
        Box::new(self.clone())
    }
}

impl Transport for ReplayTransport {
    fn fetch(
        &self,
        request: FetchRequest,
    ) -> LocalBoxFuture<'static, Result<FetchResponse, TransportError>> {
        let answer = answer(&self.index, &request);
        Box::pin(async move { answer })
    }
}

fn answer(index: &ReplayIndex, request: &FetchRequest) -> Result<FetchResponse, TransportError> {
    let recorded = index
        .get(&request.url)
        .map_err(|e| FetchError::Protocol(format!("the archive's record cannot be read: {e}")))?;
    let Some(recorded) = recorded else {
        let mut headers = Headers::new();
        headers.append_raw("content-length", b"0");
        return Ok(FetchResponse::new(404, headers, Vec::new()));
    };
    let mut headers = Headers::new();
    for (name, value) in &recorded.headers {
        headers.append_raw(name, value);
    }
    let mut decoder = BodyDecoder::new(headers.get("content-encoding"), request.max_body);
    let corrupt = |e: crate::fetch::decode::DecodeError| FetchError::Body(e.to_string());
    let whole = decoder.push(&recorded.body).map_err(corrupt)?;
    let (body, truncated) = if recorded.truncated {
        // The recorded body was cut: its codings end where it ends.
        (decoder.cut(), true)
    } else {
        let (body, how) = decoder.finish().map_err(corrupt)?;
        (body, !whole || how == Decoded::Truncated)
    };
    let mut response = FetchResponse::new(recorded.status, headers, body);
    response.truncated = truncated;
    if request.keep_wire {
        // What was recorded is what goes into another archive.
        let wire = Wire::new(request.headers.clone(), "HTTP/1.1", recorded.body.into());
        response.wire = Some(Box::new(wire));
    }
    Ok(response)
}
