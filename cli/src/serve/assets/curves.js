// The charts over the steps: the losses (CE, KL, H; their reverse twins for reverse KL), KL on a
// log axis, and the residual CE − KL − H against its rounding bound. Earlier runs are drawn faded
// behind, each labelled with what differed.

import { COLORS, axes, el, empty, frame, legend, linear, logScale, padded, polyline } from "./charts.js";

const REVERSE_DASH = "7 4";
const OVERLAY_OPACITY = 0.3;

/** A value in `run`'s units converted to `units`. */
export function converter(run, units) {
  if (run.units === units) return (v) => v;
  return units === "bits" ? (v) => v / Math.LN2 : (v) => v * Math.LN2;
}

/**
 * The curves a run draws: forward CE, KL and H(p); for a reverse run CE(q,p), KL(q‖p) and H(q)
 * too (only those when `reverseOnly`, as the reverse half of a forward-vs-reverse pair).
 */
function curvesOf(run, { reverseOnly = false } = {}) {
  const forward = [
    { column: "cross_entropy", label: "CE(p, q)", color: COLORS.ce },
    { column: "kl_divergence", label: "KL(p‖q)", color: COLORS.kl },
    { column: "entropy", label: "H(p)", color: COLORS.h },
  ];
  const reverse = [
    { column: "reverse_cross_entropy", label: "CE(q, p)", color: COLORS.ce, dash: REVERSE_DASH },
    { column: "reverse_kl", label: "KL(q‖p)", color: COLORS.kl, dash: REVERSE_DASH },
    { column: "model_entropy", label: "H(q)", color: COLORS.h, dash: REVERSE_DASH },
  ];
  if (!run.reverse) return forward;
  return reverseOnly ? reverse : [...forward, ...reverse];
}

/** The x domain: 0 to the most steps any drawn run asked for. */
function stepDomain(runs) {
  return [0, Math.max(1, ...runs.map((r) => r.plannedSteps))];
}

/** A vertical dotted line at the shown step. */
function cursor(a, x, step) {
  if (step === null || step === undefined) return;
  const px = x(step);
  if (px >= a.left && px <= a.right) el("line", { class: "cursor", x1: px, x2: px, y1: a.top, y2: a.bottom }, a.g);
}

/** A restricted family's floor: a dotted line over the curves (a run that reaches it lies on it), labelled. */
function floorLine(a, py, text) {
  el("line", { x1: a.left, x2: a.right, y1: py, y2: py, stroke: COLORS.floor, "stroke-width": 2, "stroke-dasharray": "2 3", "data-series": "floor" }, a.g);
  el("text", { x: a.right - 4, y: py - 5, "text-anchor": "end", fill: COLORS.floor, class: "floor-label" }, a.g, text);
}

/** A faded run's label at the end of its curve. */
function overlayLabel(a, x, y, run, column, convert, text) {
  const n = run.steps.length;
  if (!n) return;
  const v = convert(run.cols[column][n - 1]);
  if (!Number.isFinite(v) || (y.log && v <= 0)) return;
  const px = Math.min(x(run.steps[n - 1]), a.right - 2);
  const py = Math.max(a.top + 8, Math.min(a.bottom - 3, y(v) - 4));
  el("text", { class: "overlay-label", x: px, y: py, "text-anchor": "end", opacity: 0.75 }, a.g, text);
}

