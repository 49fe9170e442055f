// The charts over the categories: p and q, each category's share of H and of KL, and the stacked
// bar CE = H + KL with the table of divergences at the shown step.

import { COLORS, axes, clear, el, empty, frame, legend, linear, niceTicks, padded } from "./charts.js";
import { converter } from "./curves.js";
import { number, residual as residualText, tick } from "./format.js";

/** Whether a count as sent (digit string) is zero: a category never observed. */
export function isZero(count) {
  return /^\s*0*\s*$/.test(String(count)) && String(count).trim() !== "";
}

/** The x band of each category: {x(i) left edge, w width}; labels thinned to fit. */
function bands(a, k) {
  const w = (a.right - a.left) / k;
  return { x: (i) => a.left + i * w, w };
}

/** Category labels under the axis, every `every`-th, shortened; the full label in a <title>. */
function categoryLabels(a, b, labels) {
  const fit = Math.max(1, Math.floor(b.w / 7));
  const every = Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor((a.right - a.left) / 46))));
  const g = el("g", { class: "axis" }, a.g);
  labels.forEach((label, i) => {
    if (i % every) return;
    const short = [...label].length > Math.max(fit, 6) ? `${[...label].slice(0, Math.max(fit, 6) - 1).join("")}…` : label;
    const t = el("text", { x: b.x(i) + b.w / 2, y: a.bottom + 14, "text-anchor": "middle", direction: "ltr", "unicode-bidi": "plaintext" }, g, short);
    el("title", {}, t, label);
  });
}

/** Light bands behind the categories never observed, with "p = 0" over them (or "unseen" where
 * smoothing gave them a small p). */
function unseenBands(a, b, unseen, smoothed) {
  unseen.forEach((u, i) => {
    if (!u) return;
    el("rect", { class: "unseen", x: b.x(i), y: a.top, width: b.w, height: a.bottom - a.top, fill: "#fde0c5", "data-unseen": i }, a.g);
    if (b.w >= 18) el("text", { x: b.x(i) + b.w / 2, y: a.top + 10, "text-anchor": "middle", class: "title" }, a.g, smoothed ? "unseen" : "p = 0");
  });
}

/** Whether a run's p was smoothed (its unseen categories then have a small p, not 0). */
function isSmoothed(run) {
  return Boolean(run && run.header && run.header.smoothing != null && Number(run.header.smoothing) > 0);
}

/** The runs whose q the distribution chart shows (the current ones), with their colours. */
function qSeries(view) {
  const pair = view.current.length > 1;
  return view.current.map((run) => ({
    run,
    color: run.reverse && pair ? COLORS.reverse : COLORS.ce,
    label: pair ? `q fitted on ${run.reverse ? "KL(q‖p)" : "KL(p‖q)"}` : "q",
  }));
}

