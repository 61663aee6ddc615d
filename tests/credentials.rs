//! Credentials in a start URL (`http://user:password@host/`): sent as basic auth to that
//! origin only, never to another host (not even after a redirect), never written into a
//! record, and the URL with credentials is the same resource as the one without.

mod common;

use common::config;
use common::raw::{After, RawServer, respond};
use trawler::{Crawler, FnSpider};

/// `Basic` of `user:secret`.
const AUTH: &str = "Basic dXNlcjpzZWNyZXQ=";

/// Another host (127.0.0.2), answering every request with a page.
fn other_host() -> RawServer {
    RawServer::start_on("127.0.0.2:0", |_, stream| {
        html(stream, b"<html>other</html>")
    })
}

/// Answers with an HTML page and keeps the connection.
fn html(stream: &mut std::net::TcpStream, body: &[u8]) -> After {
    respond(stream, "200 OK", &[("content-type", "text/html")], body);
    After::KeepOpen
}

#[test]
fn seed_credentials_go_to_their_origin_only_and_never_into_records() {
    let other = other_host();
    let other_url = other.url("/x.html");
    let redirect_to = other.url("/moved.html");
    let site = RawServer::start(move |hit, stream| {
        let authorized = hit
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == AUTH);
        if !authorized {
            respond(
                stream,
                "401 Unauthorized",
                &[("www-authenticate", "Basic realm=\"t\"")],
                b"",
            );
            return After::KeepOpen;
        }
        let port = hit.host.rsplit(':').next().unwrap_or("");
        let body = match hit.path.as_str() {
            "/" => format!(
                "<html><a href=\"/a.html\">a</a>\
                 <a href=\"http://user:secret@127.0.0.1:{port}/c.html\">c</a>\
                 <a href=\"{other_url}\">other</a><a href=\"/go\">go</a></html>"
            ),
            // The start page again, in its plain form.
            "/a.html" => format!("<html><a href=\"http://127.0.0.1:{port}/\">home</a></html>"),
            "/go" => {
                respond(stream, "302 Found", &[("location", &redirect_to)], b"");
                return After::KeepOpen;
            }
            _ => "<html>leaf</html>".to_string(),
        };
        html(stream, body.as_bytes())
    });
    let seed = format!("http://user:secret@{}/", site.addr());
    let config = config(&seed).allow_any_host().build().unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();

    // The site: every request authorized, robots.txt included, and nothing refused.
    let hits = site.hits();
    assert!(hits.iter().any(|h| h.path == "/robots.txt"));
    for h in &hits {
        assert!(
            h.headers
                .iter()
                .any(|(k, v)| k == "authorization" && v == AUTH),
            "{h:?}"
        );
    }
    for path in ["/", "/a.html", "/c.html"] {
        assert_eq!(
            site.count(path),
            1,
            "{path}: the forms with and without credentials are one URL"
        );
    }
    // The other host: reached by a link and by a redirect, never with credentials.
    assert_eq!((other.count("/x.html"), other.count("/moved.html")), (1, 1));
    for h in other.hits() {
        assert!(h.headers.iter().all(|(k, _)| k != "authorization"), "{h:?}");
    }
    // No record shows them.
    assert_eq!(report.failed, 0, "{report}");
    for o in &report.outcomes {
        let record = serde_json::to_string(o).unwrap();
        assert!(
            !record.contains("secret") && !record.contains("user@"),
            "{record}"
        );
        assert!(o.status != Some(401), "{record}");
    }
}

/// `basic_auth`, `cookie` and `header`: the headers go to every host, the credentials to
/// the start origin only (robots.txt and sitemaps included), never to another host,
/// whether reached by a link or a redirect.
#[test]
fn crawl_headers_go_everywhere_and_credentials_to_the_start_origin_only() {
    let other = other_host();
    let other_url = other.url("/x.html");
    let redirect_to = other.url("/moved.html");
    let site = RawServer::start(move |hit, stream| {
        let body = match hit.path.as_str() {
            "/" => format!(
                "<html><a href=\"/a.html\">a</a><a href=\"{other_url}\">other</a>\
                 <a href=\"/go\">go</a></html>"
            ),
            "/go" => {
                respond(stream, "302 Found", &[("location", &redirect_to)], b"");
                return After::KeepOpen;
            }
            "/sitemap.xml" => "<urlset><url><loc>/listed.html</loc></url></urlset>".to_string(),
            _ => "<html>leaf</html>".to_string(),
        };
        html(stream, body.as_bytes())
    });
    let config = config(&site.url("/"))
        .allow_any_host()
        .sitemaps(true)
        .basic_auth("user", "secret")
        .cookie("session=abc")
        .cookie("lang=fr")
        .header("X-Trace", "t1")
        .header("Cookie", "given=as-a-header")
        .build()
        .unwrap();
    let report = Crawler::new(config, FnSpider::<()>::new()).run().unwrap();
    assert_eq!(report.failed, 0, "{report}");
    let value = |h: &common::raw::RawHit, name: &str| {
        (h.headers.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let hits = site.hits();
    for path in [
        "/robots.txt",
        "/sitemap.xml",
        "/",
        "/a.html",
        "/go",
        "/listed.html",
    ] {
        assert!(hits.iter().any(|h| h.path == path), "{path} asked for");
    }
    for h in &hits {
        assert_eq!(value(h, "authorization").as_deref(), Some(AUTH), "{h:?}");
        assert_eq!(
            value(h, "cookie").as_deref(),
            Some("session=abc; lang=fr"),
            "{h:?}"
        );
        assert_eq!(value(h, "x-trace").as_deref(), Some("t1"), "{h:?}");
    }
    let elsewhere = other.hits();
    assert!(elsewhere.iter().any(|h| h.path == "/robots.txt"));
    assert_eq!((other.count("/x.html"), other.count("/moved.html")), (1, 1));
    for h in &elsewhere {
        assert_eq!(value(h, "x-trace").as_deref(), Some("t1"), "{h:?}");
        assert_eq!(value(h, "authorization"), None, "{h:?}");
        assert_eq!(value(h, "cookie"), None, "{h:?}");
    }
}
