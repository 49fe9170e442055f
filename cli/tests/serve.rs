//! `klfit serve`: the playground's API streams the numbers `klfit train` writes, bit for bit;
//! refuses bad requests with a 4xx JSON error naming the field; stops a run whose client went
//! away; serves 50 clients at once; stops cleanly on Ctrl-C.
#![allow(clippy::unwrap_used, clippy::expect_used)] // in a test, an unwrap is an assertion

mod support;

use std::path::Path;

use serde_json::Value;
use support::server::{self, Server};
use support::{klfit, text};

/// `klfit train ARGS --out DIR --quiet`: its metrics.csv (header and rows of fields), summary.json
/// and distribution.csv's rows.
struct CliRun {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    summary: Value,
    distribution: Vec<Vec<String>>,
}

fn cli_run(args: &[&str], dir: &Path) -> CliRun {
    let out = dir.join("run");
    let output = klfit().arg("train").args(args).arg("--out").arg(&out).arg("--quiet").output().unwrap();
    assert!(output.status.success(), "klfit train {args:?}: {}", text(&output.stderr));
    let read_csv = |name: &str| -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::Reader::from_path(out.join(name)).unwrap();
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
        (header, rows)
    };
    let (header, rows) = read_csv("metrics.csv");
    let (_, distribution) = read_csv("distribution.csv");
    let summary = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    CliRun { header, rows, summary, distribution }
}

/// A CSV field or a JSON number as the f64 it stands for (`inf` for infinity).
fn csv_value(field: &str) -> f64 {
    field.parse().unwrap_or_else(|_| panic!("not a number: {field}"))
}

fn json_value(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse().unwrap(),
        other => panic!("not a number: {other}"),
    }
}

/// Asserts the stream `lines` (header, records, summary) holds `cli`'s numbers bit for bit: each
/// streamed record equals metrics.csv's row of its step in every column, the records streamed are
/// those `every` keeps, the summary equals summary.json (but for `skip`), and q at the start and
/// the end equal distribution.csv's.
#[track_caller]
fn assert_same_numbers(lines: &[Value], cli: &CliRun, every: usize, skip: &[&str]) {
    let case = &lines[0]["command"];
    let (header, records, summary) = (&lines[0], &lines[1..lines.len() - 1], &lines[lines.len() - 1]);
    assert_eq!(header["type"], "header");
    assert_eq!(summary["type"], "summary", "{summary}");
    let units = header["units"].as_str().unwrap();
    let last = cli.rows.len() - 1;
    let frames: Vec<usize> =
        header["frames"].as_array().unwrap().iter().map(|f| f.as_u64().unwrap() as usize).collect();
    let expected_steps: Vec<usize> =
        (0..=last).filter(|s| s % every == 0 || *s == last || frames.contains(s)).collect();
    let steps: Vec<usize> = records.iter().map(|r| r["step"].as_u64().unwrap() as usize).collect();
    assert_eq!(steps, expected_steps);
    // The family's closed form, under the key summary.json gives it ("forward_kl_optimum" where
    // it is not the run's objective's optimum); "closed_form" is null where there is none.
    for key in ["closed_form", "forward_kl_optimum"] {
        let written = cli.summary.get(key).cloned().unwrap_or(Value::Null);
        assert_eq!(header.get(key).cloned().unwrap_or(Value::Null), written, "{case}: the header's {key}");
    }
    for record in records {
        assert_eq!(record["type"], "record");
        let row = &cli.rows[record["step"].as_u64().unwrap() as usize];
        for (column, field) in cli.header.iter().zip(row) {
            let name = column.strip_suffix(&format!("_{units}")).unwrap_or(column);
            let streamed = record.get(name).unwrap_or_else(|| panic!("record lacks {name}: {record}"));
            assert_eq!(
                json_value(streamed).to_bits(),
                csv_value(field).to_bits(),
                "{case}: step {}, {name}: stream {streamed}, metrics.csv {field}",
                record["step"]
            );
        }
    }
    for (key, value) in cli.summary.as_object().unwrap() {
        if skip.contains(&key.as_str()) {
            continue;
        }
        let streamed = &summary[key];
        match value {
            Value::Number(_) => {
                assert_eq!(json_value(streamed).to_bits(), json_value(value).to_bits(), "{case}: {key}")
            }
            Value::Object(o) => {
                for (name, v) in o {
                    assert_eq!(json_value(&streamed[name]).to_bits(), json_value(v).to_bits(), "{key}.{name}");
                }
            }
            _ => assert_eq!(streamed, value, "{key}"),
        }
    }
    let q_first = records[0]["q"].as_array().unwrap();
    let q_last = summary["q"].as_array().unwrap();
    for (i, row) in cli.distribution.iter().enumerate() {
        assert_eq!(json_value(&q_first[i]).to_bits(), csv_value(&row[3]).to_bits(), "q_initial[{i}]");
        assert_eq!(json_value(&q_last[i]).to_bits(), csv_value(&row[4]).to_bits(), "q_final[{i}]");
    }
}

