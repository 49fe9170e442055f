//! The playground's page in a real browser: each test starts its own `klfit serve --port 0` and a
//! headless Chromium (Debian's `chromium`) driven over the DevTools protocol, acts on the page as
//! a learner would (links, typing, dragging, keys), waits for what the page shows (never for
//! time), and checks it against independent references: `klfit train`'s own output, the data the
//! test sent, the library's formatter. Without Chromium each test says so and passes, unless
//! `KLFIT_REQUIRE_BROWSER` is set (CI sets it after installing chromium).
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

#[path = "support/chrome.rs"]
mod chrome;
mod support;

use std::process::Command;

use chrome::Browser;
use serde_json::{json, Value};
use support::server::Server;

/// A quantity as the command line prints it (`units::number`'s rule, written out here again): 10
/// significant digits in fixed point from 1e-4 up to 1e6 (9 decimals at least), `1.27093412e-9`
/// outside, `0` for zero.
fn cli_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exponent = v.abs().log10().floor() as i32;
    if (-4..6).contains(&exponent) {
        format!("{v:.*}", (8 - exponent).max(9) as usize)
    } else {
        format!("{v:.8e}")
    }
}

/// The server and the browser for one test, or `None` without chromium.
fn start(test: &str) -> Option<(Server, Browser)> {
    let browser = Browser::launch(test)?;
    Some((Server::start(&[]), browser))
}

/// The number of points in an SVG path's `d` (each `M` or `L` starts one).
fn points(d: &str) -> usize {
    d.chars().filter(|c| *c == 'M' || *c == 'L').count()
}

/// The text of the element `selector` (JSON null when absent).
fn text(browser: &mut Browser, selector: &str) -> Value {
    browser.eval(&format!("document.querySelector({})?.textContent ?? null", json!(selector)))
}

#[test]
fn a_shared_link_trains_on_opening_and_shows_the_final_ce_and_kl_the_command_line_prints() {
    let Some((server, mut browser)) = start("page: shared link") else { return };
    let settings = [("dataset", "income"), ("objective", "kl"), ("lr", "1"), ("steps", "200")];
    let query: Vec<String> = settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    browser.open(&format!("{}?{}&run=1", server.url, query.join("&")));
    assert_eq!(browser.wait_for_run(), "done", "{}", text(&mut browser, "#status"));
    let page_ce = text(&mut browser, "[data-final=cross_entropy]");
    let page_kl = text(&mut browser, "[data-final=kl_divergence]");

    // The same run from the command line: its console and its summary.json.
    let out = tempfile::tempdir().unwrap();
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("klfit"));
    command.arg("train");
    for (k, v) in settings {
        command.args([format!("--{k}"), v.to_string()]);
    }
    let output = command.arg("--out").arg(out.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let console = String::from_utf8(output.stdout).unwrap();
    let printed = |prefix: &str| {
        let line =
            console.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix:?} in\n{console}"));
        line[prefix.len()..].split_whitespace().take(2).collect::<Vec<_>>().join(" ")
    };
    let summary: Value = serde_json::from_slice(&std::fs::read(out.path().join("summary.json")).unwrap()).unwrap();
    let ce = format!("{} nats", cli_number(summary["final_cross_entropy"].as_f64().unwrap()));
    let kl = format!("{} nats", cli_number(summary["final_kl_divergence"].as_f64().unwrap()));
    assert_eq!(printed("final CE"), ce, "the test's formatting differs from the console's");
    assert_eq!(printed("final KL"), kl, "the test's formatting differs from the console's");
    assert_eq!(page_ce, json!(ce));
    assert_eq!(page_kl, json!(kl));
    // The table at the last step says the same.
    assert_eq!(text(&mut browser, "#readout td[data-key=cross_entropy]"), json!(ce));
    assert_eq!(text(&mut browser, "#readout td[data-key=kl_divergence]"), json!(kl));
    assert_eq!(text(&mut browser, "#step-shown"), json!("200"));
    browser.assert_no_errors();
}

