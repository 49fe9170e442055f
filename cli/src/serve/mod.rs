//! `klfit serve`: the playground. A local web server (axum on tokio) with one page, embedded in the
//! binary, and a small JSON API that trains with the same library `klfit train` uses and streams
//! every record as it is made.
//!
//! - `GET /`: the page ([`page`]); `GET /api/datasets`: the built-in datasets with K, N and H(p);
//!   `GET /api/status`: the runs in progress and the bounds.
//! - `POST /api/train`: a JSON object of `klfit train`'s settings ([`request`]), answered with
//!   newline-delimited JSON ([`stream`]); a bad setting is a 400 `{"error", "field"}`, a body over
//!   [`MAX_BODY`] a 413, a server already running [`MAX_RUNS`] runs a 503.
//! - `POST /api/counts`: a counts CSV (as dropped on the page) read by the command line's reader,
//!   answered with its categories and counts, or a 400 naming the line.
//!
//! Training runs on tokio's blocking threads, one per run; a run whose client goes away stops at
//! its next step. Ctrl-C (or SIGTERM) stops the runs and the server, which exits with 0.

mod json;
mod page;
mod request;
mod stream;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use klfit::Error;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use crate::cli::ServeArgs;
use crate::commands::Outcome;
use request::{Refusal, MAX_K, MAX_STEPS};

/// The most runs in progress at once; one more is answered 503.
pub const MAX_RUNS: usize = 64;
/// The largest request body, bytes; a larger one is answered 413.
pub const MAX_BODY: usize = 1 << 20;
/// How long the server waits for its connections to close after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// What the handlers share.
#[derive(Default)]
struct Shared {
    /// Runs in progress.
    runs: AtomicUsize,
    /// Set on Ctrl-C: every run stops at its next step.
    stopping: AtomicBool,
    /// Told once `stopping` is set.
    stopped: tokio::sync::Notify,
}

pub fn run(args: &ServeArgs) -> klfit::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::cannot("start", "the server's threads", e))?;
    let result = runtime.block_on(serve(args));
    // Runs still on their threads (a client that stopped reading) are not waited for longer.
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    result
}

async fn serve(args: &ServeArgs) -> klfit::Result<Outcome> {
    // Before the URL is printed: a signal sent as soon as it is read stops the server cleanly.
    let signals = Signals::install().map_err(|e| Error::cannot("catch signals for", "the server", e))?;
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await.map_err(|e| {
        Error::Usage(format!(
            "cannot listen on {}:{}: {e}; choose another --port (0 picks a free one) or --host",
            args.host, args.port
        ))
    })?;
    let address = listener.local_addr().map_err(|e| Error::cannot("listen on", args.host.as_str(), e))?;
    let url = url(address);
    // The first line is the URL (tests and scripts read it), printed once the port is open.
    println_flushed(&url);
    println_flushed("Ctrl-C stops the server.");
    if !address.ip().is_loopback() {
        eprintln!(
            "warning    listening on {}, which is not loopback: anyone who can reach this machine can use the playground \
             (and its CPU); use --host 127.0.0.1 to keep it local",
            address.ip()
        );
    }
    if args.open {
        open_browser(&url);
    }
    let shared = Arc::new(Shared::default());
    let app = Router::new()
        .route("/", get(page::index))
        .route("/{file}", get(page::file))
        .route("/api/datasets", get(datasets))
        .route("/api/status", get(status))
        .route("/api/train", post(train))
        .route("/api/counts", post(counts))
        .fallback(not_found)
        .with_state(shared.clone());
    let stopping = shared.clone();
    let shutdown = async move {
        signals.wait().await;
        stopping.stopping.store(true, Ordering::SeqCst);
        stopping.stopped.notify_one();
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(shutdown);
    let (done_tx, done_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let result = server.await;
        let _ = done_tx.send(());
        result
    });
    // After Ctrl-C, connections get SHUTDOWN_GRACE to close (runs stop at their next step).
    let grace = async {
        shared.stopped.notified().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        _ = done_rx => {}
        () = grace => {}
    }
    if server.is_finished() {
        if let Ok(Err(e)) = server.await {
            return Err(Error::cannot("serve on", url.as_str(), e));
        }
    }
    println_flushed("stopped");
    Ok(Outcome::Done)
}

