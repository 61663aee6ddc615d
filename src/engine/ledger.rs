//! The ledger: leases on dispatched requests, the outcomes recorded, the report and the
//! page limit.
//!
//! Every attempt that goes out is a lease under a fresh [`Ticket`], on the least busy
//! worker (the one place where a worker is picked and a ticket minted, for pages and the
//! crawler's own files alike). A lease ends once: acked by its result, or reclaimed when
//! its worker dies; a late result for a ticket no longer held is stale and ignored. Every
//! outcome goes through [`Ledger::record`], which counts it in the report and hands it out
//! (to the shell's callback), so the report's counts and the records cannot disagree.

use super::types::Ticket;
use crate::fastmap::FastMap;
use crate::frontier::HostId;
use crate::outcome::Outcome;
use crate::report::CrawlReport;
use crate::request::Request;

/// A page request out on a worker.
#[derive(Debug)]
pub(crate) struct Lease {
    pub(crate) worker: usize,
    pub(crate) host: HostId,
    pub(crate) request: Request,
}

/// Leases, outcomes, report.
#[derive(Debug)]
pub(crate) struct Ledger {
    leases: FastMap<Ticket, Lease>,
    next_ticket: Ticket,
    /// Attempts out on each worker (pages and files).
    per_worker: Vec<usize>,
    /// Outcomes recorded since the shell last took them.
    recorded: Vec<Outcome>,
    collect: bool,
    pub(crate) report: CrawlReport,
    /// First attempts dispatched, against the page limit.
    dispatched: u64,
    max_pages: Option<u64>,
}

impl Ledger {
    pub(crate) fn new(workers: usize, collect: bool, max_pages: Option<u64>) -> Self {
        Ledger {
            leases: FastMap::default(),
            next_ticket: 0,
            per_worker: vec![0; workers.max(1)],
            recorded: Vec::new(),
            collect,
            report: CrawlReport::default(),
            dispatched: 0,
            max_pages,
        }
    }

    /// Picks the least busy worker and mints a ticket for one attempt on it.
    pub(crate) fn mint(&mut self) -> (usize, Ticket) {
        let w = (0..self.per_worker.len())
            .min_by_key(|&i| self.per_worker[i])
            .unwrap_or(0);
        self.per_worker[w] += 1;
        self.next_ticket += 1;
        (w, self.next_ticket)
    }

    /// An attempt of `w` that is not a page lease (a site file) ended.
    pub(crate) fn release_worker(&mut self, w: usize) {
        if let Some(n) = self.per_worker.get_mut(w) {
            *n = n.saturating_sub(1);
        }
    }

    /// Leases `request` (of `host`) to a worker; returns the worker and the ticket.
    pub(crate) fn lease(&mut self, host: HostId, request: Request) -> (usize, Ticket, &Request) {
        let (worker, ticket) = self.mint();
        let lease = self.leases.entry(ticket).or_insert(Lease {
            worker,
            host,
            request,
        });
        (worker, ticket, &lease.request)
    }

    /// Ends the lease of `ticket`; `None` if it is stale.
    pub(crate) fn ack(&mut self, ticket: Ticket) -> Option<Lease> {
        let lease = self.leases.remove(&ticket)?;
        self.release_worker(lease.worker);
        Some(lease)
    }

    /// Takes back every lease of worker `w` (it died).
    pub(crate) fn reclaim(&mut self, w: usize) -> Vec<Lease> {
        let tickets: Vec<Ticket> = (self.leases.iter())
            .filter(|(_, l)| l.worker == w)
            .map(|(t, _)| *t)
            .collect();
        tickets.into_iter().filter_map(|t| self.ack(t)).collect()
    }

    /// Page requests out now.
    pub(crate) fn leased(&self) -> usize {
        self.leases.len()
    }

    /// Records an outcome: counted in the report, handed out, kept if asked.
    pub(crate) fn record(&mut self, o: Outcome) {
        self.report.record(&o);
        self.recorded.push(o);
    }

    /// The outcomes recorded since the last call; with `collect_outcomes`, a copy stays in
    /// the report.
    pub(crate) fn take_recorded(&mut self) -> Vec<Outcome> {
        let out = std::mem::take(&mut self.recorded);
        if self.collect {
            self.report.outcomes.extend(out.iter().cloned());
        }
        out
    }

    /// Counts a first attempt against the page limit; `false` if the limit was already
    /// reached (the request is not to be sent).
    pub(crate) fn admit_first_attempt(&mut self) -> bool {
        if self.limit_reached() {
            return false;
        }
        self.dispatched += 1;
        true
    }

    /// A first attempt that never went out is given back to the page limit.
    pub(crate) fn return_first_attempt(&mut self) {
        self.dispatched = self.dispatched.saturating_sub(1);
    }

    /// First attempts sent, less those still out: what a resumed crawl counts against its
    /// page limit (the ones out then are sent again as first attempts).
    pub(crate) fn dispatched(&self) -> u64 {
        let out = self.leases.values().filter(|l| l.request.attempts == 1);
        self.dispatched.saturating_sub(out.count() as u64)
    }

    /// Resumes the page limit's count.
    pub(crate) fn restore_dispatched(&mut self, n: u64) {
        self.dispatched = n;
    }

    /// First attempts the page limit still allows (`None`: no limit).
    pub(crate) fn pages_left(&self) -> Option<u64> {
        self.max_pages.map(|m| m.saturating_sub(self.dispatched))
    }

    /// Whether the page limit is reached: no more first attempts go out.
    pub(crate) fn limit_reached(&self) -> bool {
        self.max_pages.is_some_and(|m| self.dispatched >= m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::SkipReason;
    use url::Url;

    fn req(p: &str) -> Request {
        Request::get(&format!("http://a.test{p}")).unwrap()
    }

    #[test]
    fn leases_spread_over_workers_and_end_once() {
        let mut l = Ledger::new(2, false, None);
        let (w1, t1, _) = l.lease(0, req("/1"));
        let (w2, t2, _) = l.lease(0, req("/2"));
        assert_ne!(w1, w2, "the least busy worker is picked");
        assert_ne!(t1, t2);
        assert!(l.ack(t1).is_some());
        assert!(l.ack(t1).is_none(), "a ticket is honoured once");
        let back = l.reclaim(w2);
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].request.url.path(), "/2");
        assert!(
            l.ack(t2).is_none(),
            "a reclaimed lease's late result is stale"
        );
        assert_eq!(l.leased(), 0);
    }

    #[test]
    fn outcomes_are_counted_and_handed_out_once() {
        let mut l = Ledger::new(1, true, None);
        let url = Url::parse("http://a.test/x").unwrap();
        l.record(Outcome::skipped(url, 1, None, SkipReason::OffHost));
        assert_eq!(l.take_recorded().len(), 1);
        assert!(l.take_recorded().is_empty());
        assert_eq!((l.report.skipped, l.report.outcomes.len()), (1, 1));
    }

    #[test]
    fn the_page_limit_counts_first_attempts() {
        let mut l = Ledger::new(1, false, Some(2));
        assert!(l.admit_first_attempt() && l.admit_first_attempt());
        assert!(l.limit_reached() && !l.admit_first_attempt());
        l.return_first_attempt();
        assert!(!l.limit_reached());
        let zero = Ledger::new(1, false, Some(0));
        assert!(zero.limit_reached(), "a limit of 0 fetches nothing");
    }
}
