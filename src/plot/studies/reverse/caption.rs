//! The caption under the forward-vs-reverse chart: where the reverse-KL runs end, counted by
//! the peaks of p they sit on, and why KL(q‖p) is finite where the bars look empty.

use super::End;

/// A peak of the data, named for the caption: `the morning peak` at x = 8.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak<'a> {
    /// How the caption names it: `the morning peak`.
    pub name: &'a str,
    /// Where it is, in x units (a category's numeric label, or its position).
    pub x: f64,
}

/// Where an end is, by the peaks that q's central span μ ± 2σ holds: one peak (q sits on it),
/// several (q is broad, over them), or none.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place<'a> {
    On(&'a str),
    Over,
    Elsewhere,
}

/// The span μ ± this many σ is where q "is" for the caption (about 95 % of a Gaussian's mass).
const SPAN: f64 = 2.0;

fn place<'a>(end: &End, peaks: &[Peak<'a>]) -> Place<'a> {
    let held: Vec<&Peak> = peaks.iter().filter(|p| (p.x - end.mu).abs() <= SPAN * end.sigma).collect();
    match held.as_slice() {
        [] => Place::Elsewhere,
        [one] => Place::On(one.name),
        _ => Place::Over,
    }
}

/// "Reverse KL from 11 starts: 4 end on the morning peak, 3 on the evening peak, 4 on a broad
/// optimum over both peaks (an end is on a peak when μ ± 2σ holds that peak alone)". Every peak
/// is named, with 0 if no run ends on it; broad and other ends only when some run ends there.
pub(super) fn ends_sentence(ends: &[End], peaks: &[Peak]) -> String {
    let runs: usize = ends.iter().map(|e| e.runs).sum();
    let places: Vec<(Place, usize)> = ends.iter().map(|e| (place(e, peaks), e.runs)).collect();
    let count = |wanted: Place| places.iter().filter(|(p, _)| *p == wanted).map(|(_, n)| n).sum::<usize>();
    let optima = |wanted: Place| places.iter().filter(|(p, _)| *p == wanted).count();
    let mut parts: Vec<String> = peaks.iter().map(|p| format!("{} on {}", count(Place::On(p.name)), p.name)).collect();
    let all = match peaks.len() {
        2 => "both peaks",
        _ => "several peaks",
    };
    match optima(Place::Over) {
        0 => {}
        1 => parts.push(format!("{} on a broad optimum over {all}", count(Place::Over))),
        n => parts.push(format!("{} on {n} broad optima over {all}", count(Place::Over))),
    }
    if optima(Place::Elsewhere) > 0 {
        parts.push(format!("{} elsewhere", count(Place::Elsewhere)));
    }
    if let Some(first) = parts.first_mut() {
        let (n, rest) = first.split_once(' ').unwrap_or((first.as_str(), ""));
        *first = format!("{n} {} {rest}", if n == "1" { "ends" } else { "end" });
    }
    format!(
        "Reverse KL from {runs} starts: {} (an end is on a peak when μ ± {}σ holds that peak alone).",
        parts.join(", "),
        crate::units::short(SPAN)
    )
}

/// "Bars that look empty are small, not 0: the smallest p is 0.00035 (at hour of day 2), so
/// KL(q‖p) = Σ q ln(q/p) is finite for every q." `x` and `p` in the order of x.
pub(super) fn smallest_sentence(x: &[f64], p: &[f64], axis: &str) -> String {
    let (at, least) = x.iter().zip(p).fold((f64::NAN, f64::INFINITY), |a, (&x, &p)| if p < a.1 { (x, p) } else { a });
    format!(
        "Bars that look empty are small, not 0: the smallest p is {} (at {axis} {}), so KL(q‖p) = Σ q ln(q/p) is \
         finite for every q.",
        crate::units::short(least),
        crate::units::short(at)
    )
}