#[test]
fn streamed_records_are_klfit_trains_numbers_bit_for_bit() {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    // (klfit train's arguments, the same run as JSON, every, summary keys that differ by design)
    let weather = dir.path().join("weather.csv");
    std::fs::write(&weather, "category,count\nsun,12\nrain,7\nfog,0\n\"snow, wet\",1\n").unwrap();
    let weather = weather.to_str().unwrap();
    let cases: [(&[&str], &str, usize, &[&str]); 6] = [
        (&["--dataset", "income"], r#"{"dataset": "income"}"#, 1, &[]),
        (
            &[
                "--counts",
                weather,
                "--objective",
                "reverse-kl",
                "--smoothing",
                "0.5",
                "--optimizer",
                "adam",
                "--steps",
                "300",
            ],
            r#"{"counts": [["sun", 12], ["rain", 7], ["fog", 0], ["snow, wet", 1]], "objective": "reverse-kl",
                "smoothing": 0.5, "optimizer": "adam", "steps": 300}"#,
            1,
            &["command", "dataset"],
        ),
        (
            &[
                "--dataset",
                "clinic-visits",
                "--model",
                "binomial",
                "--optimizer",
                "adam",
                "--lr",
                "0.05",
                "--steps",
                "400",
            ],
            r#"{"dataset": "clinic-visits", "model": "binomial", "optimizer": "adam", "lr": 0.05, "steps": 400}"#,
            1,
            &[],
        ),
        (
            &["--dataset", "clinic-visits", "--model", "binomial", "--objective", "reverse-kl", "--steps", "100"],
            r#"{"dataset": "clinic-visits", "model": "binomial", "objective": "reverse-kl", "steps": 100}"#,
            1,
            &[],
        ),
        (
            &[
                "--dataset",
                "bike-hours",
                "--model",
                "gaussian",
                "--init",
                "mu=16,sigma=2",
                "--optimizer",
                "adam",
                "--lr",
                "0.1",
                "--steps",
                "300",
            ],
            r#"{"dataset": "bike-hours", "model": "gaussian", "init": "mu=16,sigma=2", "optimizer": "adam", "lr": "0.1", "steps": 300}"#,
            1,
            &[],
        ),
        (
            &["--dataset", "loaded-die", "--objective", "kl", "--units", "bits", "--dtype", "f32", "--steps", "250"],
            r#"{"dataset": "loaded-die", "objective": "kl", "units": "bits", "dtype": "f32", "steps": 250, "every": 7}"#,
            7,
            &[],
        ),
    ];
    for (args, json, every, skip) in cases {
        let cli = cli_run(args, dir.path());
        let response = server.post("/api/train", json);
        assert_eq!(response.status, 200, "{json}: {}", response.text());
        assert_eq!(response.header("content-type"), Some("application/x-ndjson"));
        assert_same_numbers(&response.lines(), &cli, every, skip);
        std::fs::remove_dir_all(dir.path().join("run")).unwrap();
    }
}