/// What the charts hold: each series' point count or bar count, and the p bars' heights.
fn charts(browser: &mut Browser) -> Value {
    browser.eval(
        "(() => {
           const d = (s) => document.querySelector(`#losses path[data-series=${s}]`)?.getAttribute('d') ?? null;
           const bars = (svg, s) => document.querySelectorAll(`#${svg} g[data-series=${s}] rect`).length;
           return {
             ce: d('cross_entropy'), reverse_kl: d('reverse_kl'), kl: d('kl_divergence'),
             p_heights: [...document.querySelectorAll('#dist g[data-series=p] rect')].map((r) => Number(r.getAttribute('height'))),
             q_bars: bars('dist', 'q'), h_bars: bars('contrib', 'h'), kl_bars: bars('contrib', 'kl'), rkl_bars: bars('contrib', 'rkl'),
             contrib: document.getElementById('contrib').innerHTML,
             unseen: document.querySelectorAll('#contrib rect[data-unseen]').length,
             callout: document.getElementById('unseen').hidden ? null : document.getElementById('unseen').textContent,
           };
         })()",
    )
}

#[test]
fn changing_the_data_and_the_objective_redraws_the_curves_and_the_contributions() {
    let Some((server, mut browser)) = start("page: controls") else { return };
    browser.open(&format!("{}?dataset=loaded-die&steps=60&run=1", server.url));
    assert_eq!(browser.wait_for_run(), "done");
    let before = charts(&mut browser);
    assert_eq!(points(before["ce"].as_str().unwrap()), 61, "one point per record, steps 0 to 60");
    assert_eq!(before["q_bars"], 6);
    assert_eq!(before["kl_bars"], 6);
    assert_eq!(before["rkl_bars"], 0, "no reverse terms for a CE run");

    // Drag the first bar of p up with the mouse: its count grows.
    let count = |b: &mut Browser| b.eval("document.querySelector('#counts-table input.count').value");
    let was: u64 = count(&mut browser).as_str().unwrap().parse().unwrap();
    let (x, y) = browser.centre("#editor rect.bar");
    browser.drag((x, y), (x, y - 40.0), 8);
    let now: u64 = count(&mut browser).as_str().unwrap().parse().unwrap();
    assert!(now > was, "dragging the bar up left its count at {now} (was {was})");
    // Type a zero into the third count: a category never observed.
    browser.type_into("#counts-table tbody tr:nth-child(3) input.count", "0");
    // Reverse KL needs smoothing then; choose both and train with Enter.
    browser.eval("(() => { const o = document.getElementById('objective'); o.value = 'reverse-kl'; o.dispatchEvent(new Event('input', {bubbles: true})); })()");
    browser.type_into("#smoothing", "0.5");
    let ended = browser.train_with(|b| b.press("Enter"));
    assert_eq!(ended, "done", "{}", text(&mut browser, "#status"));
    let after = charts(&mut browser);

    // The curves: new paths, one point per record, and the reverse ones drawn.
    assert_ne!(after["ce"], before["ce"]);
    assert_eq!(points(after["ce"].as_str().unwrap()), 61);
    assert_eq!(points(after["reverse_kl"].as_str().expect("a KL(q‖p) curve")), 61);
    // The contributions: K bars of each kind, the reverse terms now too, and the category never
    // observed marked and named.
    assert_ne!(after["contrib"], before["contrib"]);
    for kind in ["h_bars", "kl_bars", "rkl_bars", "q_bars"] {
        assert_eq!(after[kind], 6, "{kind}");
    }
    assert_eq!(after["unseen"], 1);
    assert!(after["callout"].as_str().expect("a call-out").contains("“3”"), "{}", after["callout"]);
    // p's bars are the smoothed counts the table holds: heights proportional to count + 0.5.
    let counts: Vec<f64> = browser
        .eval("[...document.querySelectorAll('#counts-table input.count')].map((e) => Number(e.value))")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() + 0.5)
        .collect();
    assert_eq!(counts[0], now as f64 + 0.5);
    assert_eq!(counts[2], 0.5);
    let heights: Vec<f64> = after["p_heights"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(heights.len(), 6);
    for i in 1..6 {
        let (expected, drawn) = (counts[i] / counts[0], heights[i] / heights[0]);
        assert!((drawn - expected).abs() <= 1e-9 * expected, "bar {i}: drawn ratio {drawn}, counts say {expected}");
    }
    browser.assert_no_errors();
}

