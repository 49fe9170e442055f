//! `klfit serve --port 0` for a test: started, its URL read from its first line, killed on drop.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// A running `klfit serve`; dropping it kills the server.
pub struct Server {
    child: Child,
    /// Kept open so that the server's later lines have somewhere to go.
    _stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT/`, as the server printed it.
    pub url: String,
}

impl Server {
    /// Starts the built `klfit serve --port 0` and waits for the URL it prints first.
    pub fn start() -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("klfit"))
            .args(["serve", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start klfit serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("the server's stdout"));
        let mut url = String::new();
        stdout.read_line(&mut url).expect("read the server's first line");
        let url = url.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with('/'), "first line {url:?} is not the URL");
        Server { child, _stdout: stdout, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
