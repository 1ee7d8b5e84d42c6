//! The web app (the PWA in `frontend/`). Until the frontend is embedded, every non-API
//! path answers with a page that says how to build it.

use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};

pub async fn serve(_uri: Uri) -> Response {
    Html(PLACEHOLDER).into_response()
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