/// `http://127.0.0.1:8000/` (`http://[::1]:8000/` for IPv6).
fn url(address: SocketAddr) -> String {
    format!("http://{address}/")
}

/// A line on standard output, flushed at once (a reader of a pipe waits for it).
fn println_flushed(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// Opens `url` in the default browser; says so if there is none to open.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    let opened = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if opened.is_err() {
        eprintln!("note       could not start {opener} to open the page; open {url} in a browser");
    }
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from the start.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
    }

    /// Waits for either.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// A JSON response.
fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut response = (status, format!("{value}\n")).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A refusal as a 400 (or `status`) `{"error", "field"}`.
fn refused(status: StatusCode, refusal: &Refusal) -> Response {
    json_response(status, &refusal.json())
}

async fn not_found() -> Response {
    not_found_response()
}

fn not_found_response() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({ "error": "no such page; the playground is at /, the API under /api/" }),
    )
}

/// `GET /api/datasets`: what `klfit datasets` lists, with each dataset's categories and counts.
async fn datasets() -> Response {
    let mut list = Vec::new();
    for d in klfit::data::DATASETS {
        let Ok(p) = d.sample() else { continue }; // the built-in datasets are tested to sample
        list.push(json!({
            "name": d.name,
            "description": d.description,
            "k": p.k(),
            "n": klfit::report::summary::json_total(&p),
            "entropy": klfit::report::summary::json_number(p.entropy()),
            "units": "nats",
            "labels": p.labels().iter().collect::<Vec<_>>(),
            "counts": (0..p.k()).map(|i| p.count_text(i)).collect::<Vec<_>>(),
        }));
    }
    json_response(StatusCode::OK, &serde_json::Value::Array(list))
}

/// `GET /api/status`: the runs in progress, and the bounds a request must keep.
async fn status(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({
            "klfit_version": klfit::report::summary::VERSION,
            "runs": shared.runs.load(Ordering::SeqCst),
            "max_runs": MAX_RUNS,
            "max_k": MAX_K,
            "max_steps": MAX_STEPS,
            "max_body_bytes": MAX_BODY,
        }),
    )
}

/// The body, or a 413 when it is longer than [`MAX_BODY`].
async fn read_body(body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        let error = format!("the request body is larger than {MAX_BODY} bytes (1 MiB); send fewer categories");
        json_response(StatusCode::PAYLOAD_TOO_LARGE, &json!({ "error": error, "field": null }))
    })
}

/// A run slot, given back when dropped (whether the run ended, failed, panicked or lost its client).
struct Slot(Arc<Shared>);

