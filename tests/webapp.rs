//! The binary serves the web app: the shell on `/` and on every client route, assets with
//! their types, a 404 for a missing asset, and JSON (never HTML) under `/api`.

#[macro_use]
mod support;

use support::common;

use common::TestApp;

#[tokio::test]
async fn shell_client_routes_assets_and_api_fallbacks() {
    let app = TestApp::start().await;
    let get = |path: &'static str| {
        let app = &app;
        async move {
            let resp = app.client.get(app.url(path)).send().await.expect("send");
            let status = resp.status().as_u16();
            let ctype = resp
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (status, ctype, resp.text().await.expect("body"))
        }
    };
    let (status, ctype, root) = get("/").await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    assert!(root.contains("AutoCode"));
    // Client routes get the same shell so a reload on a deep link works.
    let (status, _, deep) = get("/projects/12").await;
    assert_eq!((status, deep), (200, root.clone()));
    let (status, ctype, body) = get("/api/does-not-exist").await;
    assert_eq!(status, 404);
    assert!(
        ctype.starts_with("application/json") && body.contains("not found"),
        "{ctype} {body}"
    );
    if autocode::webapp::is_embedded() {
        let (status, _, _) = get("/assets/no-such-file-1234.js").await;
        assert_eq!(status, 404, "a missing asset must not come back as HTML");
        let (status, ctype, manifest) = get("/manifest.webmanifest").await;
        assert_eq!(status, 200);
        assert!(ctype.contains("manifest+json"), "{ctype}");
        assert!(manifest.contains("\"display\""));
    } else {
        assert!(
            root.contains("make run"),
            "the placeholder says how to build the app"
        );
    }
    app.stop().await;
}
