//! The test server's routes: the named behaviours listed in the `common` module docs, and
//! the generated site's link graph (public, so tests can compute what must be reachable).

use super::*;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use bytes::Bytes;
use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::Ordering;

/// The site pages that page `i` links to (duplicates possible, 0 always included).
pub fn site_links(i: usize) -> Vec<usize> {
    let mut v = Vec::new();
    for child in [2 * i + 1, 2 * i + 2] {
        if child < SITE_PAGES {
            v.push(child);
        }
    }
    v.push(0);
    v.push(site_random(i));
    v.push(site_up(i));
    v
}

/// A deterministic "random" page linked from page `i` (with a `#frag`).
fn site_random(i: usize) -> usize {
    (i * 7919 + 13) % SITE_PAGES
}

/// A page linked from page `i` through a `../site/` relative link.
fn site_up(i: usize) -> usize {
    (i * 31 + 7) % SITE_PAGES
}

/// The pages reachable from page 0 when `blocked` pages are never fetched.
pub fn site_reachable(blocked: impl Fn(usize) -> bool) -> HashSet<usize> {
    let mut seen = HashSet::from([0]);
    let mut queue = VecDeque::from([0]);
    while let Some(i) = queue.pop_front() {
        for j in site_links(i) {
            if !blocked(j) && seen.insert(j) {
                queue.push_back(j);
            }
        }
    }
    seen
}

/// The title of site page `i`.
pub fn site_title(i: usize) -> String {
    format!("Site page {i}")
}

// ---------------------------------------------------------------------------------------
// Routes.

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/site/{file}", web::get().to(site_page))
        .route("/depth/{file}", web::get().to(depth_page))
        .route("/fan/{file}", web::get().to(fan_page))
        .route("/slow/{file}", web::get().to(slow_page))
        .route("/base/index.html", web::get().to(base_index))
        .route("/base/sub/a.html", web::get().to(leaf))
        .route("/base/abs.html", web::get().to(leaf))
        .route("/rel/dir/page.html", web::get().to(rel_page))
        .route("/rel/up.html", web::get().to(leaf))
        .route("/rel/dir/same.html", web::get().to(leaf))
        .route("/rel/dir/child/c.html", web::get().to(leaf))
        .route("/redirect/chain/{n}", web::get().to(redirect_chain))
        .route("/redirect/loop/{which}", web::get().to(redirect_loop))
        .route("/redirect/off", web::get().to(redirect_off))
        .route("/redirect/rel", web::get().to(redirect_rel))
        .route("/redirect/target.html", web::get().to(leaf))
        .route("/redirect/nolocation", web::get().to(redirect_nolocation))
        .route("/flaky/{id}", web::get().to(flaky))
        .route("/throttle/{id}", web::get().to(throttle))
        .route("/always500", web::get().to(always500))
        .route("/notfound", web::get().to(notfound))
        .route("/stall", web::get().to(stall))
        .route("/stall-once/{id}", web::get().to(stall_once))
        .route("/drip-once/{id}", web::get().to(drip_once))
        .route("/drip", web::get().to(drip))
        .route("/huge", web::get().to(huge))
        .route("/panic.html", web::get().to(panic_page))
        .route("/after-panic.html", web::get().to(leaf))
        .route("/json", web::get().to(json))
        .route("/img.png", web::get().to(png))
        .route("/linkto", web::get().to(linkto))
        .route("/long.html", web::get().to(long_page))
        .route("/encoded/{file}", web::get().to(encoded_page))
        .default_service(web::to(served));
}

/// What [`TestServer::serve`] set for this path, or a 404.
async fn served(req: HttpRequest, st: web::Data<State>) -> HttpResponse {
    let reply = st.files.lock().unwrap().get(req.path()).cloned();
    let Some(reply) = reply else {
        return HttpResponse::NotFound()
            .content_type("text/plain")
            .body("no such route");
    };
    if st.count(format!("served:{}", req.path())) < reply.fail_first {
        return HttpResponse::build(StatusCode::from_u16(reply.fail_status).unwrap()).finish();
    }
    let mut res = HttpResponse::build(StatusCode::from_u16(reply.status).unwrap());
    for (k, v) in &reply.headers {
        res.insert_header((k.as_str(), v.as_str()));
    }
    res.body(reply.body)
}

fn html(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page(title, body))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body><h1>{title}</h1>\n{body}\n</body></html>\n"
    )
}

/// The number in `{n}.html`, or `None`.
fn page_number(file: &str) -> Option<usize> {
    file.strip_suffix(".html")?.parse().ok()
}

