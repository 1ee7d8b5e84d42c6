//! The web app (the PWA in `frontend/`), embedded at build time by `build.rs`. Files are
//! served by path; any other path that is not under `/api` gets `index.html` so client
//! routes work on reload. Hashed assets are cached for good; the shell, the manifest and
//! the service worker are revalidated so an upgrade reaches users.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/webapp_files.rs"));
}

fn find(path: &str) -> Option<&'static [u8]> {
    embedded::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, body)| *body)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "map" => "application/json",
        _ => "application/octet-stream",
    }
}

fn respond(path: &str, body: &'static [u8]) -> Response {
    let immutable = path.starts_with("assets/");
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut resp = (StatusCode::OK, body).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    resp
}

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if let Some(body) = find(path).filter(|_| !path.is_empty()) {
        return respond(path, body);
    }
    // A missing asset is a 404 (a stale cached page asking for an old hash must not get
    // HTML back); anything else is a client route.
    let looks_like_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    match find("index.html") {
        Some(index) if !looks_like_file => respond("index.html", index),
        Some(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
        None => Html(PLACEHOLDER).into_response(),
    }
}

/// Whether the web app was built into this binary.
pub fn is_embedded() -> bool {
    find("index.html").is_some()
}

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AutoCode</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>AutoCode is running</h1>
<p>The web app was not built into this binary. Build it with
<code>make run</code> (or <code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code> and
rebuild the daemon). The API is at <code>/api</code>.</p>
</body></html>"#;