#[test]
fn inline_counts_keep_their_order_as_an_object_and_as_pairs() {
    let server = Server::start(&[]);
    let object = server.post("/api/train", r#"{"counts": {"z": 1, "a": 5, "m": 2}, "steps": 3}"#).lines();
    let pairs = server.post("/api/train", r#"{"counts": [["z", 1], ["a", 5], ["m", 2]], "steps": 3}"#).lines();
    assert_eq!(object[0]["labels"], serde_json::json!(["z", "a", "m"]));
    assert_eq!(object, pairs);
    // The summary's command reruns it with the counts saved as counts.csv.
    let command = object[0]["command"].as_str().unwrap();
    assert!(command.starts_with("klfit train --counts counts.csv "), "{command}");
}

/// Posts `json` and asserts a 400 whose error names `field` and contains each of `fragments`.
#[track_caller]
fn assert_refused(server: &Server, json: &str, field: Option<&str>, fragments: &[&str]) {
    let response = server.post("/api/train", json);
    assert_eq!(response.status, 400, "{json}: {}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = response.json();
    assert_eq!(body["field"].as_str(), field, "{json}: {body}");
    let error = body["error"].as_str().unwrap();
    for fragment in fragments {
        assert!(error.contains(fragment), "{json}: {error:?} lacks {fragment:?}");
    }
}

#[test]
fn bad_requests_get_a_400_naming_the_field_and_the_rule() {
    let server = Server::start(&[]);
    assert_refused(&server, r#"{"dataset": "income""#, None, &["not valid JSON"]);
    assert_refused(&server, "[1, 2]", None, &["an array", "JSON object"]);
    assert_refused(&server, r#"{"lr": NaN}"#, None, &["not valid JSON"]);
    // The command line's own wording: `--lr NaN` and `--lr -1` get the same rule.
    assert_refused(&server, r#"{"lr": "NaN"}"#, Some("lr"), &["'NaN'", "not a finite number > 0"]);
    assert_refused(&server, r#"{"lr": -1}"#, Some("lr"), &["-1 is not a finite number > 0", "try 1 for sgd"]);
    assert_refused(&server, r#"{"lr": true}"#, Some("lr"), &["a boolean"]);
    assert_refused(&server, r#"{"counts": {}}"#, Some("counts"), &["no entries"]);
    assert_refused(&server, r#"{"counts": {"a": 3, "b": -1}}"#, Some("counts"), &["entry 2", "'-1' is negative"]);
    assert_refused(&server, r#"{"counts": {"a": 0, "b": 0}}"#, Some("counts"), &["all counts are 0"]);
    assert_refused(&server, r#"{"counts": [["a", 1], ["a", 2]]}"#, Some("counts"), &["'a'", "entry 2", "entry 1"]);
    assert_refused(&server, r#"{"counts": [["a"]]}"#, Some("counts"), &["entry 1", "[label, count]"]);
    assert_refused(&server, r#"{"dataset": "nope"}"#, Some("dataset"), &["unknown dataset 'nope'", "income"]);
    assert_refused(&server, r#"{"dataset": "income", "counts": {"a": 1}}"#, Some("counts"), &["not both"]);
    assert_refused(&server, r#"{"colour": "red"}"#, Some("colour"), &["unknown field 'colour'", "dataset, counts"]);
    assert_refused(&server, r#"{"steps": 5, "steps": 6}"#, Some("steps"), &["twice"]);
    assert_refused(&server, r#"{"objective": "mse"}"#, Some("objective"), &["'mse' is not one of ce, kl, reverse-kl"]);
    assert_refused(&server, r#"{"steps": 100001}"#, Some("steps"), &["at most 100000"]);
    assert_refused(&server, r#"{"steps": 2.5}"#, Some("steps"), &["not a whole number"]);
    assert_refused(&server, r#"{"every": 0}"#, Some("every"), &["≥ 1"]);
    assert_refused(
        &server,
        r#"{"counts": {"a": 0, "b": 4}, "objective": "reverse-kl"}"#,
        Some("smoothing"),
        &["never observed", "--smoothing"],
    );
    assert_refused(&server, r#"{"model": "gaussian", "init": "mu=1,sigma=-2"}"#, Some("init"), &["sigma must be > 0"]);
    let many: Vec<String> = (0..10_001).map(|i| format!("[\"c{i}\", 1]")).collect();
    let many = format!("{{\"counts\": [{}]}}", many.join(","));
    assert_refused(&server, &many, Some("counts"), &["at most 10000"]);
    // null is the default, as leaving the field out is.
    let response = server.post("/api/train", r#"{"lr": null, "steps": 1}"#);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.lines()[0]["lr"], 1.0);
}

#[test]
fn a_body_over_one_mebibyte_gets_413_and_the_server_stays_up() {
    let server = Server::start(&[]);
    let body = format!("{{\"dataset\": \"{}\"}}", "x".repeat((1 << 20) + 1));
    let response = server.request("POST", "/api/train", body.as_bytes());
    assert_eq!(response.status, 413, "{}", response.text());
    assert!(response.json()["error"].as_str().unwrap().contains("1 MiB"));
    assert_eq!(server.get_json("/api/status")["runs"], 0);
}

#[test]
fn a_diverged_run_ends_its_stream_with_an_error_naming_the_step() {
    let server = Server::start(&[]);
    let lines = server.post("/api/train", r#"{"lr": 1e9, "steps": 50}"#).lines();
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "error", "{last}");
    assert_eq!(last["step"], 1);
    // klfit train's message for the same run.
    let dir = tempfile::tempdir().unwrap();
    let output = klfit()
        .args(["train", "--dataset", "income", "--lr", "1e9", "--steps", "50", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(format!("error: {}\n", last["error"].as_str().unwrap()), text(&output.stderr));
}

#[test]
fn a_client_that_hangs_up_stops_its_run() {
    use std::io::Read;
    let server = Server::start(&[]);
    // A run of many steps (minutes if it went on); read its first bytes, then hang up.
    let mut stream = server::send(server.addr, "POST", "/api/train", br#"{"dataset": "income", "steps": 100000}"#);
    let mut first = [0u8; 512];
    stream.read_exact(&mut first).unwrap();
    assert!(String::from_utf8_lossy(&first).contains("\"type\":\"header\""));
    assert_eq!(server.get_json("/api/status")["runs"], 1);
    drop(stream);
    // The run stops at its next step once the server sees the connection gone; poll until it has.
    let start = std::time::Instant::now();
    while server.get_json("/api/status")["runs"] != 0 {
        assert!(start.elapsed().as_secs() < 120, "the run did not stop after its client left");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn fifty_clients_at_once_all_get_complete_identical_streams() {
    let server = Server::start(&[]);
    let addr = server.addr;
    let clients: Vec<_> = (0..50)
        .map(|_| std::thread::spawn(move || server::request(addr, "POST", "/api/train", br#"{"dataset": "income"}"#)))
        .collect();
    let bodies: Vec<Vec<u8>> = clients
        .into_iter()
        .map(|c| {
            let response = c.join().unwrap();
            assert_eq!(response.status, 200, "{}", response.text());
            response.body
        })
        .collect();
    let lines = server::Response { status: 200, headers: vec![], body: bodies[0].clone() }.lines();
    assert_eq!(lines.len(), 1 + 501 + 1, "header, 501 records, summary");
    assert_eq!(lines.last().unwrap()["type"], "summary");
    assert!(bodies.iter().all(|b| *b == bodies[0]), "every client got the same bytes");
    assert_eq!(server.get_json("/api/status")["runs"], 0);
}

#[test]
fn the_page_the_datasets_and_unknown_paths() {
    let server = Server::start(&[]);
    let page = server.request("GET", "/", b"");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert!(page.header("content-security-policy").unwrap().contains("default-src 'self'"));
    for file in ["/app.js", "/style.css", "/font.ttf"] {
        assert_eq!(server.request("GET", file, b"").status, 200, "{file}");
    }
    let missing = server.request("GET", "/nothing.js", b"");
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].is_string());
    // The datasets with `klfit datasets`' numbers.
    let datasets = server.get_json("/api/datasets");
    let listed = text(&klfit().arg("datasets").output().unwrap().stdout);
    for d in datasets.as_array().unwrap() {
        let line = listed.lines().find(|l| l.split_whitespace().next() == d["name"].as_str()).unwrap();
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1], d["k"].to_string());
        assert_eq!(fields[2], d["n"].to_string());
        assert_eq!(csv_value(fields[3]), (json_value(&d["entropy"]) * 1e9).round() / 1e9, "{}", d["name"]);
        assert_eq!(d["labels"].as_array().unwrap().len(), d["k"].as_u64().unwrap() as usize);
    }
}

#[test]
fn a_dropped_counts_file_is_read_by_the_command_lines_reader() {
    let server = Server::start(&[]);
    let ok = server.request("POST", "/api/counts?name=weather.csv", b"\xEF\xBB\xBFcategory,count\nsun,3\n\"a, b\",0\n");
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["labels"], serde_json::json!(["sun", "a, b"]));
    assert_eq!(ok.json()["counts"], serde_json::json!(["3", "0"]));
    let bad = server.request("POST", "/api/counts?name=../../etc/w.csv", b"category,count\nsun,3\nrain,x\n");
    assert_eq!(bad.status, 400);
    let body = bad.json();
    assert_eq!(body["line"], 3);
    // The message is the command line's for the same file (named by its file name only).
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("w.csv"), "category,count\nsun,3\nrain,x\n").unwrap();
    let cli = klfit().args(["info", "--counts", "w.csv"]).current_dir(dir.path()).output().unwrap();
    assert_eq!(format!("{}\n", body["error"].as_str().unwrap()), text(&cli.stderr));
}

#[test]
fn ctrl_c_stops_the_server_and_its_runs_with_exit_code_0() {
    use std::io::Read;
    let server = Server::start(&[]);
    let mut stream = server::send(server.addr, "POST", "/api/train", br#"{"steps": 100000}"#);
    let mut first = [0u8; 256];
    stream.read_exact(&mut first).unwrap();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(server.pid() as i32, libc::SIGINT) }, 0);
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap(); // the stream ends: the run stopped
    let (status, out, _) = server.wait();
    assert_eq!(status.code(), Some(0));
    assert!(out.contains("stopped"), "{out}");
}

#[test]
fn a_host_other_than_loopback_gets_a_warning() {
    let server = Server::start(&["--host", "0.0.0.0"]);
    assert!(server.url.starts_with("http://0.0.0.0:"), "{}", server.url);
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(server.pid() as i32, libc::SIGTERM) };
    let (status, _, err) = server.wait();
    assert_eq!(status.code(), Some(0));
    assert!(err.contains("not loopback"), "{err}");
}

#[test]
fn a_panicking_run_is_a_500_for_its_stream_only() {
    // Before the stream starts: a 500 with a JSON error.
    let server = Server::start_with(&[], &[("KLFIT_FAULT_SERVE_PANIC", "prepare")]);
    let response = server.post("/api/train", r#"{"steps": 5}"#);
    assert_eq!(response.status, 500, "{}", response.text());
    assert!(response.json()["error"].as_str().unwrap().contains("internal error"));
    assert_eq!(server.get_json("/api/status")["runs"], 0);
    drop(server);
    // Mid-stream: the records so far, then an error line with status 500; the server goes on.
    let server = Server::start_with(&[], &[("KLFIT_FAULT_SERVE_PANIC", "3")]);
    let lines = server.post("/api/train", r#"{"steps": 5}"#).lines();
    let steps: Vec<&Value> = lines.iter().filter(|l| l["type"] == "record").map(|l| &l["step"]).collect();
    assert_eq!(steps, [0, 1, 2]);
    let last = lines.last().unwrap();
    assert_eq!((&last["type"], &last["status"]), (&Value::from("error"), &Value::from(500)), "{last}");
    assert_eq!(server.get_json("/api/status")["runs"], 0);
    assert_eq!(server.request("GET", "/api/datasets", b"").status, 200);
}

#[test]
fn a_port_in_use_is_a_usage_error_and_open_without_a_browser_says_so() {
    let first = Server::start(&[]);
    let port = first.addr.port().to_string();
    let second = klfit().args(["serve", "--port", &port]).output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let err = text(&second.stderr);
    assert!(err.starts_with(&format!("error: cannot listen on 127.0.0.1:{port}: ")), "{err}");
    assert!(err.contains("choose another --port (0 picks a free one)"), "{err}");
    // --open with no browser opener on PATH: a note with the URL, and the server serves on.
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap();
    let server = Server::start_with(&["--open"], &[("PATH", path)]);
    assert_eq!(server.get_json("/api/status")["runs"], 0);
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(server.pid() as i32, libc::SIGINT) };
    let (status, _, err) = server.wait();
    assert_eq!(status.code(), Some(0));
    assert!(err.contains("could not start xdg-open to open the page; open http://127.0.0.1:"), "{err}");
}

#[test]
fn the_readmes_curl_lines_work() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let start = readme.find("## Playground").expect("a Playground section");
    let block = readme[start..].split("```sh\n").nth(1).unwrap().split("```").next().unwrap();
    let curls: Vec<&str> = block.lines().filter(|l| l.starts_with("curl ")).collect();
    assert!(curls.len() >= 3, "{block}");
    if std::process::Command::new("curl").arg("--version").output().is_err() {
        eprintln!("note: curl is not installed; the README's curl lines were not run");
        return;
    }
    let server = Server::start(&[]);
    for line in curls {
        let command = line.split(" # ").next().unwrap().replace("localhost:8000", &server.addr.to_string());
        let output = std::process::Command::new("sh").arg("-c").arg(&command).output().unwrap();
        assert!(output.status.success(), "{command}: {}", text(&output.stderr));
        let body = text(&output.stdout);
        let values: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(!values.is_empty(), "{command}");
        for value in &values {
            assert!(value.get("error").is_none() && value["type"] != "error", "{command}: {value}");
        }
        if command.contains("/api/train") {
            assert_eq!(values.last().unwrap()["type"], "summary", "{command}");
        }
    }
}

#[test]
fn the_readmes_lesson_links_are_runs_the_server_accepts() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let links: Vec<&str> =
        readme.split("](http://127.0.0.1:8000/?").skip(1).map(|rest| rest.split(')').next().unwrap()).collect();
    assert!(links.len() >= 3, "the README's lesson links");
    let server = Server::start(&[]);
    for query in links {
        // The page's URL state: the config's fields, `counts=a:3,b:5`, and `run`/`step` for the page.
        let mut config = serde_json::Map::new();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap();
            match key {
                "run" | "step" => {}
                "counts" => {
                    let entries: Vec<Value> = value
                        .split(',')
                        .map(|e| {
                            let (label, count) = e.split_once(':').unwrap();
                            serde_json::json!([label, count.parse::<u64>().unwrap()])
                        })
                        .collect();
                    config.insert(key.into(), Value::Array(entries));
                }
                _ => {
                    config.insert(key.into(), Value::String(value.into()));
                }
            }
        }
        let objectives: &[&str] = if query.contains("run=pair") { &["kl", "reverse-kl"] } else { &[""] };
        for objective in objectives {
            if !objective.is_empty() {
                config.insert("objective".into(), Value::from(*objective));
            }
            let response = server.post("/api/train", &Value::Object(config.clone()).to_string());
            assert_eq!(response.status, 200, "{query}: {}", response.text());
            assert_eq!(response.lines().last().unwrap()["type"], "summary", "{query}");
        }
    }
}