async fn site_page(req: HttpRequest, file: web::Path<String>) -> HttpResponse {
    let Some(i) = page_number(&file).filter(|i| *i < SITE_PAGES) else {
        return HttpResponse::NotFound().finish();
    };
    let mut body = String::new();
    // Mixed link forms: absolute path, relative, full URL, fragment, `../`.
    let (left, right) = (2 * i + 1, 2 * i + 2);
    if left < SITE_PAGES {
        body += &format!("<a href=\"/site/{left}.html\">left</a>\n");
    }
    if right < SITE_PAGES {
        body += &format!("<a href=\"{right}.html\">right</a>\n");
    }
    // The full URL of the host this request came to.
    body += &format!(
        "<a href=\"http://127.0.0.1:{}/site/0.html\">home</a>\n",
        req.app_config().local_addr().port()
    );
    body += &format!(
        "<a href=\"/site/{}.html#frag\">random</a>\n",
        site_random(i)
    );
    body += &format!("<a href=\"../site/{}.html\">up and over</a>\n", site_up(i));
    body += &format!("<a href=\"{OFFSITE_LINK}\">elsewhere</a>\n");
    body += "<a href=\"mailto:webmaster@example.invalid\">mail</a>\n";
    html(&site_title(i), &body)
}

async fn depth_page(file: web::Path<String>) -> HttpResponse {
    let Some(n) = page_number(&file).filter(|n| *n <= DEPTH_LAST) else {
        return HttpResponse::NotFound().finish();
    };
    let body = if n < DEPTH_LAST {
        format!("<a href=\"/depth/{}.html\">next</a>", n + 1)
    } else {
        "the end".to_string()
    };
    html(&format!("Depth {n}"), &body)
}

fn fan_body(prefix: &str, i: usize) -> String {
    if i != 0 {
        return "a leaf".to_string();
    }
    (1..FAN_PAGES)
        .map(|j| format!("<a href=\"/{prefix}/{j}.html\">{j}</a>\n"))
        .collect()
}

async fn fan_page(file: web::Path<String>) -> HttpResponse {
    match page_number(&file).filter(|i| *i < FAN_PAGES) {
        Some(i) => html(&format!("Fan {i}"), &fan_body("fan", i)),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn slow_page(file: web::Path<String>) -> HttpResponse {
    actix_rt::time::sleep(SLOW_DELAY).await;
    match page_number(&file).filter(|i| *i < FAN_PAGES) {
        Some(i) => html(&format!("Slow {i}"), &fan_body("slow", i)),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn base_index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            "<!DOCTYPE html><html><head><title>Base</title><base href=\"/base/sub/\"></head>\n\
             <body><a href=\"a.html\">relative to the base</a>\n\
             <a href=\"/base/abs.html\">absolute path</a></body></html>",
        )
}

async fn rel_page() -> HttpResponse {
    html(
        "Relative",
        "<a href=\"../up.html\">up</a>\n<a href=\"./same.html\">same</a>\n<a href=\"child/c.html\">child</a>",
    )
}

async fn leaf(req: HttpRequest) -> HttpResponse {
    html(&format!("Leaf {}", req.path()), "no links here")
}

fn redirect(status: actix_web::http::StatusCode, location: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::LOCATION, location))
        .finish()
}

async fn redirect_chain(n: web::Path<u32>) -> HttpResponse {
    let n = n.into_inner();
    if n == 0 {
        html("Chain end", "you made it")
    } else {
        redirect(StatusCode::FOUND, &format!("/redirect/chain/{}", n - 1))
    }
}

async fn redirect_loop(which: web::Path<String>) -> HttpResponse {
    let to = if which.as_str() == "a" { "b" } else { "a" };
    redirect(StatusCode::FOUND, &format!("/redirect/loop/{to}"))
}

async fn redirect_off() -> HttpResponse {
    redirect(StatusCode::MOVED_PERMANENTLY, OFFSITE_REDIRECT)
}

async fn redirect_rel() -> HttpResponse {
    redirect(StatusCode::MOVED_PERMANENTLY, "target.html")
}

async fn redirect_nolocation() -> HttpResponse {
    HttpResponse::Found().finish()
}

async fn flaky(st: web::Data<State>, id: web::Path<String>) -> HttpResponse {
    if st.count(format!("flaky/{id}")) == 0 {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("try again")
    } else {
        html(&format!("Flaky {id}"), "better now")
    }
}

async fn throttle(st: web::Data<State>, id: web::Path<String>) -> HttpResponse {
    if st.count(format!("throttle/{id}")) == 0 {
        HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, "1"))
            .content_type("text/plain")
            .body("slow down")
    } else {
        html(&format!("Throttle {id}"), "thanks for waiting")
    }
}

