//! `klfit compare DIR...`: the curves of several runs (folders `klfit train` wrote) in one chart,
//! `STEM.png` and `STEM.svg`, each run labelled by the settings that tell it from the others.
//! The work is the library's ([`klfit::report::compare`]); this file picks the file names, writes
//! both files together ([`klfit::report::dir::write_together`]) and prints what it drew.

use std::path::{Path, PathBuf};

use klfit::report::console::Console;
use klfit::report::dir::write_together;

use crate::cli::CompareArgs;

pub fn run(args: &CompareArgs) -> klfit::Result<()> {
    let (dir, stem) = destination(&args.out)?;
    let comparison = klfit::report::compare::compare(&args.dirs, args.units)?;
    let files: Vec<(String, Vec<u8>)> = comparison
        .files
        .into_iter()
        .map(|(name, bytes)| {
            let extension = Path::new(&name).extension().map_or(String::new(), |e| e.to_string_lossy().into_owned());
            (format!("{stem}.{extension}"), bytes)
        })
        .collect();
    let written = write_together(&dir, &files)?;
    let mut console = Console::new(false);
    if !comparison.subtitle.is_empty() {
        console.line(&format!("shared     {}", comparison.subtitle))?;
    }
    for (i, (folder, label)) in comparison.labels.iter().enumerate() {
        console.line(&format!("run {:<6} {label}   ({})", i + 1, klfit::text::path(folder)))?;
    }
    console.line(&format!("units      {}", comparison.units.name()))?;
    // Without a folder in --out, the names alone (not ./compare.png).
    let shown = |p: &PathBuf| klfit::text::path(if args.out.is_dir() { p } else { p.strip_prefix(".").unwrap_or(p) });
    let written: Vec<String> = written.iter().map(shown).collect();
    console.line(&format!("wrote      {}", written.join(", ")))
}

/// The folder and the file stem `--out` names: `path/stem` (a trailing `.png` or `.svg` dropped),
/// or `FOLDER/compare` for an existing folder.
fn destination(out: &Path) -> klfit::Result<(PathBuf, String)> {
    if out.is_dir() {
        return Ok((out.to_path_buf(), "compare".into()));
    }
    let usage = |why: &str| {
        klfit::Error::Usage(format!(
            "--out {}: {why}; give a file stem such as charts/ce_vs_kl",
            klfit::text::path(out)
        ))
    };
    let name = out.file_name().ok_or_else(|| usage("names no file"))?;
    let name = name.to_str().ok_or_else(|| usage("is not valid UTF-8"))?;
    let stem = match name.rsplit_once('.') {
        Some((stem, "png" | "svg")) if !stem.is_empty() => stem,
        _ => name,
    };
    let dir = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, stem.to_string()))
}
