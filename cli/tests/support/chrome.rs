//! A small client of the Chrome DevTools protocol for the page's tests: starts Debian's headless
//! `chromium` on a fresh profile, opens one tab, evaluates JavaScript in it, types and drags with
//! real input events, and collects every uncaught exception, console error and log error (a CSP
//! violation, a failed load) the page produces.
//!
//! Nothing here waits for time to pass: [`Browser::wait_for`] resolves inside the page when the
//! DOM shows what the test waits for (a MutationObserver), and a deadline only turns a hang into
//! a failure with a message.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// How long any one wait may take before the test fails (instead of hanging). Generous: a busy
/// 2-core CI machine starts chromium in seconds; nothing a test asserts depends on this.
const DEADLINE: Duration = Duration::from_secs(120);

/// The chromium to drive: `$KLFIT_CHROMIUM`, else `chromium` or `chromium-browser` on the PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KLFIT_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A headless chromium with one tab attached; closed (and its processes killed) on drop.
pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    socket: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    events: Vec<Value>,
    /// What went wrong in the page: exceptions, console.error calls, log entries at level error.
    pub errors: Vec<String>,
}

impl Browser {
    /// Starts chromium at a 1280×800 window, or returns `None` (after printing a note) when no
    /// chromium is installed: the README promises `cargo test` on a machine with only Rust. With
    /// `KLFIT_REQUIRE_BROWSER` set (CI sets it after installing chromium), a missing one fails.
    pub fn launch(test: &str) -> Option<Browser> {
        let Some(chromium) = find_chromium() else {
            assert!(
                std::env::var_os("KLFIT_REQUIRE_BROWSER").is_none(),
                "KLFIT_REQUIRE_BROWSER is set but no chromium is on PATH"
            );
            eprintln!("note: {test} skipped: no chromium found (install Debian's chromium or set KLFIT_CHROMIUM)");
            return None;
        };
        let profile = tempfile::tempdir().expect("a profile folder");
        let mut child = Command::new(&chromium)
            .args([
                "--headless",
                "--remote-debugging-port=0",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--window-size=1280,800",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromium.display()));
        // chromium says where its DevTools endpoint is on stderr.
        let stderr = BufReader::new(child.stderr.take().expect("chromium's stderr"));
        let mut endpoint = None;
        let mut seen = Vec::new();
        for line in stderr.lines() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("ws://") {
                endpoint = Some(line[at..].trim().to_string());
                break;
            }
            seen.push(line);
        }
        let Some(endpoint) = endpoint else {
            let _ = child.kill();
            panic!("chromium printed no DevTools endpoint; its stderr:\n{}", seen.join("\n"));
        };
        let host = endpoint.trim_start_matches("ws://").split('/').next().expect("host:port").to_string();
        let stream = TcpStream::connect(&host).expect("connect to chromium's DevTools");
        stream.set_read_timeout(Some(DEADLINE)).expect("a read timeout");
        let (socket, _) = tungstenite::client(endpoint.as_str(), stream).expect("the DevTools websocket handshake");
        let mut browser = Browser {
            child,
            _profile: profile,
            socket,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
            errors: Vec::new(),
        };
        let target = browser.browser_call("Target.createTarget", json!({ "url": "about:blank" }));
        let target = target["targetId"].as_str().expect("a target id").to_string();
        let attached = browser.browser_call("Target.attachToTarget", json!({ "targetId": target, "flatten": true }));
        browser.session = attached["sessionId"].as_str().expect("a session id").to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            browser.call(domain, json!({}));
        }
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false }),
        );
        Some(browser)
    }

    /// A command to the browser itself (no session).
    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    /// A command to the tab; its result, or a panic with the protocol's error.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session))
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket.send(Message::text(message.to_string())).expect("send to chromium");
        loop {
            let reply = self.next_message();
            if reply["id"] == json!(id) {
                if let Some(error) = reply.get("error") {
                    panic!("{method} failed: {error}");
                }
                return reply["result"].clone();
            }
            self.event(reply);
        }
    }

    /// The next message from chromium (within [`DEADLINE`]).
    fn next_message(&mut self) -> Value {
        let started = Instant::now();
        loop {
            assert!(started.elapsed() < DEADLINE, "chromium sent nothing for {DEADLINE:?}");
            match self.socket.read().expect("read from chromium") {
                Message::Text(text) => return serde_json::from_str(text.as_str()).expect("chromium's JSON"),
                Message::Close(_) => panic!("chromium closed the DevTools connection"),
                _ => continue,
            }
        }
    }

    /// Keeps an event, and records the errors it reports.
    fn event(&mut self, event: Value) {
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.exceptionThrown") => {
                let details = &params["exceptionDetails"];
                let text = details["exception"]["description"].as_str().or(details["text"].as_str()).unwrap_or("?");
                self.errors.push(format!("exception: {text}"));
            }
            Some("Runtime.consoleAPICalled") if params["type"] == "error" || params["type"] == "assert" => {
                let args: Vec<String> = params["args"]
                    .as_array()
                    .map(|a| a.iter().map(|v| v["value"].to_string()).collect())
                    .unwrap_or_default();
                self.errors.push(format!("console.error: {}", args.join(" ")));
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                self.errors.push(format!("log: {}", params["entry"]["text"]));
            }
            _ => {}
        }
        self.events.push(event);
    }

    /// Opens `url` in the tab and returns once its load event has fired.
    pub fn open(&mut self, url: &str) {
        self.events.clear();
        let navigated = self.call("Page.navigate", json!({ "url": url }));
        assert!(navigated.get("errorText").is_none(), "cannot open {url}: {navigated}");
        while !self.events.iter().any(|e| e["method"] == "Page.loadEventFired") {
            let message = self.next_message();
            self.event(message);
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value as JSON.
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call("Runtime.evaluate", json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }));
        if let Some(details) = result.get("exceptionDetails") {
            panic!("evaluating {expression}\nthrew {}", details["exception"]["description"].as_str().unwrap_or("?"));
        }
        result["result"]["value"].clone()
    }

    /// Waits until the JavaScript expression `condition` is truthy in the page, checked whenever
    /// the DOM changes, and returns its value.
    pub fn wait_for(&mut self, condition: &str) -> Value {
        self.eval(&format!(
            "new Promise((resolve) => {{
               const check = () => {{ const v = ({condition}); if (v) {{ observer.disconnect(); resolve(v); return true; }} return false; }};
               const observer = new MutationObserver(check);
               if (!check()) observer.observe(document, {{ subtree: true, childList: true, attributes: true, characterData: true }});
             }})"
        ))
    }

    /// Waits until the page's first run has ended (a link with `run=1`); returns the status's
    /// state (done, failed, stopped).
    pub fn wait_for_run(&mut self) -> String {
        self.wait_for_run_number(1)
    }

    /// Waits until the page's `n`th run (the status's `data-run`, counting Train presses) has
    /// ended; returns the status's state. The status is drawn with the charts, in the same frame.
    pub fn wait_for_run_number(&mut self, n: u64) -> String {
        let state = self.wait_for(&format!(
            "(() => {{ const s = document.getElementById('status').dataset; \
             return s.run === '{n}' && ['done', 'failed', 'stopped'].includes(s.state) && s.state; }})()"
        ));
        state.as_str().expect("a state").to_string()
    }

    /// Does `act` (which starts a run) and waits until that run has ended; returns its state.
    pub fn train_with(&mut self, act: impl FnOnce(&mut Browser)) -> String {
        let before =
            self.eval("Number(document.getElementById('status').dataset.run ?? 0)").as_u64().expect("a run count");
        act(self);
        self.wait_for_run_number(before + 1)
    }

    /// Waits until the page has loaded its datasets and is ready to train (or has started).
    pub fn wait_ready(&mut self) {
        self.wait_for("document.getElementById('status').dataset.state");
    }

    /// Presses and releases `key` (e.g. `Enter`, `ArrowRight`) on the focused element.
    pub fn press(&mut self, key: &str) {
        let code = match key {
            "Enter" => 13,
            "ArrowLeft" => 37,
            "ArrowUp" => 38,
            "ArrowRight" => 39,
            "ArrowDown" => 40,
            _ => 0,
        };
        let text = if key == "Enter" { "\r" } else { "" };
        for kind in ["rawKeyDown", "char", "keyUp"] {
            if kind == "char" && text.is_empty() {
                continue;
            }
            self.call(
                "Input.dispatchKeyEvent",
                json!({ "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code, "text": if kind == "char" { text } else { "" } }),
            );
        }
    }

    /// Focuses the element `selector`, selects what it holds, and types `text` over it.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        let found = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return false; e.scrollIntoView({{block: 'center'}}); e.focus(); if (e.select) e.select(); return true; }})()",
            json!(selector)
        ));
        assert_eq!(found, json!(true), "no element {selector}");
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// Drags with the mouse from (x0, y0) to (x1, y1), page pixels, in `moves` steps.
    pub fn drag(&mut self, from: (f64, f64), to: (f64, f64), moves: usize) {
        let mouse = |kind: &str, (x, y): (f64, f64), buttons: u32| json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": buttons, "clickCount": 1 });
        self.call("Input.dispatchMouseEvent", mouse("mouseMoved", from, 0));
        self.call("Input.dispatchMouseEvent", mouse("mousePressed", from, 1));
        for i in 1..=moves {
            let t = i as f64 / moves as f64;
            let at = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            self.call("Input.dispatchMouseEvent", mouse("mouseMoved", at, 1));
        }
        self.call("Input.dispatchMouseEvent", mouse("mouseReleased", to, 0));
    }

    /// Clicks the element `selector` with the mouse, at its centre.
    pub fn click(&mut self, selector: &str) {
        let (x, y) = self.centre(selector);
        let mouse = |kind: &str, buttons: u32| json!({ "type": kind, "x": x, "y": y, "button": "left", "buttons": buttons, "clickCount": 1 });
        self.call("Input.dispatchMouseEvent", mouse("mousePressed", 1));
        self.call("Input.dispatchMouseEvent", mouse("mouseReleased", 0));
    }

    /// The centre of the element `selector` on the screen, after scrolling it into view.
    pub fn centre(&mut self, selector: &str) -> (f64, f64) {
        let rect = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
            json!(selector)
        ));
        (rect[0].as_f64().expect("x"), rect[1].as_f64().expect("y"))
    }

    /// A PNG of what the tab shows.
    pub fn screenshot(&mut self) -> Vec<u8> {
        use base64::Engine as _;
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().expect("PNG data")).expect("base64 PNG")
    }

    /// Waits for the page to report `error` (one the test caused on purpose) and forgets it.
    pub fn expect_error(&mut self, error: &str) {
        while !self.errors.iter().any(|e| e == error) {
            let message = self.next_message();
            self.event(message);
        }
        let at = self.errors.iter().position(|e| e == error).expect("the error");
        self.errors.remove(at);
    }

    /// Asserts that the page reported no error so far.
    #[track_caller]
    pub fn assert_no_errors(&mut self) {
        // Collect what arrived since the last command.
        self.call("Runtime.evaluate", json!({ "expression": "0" }));
        assert!(self.errors.is_empty(), "the page reported errors:\n{}", self.errors.join("\n"));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask chromium to quit, then end its whole process group (renderers, zygote, the wrapper
        // script's children): only the processes this test started.
        let _ = self.socket.send(Message::text(json!({ "id": 0, "method": "Browser.close" }).to_string()));
        let _ = self.socket.flush();
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on our own child's process group; no memory is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}