async fn always500() -> HttpResponse {
    HttpResponse::InternalServerError()
        .content_type("text/html")
        .body(page(
            "Broken",
            "<a href=\"/from-500.html\">never followed</a>",
        ))
}

async fn notfound() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .body(page(
            "Not found",
            "<a href=\"/nf/a.html\">a</a>\n<a href=\"/nf/b.html\">b</a>\n<a href=\"/site/0.html\">home</a>",
        ))
}

async fn stall() -> HttpResponse {
    actix_rt::time::sleep(STALL).await;
    html("Stalled", "finally")
}

async fn stall_once(st: web::Data<State>, id: web::Path<String>) -> HttpResponse {
    if st.count(format!("stall-once/{id}")) == 0 {
        actix_rt::time::sleep(STALL).await;
    }
    html(&format!("Stall once {id}"), "on time now")
}

async fn drip_once(st: web::Data<State>, id: web::Path<String>) -> HttpResponse {
    if st.count(format!("drip-once/{id}")) == 0 {
        return drip().await;
    }
    html(&format!("Drip once {id}"), "all at once now")
}

async fn drip() -> HttpResponse {
    let body = futures_util::stream::unfold(0usize, |n| async move {
        if n == DRIP_BYTES {
            return None;
        }
        actix_rt::time::sleep(DRIP_EVERY).await;
        Some((Ok::<_, Infallible>(Bytes::from_static(b"x")), n + 1))
    });
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .streaming(body)
}

async fn huge(st: web::Data<State>) -> HttpResponse {
    let chunk = Bytes::from(vec![b'z'; HUGE_CHUNK]);
    let st = st.into_inner();
    let body = futures_util::stream::unfold(0u64, move |sent| {
        let (chunk, st) = (chunk.clone(), st.clone());
        async move {
            if sent >= HUGE_TOTAL {
                return None;
            }
            st.huge_sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            Some((Ok::<_, Infallible>(chunk), sent + HUGE_CHUNK as u64))
        }
    });
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .streaming(body)
}

async fn panic_page() -> HttpResponse {
    html(
        "Panic",
        "the spider panics here\n<a href=\"/after-panic.html\">after</a>",
    )
}

async fn json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body("{\"html\": \"<a href=\\\"/nope\\\">nope</a>\"}")
}

async fn png() -> HttpResponse {
    let mut body = b"\x89PNG\r\n\x1a\n".to_vec();
    body.extend_from_slice(b"<html><a href=\"/nope-img\">nope</a></html>");
    HttpResponse::Ok().content_type("image/png").body(body)
}

async fn long_page() -> HttpResponse {
    html(
        "Long",
        &format!("<a href=\"{LONG_LINK}\">long</a>\n<a href=\"/depth/20.html\">short</a>"),
    )
}

async fn linkto(req: HttpRequest) -> HttpResponse {
    let body: String = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "u")
        .map(|(_, v)| format!("<a href=\"{v}\">{v}</a>\n"))
        .collect();
    html("Links", &body)
}

/// The chain of `/encoded/` pages: each is sent with the next Content-Encoding and links
/// to the following one, so the crawl reaches the end only if it decoded every body.
pub const ENCODINGS: [&str; 4] = ["gzip", "deflate", "br", "identity"];

/// `/encoded/{encoding}.html`: a page compressed with that Content-Encoding (`deflate` as
/// zlib, as HTTP means it), linking to the next encoding of [`ENCODINGS`].
async fn encoded_page(path: web::Path<String>) -> HttpResponse {
    use std::io::Write;
    let Some(enc) = path.strip_suffix(".html") else {
        return HttpResponse::NotFound().finish();
    };
    let Some(i) = ENCODINGS.iter().position(|e| *e == enc) else {
        return HttpResponse::NotFound().finish();
    };
    let link = ENCODINGS
        .get(i + 1)
        .map(|next| format!(r#"<a href="{next}.html">next</a>"#))
        .unwrap_or_default();
    let body = page(&format!("encoded {enc}"), &link).into_bytes();
    let encoded = match enc {
        "gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&body).unwrap();
            e.finish().unwrap()
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&body).unwrap();
            e.finish().unwrap()
        }
        "br" => {
            let mut out = Vec::new();
            let mut e = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            e.write_all(&body).unwrap();
            drop(e);
            out
        }
        _ => body,
    };
    let mut res = HttpResponse::Ok();
    res.content_type("text/html; charset=utf-8");
    if enc != "identity" {
        res.insert_header((header::CONTENT_ENCODING, enc));
    }
    res.body(encoded)
}