/** The chart "Losses over the steps". */
export function drawLosses(svg, ul, view) {
  const { current, overlays, units } = view;
  const runs = [...current, ...overlays].filter((r) => r.steps.length);
  if (!runs.length) {
    legend(ul, []);
    return empty(svg, "Train to see CE, KL and H(p) step by step");
  }
  const pair = current.length > 1;
  const drawn = [];
  for (const run of current) drawn.push({ run, curves: curvesOf(run, { reverseOnly: pair && run.reverse }), faded: false });
  for (const run of overlays) {
    const main = run.reverse ? ["reverse_kl", "reverse_cross_entropy"] : ["kl_divergence", "cross_entropy"];
    drawn.push({ run, curves: curvesOf(run).filter((c) => main.includes(c.column)), faded: true });
  }
  let hi = 0;
  for (const { run, curves } of drawn) {
    const convert = converter(run, units);
    for (const c of curves) for (const v of run.cols[c.column]) if (Number.isFinite(v)) hi = Math.max(hi, convert(v));
  }
  const floor = floorOf(current[0], units);
  if (floor) hi = Math.max(hi, floor.ce);
  const a = frame(svg);
  const x = linear(...stepDomain(runs), a.left, a.right);
  const y = linear(...padded(0, hi, { zero: true }), a.bottom, a.top);
  axes(a, x, y, { xTitle: "step", yTitle: units });
  for (const { run, curves, faded } of [...drawn].reverse()) {
    const convert = converter(run, units);
    for (const c of curves) {
      const d = polyline(x, y, run.steps, run.cols[c.column].map(convert), a.right - a.left);
      el("path", { d, fill: "none", stroke: c.color, "stroke-width": faded ? 2 : 3, "stroke-dasharray": c.dash, opacity: faded ? OVERLAY_OPACITY : 1, [faded ? "data-overlay" : "data-series"]: c.column }, a.g);
    }
    if (faded) overlayLabel(a, x, y, run, curves[0].column, convert, view.labelOf(run));
  }
  if (floor) floorLine(a, y(floor.ce), `${floor.family}'s floor`);
  cursor(a, x, view.step);
  const items = [];
  const seen = new Set();
  for (const { curves, faded } of drawn) {
    if (faded) continue;
    for (const c of curves) {
      if (seen.has(c.label)) continue;
      seen.add(c.label);
      items.push({ label: c.label, color: c.color, dash: c.dash });
    }
  }
  if (floor) items.push({ label: `${floor.family}'s floor H(p) + min KL`, color: COLORS.floor, dash: "2 3" });
  if (overlays.length) items.push({ label: "earlier runs (faded)", color: COLORS.kl, opacity: OVERLAY_OPACITY });
  legend(ul, items);
}

/** A restricted family's floor in `units`: {kl, ce, family}, from the header; null for free logits. */
export function floorOf(run, units) {
  const f = run?.header?.floor;
  if (!f || run.reverse) return null;
  const convert = converter(run, units);
  const kl = convert(Number(f.kl));
  return { kl, ce: convert(run.header.entropy) + kl, family: run.header.model };
}

