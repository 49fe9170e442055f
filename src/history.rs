//! Per-step records, and what a run keeps of them. Everything shown (console, CSV, charts) is a
//! view of the records, made in [`crate::report`] and [`crate::plot`].
//!
//! A run hands every record to its observer as it is made (`klfit train` and the demo stream them
//! into `metrics.csv` there), and keeps in its [`History`] only what the charts, the animation and
//! the page draw, so that memory is bounded by K, not by the number of steps:
//!
//! - runs of up to [`KEEP_ALL_UP_TO`] steps keep every record;
//! - longer runs keep the first [`EARLY`] steps (where the curves bend most), [`EVEN`] steps
//!   evenly spaced over the run (for the linear step axes), [`LOG_SPACED`] log-spaced ones (for the
//!   log axes), the steps the animation shows q at, and the last. About 4,600 records at most,
//!   ~0.4 MB, however long the run.

use std::ops::Deref;

use crate::error::{Error, Result};
use crate::measure::Metrics;

/// Runs of at most this many steps keep every record.
pub const KEEP_ALL_UP_TO: usize = 2_000;
/// Longer runs keep every step below this one...
pub const EARLY: usize = 500;
/// ...about this many steps evenly spaced over the run...
pub const EVEN: usize = 1_000;
/// ...and this many log-spaced ones (besides the animation's frames and the last step).
pub const LOG_SPACED: usize = 500;

/// The model's named parameters at one step (`theta`; `mu`, `sigma`; none for free logits),
/// in the order of [`History::parameter_names`]. At most [`Parameters::MAX`] of them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Parameters {
    values: [f64; Parameters::MAX],
    len: usize,
}

impl Parameters {
    /// The most named parameters a model may have (the Gaussian has two).
    pub const MAX: usize = 4;

    /// The values, in order. Errors if there are more than [`Parameters::MAX`].
    pub fn new(values: &[f64]) -> Result<Self> {
        let mut out = Self::default();
        let slot = out.values.get_mut(..values.len()).ok_or_else(|| {
            Error::InvalidConfig(format!("a model with {} named parameters; at most {}", values.len(), Self::MAX))
        })?;
        slot.copy_from_slice(values);
        out.len = values.len();
        Ok(out)
    }
}

impl Deref for Parameters {
    type Target = [f64];

    fn deref(&self) -> &[f64] {
        &self.values[..self.len]
    }
}

/// The record of the parameters after `step` updates (step 0: the initial parameters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    /// Number of updates applied so far.
    pub step: usize,
    /// CE, KL and H in nats, measured in f64.
    pub metrics: Metrics,
    /// The model's named parameters (none for free logits).
    pub parameters: Parameters,
}

/// What a run keeps: records (every one, or for long runs those the charts draw; see the module
/// documentation), q before and after, and figures over every record made.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// The records kept, in step order: every record for runs of up to [`KEEP_ALL_UP_TO`] steps;
    /// for longer ones the steps [`Thinning`] keeps. The first (step 0) and the last are always there.
    pub records: Vec<Record>,
    /// q = softmax(θ) at step 0, length K.
    pub q_initial: Vec<f64>,
    /// q = softmax(θ) after the last step, length K.
    pub q_final: Vec<f64>,
    /// Names of the model's named parameters (`theta`; `mu`, `sigma`; none for free logits).
    pub parameter_names: Vec<&'static str>,
    /// q at the log-spaced steps between the first and the last (see
    /// [`crate::train::frame_steps`]) as (step, q) pairs; [`History::frames`] adds both ends.
    pub between: Vec<(usize, Vec<f64>)>,
    /// Figures over every record made, kept or not.
    pub all: Tally,
}

