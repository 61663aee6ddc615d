//! The flags that render pages in a headless Chromium (`--render-all`, `--render REGEX`,
//! `--render-adaptive`, and the browser's own: `--render-script`, `--screenshots` ...),
//! and how they map onto the library. The browser comes with the `browser` feature of
//! this crate (`cargo install --path trawler-cli --features browser`); a `trawler` built
//! without it refuses the flags in one line.

use crate::CliError;
use clap::Args;
use std::path::PathBuf;
use trawler::prelude::*;

/// `trawler crawl`'s rendering flags.
#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// Render every page in a headless Chromium (found on PATH, or --browser-path) and
    /// crawl what its DOM holds once loaded: links made by JavaScript are found.
    #[arg(long, conflicts_with_all = ["render", "render_adaptive"])]
    pub(crate) render_all: bool,
    /// Render the pages whose URL matches REGEX (may be repeated); the rest are fetched
    /// over HTTP.
    #[arg(long, value_name = "REGEX", conflicts_with = "render_adaptive")]
    pub(crate) render: Vec<String>,
    /// Fetch every page over HTTP first and render only those that need it: pages that
    /// look like a script's empty shell, and hosts whose sampled pages gain links when
    /// rendered.
    #[arg(long)]
    pub(crate) render_adaptive: bool,
    /// JavaScript run in each rendered page once it has loaded (the body of an async
    /// function: scroll, click "load more"), from FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) render_script: Option<PathBuf>,
    /// Save a PNG of each rendered page under DIR, by host and path (the page's name with
    /// .png added).
    #[arg(long, value_name = "DIR")]
    pub(crate) screenshots: Option<PathBuf>,
    /// The browser to render with [default: chromium, chromium-browser or google-chrome
    /// on PATH].
    #[arg(long, value_name = "PATH")]
    pub(crate) browser_path: Option<PathBuf>,
    /// Sub-resources a rendered page may not load, comma-separated: images, media, fonts,
    /// stylesheets, or none [default: images,media,fonts].
    #[arg(long, value_name = "KINDS")]
    pub(crate) block: Option<String>,
    /// Tabs open at once per worker [default: 4].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(crate) tabs: Option<u16>,
}

impl RenderArgs {
    /// Where screenshots go, when pages are rendered at all (otherwise the flag is refused
    /// later, and no directory is made for it).
    pub(crate) fn screenshots_dir(&self) -> Option<&std::path::Path> {
        let renders = cfg!(feature = "browser") && self.wanted();
        self.screenshots.as_deref().filter(|_| renders)
    }

    fn wanted(&self) -> bool {
        self.render_all || self.render_adaptive || !self.render.is_empty()
    }

    /// The crawler with rendering set, when asked for.
    #[cfg(feature = "browser")]
    pub(crate) fn apply<S: Spider>(
        &self,
        crawler: Crawler<S>,
        allow_hosts: &[String],
    ) -> Result<Crawler<S>, CliError> {
        use trawler::browser::{RenderConfig, RenderRule, ResourceKind};
        if !self.wanted() {
            return self.unused().map(|()| crawler);
        }
        let rule = match (self.render_all, self.render_adaptive) {
            (true, _) => RenderRule::All,
            (_, true) => RenderRule::Adaptive,
            _ => RenderRule::Matching(
                (self.render.iter())
                    .map(|r| {
                        trawler::regex::Regex::new(r)
                            .map_err(|e| CliError::Keep(format!("--render {r:?}: {e}")))
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let mut config = RenderConfig::new(rule);
        if let Some(path) = &self.browser_path {
            config = config.executable(path);
        }
        if let Some(tabs) = self.tabs {
            config = config.tabs(usize::from(tabs));
        }
        if let Some(file) = &self.render_script {
            let js = std::fs::read_to_string(file)
                .map_err(|e| CliError::Keep(format!("--render-script {}: {e}", file.display())))?;
            config = config.script(&js);
        }
        config = config.screenshots(self.screenshots.is_some());
        if let Some(list) = &self.block {
            let kinds = match list.trim() {
                "none" => Vec::new(),
                list => (list.split(','))
                    .map(|k| {
                        ResourceKind::parse(k).ok_or_else(|| {
                            CliError::Keep(format!(
                                "--block: {k:?} is not one of images, media, fonts, stylesheets, none"
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?,
            };
            config = config.block(kinds);
        }
        // `--allow-host HOST[:PORT]`: the sub-resources of a host the crawl may visit.
        // Said now, before the records file is made, not when the crawl starts.
        config
            .find_executable()
            .map_err(|e| CliError::Keep(format!("--render: {e}")))?;
        for host in allow_hosts {
            let name = match host.rsplit_once(':') {
                Some((name, port)) if port.parse::<u16>().is_ok() => name,
                _ => host.as_str(),
            };
            config = config.allow_host(name);
        }
        Ok(crawler.render(config))
    }

    /// Without the browser feature, the flags are refused in one line.
    #[cfg(not(feature = "browser"))]
    pub(crate) fn apply<S: Spider>(
        &self,
        crawler: Crawler<S>,
        _allow_hosts: &[String],
    ) -> Result<Crawler<S>, CliError> {
        if self.wanted() {
            return Err(CliError::Keep(
                "--render: this trawler was built without the browser; install it with \
                 `cargo install --path trawler-cli --features browser`"
                    .into(),
            ));
        }
        self.unused().map(|()| crawler)
    }

    /// The browser's own flags given without anything to render.
    fn unused(&self) -> Result<(), CliError> {
        let given = [
            (self.browser_path.is_some(), "--browser-path"),
            (self.block.is_some(), "--block"),
            (self.tabs.is_some(), "--tabs"),
            (self.render_script.is_some(), "--render-script"),
            (self.screenshots.is_some(), "--screenshots"),
        ];
        match given.iter().find(|(g, _)| *g) {
            Some((_, flag)) => Err(CliError::Keep(format!(
                "{flag} is for rendered pages: give --render-all, --render REGEX or \
                 --render-adaptive too"
            ))),
            None => Ok(()),
        }
    }
}