/** The chart "KL on a log axis". */
export function drawKlLog(svg, ul, view) {
  const { current, overlays, units } = view;
  const runs = [...current, ...overlays].filter((r) => r.steps.length);
  if (!runs.length) {
    legend(ul, []);
    return empty(svg, "KL on a log axis: a straight line is a steady rate");
  }
  const series = [];
  for (const run of [...overlays, ...current]) {
    const faded = !current.includes(run);
    const onlyReverse = faded ? run.reverse : current.length > 1 && run.reverse;
    if (!onlyReverse) series.push({ run, column: "kl_divergence", dash: undefined, faded, label: "KL(p‖q)" });
    if (run.reverse) series.push({ run, column: "reverse_kl", dash: REVERSE_DASH, faded, label: "KL(q‖p)" });
  }
  let lo = Infinity;
  let hi = 0;
  for (const s of series) {
    const convert = converter(s.run, units);
    for (const v0 of s.run.cols[s.column]) {
      const v = convert(v0);
      if (v > 0 && Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  const floor = floorOf(current[0], units);
  if (floor && floor.kl > 0) {
    lo = Math.min(lo, floor.kl);
    hi = Math.max(hi, floor.kl);
  }
  const a = frame(svg);
  const x = linear(...stepDomain(runs), a.left, a.right);
  if (!(hi > 0)) {
    axes(a, x, linear(0, 1, a.bottom, a.top), { xTitle: "step", yTitle: units });
    el("text", { x: (a.left + a.right) / 2, y: (a.top + a.bottom) / 2, "text-anchor": "middle", class: "title" }, a.g, "KL is exactly 0 at every step");
    legend(ul, []);
    return;
  }
  lo = Math.max(lo, hi * 1e-18);
  const y = logScale(10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi) + 1e-9), a.bottom, a.top);
  axes(a, x, y, { xTitle: "step", yTitle: `${units} (log)` });
  for (const s of series) {
    const convert = converter(s.run, units);
    const d = polyline(x, y, s.run.steps, s.run.cols[s.column].map(convert), a.right - a.left);
    el("path", { d, fill: "none", stroke: COLORS.kl, "stroke-width": s.faded ? 2 : 3, "stroke-dasharray": s.dash, opacity: s.faded ? OVERLAY_OPACITY : 1, "data-series": s.faded ? undefined : s.column }, a.g);
    if (s.faded) overlayLabel(a, x, y, s.run, s.column, convert, view.labelOf(s.run));
  }
  if (floor && floor.kl > 0) floorLine(a, y(floor.kl), `${floor.family}'s floor`);
  cursor(a, x, view.step);
  const items = [];
  for (const label of new Set(series.filter((s) => !s.faded).map((s) => s.label))) {
    items.push({ label, color: COLORS.kl, dash: label === "KL(q‖p)" ? REVERSE_DASH : undefined });
  }
  if (floor && floor.kl > 0) items.push({ label: "floor: min KL", color: COLORS.floor, dash: "2 3" });
  if (overlays.length) items.push({ label: "earlier runs (faded)", color: COLORS.kl, opacity: OVERLAY_OPACITY });
  legend(ul, items);
}

/** The chart "The identity, checked": |CE − KL − H| per record (dots) against the bound (line). */
export function drawResidual(svg, ul, view) {
  const run = view.focus;
  if (!run || !run.steps.length) {
    legend(ul, []);
    return empty(svg, "CE − KL − H(p): rounding, step by step");
  }
  const convert = converter(run, view.units);
  const res = run.cols.residual.map((v) => Math.abs(convert(v)));
  const bound = run.cols.residual_bound.map(convert);
  let lo = Infinity;
  let hi = 0;
  for (const v of [...res, ...bound]) {
    if (v > 0 && Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const a = frame(svg);
  const x = linear(0, Math.max(1, run.plannedSteps), a.left, a.right);
  if (!(hi > 0)) hi = lo = 1e-16;
  const y = logScale(10 ** (Math.floor(Math.log10(lo)) - 1), 10 ** Math.ceil(Math.log10(hi) + 1e-9), a.bottom, a.top);
  axes(a, x, y, { xTitle: "step", yTitle: `${view.units} (log)` });
  el("path", { d: polyline(x, y, run.steps, bound, a.right - a.left), fill: "none", stroke: COLORS.h, "stroke-width": 2, "data-series": "residual_bound" }, a.g);
  // One small square per pixel column and row: a long run draws no more squares than a short one.
  const seen = new Set();
  let dots = "";
  let zeros = "";
  for (let i = 0; i < run.steps.length; i++) {
    const px = Math.round(x(run.steps[i]));
    const zero = !(res[i] > 0);
    const py = zero ? Math.round(a.bottom - 2) : Math.round(y(res[i]));
    const key = px * 100000 + py;
    if (seen.has(key)) continue;
    seen.add(key);
    if (zero) zeros += `M${px - 1} ${py}h2v2h-2z`;
    else dots += `M${px - 1.5} ${py - 1.5}h3v3h-3z`;
  }
  el("path", { d: dots, fill: COLORS.ce, "data-series": "residual" }, a.g);
  el("path", { d: zeros, fill: COLORS.p }, a.g);
  cursor(a, x, view.step);
  legend(ul, [
    { label: "|CE − KL − H|", color: COLORS.ce, shape: "bar" },
    { label: "exactly 0", color: COLORS.p, shape: "bar" },
    { label: "rounding bound", color: COLORS.h },
  ]);
}