/// Figures over every record of a run, kept or not.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    /// How many records were made (steps done + 1).
    pub records: usize,
    /// The largest |CE − KL − H|, nats.
    pub max_abs_residual: f64,
    /// The largest |CE(q,p) − KL(q‖p) − H(q)|, nats (0 if not measured).
    pub max_abs_reverse_residual: f64,
    /// At how many steps the minimized quantity went up.
    pub rises: usize,
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
        self.parameter_names.iter().copied().zip(self.last().parameters.iter().copied()).collect()
    }

    /// The largest |CE − KL − H| over the run (every record made), in nats.
    pub fn max_abs_residual(&self) -> f64 {
        self.all.max_abs_residual
    }

    /// The largest |CE(q,p) − KL(q‖p) − H(q)| over the run, in nats (0 if not measured).
    pub fn max_abs_reverse_residual(&self) -> f64 {
        self.all.max_abs_reverse_residual
    }
}

/// Which steps a run of `steps` steps keeps (module documentation).
#[derive(Debug, Clone)]
pub struct Thinning {
    steps: usize,
    stride: usize,
    /// Log-spaced steps and `always`, sorted.
    marked: Vec<usize>,
}

impl Thinning {
    /// The steps a run of `steps` steps keeps, `always` among them (the animation's frames).
    pub fn new(steps: usize, always: &[usize]) -> Self {
        let mut marked = log_spaced(steps, LOG_SPACED);
        marked.extend_from_slice(always);
        marked.sort_unstable();
        marked.dedup();
        Self { steps, stride: steps.div_ceil(EVEN).max(1), marked }
    }

    /// Whether `step` is kept (the last step of an interrupted run is kept by [`Recorder`]).
    pub fn keeps(&self, step: usize) -> bool {
        self.steps <= KEEP_ALL_UP_TO
            || step < EARLY
            || step.is_multiple_of(self.stride)
            || step == self.steps
            || self.marked.binary_search(&step).is_ok()
    }
}

/// `count` steps log-spaced from 0 to `steps` (0, 1, 2, 3, 5, 8, …), duplicates removed.
pub fn log_spaced(steps: usize, count: usize) -> Vec<usize> {
    let count = count.max(2);
    let mut out: Vec<usize> =
        (0..count).map(|j| ((steps as f64 + 1.0).powf(j as f64 / (count - 1) as f64) - 1.0).round() as usize).collect();
    out.dedup();
    out
}

/// Builds a [`History`] record by record: keeps what [`Thinning`] says, and tallies every record.
#[derive(Debug)]
pub struct Recorder {
    thinning: Thinning,
    records: Vec<Record>,
    /// The newest record, when it was not kept (it is, if the run ends there).
    newest: Option<Record>,
    all: Tally,
    /// The minimized quantity at the newest record.
    value: f64,
}

impl Recorder {
    /// A recorder for a run of `steps` steps that keeps the steps in `always` too.
    pub fn new(steps: usize, always: &[usize]) -> Self {
        let thinning = Thinning::new(steps, always);
        let capacity =
            steps.saturating_add(1).min(KEEP_ALL_UP_TO + 1).min(EARLY + EVEN + LOG_SPACED + always.len() + 2);
        Self { thinning, records: Vec::with_capacity(capacity), newest: None, all: Tally::default(), value: f64::NAN }
    }

    /// Takes the next record; `value` is the quantity the run minimizes at it (for [`Tally::rises`]).
    pub fn push(&mut self, record: Record, value: f64) {
        let m = record.metrics;
        self.all.records += 1;
        self.all.max_abs_residual = self.all.max_abs_residual.max(m.residual().abs());
        if let Some(r) = m.reverse {
            self.all.max_abs_reverse_residual = self.all.max_abs_reverse_residual.max(r.residual().abs());
        }
        if value > self.value {
            self.all.rises += 1;
        }
        self.value = value;
        match self.thinning.keeps(record.step) {
            true => {
                self.records.push(record);
                self.newest = None;
            }
            false => self.newest = Some(record),
        }
    }

    /// The records kept so far (the newest one may not be among them).
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The history: the records kept and the last one made, with q before and after.
    pub fn finish(
        mut self,
        q_initial: Vec<f64>,
        q_final: Vec<f64>,
        parameter_names: Vec<&'static str>,
        between: Vec<(usize, Vec<f64>)>,
    ) -> History {
        self.records.extend(self.newest);
        History { records: self.records, q_initial, q_final, parameter_names, between, all: self.all }
    }
}
