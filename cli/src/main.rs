//! `klfit`: the lesson on your own data, and a calculator for H, CE and KL you can trust.
//!
//! This file only wires the command line ([`cli`], the one place clap lives) to the commands
//! ([`commands`], one file each, over the `klfit` library) and their outcome to an exit code:
//! 0 success (also when Ctrl-C came only after the last step), 1 data, I/O or output error (or a
//! diverged run), 2 usage error, 130 stopped by Ctrl-C or SIGTERM (after writing what was done).
//! [`signals`] and [`alloc`] are the process's edges: Ctrl-C, SIGTERM and SIGXFSZ, and memory
//! running out.

mod alloc;
mod cli;
mod commands;
mod serve;
mod signals;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use cli::{Cli, Command};
use commands::Outcome;

fn main() -> ExitCode {
    signals::ignore_file_size_limit_signal();
    let cli = Cli::parse(); // usage errors: clap prints them and exits with 2
    let result = match cli.command {
        Command::Train(args) => commands::train::run(args),
        Command::Info(args) => commands::info::run(&args).map(|()| Outcome::Done),
        Command::Divergence(args) => commands::divergence::run(&args).map(|()| Outcome::Done),
        Command::Datasets => commands::datasets::run().map(|()| Outcome::Done),
        Command::Bench(args) => commands::bench::run(&args).map(|()| Outcome::Done),
        Command::Compare(args) => commands::compare::run(&args).map(|()| Outcome::Done),
        Command::Serve(args) => serve::run(&args),
    };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Interrupted) | Err(klfit::Error::Cancelled) => ExitCode::from(130),
        Err(e) => {
            // A file's contents that cannot be parsed start with its path and line, as a
            // compiler's errors do; the rest say "error:" (I/O errors: `error: cannot read PATH:
            // why`). A closed or full stderr cannot be reported anywhere, so its write error is
            // ignored.
            let line = match &e {
                klfit::Error::Parse { .. } => e.to_string(),
                _ => format!("error: {e}"),
            };
            let _ = writeln!(std::io::stderr(), "{line}");
            match e {
                klfit::Error::Usage(_) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}
