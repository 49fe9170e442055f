//! `klfit divergence`: H(p), CE(p, q), KL(p‖q) and KL(q‖p) of two distributions, as text or JSON.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use klfit::empirical::Labels;
use klfit::files::{read_counts, read_distribution};
use klfit::measure::{compare, Comparison};
use klfit::report::console::Console;
use klfit::report::summary::json_number;
use klfit::text::{is_stdin, path as shown_path, quoted};
use klfit::units::{self, residual};
use klfit::Empirical;
use serde_json::{json, Value};

use crate::cli::DivergenceArgs;

pub fn run(args: &DivergenceArgs) -> klfit::Result<()> {
    if is_stdin(&args.p) && is_stdin(&args.q) {
        return Err(klfit::Error::Usage("only one of --p and --q can read standard input (-)".into()));
    }
    let p = read(&args.p, args)?;
    let q_file = read(&args.q, args)?;
    let q = match_categories(&p, (&args.q, &q_file), &args.p)?;
    let c: Comparison = compare(&p, &q);
    let u = args.units;
    let residual_nats = c.cross_entropy - c.kl_pq - c.entropy;
    let mut console = Console::new(false);
    if args.json {
        let object = json!({
            "units": u.name(),
            "p": shown_path(&args.p),
            "q": shown_path(&args.q),
            "categories": p.k(),
            "entropy": json_number(u.convert(c.entropy)),
            "entropy_q": json_number(u.convert(c.entropy_q)),
            "cross_entropy": json_number(u.convert(c.cross_entropy)),
            "kl_pq": json_number(u.convert(c.kl_pq)),
            "kl_qp": json_number(u.convert(c.kl_qp)),
            "js": json_number(u.convert(c.js)),
            "tv": json_number(c.tv),
            "ce_minus_kl_minus_entropy": if c.cross_entropy.is_finite() { json_number(u.convert(residual_nats)) } else { Value::Null },
        });
        return console.line(&object.to_string());
    }
    let both = |v: f64| u.both(v);
    let mut lines = vec![
        format!("p              {} (K = {})", shown_path(&args.p), p.k()),
        format!("q              {}", shown_path(&args.q)),
        format!("H(p)           {}", both(c.entropy)),
        format!("CE(p, q)       {}", both(c.cross_entropy)),
        format!("KL(p‖q)        {}", both(c.kl_pq)),
        format!("KL(q‖p)        {}", both(c.kl_qp)),
        format!(
            "JS(p, q)       {}   (at most ln 2 nats = 1 bit; scipy's jensenshannon is its square root)",
            both(c.js)
        ),
        format!("TV(p, q)       {}   (total variation ½ Σ |p − q|, from 0 to 1)", units::number(c.tv)),
    ];
    if c.cross_entropy.is_finite() {
        lines.push(format!(
            "CE − KL − H(p) {} {} (the identity CE = H + KL, measured)",
            residual(u.convert(residual_nats)),
            u.name()
        ));
    }
    let (pp, qq) = (p.probs(), q.probs());
    lines.extend(explain_infinity(p.labels(), pp, qq, "KL(p‖q) and CE(p, q)", "q", "p"));
    lines.extend(explain_infinity(p.labels(), qq, pp, "KL(q‖p)", "p", "q"));
    for line in lines {
        console.line(&line)?;
    }
    Ok(())
}

/// One distribution as the arguments say: read, then smoothed with `--smoothing` (the pseudo-count
/// is added to the counts, weights or probabilities before they are divided by their sum).
fn read(path: &Path, args: &DivergenceArgs) -> klfit::Result<Empirical> {
    let values = match (args.smoothing, args.counts) {
        (None, _) => return read_distribution(path, args.counts, args.normalize),
        (Some(_), true) => read_counts(path)?,
        (Some(_), false) => read_distribution(path, false, args.normalize)?,
    };
    values.smoothed(args.smoothing.unwrap_or(0.0))
}

/// Says why a divergence is infinite: `b` is 0 on a category where `a` is positive.
fn explain_infinity(labels: &Labels, a: &[f64], b: &[f64], what: &str, b_name: &str, a_name: &str) -> Option<String> {
    let i = (0..a.len()).find(|&i| a[i] > 0.0 && b[i] == 0.0)?;
    Some(format!(
        "note           {what} = inf: {b_name} gives probability 0 to category {}, where {a_name} = {} > 0, so log {b_name} = −∞ there",
        quoted(&labels[i]),
        units::number(a[i])
    ))
}

/// q with its categories in p's order. Every category must appear in both files.
fn match_categories(p: &Empirical, (q_path, q): (&Path, &Empirical), p_path: &Path) -> klfit::Result<Empirical> {
    let index: HashMap<&str, usize> = q.labels().iter().enumerate().map(|(i, l)| (l, i)).collect();
    let mut order = Vec::with_capacity(p.k());
    for label in p.labels() {
        match index.get(label) {
            Some(&i) => order.push(i),
            None => return Err(missing(q_path, label, p_path)),
        }
    }
    let p_set: HashSet<&str> = p.labels().iter().collect();
    if let Some(label) = q.labels().iter().find(|l| !p_set.contains(l)) {
        return Err(missing(p_path, label, q_path));
    }
    Ok(q.reordered(&order))
}

fn missing(path: &Path, label: &str, other: &Path) -> klfit::Error {
    klfit::Error::parse(
        path,
        0,
        format!(
            "has no category {}, which {} lists; both files must list the same categories (use probability 0 for one that never occurs)",
            quoted(label),
            shown_path(other)
        ),
    )
}
