//! Per-step records. Everything shown (console, CSV, charts) is a view of a [`History`], made in
//! [`crate::report`] and [`crate::plot`].

use crate::measure::Metrics;

/// The metrics of the parameters after `step` updates (step 0: the initial parameters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    /// Number of updates applied so far.
    pub step: usize,
    /// CE, KL and H in nats, measured in f64.
    pub metrics: Metrics,
}

/// Everything a run produced: one record per step t = 0..=steps, and q before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// Records for t = 0..=steps, in order.
    pub records: Vec<Record>,
    /// q = softmax(θ) at step 0, length K.
    pub q_initial: Vec<f64>,
    /// q = softmax(θ) after the last step, length K.
    pub q_final: Vec<f64>,
    /// Names of the model's named parameters (`theta`; `mu`, `sigma`; none for free logits).
    pub parameter_names: Vec<&'static str>,
    /// Their values at each record, one row per record in `records`' order.
    pub parameters: Vec<Vec<f64>>,
    /// q at the log-spaced steps between the first and the last (see
    /// [`crate::train::frame_steps`]) as (step, q) pairs; [`History::frames`] adds both ends.
    pub between: Vec<(usize, Vec<f64>)>,
}

impl History {
    /// The last record (the final parameters). A history always holds the step-0 record.
    pub fn last(&self) -> &Record {
        &self.records[self.records.len() - 1]
    }

    /// q at every kept step, for animations: step 0 (`q_initial`), the steps in `between`, and
    /// the last record's step (`q_final`); log-spaced, so the early steps, where q moves most,
    /// get most frames.
    pub fn frames(&self) -> Vec<(usize, &[f64])> {
        let first = std::iter::once((0, &self.q_initial[..]));
        let between = self.between.iter().map(|(s, q)| (*s, &q[..]));
        let last = (self.last().step > 0).then_some((self.last().step, &self.q_final[..]));
        first.chain(between).chain(last).collect()
    }

    /// The named parameters' values after the last step: `[("theta", 0.41)]`.
    pub fn final_parameters(&self) -> Vec<(&'static str, f64)> {
        let last = self.parameters.last().map(Vec::as_slice).unwrap_or_default();
        self.parameter_names.iter().copied().zip(last.iter().copied()).collect()
    }

    /// The largest |CE − KL − H| over the run, in nats.
    pub fn max_abs_residual(&self) -> f64 {
        self.records.iter().map(|r| r.metrics.residual().abs()).fold(0.0, f64::max)
    }

    /// The largest |CE(q,p) − KL(q‖p) − H(q)| over the run, in nats (0 if not measured).
    pub fn max_abs_reverse_residual(&self) -> f64 {
        self.records.iter().filter_map(|r| r.metrics.reverse).map(|r| r.residual().abs()).fold(0.0, f64::max)
    }
}
