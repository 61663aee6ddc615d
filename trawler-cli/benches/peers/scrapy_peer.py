#!/usr/bin/env python3
"""Scrapy crawling one site for trawler's peer benchmark: scrapy_peer.py URL OUT CONCURRENCY.

The whole site from URL, its host only (allowed_domains), robots.txt not read, no delay, no
AutoThrottle, at most CONCURRENCY requests in flight (per domain too); every response that
reached a callback has its URL written to OUT, one per line. PEER_TIMEOUT (seconds) bounds
the crawl (CLOSESPIDER_TIMEOUT).
"""
import os
import sys
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class Site(CrawlSpider):
    name = "site"

    def __init__(self, start, out, *a, **kw):
        self.start_urls = [start]
        # OffsiteMiddleware matches the host name; LinkExtractor(allow_domains=...) would
        # compare it with the port and reject every link of a site on a non-default port.
        self.allowed_domains = [urlsplit(start).hostname]
        self.rules = (Rule(LinkExtractor(), callback="parse_item", follow=True),)
        super().__init__(*a, **kw)
        self.out = open(out, "w", buffering=1 << 20)

    def parse_start_url(self, response):
        self.out.write(response.url + "\n")
        return []

    def parse_item(self, response):
        self.out.write(response.url + "\n")

    def closed(self, reason):
        self.out.close()


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: scrapy_peer.py URL OUT CONCURRENCY")
    url, out, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING",
        "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "CLOSESPIDER_TIMEOUT": int(os.environ.get("PEER_TIMEOUT", "300")),
        "DOWNLOAD_TIMEOUT": 30,
    })
    process.crawl(Site, start=url, out=out)
    process.start()


if __name__ == "__main__":
    main()
