//! The playground's page: one HTML file, its script and style sheet, and the DejaVu Sans font the
//! charts use, all compiled into the binary (nothing is fetched from the network).

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The files the page is made of: name, content type, bytes.
fn files() -> [(&'static str, &'static str, &'static [u8]); 3] {
    [
        ("app.js", "text/javascript; charset=utf-8", include_bytes!("assets/app.js")),
        ("style.css", "text/css; charset=utf-8", include_bytes!("assets/style.css")),
        ("font.ttf", "font/ttf", dejavu::sans::regular()),
    ]
}

/// `GET /`.
pub async fn index() -> Response {
    asset("text/html; charset=utf-8", include_bytes!("assets/index.html"))
}

/// `GET /app.js`, `/style.css`, `/font.ttf`.
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
    // A page that runs nothing from elsewhere: no external scripts, styles, fonts or connections.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"),
    );
    response
}
