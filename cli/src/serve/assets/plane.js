// The two charts the learner drags: the data editor (p's bars: drag one to change its count) and
// the Gaussian's (μ, σ) plane (drag the start; the ends of earlier runs stay marked on it).

import { COLORS, axes, el, frame, legend, linear, marker } from "./charts.js";
import { short } from "./format.js";

/**
 * Where each category sits on the Gaussian's axis, as the library's `model::positions`: its
 * label as a number when every label is a finite number (Rust's f64 syntax), else 0, 1, …, K − 1.
 */
export function positions(labels) {
  const numeric = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  const values = labels.map((l) => (numeric.test(l.trim()) ? Number(l.trim()) : NaN));
  if (values.length && values.every(Number.isFinite)) return values;
  return labels.map((_, i) => i);
}

/** The Gaussian's default start, as the library's: μ mid-range, σ a quarter of the range. */
export function defaultStart(labels) {
  const x = positions(labels);
  const lo = Math.min(...x);
  const hi = Math.max(...x);
  const range = hi > lo ? hi - lo : 1;
  return { mu: 0.5 * (lo + hi), sigma: 0.25 * range, lo, hi, range };
}

/** The start an init string names (`mu=4,sigma=2`; a missing one at its default), or null. */
export function parseStart(init, labels) {
  const d = defaultStart(labels);
  if (!init || init === "default") return { mu: d.mu, sigma: d.sigma, isDefault: true };
  const start = { mu: d.mu, sigma: d.sigma, isDefault: false };
  for (const part of init.split(",")) {
    const [name, text] = part.split("=").map((s) => s.trim());
    const v = Number(text);
    if ((name !== "mu" && name !== "sigma") || text === undefined || !Number.isFinite(v)) return null;
    start[name] = v;
  }
  return start;
}

/** `mu=4.5,sigma=2.25`: a start as an init string, rounded to what a drag can mean. */
export function startInit(mu, sigma, range) {
  const digits = Math.max(0, 2 - Math.floor(Math.log10(range)));
  const round = (v) => Number(v.toFixed(digits));
  return `mu=${short(round(mu))},sigma=${short(Math.max(round(sigma), 10 ** -digits))}`;
}

/**
 * The (μ, σ) plane: the start (filled when set, hollow at the default), each current Gaussian
 * run's path, and the ends of earlier runs: ● fitted on KL(p‖q) or CE, ▲ on KL(q‖p).
 */
export function drawPlane(svg, ul, view) {
  const { labels } = view.data;
  const d = defaultStart(labels);
  const start = parseStart(view.init, labels) ?? { mu: d.mu, sigma: d.sigma, isDefault: true };
  let muLo = d.lo - d.range / 2;
  let muHi = d.hi + d.range / 2;
  let sigmaHi = d.range;
  const paths = view.current.filter((r) => r.header && r.header.model === "gaussian");
  for (const p of [start, ...view.ends, ...paths.flatMap((r) => r.cols.mu.map((mu, i) => ({ mu, sigma: r.cols.sigma[i] })))]) {
    if (!Number.isFinite(p.mu) || !Number.isFinite(p.sigma)) continue;
    muLo = Math.min(muLo, p.mu);
    muHi = Math.max(muHi, p.mu);
    sigmaHi = Math.max(sigmaHi, p.sigma * 1.05);
  }
  const a = frame(svg, { left: 46, right: 10, top: 8, bottom: 32 });
  const x = linear(muLo, muHi, a.left, a.right);
  const y = linear(0, sigmaHi, a.bottom, a.top);
  svg.scales = { x, y, range: d.range };
  axes(a, x, y, { xTitle: "μ (start and end)", yTitle: "σ" });
  for (const run of paths) {
    const pts = run.cols.mu.map((mu, i) => [x(mu), y(run.cols.sigma[i])]).filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
    if (pts.length < 2) continue;
    el("path", { d: `M${pts.map((p) => `${p[0].toFixed(1)} ${p[1].toFixed(1)}`).join("L")}`, fill: "none", stroke: run.reverse ? COLORS.reverse : COLORS.ce, "stroke-width": 2, "stroke-dasharray": run.reverse ? "5 3" : undefined, opacity: 0.8 }, a.g);
  }
  // The start under the ends: a run that stays where it started still shows its end.
  el("circle", { cx: x(start.mu), cy: y(start.sigma), r: 7, fill: start.isDefault ? "#fff" : COLORS.qStart, stroke: "#333", "stroke-width": 2, "data-start": "", class: "handle" }, a.g);
  const ends = el("g", { "data-series": "ends" }, a.g);
  for (const e of view.ends) {
    const m = marker(ends, e.reverse ? "triangle" : "dot", x(e.mu), y(e.sigma), 5, e.reverse ? COLORS.reverse : COLORS.ce, { "data-reverse": e.reverse });
    el("title", {}, m, `${e.reverse ? "KL(q‖p)" : "KL(p‖q)"} run from μ = ${short(e.from.mu)}, σ = ${short(e.from.sigma)} ended at μ = ${short(e.mu)}, σ = ${short(e.sigma)}`);
  }
  svg.setAttribute("aria-valuetext", `start μ = ${short(start.mu)}, σ = ${short(start.sigma)}${start.isDefault ? " (the default)" : ""}`);
  const items = [{ label: start.isDefault ? "start (default)" : "start", color: COLORS.qStart, shape: "dot" }];
  if (view.ends.some((e) => !e.reverse)) items.push({ label: "end, KL(p‖q)", color: COLORS.ce, shape: "dot" });
  if (view.ends.some((e) => e.reverse)) items.push({ label: "end, KL(q‖p)", color: COLORS.reverse, shape: "triangle" });
  legend(ul, items);
}

