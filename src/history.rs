//! Per-step records and the files written from them. Everything shown (console, CSV, charts) is a
//! view of a [`History`].

use std::path::Path;

use crate::empirical::Empirical;
use crate::error::Result;
use crate::objective::Metrics;

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
}

impl History {
    /// The last record (the final parameters). A history always holds the step-0 record.
    pub fn last(&self) -> &Record {
        &self.records[self.records.len() - 1]
    }

    /// The largest |CE − KL − H| over the run, in nats.
    pub fn max_abs_residual(&self) -> f64 {
        self.records.iter().map(|r| r.metrics.residual().abs()).fold(0.0, f64::max)
    }

    /// Writes `metrics.csv`: `step,cross_entropy_<u>,kl_divergence_<u>,entropy_<u>,ce_minus_kl_<u>,residual_<u>`
    /// with u the unit, one row per record, values in shortest round-trip form.
    pub fn write_metrics_csv(&self, path: &Path, units: Units) -> Result<()> {
        let u = units.name();
        let csv_err = |e| csv_error(path, e);
        let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
        let header = ["cross_entropy", "kl_divergence", "entropy", "ce_minus_kl", "residual"];
        let header: Vec<String> =
            std::iter::once("step".to_string()).chain(header.iter().map(|h| format!("{h}_{u}"))).collect();
        w.write_record(&header).map_err(csv_err)?;
        for r in &self.records {
            let m = r.metrics;
            let values = [m.cross_entropy, m.kl_divergence, m.entropy, m.gap(), m.residual()];
            let row = std::iter::once(r.step.to_string()).chain(values.iter().map(|v| units.format(*v)));
            w.write_record(row).map_err(csv_err)?;
        }
        w.flush().map_err(|e| crate::Error::io(path, e))?;
        Ok(())
    }

    /// Writes `distribution.csv`: `category,count,p_data,q_initial,q_final`, one row per category.
    pub fn write_distribution_csv(&self, path: &Path, p: &Empirical) -> Result<()> {
        let csv_err = |e| csv_error(path, e);
        let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
        w.write_record(["category", "count", "p_data", "q_initial", "q_final"]).map_err(csv_err)?;
        for i in 0..p.k() {
            let nums = [p.counts()[i], p.probs()[i], self.q_initial[i], self.q_final[i]];
            let row = std::iter::once(p.labels()[i].clone()).chain(nums.iter().map(|v| v.to_string()));
            w.write_record(row).map_err(csv_err)?;
        }
        w.flush().map_err(|e| crate::Error::io(path, e))?;
        Ok(())
    }
}

fn csv_error(path: &Path, e: csv::Error) -> crate::Error {
    let source = match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    };
    crate::Error::io(path, source)
}

/// The unit information quantities are shown in. Everything is computed in nats; bits = nats / ln 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Units {
    /// Natural logarithm.
    #[default]
    Nats,
    /// Base-2 logarithm.
    Bits,
}

impl Units {
    /// `nats` or `bits`.
    pub fn name(self) -> &'static str {
        match self {
            Units::Nats => "nats",
            Units::Bits => "bits",
        }
    }

    /// Converts a value in nats to this unit.
    pub fn convert(self, nats: f64) -> f64 {
        match self {
            Units::Nats => nats,
            Units::Bits => nats / std::f64::consts::LN_2,
        }
    }

    /// `convert`ed and written in shortest round-trip form.
    pub fn format(self, nats: f64) -> String {
        self.convert(nats).to_string()
    }
}
