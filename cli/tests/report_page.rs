//! The report page works in a real browser: headless Chromium loads `index.html#selftest`, and
//! the page's own check must find every image loaded, no script error, and a slider that changes
//! what is drawn. Without Chromium the test says so and passes, unless `KLFIT_REQUIRE_BROWSER` is
//! set (CI sets it after installing Debian's `chromium`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

/// The first Chromium on PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// The page's self-check verdict, read from the DOM Chromium dumps after running its scripts.
fn selftest(browser: &Path, page: &Path, profile: &Path) -> Value {
    let url = format!("file://{}#selftest", page.display());
    let child = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--virtual-time-budget=10000", "--dump-dom", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    // No wall-clock limit: the page's scripts run in virtual time (the budget above), and a busy
    // machine only makes Chromium slower, not wrong.
    let output = child.wait_with_output().unwrap();
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    let start = dom
        .find("<pre id=\"selftest\">")
        .unwrap_or_else(|| panic!("no verdict: the page's script did not run\n{}", tail(&dom)));
    let json = &dom[start + "<pre id=\"selftest\">".len()..];
    let json = &json[..json.find("</pre>").unwrap()];
    serde_json::from_str(&json.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\""))
        .unwrap_or_else(|e| panic!("verdict is not JSON ({e}): {json}"))
}

fn tail(s: &str) -> &str {
    &s[s.len().saturating_sub(2000)..]
}

/// Runs `klfit train` with `args` into `out` and returns the page.
fn train(out: &Path, args: &[&str]) -> PathBuf {
    let status =
        Command::new(cargo_bin("klfit")).arg("train").args(args).arg("--quiet").arg("--out").arg(out).status().unwrap();
    assert!(status.success());
    out.join("index.html")
}

#[test]
fn the_report_page_loads_its_images_runs_without_errors_and_its_slider_redraws() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("KLFIT_REQUIRE_BROWSER").is_none(),
            "KLFIT_REQUIRE_BROWSER is set but no chromium is on PATH"
        );
        eprintln!("skipped: no chromium on PATH (install Debian's `chromium` to run this test)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let wide: String = (0..5000).map(|i| format!("c<{i}>,{}\n", 1 + 100_000 / (i + 1))).collect();
    let wide_file = dir.path().join("wide.csv");
    std::fs::write(&wide_file, format!("category,count\n{wide}")).unwrap();
    let cases: [(&str, Vec<&str>); 3] = [
        ("income", vec!["--dataset", "income"]),
        ("interrupted-short", vec!["--dataset", "loaded-die", "--steps", "0"]),
        ("five-thousand", vec!["--counts", wide_file.to_str().unwrap(), "--steps", "50"]),
    ];
    for (name, args) in cases {
        let page = train(&dir.path().join(name), &args);
        let size = std::fs::metadata(&page).unwrap().len();
        assert!(size < 2_000_000, "{name}: the page is {size} bytes");
        let v = selftest(&browser, &page, &dir.path().join(format!("profile-{name}")));
        assert_eq!(v["errors"], serde_json::json!([]), "{name}: script errors: {v}");
        assert!(v["images"].as_u64().unwrap() >= 3, "{name}: {v}");
        assert_eq!(v["images"], v["loaded"], "{name}: an image did not load: {v}");
        assert!(
            v["bars"].as_u64().unwrap() > 0 && v["text"].as_u64().unwrap() > 500,
            "{name}: the page looks blank: {v}"
        );
        if v["frames"].as_u64().unwrap() > 1 {
            assert_eq!(v["changed"], true, "{name}: moving the slider changed nothing: {v}");
        }
    }
}
