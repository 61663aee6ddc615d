//! Items stored in SQLite through a `Pipeline`, then queried once the crawl is over.
//!
//! Run with: `cargo run --example sqlite_pipeline [-- URL]`
//!
//! Without a URL it crawls 200 pages of a synthetic site served on 127.0.0.1 (offline). The
//! pipeline writes inside one transaction, committed in `close`: one sync to disk, not one
//! per page.

use rusqlite::{Connection, params};
use trawler::prelude::*;
use trawler_testbed::{SiteSpec, Testbed};

/// One row of the `pages` table.
struct Row {
    url: String,
    title: String,
    bytes: usize,
}

/// Inserts every row into the `pages` table.
struct Sqlite(Connection);

impl Pipeline<Row> for Sqlite {
    async fn process_item(&mut self, row: Row) -> Result<Option<Row>, BoxError> {
        let sql = "INSERT OR REPLACE INTO pages (url, title, bytes) VALUES (?1, ?2, ?3)";
        self.0
            .prepare_cached(sql)?
            .execute(params![row.url, row.title, row.bytes])?;
        Ok(Some(row))
    }

    async fn close(&mut self) -> Result<(), BoxError> {
        Ok(self.0.execute_batch("COMMIT")?)
    }
}

fn main() -> Result<(), BoxError> {
    let (start, _site) = match std::env::args().nth(1) {
        Some(url) => (url, None),
        None => Testbed::start(SiteSpec::default()).map(|t| (t.url().into(), Some(t)))?,
    };
    let dir = tempfile::tempdir()?;
    let db = Connection::open(dir.path().join("pages.sqlite"))?;
    db.execute_batch("CREATE TABLE pages (url TEXT PRIMARY KEY, title TEXT, bytes INT); BEGIN")?;
    let title = Selector::parse("title")?;
    let spider = FnSpider::new().on_page(move |page, out| {
        let title = page.select(&title).next().map(|t| t.text().collect());
        let (url, bytes) = (page.url().to_string(), page.body().len());
        out.item(Row {
            url,
            title: title.unwrap_or_default(),
            bytes,
        });
    });
    let config = CrawlConfig::builder().seed(start).max_pages(200).build()?;
    let report = Crawler::new(config, spider).pipeline(Sqlite(db)).run()?;
    eprintln!("{report}");

    let db = Connection::open(dir.path().join("pages.sqlite"))?;
    let count: i64 = db.query_row("SELECT COUNT(*) FROM pages", [], |r| r.get(0))?;
    println!("{count} pages stored; the five largest:");
    let sql = "SELECT bytes || '  ' || url || '  ' || title FROM pages ORDER BY bytes DESC LIMIT 5";
    for line in db.prepare(sql)?.query_map([], |r| r.get::<_, String>(0))? {
        println!("  {}", line?);
    }
    Ok(())
}
