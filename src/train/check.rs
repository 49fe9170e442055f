//! When a run's numbers stop meaning anything: the divergence rule ([`check`]), applied to the
//! start as to every step, and what the data must be for the objective.

use super::TrainConfig;
use crate::empirical::Empirical;
use crate::error::{Error, Result};
use crate::history::Record;
use crate::measure::Reading;
use crate::units::number;

/// KL(q‖p) = Σ q (log q − log p) is +∞ wherever p_i = 0 < q_i, and a softmax has every q_i > 0.
pub(super) fn refuse_zeros_for_reverse_kl(p: &Empirical) -> Result<()> {
    let zeros: Vec<usize> = (0..p.k()).filter(|&i| p.probs()[i] == 0.0).collect();
    let Some(&first) = zeros.first() else { return Ok(()) };
    Err(Error::InvalidDistribution(format!(
        "reverse KL(q‖p) is infinite for this data: category {} was never observed (p = 0){}, and a softmax \
         gives every category q > 0, so q·log(q/p) = +∞ there; smooth the counts with --smoothing EPS \
         (e.g. --smoothing 0.5 adds half an observation to every category)",
        crate::text::quoted(&p.labels()[first]),
        match zeros.len() {
            1 => String::new(),
            n => format!(" and so were {} others", n - 1),
        }
    )))
}

/// The start is checked by the rule every step is ([`check`]): a start whose numbers mean nothing
/// (a q that gives observed data probability 0, a loss that is not finite) is refused naming the
/// start, not the learning rate, as the cause. `names`, `start`: the named parameters and their
/// values (none for free logits).
pub(super) fn check_start(config: &TrainConfig, now: &Reading, names: &[&str], start: &[f64]) -> Result<()> {
    let Some(what) = meaningless(config, now) else { return Ok(()) };
    let named = names.iter().zip(start).map(|(n, v)| format!("{n} = {}", number(*v)));
    let start = match named.collect::<Vec<_>>().join(", ") {
        values if values.is_empty() => format!("--init {}", config.init),
        values => format!("{values} (--init {})", config.init),
    };
    Err(Error::Start { what, start, default: config.model.default_start() })
}

/// The divergence rule. A run is stopped as diverged at `step` when its numbers stop meaning
/// anything:
///
/// 1. a logit or the minimized loss is not finite; or
/// 2. q has underflowed to exactly 0 in f64 for a category that was observed: its log q is
///    still finite only because it is computed from the logits, but the model says the data is
///    impossible. This holds for KL(q‖p) too: a mode-seeking q leaves the other modes small
///    (e^−24 for the bike-hours Gaussian), not below e^−745; only a blown-up step sends it
///    there, after which the gradient vanishes and q is stuck on one category.
///
/// A loss that grows by orders of magnitude is caught by rule 2 first: CE is a p-weighted
/// average of −log q_i over the observed categories, so CE > 745 nats means some observed
/// −log q_i > 745, below f64's smallest positive number. Oscillating runs (SGD with lr 10 on free
/// logits) and runs whose loss rose but stayed meaningful finish, with a warning
/// ([`crate::report::console::warning`]).
///
/// The error names the step, the last trustworthy CE and KL (those of `previous`, the record
/// before), and suggests a smaller learning rate.
pub fn check(config: &TrainConfig, step: usize, now: &Reading, previous: Option<&Record>) -> Result<()> {
    let Some(what) = meaningless(config, now) else { return Ok(()) };
    let (last_step, last) = previous.map_or((step, now.metrics), |r| (r.step, r.metrics));
    Err(Error::Diverged {
        step,
        what,
        last_step,
        last_ce: last.cross_entropy,
        last_kl: last.kl_divergence,
        lr: config.lr,
        suggested_lr: smaller_learning_rate(config.lr),
        units: crate::units::Units::Nats,
    })
}

/// What makes a measurement meaningless by the rule of [`check`], if anything.
fn meaningless(config: &TrainConfig, now: &Reading) -> Option<String> {
    let value = config.objective.value(&now.metrics);
    let symbol = config.objective.symbol();
    if !now.finite_logits {
        Some("some logits are not finite numbers".to_string())
    } else if !value.is_finite() {
        Some(format!("the minimized {symbol} is {value}"))
    } else if now.min_log_q < -700.0 && underflows(now.min_log_q) {
        Some(format!("q has underflowed to 0 for an observed category (log q = {})", number(now.min_log_q)))
    } else {
        None
    }
}

/// Whether e^x is exactly 0 in f64. Only x < −745.1 underflows (e^−700 ≈ 1e−304 is still a normal
/// number), so [`check`] asks only below −700; out of line, because inlined, the compiler took the
/// exponential at every step whatever x was (5% of a step at 11 categories).
#[cold]
#[inline(never)]
fn underflows(x: f64) -> bool {
    x.exp() == 0.0
}

/// A learning rate to suggest instead of `lr`: the power of ten below it (10 → 1, 300 → 100,
/// 1e30 → 1e29).
pub fn smaller_learning_rate(lr: f64) -> f64 {
    // Parsed from "1eK", which is correctly rounded (10f64.powi(307) is not: 1.0000000000000005e307).
    format!("1e{}", lr.log10().ceil() as i32 - 1).parse().unwrap_or(lr / 10.0)
}
