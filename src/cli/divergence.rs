//! `klfit divergence`: H(p), CE(p, q), KL(p‖q) and KL(q‖p) of two distributions, as text or JSON.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use klfit::empirical::Counts;
use klfit::files::{read_counts, read_distribution};
use klfit::measure::{compare, Comparison};
use klfit::report::console::Console;
use klfit::report::format::residual;
use klfit::report::summary::{count, number};
use klfit::text::{is_stdin, path as shown_path, quoted};
use klfit::empirical::Labels;
use klfit::Empirical;
use serde_json::{json, Value};

use super::info::both_units;
use super::DivergenceArgs;

pub fn run(args: &DivergenceArgs) -> klfit::Result<()> {
    if is_stdin(&args.p) && is_stdin(&args.q) {
        return Err(klfit::Error::Usage("only one of --p and --q can read standard input (-)".into()));
    }
    let (p_labels, p) = read(&args.p, args)?;
    let (q_labels, q_file) = read(&args.q, args)?;
    let q = match_categories(&p_labels, (&args.q, &q_labels, &q_file), &args.p)?;
    let c: Comparison = compare(&p, &q);
    let u = args.units;
    let residual_nats = c.cross_entropy - c.kl_pq - c.entropy;
    let mut console = Console::new(false);
    if args.json {
        let object = json!({
            "units": u.name(),
            "p": shown_path(&args.p),
            "q": shown_path(&args.q),
            "categories": p.len(),
            "entropy": number(u.convert(c.entropy)),
            "entropy_q": number(u.convert(c.entropy_q)),
            "cross_entropy": number(u.convert(c.cross_entropy)),
            "kl_pq": number(u.convert(c.kl_pq)),
            "kl_qp": number(u.convert(c.kl_qp)),
            "ce_minus_kl_minus_entropy": if c.cross_entropy.is_finite() { number(u.convert(residual_nats)) } else { Value::Null },
        });
        return console.line(&object.to_string());
    }
    let both = |v: f64| both_units(u, v);
    let mut lines = vec![
        format!("p              {} (K = {})", shown_path(&args.p), p.len()),
        format!("q              {}", shown_path(&args.q)),
        format!("H(p)           {}", both(c.entropy)),
        format!("CE(p, q)       {}", both(c.cross_entropy)),
        format!("KL(p‖q)        {}", both(c.kl_pq)),
        format!("KL(q‖p)        {}", both(c.kl_qp)),
    ];
    if c.cross_entropy.is_finite() {
        lines.push(format!(
            "CE − KL − H(p) {} {} (the identity CE = H + KL, measured)",
            residual(u.convert(residual_nats)),
            u.name()
        ));
    }
    lines.extend(explain_infinity(&p_labels, &p, &q, "KL(p‖q) and CE(p, q)", "q", "p"));
    lines.extend(explain_infinity(&p_labels, &q, &p, "KL(q‖p)", "p", "q"));
    for line in lines {
        console.line(&line)?;
    }
    Ok(())
}

/// One distribution as the arguments say: read, then smoothed with `--smoothing` (the pseudo-count
/// is added to the counts, weights or probabilities before they are divided by their sum).
fn read(path: &Path, args: &DivergenceArgs) -> klfit::Result<(Labels, Vec<f64>)> {
    let Some(eps) = args.smoothing else { return read_distribution(path, args.counts, args.normalize) };
    let values = match args.counts {
        true => read_counts(path)?,
        false => {
            let (labels, values) = read_distribution(path, false, args.normalize)?;
            Empirical::weighted(labels, values)?
        }
    };
    let smoothed = values.smoothed(eps)?;
    Ok((smoothed.labels().clone(), smoothed.probs().to_vec()))
}

/// N of some data as a JSON integer (or number, for weights).
pub fn total_json(p: &Empirical) -> Value {
    match p.exact_counts() {
        Counts::Whole { total, .. } => count(*total),
        Counts::Weights { total, .. } => number(*total),
    }
}

/// Says why a divergence is infinite: `b` is 0 on a category where `a` is positive.
fn explain_infinity(labels: &Labels, a: &[f64], b: &[f64], what: &str, b_name: &str, a_name: &str) -> Option<String> {
    let i = (0..a.len()).find(|&i| a[i] > 0.0 && b[i] == 0.0)?;
    Some(format!(
        "note           {what} = inf: {b_name} gives probability 0 to category {}, where {a_name} = {} > 0, so log {b_name} = −∞ there",
        quoted(&labels[i]),
        a[i]
    ))
}

/// q reordered to p's categories. Every category must appear in both files.
fn match_categories(
    p_labels: &Labels,
    (q_path, q_labels, q): (&Path, &Labels, &[f64]),
    p_path: &Path,
) -> klfit::Result<Vec<f64>> {
    let index: HashMap<&str, usize> = q_labels.iter().enumerate().map(|(i, l)| (l, i)).collect();
    let mut out = Vec::with_capacity(p_labels.len());
    for label in p_labels {
        match index.get(label) {
            Some(&i) => out.push(q[i]),
            None => return Err(missing(q_path, label, p_path)),
        }
    }
    let p_set: HashSet<&str> = p_labels.iter().collect();
    if let Some(label) = q_labels.iter().find(|l| !p_set.contains(l)) {
        return Err(missing(p_path, label, q_path));
    }
    Ok(out)
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
