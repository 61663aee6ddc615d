//! The builder's settings for what pages say about their own links and indexing: robots
//! `<meta>` tags and `X-Robots-Tag` (`nofollow`, `noindex`), and `rel="nofollow"` links.
//! Apart from the main builder file, which holds the crawl-wide settings.

use super::CrawlConfigBuilder;

/// Whether a page that says `nofollow` has its links left alone: yes, as robots are asked.
pub const DEFAULT_OBEY_NOFOLLOW: bool = true;
/// Whether `noindex` is reported on the page's outcome: yes.
pub const DEFAULT_REPORT_NOINDEX: bool = true;
/// Whether links marked `rel="nofollow"` are followed: yes, since the mark is about
/// endorsing a link (search ranking), not about crawling it.
pub const DEFAULT_FOLLOW_REL_NOFOLLOW: bool = true;

impl CrawlConfigBuilder {
    /// Follows no link of a page that says `nofollow` (or `none`) in
    /// `<meta name="robots">`, in a `<meta>` named after the user agent's product token
    /// (`<meta name="trawler">`), or in an `X-Robots-Tag` header (for all agents, or
    /// `trawler: nofollow`). Its explicit follows are dropped too, and its outcome has
    /// [`nofollow`](crate::Outcome::nofollow) set, saying why nothing came from it; read on
    /// HTML pages. `false` ignores the directive (the page still reports it through
    /// [`Page::robots`](crate::Page::robots)). By default, [`DEFAULT_OBEY_NOFOLLOW`].
    #[must_use]
    pub fn obey_nofollow(mut self, on: bool) -> Self {
        self.directives.obey_nofollow = on;
        self
    }

    /// Reports a page that says `noindex` (or `none`), in the same places as
    /// [`obey_nofollow`](Self::obey_nofollow), on its outcome
    /// ([`noindex`](crate::Outcome::noindex)); the page is crawled as any other. By
    /// default, [`DEFAULT_REPORT_NOINDEX`].
    #[must_use]
    pub fn report_noindex(mut self, on: bool) -> Self {
        self.directives.report_noindex = on;
        self
    }

    /// Follows links marked `rel="nofollow"` (`<a rel="nofollow ugc" href>`). `false`
    /// leaves them out of the links a page leads to: never queued from that page, and not
    /// recorded (the same URL linked without the mark elsewhere is crawled). By default,
    /// [`DEFAULT_FOLLOW_REL_NOFOLLOW`].
    #[must_use]
    pub fn follow_rel_nofollow(mut self, on: bool) -> Self {
        self.directives.follow_rel_nofollow = on;
        self
    }
}