/** The chart "q moving onto p". */
export function drawDistribution(svg, ul, view) {
  const first = view.current.find((r) => r.header);
  const labels = first ? first.header.labels : view.data.labels;
  const p = first ? first.header.p.map(Number) : view.data.p;
  if (!labels.length) return empty(svg, "No data yet");
  const unseen = first ? first.raw.map(isZero) : view.data.counts.map(isZero);
  const smoothed = isSmoothed(first);
  const series = qSeries(view).map((s) => ({ ...s, frame: s.run.frameAt(view.step ?? Infinity), start: s.run.frames[0] }));
  let hi = Math.max(...p);
  for (const s of series) if (s.frame) hi = Math.max(hi, ...s.frame.q);
  const a = frame(svg, { left: 52, right: 10, top: 8, bottom: 34 });
  const y = linear(0, hi * 1.08 || 1, a.bottom, a.top);
  const b = bands(a, labels.length);
  unseenBands(a, b, unseen, smoothed);
  axes(a, linear(0, 1, a.left, a.right), y, { xTicks: [], yTitle: "probability", xTitle: "category" });
  const pBars = el("g", { "data-series": "p" }, a.g);
  p.forEach((v, i) => {
    el("rect", { x: b.x(i) + b.w * 0.08, width: Math.max(b.w * 0.84, 0.6), y: y(v), height: Math.max(0, y(0) - y(v)), fill: COLORS.p }, pBars);
  });
  const lanes = Math.max(1, series.length);
  series.forEach((s, j) => {
    if (!s.frame) return;
    const g = el("g", { "data-series": "q", "data-run": s.run.id }, a.g);
    const lane = (b.w * 0.6) / lanes;
    s.frame.q.forEach((v, i) => {
      const x0 = b.x(i) + b.w * 0.2 + j * lane;
      el("rect", { x: x0, width: Math.max(lane, 0.6), y: y(v), height: Math.max(0, y(0) - y(v)), fill: s.color, opacity: 0.9 }, g);
    });
    if (s.start && s.start.step !== s.frame.step) {
      const ticks = el("g", { "data-series": "q-start" }, a.g);
      s.start.q.forEach((v, i) => {
        const x0 = b.x(i) + b.w * 0.2 + j * lane;
        el("line", { x1: x0 - 1, x2: x0 + lane + 1, y1: y(v), y2: y(v), stroke: COLORS.qStart, "stroke-width": 2.5 }, ticks);
      });
    }
  });
  categoryLabels(a, b, labels);
  const items = [{ label: "p (data)", color: COLORS.p, shape: "bar" }];
  for (const s of series) items.push({ label: s.frame ? `${s.label} at step ${s.frame.step}` : s.label, color: s.color, shape: "bar" });
  if (series.some((s) => s.start && s.frame && s.start.step !== s.frame.step)) items.push({ label: "q at step 0", color: COLORS.qStart });
  if (unseen.some(Boolean)) {
    items.push({ label: smoothed ? "never observed (p from smoothing only)" : "never observed (p = 0)", color: "#fde0c5", shape: "bar" });
  }
  legend(ul, items);
}

/**
 * Each category's terms at the focus run's frame: h = −p·log p, kl = p·log(p/q), ce = h + kl =
 * −p·log q; for reverse runs also rkl = q·log(q/p). In `units`; 0·log 0 = 0.
 */
export function contributions(p, q, units) {
  const k = units === "bits" ? 1 / Math.LN2 : 1;
  return p.map((pi, i) => {
    const qi = q[i];
    const h = pi > 0 ? -pi * Math.log(pi) * k : 0;
    const kl = pi > 0 ? pi * Math.log(pi / qi) * k : 0;
    const rkl = qi > 0 ? qi * Math.log(qi / pi) * k : 0;
    return { h, kl, ce: h + kl, rkl };
  });
}

/** The chart "Each category's share", and the call-out under it about never-observed categories. */
export function drawContributions(svg, ul, callout, view) {
  const run = view.focus;
  const f = run?.header ? run.frameAt(view.step ?? Infinity) : null;
  callout.hidden = true;
  if (!f) {
    legend(ul, []);
    return empty(svg, "Train to split CE category by category");
  }
  const { labels } = run.header;
  const p = run.header.p.map(Number);
  const terms = contributions(p, f.q, view.units);
  const reverse = run.reverse;
  let lo = 0;
  let hi = 0;
  for (const t of terms) {
    lo = Math.min(lo, t.kl, reverse ? t.rkl : 0);
    hi = Math.max(hi, t.h, t.h + Math.max(t.kl, 0), t.ce, reverse ? t.rkl : 0);
  }
  const a = frame(svg, { left: 62, right: 10, top: 8, bottom: 34 });
  const [d0, d1] = padded(lo, hi, { zero: true });
  const y = linear(d0, d1, a.bottom, a.top);
  const b = bands(a, labels.length);
  const unseen = run.raw.map(isZero);
  unseenBands(a, b, unseen, isSmoothed(run));
  axes(a, linear(0, 1, a.left, a.right), y, { xTicks: [], yTitle: view.units, yTicks: niceTicks(d0, d1, 4), xTitle: "category" });
  el("line", { x1: a.left, x2: a.right, y1: y(0), y2: y(0), stroke: "#888" }, a.g);
  const kinds = [
    { key: "h", color: COLORS.h, label: "−p·log p (share of H)" },
    { key: "kl", color: COLORS.kl, label: "p·log(p/q) (share of KL)" },
  ];
  if (reverse) kinds.push({ key: "rkl", color: COLORS.reverse, label: "q·log(q/p) (share of KL(q‖p))" });
  const lane = (b.w * 0.8) / kinds.length;
  kinds.forEach((kind, j) => {
    const g = el("g", { "data-series": kind.key }, a.g);
    terms.forEach((t, i) => {
      const v = t[kind.key];
      const top = y(Math.max(v, 0));
      el("rect", { x: b.x(i) + b.w * 0.1 + j * lane, width: Math.max(lane, 0.5), y: top, height: Math.max(Math.abs(y(v) - y(0)), v === 0 ? 0 : 0.5), fill: kind.color }, g);
    });
  });
  const marks = el("g", { "data-series": "ce" }, a.g);
  terms.forEach((t, i) => {
    if (t.ce === 0) return;
    el("line", { x1: b.x(i) + b.w * 0.05, x2: b.x(i) + b.w * 0.95, y1: y(t.ce), y2: y(t.ce), stroke: "#111", "stroke-width": 2 }, marks);
  });
  categoryLabels(a, b, labels);
  const items = kinds.map((k) => ({ label: k.label, color: k.color, shape: "bar" }));
  items.push({ label: "their sum −p·log q (share of CE)", color: "#111" });
  legend(ul, items);
  unseenNote(callout, run, f, terms, unseen, view.units);
}

