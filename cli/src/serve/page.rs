//! The playground's page: one HTML file, its ES modules (app.js imports the others: data.js the
//! data panel, runs.js the stream, curves.js and bars.js the charts, plane.js the draggable ones,
//! charts.js the SVG pieces, format.js the command line's number format), its style sheet, and the
//! DejaVu Sans font the charts use, all compiled into the binary (nothing comes from the network).

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The files the page is made of: name, content type, bytes.
fn files() -> [(&'static str, &'static str, &'static [u8]); 10] {
    const JS: &str = "text/javascript; charset=utf-8";
    [
        ("app.js", JS, include_bytes!("assets/app.js")),
        ("data.js", JS, include_bytes!("assets/data.js")),
        ("runs.js", JS, include_bytes!("assets/runs.js")),
        ("curves.js", JS, include_bytes!("assets/curves.js")),
        ("bars.js", JS, include_bytes!("assets/bars.js")),
        ("plane.js", JS, include_bytes!("assets/plane.js")),
        ("charts.js", JS, include_bytes!("assets/charts.js")),
        ("format.js", JS, include_bytes!("assets/format.js")),
        ("style.css", "text/css; charset=utf-8", include_bytes!("assets/style.css")),
        ("font.ttf", "font/ttf", dejavu::sans::regular()),
    ]
}

/// `GET /`.
pub async fn index() -> Response {
    asset("text/html; charset=utf-8", include_bytes!("assets/index.html"))
}

/// `GET /app.js`, `/style.css`, `/font.ttf`, ... (the files of [`files`]).
pub async fn file(Path(name): Path<String>) -> Response {
    match files().into_iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, bytes)) => asset(kind, bytes),
        None => super::not_found_response(),
    }
}

fn asset(kind: &'static str, bytes: &'static [u8]) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    // A page that runs nothing from elsewhere: no external scripts, styles, fonts or connections,
    // no inline script or style (the page sets styles through the CSSOM only); `data:` for the
    // empty favicon. The page's tests fail on any violation (chromium logs it as an error).
    headers
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'; img-src 'self' data:"));
    response
}
