//! The flags about what pages say of themselves to robots (robots `<meta>` tags,
//! `X-Robots-Tag`, `rel="nofollow"`), and how they map onto the builder. robots.txt has
//! its own flag, `--no-robots`.

use clap::Args;
use trawler::CrawlConfigBuilder;

/// `trawler crawl`'s page-directive flags.
#[derive(Debug, Args)]
pub(crate) struct DirectiveArgs {
    /// Follow the links of pages that say nofollow (robots <meta> or X-Robots-Tag); by
    /// default they are not followed and the page's record says "nofollow": true.
    #[arg(long)]
    pub(crate) ignore_nofollow: bool,
    /// Do not report noindex pages (by default their record says "noindex": true).
    #[arg(long)]
    pub(crate) ignore_noindex: bool,
    /// Do not follow links marked rel="nofollow" (followed by default).
    #[arg(long)]
    pub(crate) skip_rel_nofollow: bool,
}

impl DirectiveArgs {
    /// The builder with these flags applied.
    pub(crate) fn apply(&self, b: CrawlConfigBuilder) -> CrawlConfigBuilder {
        b.obey_nofollow(!self.ignore_nofollow)
            .report_noindex(!self.ignore_noindex)
            .follow_rel_nofollow(!self.skip_rel_nofollow)
    }
}