/** Says which never-observed categories keep KL up, and by how much q still weighs them. */
function unseenNote(callout, run, f, terms, unseen, units) {
  const idx = unseen.map((u, i) => (u ? i : -1)).filter((i) => i >= 0);
  if (!idx.length) return;
  clear(callout);
  const labels = run.header.labels;
  const add = (text, tag = "span") => {
    const node = document.createElement(tag);
    node.textContent = text;
    if (tag === "bdi") node.dir = "auto";
    callout.appendChild(node);
  };
  const mass = idx.reduce((s, i) => s + f.q[i], 0);
  const names = idx.slice(0, 3);
  add(idx.length === 1 ? "The category “" : "The categories “");
  names.forEach((i, j) => {
    if (j) add("”, “");
    add(labels[i], "bdi");
  });
  add(idx.length > names.length ? `” and ${idx.length - names.length} more` : "”");
  if (run.reverse) {
    const worst = terms.reduce((m, t, i) => (t.rkl > terms[m].rkl ? i : m), 0);
    const top = unseen[worst] ? " — the largest term of all" : "";
    add(
      ` ${idx.length === 1 ? "was" : "were"} never observed; smoothing gave ${idx.length === 1 ? "it" : "each"} a small p, and reverse KL's term q·log(q/p) there is ` +
        `${number(idx.reduce((s, i) => s + terms[i].rkl, 0))} ${units}${top}: KL(q‖p) pushes q off what the data never showed.`,
    );
  } else {
    const one = idx.length === 1;
    const why =
      run.header.model === "logits"
        ? `free logits only take it away as ${one ? "that" : "each"} θ goes to −∞, ever more slowly: this is what keeps KL up.`
        : `how much of it q can take away is up to the ${run.header.model} family.`;
    const own = isSmoothed(run)
      ? `never observed (smoothing gave ${one ? "it" : "each"} a small p), so ${one ? "its" : "their"} own terms are small`
      : `never observed (p = 0), so ${one ? "its" : "their"} own terms are 0`;
    add(
      ` ${one ? "was" : "were"} ${own}, yet q still gives ${one ? "it" : "them"} ` +
        `${number(mass)} of its mass at step ${f.step}. That mass is missing from the observed categories, whose terms p·log(p/q) make up the KL that is left; ${why}`,
    );
  }
  callout.hidden = false;
}