#[test]
fn hostile_labels_show_as_text_and_the_url_round_trips() {
    let Some((server, mut browser)) = start("page: labels and URL") else { return };
    // Labels with markup, an ampersand, quotes, right-to-left text, an emoji, and the counts
    // format's own separators (escaped as the page writes them).
    let labels = ["<b>x</b>", "a&b \"q\" 'r'", "שלום", "🎲", "k:1,2", "never"];
    let counts = [5, 3, 2, 4, 1, 0];
    let entries: Vec<String> = labels
        .iter()
        .zip(counts)
        .map(|(l, c)| format!("{}:{c}", l.replace('%', "%25").replace(',', "%2C").replace(':', "%3A")))
        .collect();
    let param: String =
        browser.eval(&format!("encodeURIComponent({})", json!(entries.join(",")))).as_str().unwrap().into();
    browser.open(&format!("{}?counts={param}&objective=kl&steps=20&run=1", server.url));
    assert_eq!(browser.wait_for_run(), "done", "{}", text(&mut browser, "#status"));
    // The table holds each label exactly; no markup was made from one.
    let shown = browser
        .eval("[...document.querySelectorAll('#counts-table tbody tr td:first-child input')].map((e) => e.value)");
    assert_eq!(shown, json!(labels));
    assert_eq!(browser.eval("document.querySelectorAll('main b').length"), json!(0));
    // The server got the same labels (the run's header, through the distribution chart's titles).
    let titles = browser.eval("[...document.querySelectorAll('#dist text title')].map((t) => t.textContent)");
    assert_eq!(titles, json!(labels));
    assert!(text(&mut browser, "#unseen").as_str().unwrap().contains("“never”"));

    // The URL the page keeps: reopening it shows the same data and settings.
    let url = browser.eval("location.href");
    assert!(url.as_str().unwrap().contains("objective=kl") && url.as_str().unwrap().contains("steps=20"), "{url}");
    browser.open(url.as_str().unwrap());
    browser.wait_for_run();
    assert_eq!(
        browser
            .eval("[...document.querySelectorAll('#counts-table tbody tr td:first-child input')].map((e) => e.value)"),
        json!(labels)
    );
    let counts_shown =
        browser.eval("[...document.querySelectorAll('#counts-table input.count')].map((e) => Number(e.value))");
    assert_eq!(counts_shown, json!(counts));
    assert_eq!(browser.eval("document.getElementById('objective').value"), json!("kl"));
    // A slider takes the arrow keys, and the URL follows: 10^0.05 = 1.12 (three digits).
    browser.eval("document.getElementById('lr-slider').focus()");
    browser.press("ArrowRight");
    let search = browser.eval("location.search");
    assert!(search.as_str().unwrap().contains("lr=1.12"), "{search}");
    browser.assert_no_errors();
}

#[test]
fn the_page_writes_numbers_digit_for_digit_as_the_command_line() {
    let Some((server, mut browser)) = start("page: number format") else { return };
    browser.open(&server.url);
    browser.wait_ready();
    // Magnitudes across the whole range, and values on the rounding ties (exact binary values
    // halfway between two printed decimals: Rust rounds those to even).
    let mut values: Vec<f64> =
        vec![0.0, -0.0, 1.0009765625, 2.0009765625, 0.25, 1e-4, 9.99999999995e-5, 999_999.999_999_999_9, 1e6];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        // xorshift: any bit pattern of a finite double, and decimal-looking values
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bits = f64::from_bits(x);
        if bits.is_finite() {
            values.push(bits);
        }
        values.push((x % 2_000_000) as f64 / 10f64.powi((x % 23) as i32) - 1.0);
    }
    let expected: Vec<String> = values.iter().map(|&v| klfit::units::number(v)).collect();
    let shown = browser.eval(&format!(
        "import('/format.js').then((f) => {}.map((v) => f.number(v)))",
        serde_json::to_string(&values).unwrap()
    ));
    let shown: Vec<String> = serde_json::from_value(shown).unwrap();
    for ((v, want), got) in values.iter().zip(&expected).zip(&shown) {
        assert_eq!(got, want, "the page writes {v:e} as {got}, the command line as {want}");
    }
    browser.assert_no_errors();
}

