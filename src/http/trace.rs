//! One tracing span per HTTP request: method, the matched route (`/api/projects/{id}`),
//! then the status and latency. Never the query string (WebSocket tickets travel there),
//! the concrete path (ids, file names) or a body: what a log shipper keeps is safe to keep.

use std::time::Duration;

use axum::Router;
use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// Wraps every route and the fallback of `router` in the request span.
pub fn traced<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(
        TraceLayer::new_for_http()
            .make_span_with(|req: &Request<_>| {
                let path = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("(no route)", MatchedPath::as_str);
                tracing::info_span!(
                    "request",
                    method = %req.method(),
                    path = %path,
                    status = tracing::field::Empty,
                    latency_ms = tracing::field::Empty,
                )
            })
            .on_request(())
            // A 5xx is logged once, by `ApiError` with its cause; the layer's own line would
            // say the same without it.
            .on_failure(())
            .on_response(|res: &Response<_>, latency: Duration, span: &Span| {
                span.record("status", res.status().as_u16());
                span.record("latency_ms", latency.as_secs_f64() * 1e3);
                tracing::debug!("answered");
            }),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    /// Everything the fmt subscriber writes, for the assertions.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    async fn call(router: Router, uri: &str) -> u16 {
        let req = Request::get(uri).body(Body::empty()).expect("request");
        router
            .oneshot(req)
            .await
            .expect("response")
            .status()
            .as_u16()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_request_is_one_span_with_route_status_and_latency_but_no_query() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let router = traced(
            Router::new()
                .route("/api/things/{id}", get(|| async { "ok" }))
                .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "no") }),
        );
        assert_eq!(
            call(router.clone(), "/api/things/7?ticket=SECRET").await,
            200
        );
        assert_eq!(call(router, "/private/thing?ticket=OTHER").await, 404);
        let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("answered")).collect();
        assert_eq!(lines.len(), 2, "one line per request:\n{text}");
        for (line, path, status) in [
            (lines[0], "path=/api/things/{id}", "status=200"),
            (lines[1], "path=(no route)", "status=404"),
        ] {
            assert!(line.contains("method=GET"), "{line}");
            assert!(line.contains(path), "{line}");
            assert!(line.contains(status), "{line}");
            assert!(line.contains("latency_ms="), "{line}");
        }
        for secret in ["SECRET", "OTHER", "ticket", "/api/things/7", "/private"] {
            assert!(!text.contains(secret), "{secret} logged:\n{text}");
        }
    }
}