/** Drag and arrow keys on the plane call `onMove(init)` with the new start's init string. */
export function attachPlane(svg, getInit, getLabels, onMove) {
  const toInit = (event) => {
    const s = svg.scales;
    if (!s) return null;
    const box = svg.getBoundingClientRect();
    const vb = svg.viewBox.baseVal;
    const px = ((event.clientX - box.left) / box.width) * vb.width;
    const py = ((event.clientY - box.top) / box.height) * vb.height;
    return startInit(s.x.invert(px), Math.max(s.y.invert(py), s.range / 1000), s.range);
  };
  let dragging = false;
  svg.addEventListener("pointerdown", (event) => {
    dragging = true;
    svg.setPointerCapture(event.pointerId);
    const init = toInit(event);
    if (init) onMove(init);
  });
  svg.addEventListener("pointermove", (event) => {
    if (!dragging) return;
    const init = toInit(event);
    if (init) onMove(init);
  });
  const stop = () => {
    dragging = false;
  };
  svg.addEventListener("pointerup", stop);
  svg.addEventListener("pointercancel", stop);
  svg.addEventListener("keydown", (event) => {
    const labels = getLabels();
    const d = defaultStart(labels);
    const start = parseStart(getInit(), labels) ?? d;
    const stepSize = d.range / 50;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowDown: [0, -1], ArrowUp: [0, 1] };
    const m = moves[event.key];
    if (!m) return;
    event.preventDefault();
    onMove(startInit(start.mu + m[0] * stepSize, Math.max(start.sigma + m[1] * stepSize, stepSize), d.range));
  });
}

/** The data editor: p's bars from the page's counts; the scale stays put while a bar is dragged. */
export function drawEditor(svg, data, hold) {
  const p = data.p;
  const a = frame(svg, { left: 8, right: 8, top: 6, bottom: 6 });
  if (!p.length) return;
  const top = hold ?? Math.max(...p, 0.01) * 1.25;
  const y = linear(0, top, a.bottom, a.top);
  const w = (a.right - a.left) / p.length;
  svg.scales = { y, top };
  p.forEach((v, i) => {
    const bar = el("rect", { class: "bar", x: a.left + i * w + w * 0.1, width: Math.max(w * 0.8, 0.6), y: y(v), height: Math.max(y(0) - y(v), 1), "data-index": i }, a.g);
    el("title", {}, bar, `${data.labels[i]}: ${data.counts[i]}`);
  });
  el("line", { x1: a.left, x2: a.right, y1: a.bottom, y2: a.bottom, stroke: "#888" }, a.g);
}

/**
 * Dragging bar i to height h sets its count so that p_i = h with the other counts unchanged:
 * c = h·(N − c_i)/(1 − h), rounded. Calls onDrag(i, count) while dragging, onEnd() after.
 */
export function attachEditor(svg, getData, onDrag, onEnd) {
  let drag = null;
  const height = (event) => {
    const box = svg.getBoundingClientRect();
    const vb = svg.viewBox.baseVal;
    const py = ((event.clientY - box.top) / box.height) * vb.height;
    return Math.min(Math.max(drag.y.invert(py), 0), 0.98);
  };
  svg.addEventListener("pointerdown", (event) => {
    const target = event.target.closest("rect.bar");
    if (!target || !svg.scales) return;
    const i = Number(target.dataset.index);
    const data = getData();
    const others = data.numbers.reduce((s, c, j) => (j === i ? s : s + c), 0);
    drag = { i, others, y: svg.scales.y, top: svg.scales.top };
    svg.setPointerCapture(event.pointerId);
    target.classList.add("dragging");
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const h = height(event);
    const count = drag.others > 0 ? Math.round((h * drag.others) / (1 - h)) : Math.max(1, Math.round(h * 100));
    onDrag(drag.i, count, drag.top);
  });
  const stop = () => {
    if (!drag) return;
    drag = null;
    onEnd();
  };
  svg.addEventListener("pointerup", stop);
  svg.addEventListener("pointercancel", stop);
}