#[test]
fn forward_and_reverse_side_by_side_mark_their_ends_on_the_gaussian_plane() {
    let Some((server, mut browser)) = start("page: forward vs reverse") else { return };
    // Two separated peaks; the plane's default start is the library's (checked on a run of 0 steps).
    let counts = "0:0,1:0,2:0,3:0,4:2,5:15,6:40,7:15,8:2,9:0,10:0,11:0,12:2,13:15,14:40,15:15,16:2,17:0,18:0,19:0,20:0";
    let settings = "model=gaussian&optimizer=adam&lr=0.1&steps=400&smoothing=0.5&init=mu=5,sigma=1.5";
    browser.open(&format!("{}?counts={counts}&{settings}", server.url));
    browser.wait_ready();
    let check = browser.eval(
        "Promise.all([import('/plane.js'), fetch('/api/train', {method: 'POST', body: JSON.stringify({counts: [['0', 1], ['2.5', 1], ['9', 1]], model: 'gaussian', steps: 0})}).then((r) => r.text())])
           .then(([plane, body]) => {
             const first = body.split('\\n').map((l) => l && JSON.parse(l)).find((l) => l && l.type === 'record');
             return { page: plane.defaultStart(['0', '2.5', '9']), library: { mu: first.mu, sigma: first.sigma } };
           })",
    );
    assert_eq!(check["page"]["mu"], check["library"]["mu"], "{check}");
    assert_eq!(check["page"]["sigma"], check["library"]["sigma"], "{check}");

    let ended = browser.train_with(|b| b.click("#pair"));
    assert_eq!(ended, "done", "{}", text(&mut browser, "#status"));
    let status = text(&mut browser, "#status");
    assert!(
        status.as_str().unwrap().contains("KL(p‖q) run") && status.as_str().unwrap().contains("KL(q‖p) run"),
        "{status}"
    );
    let ends = browser.eval(
        "({ dots: document.querySelectorAll('#plane g[data-series=ends] circle').length,
            triangles: document.querySelectorAll('#plane g[data-series=ends] polygon').length,
            q: document.querySelectorAll('#dist g[data-series=q]').length })",
    );
    assert_eq!(ends, json!({ "dots": 1, "triangles": 1, "q": 2 }));
    // The lesson the link teaches: from a start by the left peak, KL(q‖p) settles on that peak
    // (σ under 1) while KL(p‖q) spreads over both (μ between them, σ over 4).
    let end = |b: &mut Browser, shape: &str| -> (f64, f64) {
        let title = b.eval(&format!("document.querySelector('#plane g[data-series=ends] {shape} title').textContent"));
        let at = title.as_str().unwrap().split("ended at ").nth(1).unwrap().to_string();
        let number =
            |name: &str| at.split(name).nth(1).unwrap().split(',').next().unwrap().trim().parse::<f64>().unwrap();
        (number("μ = "), number("σ = "))
    };
    let (forward, reverse) = (end(&mut browser, "circle"), end(&mut browser, "polygon"));
    assert!((reverse.0 - 6.0).abs() < 0.5 && reverse.1 < 1.0, "KL(q‖p) ended at {reverse:?}");
    assert!((forward.0 - 10.0).abs() < 1.0 && forward.1 > 4.0, "KL(p‖q) ended at {forward:?}");
    // The start moves with the arrow keys (a fiftieth of the range, 20, per press).
    browser.eval("document.getElementById('plane').focus()");
    browser.press("ArrowRight");
    browser.press("ArrowUp");
    assert_eq!(browser.eval("document.getElementById('init').value"), json!("mu=5.4,sigma=1.9"));
    // The link now trains the pair on opening.
    let share = browser.eval("document.getElementById('share').getAttribute('href')");
    assert!(share.as_str().unwrap().contains("run=pair"), "{share}");
    browser.assert_no_errors();
}