/** The stacked bar CE = H + KL (and CE(q,p) = H(q) + KL(q‖p) for reverse) and the readout table. */
export function drawNow(svg, ul, table, title, view) {
  const run = view.focus;
  const tbody = table.tBodies[0];
  clear(tbody);
  const i = run ? run.indexAt(view.step ?? Infinity) : -1;
  if (i < 0) {
    title.textContent = "At the current step";
    legend(ul, []);
    return empty(svg, "CE = H + KL, once a run has started");
  }
  const step = run.steps[i];
  const f = run.frameAt(step);
  title.textContent = f && f.step !== step ? `At step ${step} (q from step ${f.step})` : `At step ${step}`;
  const convert = converter(run, view.units);
  const get = (c) => convert(run.at(c, i));
  const rows = [{ h: get("entropy"), kl: get("kl_divergence"), ce: get("cross_entropy"), names: ["H(p)", "KL(p‖q)", "CE(p, q)"] }];
  if (run.reverse) rows.push({ h: get("model_entropy"), kl: get("reverse_kl"), ce: get("reverse_cross_entropy"), names: ["H(q)", "KL(q‖p)", "CE(q, p)"] });
  svg.style.height = `${rows.length * 30 + 34}px`;
  const a = frame(svg, { left: 70, right: 12, top: 4, bottom: 30 });
  const max = Math.max(...rows.map((r) => r.ce), ...rows.map((r) => convert(run.cols[r === rows[0] ? "cross_entropy" : "reverse_cross_entropy"][0])));
  const x = linear(0, max || 1, a.left, a.right);
  rows.forEach((r, j) => {
    const y0 = a.top + j * 30;
    const g = el("g", { "data-series": j ? "reverse-stack" : "stack" }, a.g);
    el("text", { x: a.left - 6, y: y0 + 15, "text-anchor": "end" }, g, r.names[2]);
    el("rect", { x: a.left, y: y0 + 2, width: Math.max(0, x(r.h) - a.left), height: 20, fill: COLORS.h, "data-part": "h" }, g);
    el("rect", { x: x(r.h), y: y0 + 2, width: Math.max(0, x(r.ce) - x(r.h)), height: 20, fill: COLORS.kl, "data-part": "kl", "stroke-dasharray": j ? "4 2" : undefined, stroke: j ? "#fff" : undefined }, g);
    if (x(r.h) - a.left > 150) el("text", { class: "on-dark", x: a.left + 5, y: y0 + 16 }, g, `${r.names[0]} ${number(r.h)}`);
    if (x(r.ce) - x(r.h) > 150) el("text", { class: "on-dark", x: x(r.h) + 5, y: y0 + 16 }, g, `${r.names[1]} ${number(r.kl)}`);
  });
  axes(a, x, linear(0, 1, a.bottom, a.top), { yTicks: [], xTitle: view.units });
  legend(ul, [
    { label: "H (the data's entropy)", color: COLORS.h, shape: "bar" },
    { label: "KL (what training removes)", color: COLORS.kl, shape: "bar" },
  ]);
  const u = view.units;
  const line = (name, v, what, key, withUnits = true) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    const td = document.createElement("td");
    td.dataset.key = key;
    td.textContent = Number.isNaN(v) ? "—" : withUnits ? `${number(v)} ${u}` : number(v);
    const note = document.createElement("td");
    note.className = "what";
    note.textContent = what;
    tr.append(th, td, note);
    tbody.appendChild(tr);
  };
  line("CE(p, q)", get("cross_entropy"), "cross-entropy = H(p) + KL(p‖q)", "cross_entropy");
  line("H(p)", get("entropy"), "the data's entropy, fixed", "entropy");
  line("KL(p‖q)", get("kl_divergence"), "forward KL: how far q is from p", "kl_divergence");
  const reverseKl = run.reverse ? get("reverse_kl") : f ? convert(f.reverseKl) : NaN;
  line("KL(q‖p)", reverseKl, "reverse KL: ∞ if q > 0 where p = 0", "reverse_kl");
  line("JS(p, q)", f ? convert(f.js) : NaN, `Jensen–Shannon: symmetric, at most ${u === "bits" ? "1 bit" : "ln 2"}`, "js_divergence");
  line("TV(p, q)", f ? f.tv : NaN, "total variation: the most probability q misplaces", "total_variation", false);
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  th.scope = "row";
  th.textContent = "CE − KL − H";
  const td = document.createElement("td");
  td.dataset.key = "residual";
  td.textContent = residualText(get("residual"));
  const note = document.createElement("td");
  note.className = "what";
  note.textContent = `rounding; bound ${tick(get("residual_bound"))} ${u}`;
  tr.append(th, td, note);
  tbody.appendChild(tr);
  for (const name of run.header.parameter_names) line(name === "mu" ? "μ" : name === "sigma" ? "σ" : name === "theta" ? "θ" : name, run.at(name, i), "the model's parameter", name, false);
}