impl Slot {
    fn take(shared: &Arc<Shared>) -> Option<Slot> {
        let taken = shared.runs.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < MAX_RUNS).then_some(n + 1));
        taken.ok().map(|_| Slot(shared.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.runs.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The channel a run's lines go through to the response body. Bounded: a client that reads
/// slowly slows its run down rather than filling memory.
struct ChannelSink(mpsc::Sender<Bytes>);

impl stream::Sink for ChannelSink {
    fn send(&mut self, chunk: Vec<u8>) -> Result<(), stream::Gone> {
        self.0.blocking_send(Bytes::from(chunk)).map_err(|_| stream::Gone)
    }

    fn is_gone(&self) -> bool {
        self.0.is_closed()
    }
}

/// `POST /api/train`: checks the request, then streams the run.
async fn train(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let request = match request::parse(&body) {
        Ok(request) => request,
        Err(refusal) => return refused(StatusCode::BAD_REQUEST, &refusal),
    };
    let Some(slot) = Slot::take(&shared) else {
        let error = format!("the server is running its most runs at once ({MAX_RUNS}); try again when one has ended");
        return json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({ "error": error, "field": null }));
    };
    let (lines_tx, mut lines_rx) = mpsc::channel::<Bytes>(8);
    let (started_tx, started_rx) = oneshot::channel::<Result<(), Refusal>>();
    let stopping = shared.clone();
    tokio::task::spawn_blocking(move || {
        // A panic is a bug; it ends this stream with a 500 (or an error line) and nothing else.
        let mut started = Some(started_tx);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if klfit::report::injected_fault("SERVE_PANIC").as_deref() == Some("prepare") {
                panic!("injected panic before the run (KLFIT_FAULT_SERVE_PANIC)");
            }
            let prepared = match klfit::train::prepare(&request.p, &request.config) {
                Ok(prepared) => prepared,
                Err(e) => {
                    if let Some(tx) = started.take() {
                        let _ = tx.send(Err(start_refusal(&request, e)));
                    }
                    return;
                }
            };
            if let Some(tx) = started.take() {
                let _ = tx.send(Ok(()));
            }
            let stop = || stopping.stopping.load(Ordering::Relaxed);
            stream::run(&request, prepared, ChannelSink(lines_tx.clone()), &stop);
        }));
        if result.is_err() && started.is_none() {
            let error = "internal error: the run panicked (a bug in klfit; please report it)";
            let line = stream::typed("error", json!({ "error": error, "status": 500, "step": null }));
            let _ = lines_tx.blocking_send(Bytes::from(format!("{line}\n")));
        }
        // The slot first, then the last sender (which ends the response): a client that has read
        // its stream to the end sees the run gone from /api/status.
        drop(slot);
        drop(lines_tx);
    });
    match started_rx.await {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) => return refused(StatusCode::BAD_REQUEST, &refusal),
        Err(_) => {
            let error = "internal error: the run could not start (a bug in klfit; please report it)";
            return json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({ "error": error, "field": null }));
        }
    }
    let body = futures_util::stream::poll_fn(move |cx| {
        lines_rx.poll_recv(cx).map(|b| b.map(Ok::<_, std::convert::Infallible>))
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A run that cannot start (the checks of [`klfit::train::prepare`]): the field the problem is in.
fn start_refusal(request: &request::TrainRequest, e: Error) -> Refusal {
    let field = match &e {
        Error::InvalidDistribution(_) if request.smoothing.is_none() && request.config.objective.is_reverse() => {
            "smoothing"
        }
        Error::InvalidDistribution(_) => match request.source {
            klfit::data::Source::Dataset(_) => "dataset",
            _ => "counts",
        },
        Error::Device { .. } => "engine",
        _ => "init",
    };
    Refusal::of(field, e.to_string())
}

/// `POST /api/counts[?name=FILE]`: a counts CSV read by `klfit train --counts`'s reader; errors
/// name `FILE` (default `counts.csv`) and the line.
async fn counts(Query(query): Query<std::collections::HashMap<String, String>>, body: Body) -> Response {
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let name = query.get("name").map_or("counts.csv", String::as_str);
    let name = std::path::Path::new(name).file_name().map_or("counts.csv".into(), |n| n.to_string_lossy().into_owned());
    match klfit::files::read_counts_from(std::path::Path::new(&name), &body[..]) {
        Ok(p) if p.k() > MAX_K => refused(
            StatusCode::BAD_REQUEST,
            &Refusal::of("counts", format!("{name} has {} categories; the playground shows at most {MAX_K}", p.k())),
        ),
        Ok(p) => json_response(
            StatusCode::OK,
            &json!({
                "name": name,
                "k": p.k(),
                "labels": p.labels().iter().collect::<Vec<_>>(),
                "counts": (0..p.k()).map(|i| p.count_text(i)).collect::<Vec<_>>(),
            }),
        ),
        Err(e) => {
            let line = match &e {
                Error::Parse { line, .. } => Some(*line),
                _ => None,
            };
            json_response(StatusCode::BAD_REQUEST, &json!({ "error": e.to_string(), "field": "counts", "line": line }))
        }
    }
}