#[test]
fn earlier_runs_stay_as_faded_overlays_and_ce_retraces_kl_step_for_step() {
    let Some((server, mut browser)) = start("page: overlays") else { return };
    browser.open(&format!("{}?dataset=income&objective=kl&steps=100&run=1", server.url));
    assert_eq!(browser.wait_for_run(), "done");
    // The same settings on CE, trained with Enter from the objective's menu: the KL run, now
    // faded behind, is labelled by what differed, and its curves lie exactly under the new ones
    // (the same gradient, so the same steps: the same numbers, the same pixels).
    let ended = browser.train_with(|b| {
        b.eval("(() => { const o = document.getElementById('objective'); o.focus(); o.value = 'ce'; o.dispatchEvent(new Event('input', {bubbles: true})); })()");
        b.press("Enter");
    });
    assert_eq!(ended, "done");
    let curves = browser.eval(
        "['cross_entropy', 'kl_divergence'].map((c) => [
           document.querySelector(`#losses path[data-series=${c}]`).getAttribute('d'),
           document.querySelector(`#losses path[data-overlay=${c}]`).getAttribute('d')])",
    );
    for pair in curves.as_array().unwrap() {
        assert_eq!(points(pair[0].as_str().unwrap()), 101);
        assert_eq!(pair[0], pair[1], "the CE run's curve differs from the KL run's");
    }
    let labels = |b: &mut Browser| {
        let v = b.eval("[...document.querySelectorAll('#losses .overlay-label')].map((t) => t.textContent).sort()");
        serde_json::from_value::<Vec<String>>(v).unwrap()
    };
    assert_eq!(labels(&mut browser), ["kl"]);
    // A third run with another lr: both earlier runs are labelled against it.
    browser.type_into("#lr", "0.1");
    assert_eq!(browser.train_with(|b| b.press("Enter")), "done");
    assert_eq!(labels(&mut browser), ["kl, lr 1", "lr 1"]);
    if let Some(path) = std::env::var_os("KLFIT_PAGE_SHOT") {
        std::fs::write(path, browser.screenshot()).unwrap();
    }
    // Reset clears them.
    browser.click("#reset");
    browser.wait_for("document.getElementById('status').dataset.state === 'idle'");
    assert_eq!(browser.eval("document.querySelectorAll('#losses path').length"), json!(0));
    browser.assert_no_errors();
}

#[test]
fn a_counts_csv_given_to_the_page_is_read_by_the_server_and_errors_name_the_line() {
    let Some((server, mut browser)) = start("page: counts CSV") else { return };
    browser.open(&server.url);
    browser.wait_ready();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "category,count\nrain,12\nsun,-3\n").unwrap();
    let good = dir.path().join("weather.csv");
    std::fs::write(&good, "category,count\nrain,12\nsun,30\nsnow,0\n").unwrap();
    let choose = |b: &mut Browser, file: &std::path::Path| {
        let document = b.call("DOM.getDocument", json!({}));
        let node =
            b.call("DOM.querySelector", json!({ "nodeId": document["root"]["nodeId"], "selector": "#csv-file" }));
        b.call("DOM.setFileInputFiles", json!({ "nodeId": node["nodeId"], "files": [file.to_str().unwrap()] }));
    };
    // A bad file: the command line's reader's message, naming the file and the line.
    choose(&mut browser, &bad);
    let error = browser.wait_for("document.getElementById('error-counts').textContent");
    assert!(error.as_str().unwrap().starts_with("bad.csv:3:"), "{error}");
    // A good one replaces the data, and the URL carries it.
    choose(&mut browser, &good);
    browser.wait_for("document.querySelectorAll('#counts-table tbody tr').length === 3");
    let rows = browser.eval(
        "[...document.querySelectorAll('#counts-table tbody tr')].map((r) => [...r.querySelectorAll('input')].map((e) => e.value))",
    );
    assert_eq!(rows, json!([["rain", "12"], ["sun", "30"], ["snow", "0"]]));
    assert_eq!(text(&mut browser, "#error-counts"), json!(""));
    let search = browser.eval("location.search");
    assert!(search.as_str().unwrap().contains("counts=rain:12,sun:30,snow:0"), "{search}");
    // Chromium logs the bad file's answer (a 400) as a failed load: that one was asked for.
    browser.expect_error("log: \"Failed to load resource: the server responded with a status of 400 (Bad Request)\"");
    browser.assert_no_errors();
}

/// The README's screenshot (`tools/screenshot.sh` runs this): a finished run scrubbed back to an
/// early step, at 1280×800, written to `$KLFIT_SCREENSHOT` (default docs/playground.png).
#[test]
#[ignore = "writes docs/playground.png; run by tools/screenshot.sh"]
fn screenshot_of_the_playground() {
    let Some((server, mut browser)) = start("screenshot") else { return };
    browser.open(&format!("{}?dataset=income&objective=kl&steps=100&run=1&step=9", server.url));
    assert_eq!(browser.wait_for_run(), "done");
    browser.wait_for("document.getElementById('step-shown').textContent === '9'");
    // The charts are drawn on the next animation frame after the last change.
    browser.eval("new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))");
    browser.assert_no_errors();
    let path = std::env::var_os("KLFIT_SCREENSHOT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/playground.png"));
    std::fs::write(&path, browser.screenshot()).unwrap();
    eprintln!("wrote {}", path.display());
}
