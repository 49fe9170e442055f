// SVG building blocks for the page's charts: elements, scales, ticks, axes, paths and legends.
// Every text that comes from data goes in through textContent, never as markup.

import { tick } from "./format.js";

const NS = "http://www.w3.org/2000/svg";

/** The chart palette (src/plot/run/palette.rs). */
export const COLORS = {
  ce: "#1f77b4",
  kl: "#e6550d",
  h: "#646464",
  p: "#bdbdbd",
  pLine: "#3c3c3c",
  qStart: "#fdae61",
  floor: "#756bb1",
  reverse: "#756bb1",
  grid: "#e6e6e6",
};

/** An SVG element with attributes, appended to `parent` when given; `text` set as textContent. */
export function el(tag, attrs = {}, parent = null, text = undefined) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  }
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

/** Removes every child of `node`. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** A linear scale from [d0, d1] onto [r0, r1]. */
export function linear(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  const f = (v) => r0 + ((v - d0) / span) * (r1 - r0);
  f.invert = (r) => d0 + ((r - r0) / (r1 - r0)) * span;
  f.domain = [d0, d1];
  f.log = false;
  return f;
}

/** A base-10 log scale from [d0, d1] (both > 0) onto [r0, r1]. */
export function logScale(d0, d1, r0, r1) {
  const l0 = Math.log10(d0);
  const span = Math.log10(d1) - l0 || 1;
  const f = (v) => r0 + ((Math.log10(v) - l0) / span) * (r1 - r0);
  f.invert = (r) => 10 ** (l0 + ((r - r0) / (r1 - r0)) * span);
  f.domain = [d0, d1];
  f.log = true;
  return f;
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.ceil(min / step - 1e-9);
  const ticks = [];
  for (let i = first; i * step <= max + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Powers of ten within [min, max], thinned to at most `count`. */
export function logTicks(min, max, count = 6) {
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const every = Math.max(1, Math.ceil((hi - lo + 1) / count));
  const ticks = [];
  for (let e = lo; e <= hi; e += every) ticks.push(10 ** e);
  return ticks;
}

/** A [min, max] that has room around the data, and is never empty. */
export function padded(min, max, { zero = false } = {}) {
  if (zero) min = Math.min(0, min);
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max === min) return [min - (Math.abs(min) || 1) * 0.5, max + (Math.abs(max) || 1) * 0.5];
  const pad = (max - min) * 0.05;
  return [zero && min === 0 ? 0 : min - pad, max + pad];
}

/**
 * A chart's frame in `svg`: sizes it to its box on the page and returns the plot area
 * {svg, g, left, right, top, bottom, width, height}.
 */
export function frame(svg, margin = { left: 62, right: 14, top: 8, bottom: 34 }) {
  clear(svg);
  const width = Math.max(svg.clientWidth || 300, 200);
  const height = Math.max(svg.clientHeight || 180, 40);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const g = el("g", {}, svg);
  return {
    svg,
    g,
    width,
    height,
    left: margin.left,
    right: width - margin.right,
    top: margin.top,
    bottom: height - margin.bottom,
  };
}

/** Axes, grid lines and axis titles for the scales `x` and `y` in the area `a`. */
export function axes(a, x, y, { xTitle = "", yTitle = "", xTicks = null, yTicks = null, xFormat = tick, yFormat = tick } = {}) {
  const grid = el("g", { class: "grid" }, a.g);
  const axis = el("g", { class: "axis" }, a.g);
  const xs = xTicks ?? (x.log ? logTicks(...x.domain) : niceTicks(...x.domain, Math.max(2, Math.floor((a.right - a.left) / 80))));
  const ys = yTicks ?? (y.log ? logTicks(...y.domain) : niceTicks(...y.domain, Math.max(2, Math.floor((a.bottom - a.top) / 35))));
  for (const v of ys) {
    const py = y(v);
    if (py < a.top - 0.5 || py > a.bottom + 0.5) continue;
    el("line", { x1: a.left, x2: a.right, y1: py, y2: py }, grid);
    el("text", { x: a.left - 4, y: py + 4, "text-anchor": "end" }, axis, y.log ? power(v) : yFormat(v));
  }
  for (const v of xs) {
    const px = x(v);
    if (px < a.left - 0.5 || px > a.right + 0.5) continue;
    el("line", { x1: px, x2: px, y1: a.bottom, y2: a.bottom + 4 }, axis);
    el("text", { x: px, y: a.bottom + 15, "text-anchor": "middle" }, axis, x.log ? power(v) : xFormat(v));
  }
  el("line", { x1: a.left, x2: a.right, y1: a.bottom, y2: a.bottom }, axis);
  el("line", { x1: a.left, x2: a.left, y1: a.top, y2: a.bottom }, axis);
  if (xTitle) el("text", { class: "title", x: (a.left + a.right) / 2, y: a.height - 3, "text-anchor": "middle" }, a.g, xTitle);
  if (yTitle) {
    const cy = (a.top + a.bottom) / 2;
    el("text", { class: "title", x: 11, y: cy, "text-anchor": "middle", transform: `rotate(-90 11 ${cy})` }, a.g, yTitle);
  }
}

/** `1e-6` for a power of ten on a log axis. */
function power(v) {
  const e = Math.round(Math.log10(v));
  return e === 0 ? "1" : `1e${e}`;
}

/**
 * The `d` of a polyline through (xs[i], ys[i]) in screen units; points whose value is not
 * finite (or not > 0 on a log scale) break the line. Past `2 × width` points, each pixel column
 * keeps its first, lowest, highest and last point, so a long run draws as fast as a short one
 * and looks the same.
 */
export function polyline(x, y, xs, ys, width) {
  const parts = [];
  let pen = false;
  const ok = (v) => Number.isFinite(v) && (!y.log || v > 0);
  const thin = xs.length > 2 * width;
  const emit = (p) => {
    parts.push(`${pen ? "L" : "M"}${p.px.toFixed(1)} ${p.py.toFixed(1)}`);
    pen = true;
  };
  let column = null; // {c, first, low, high, last}: the points one pixel column keeps
  const flush = () => {
    if (!column) return;
    const kept = [column.first, column.low, column.high, column.last];
    kept.filter((p, j) => kept.indexOf(p) === j).sort((a, b) => a.i - b.i).forEach(emit);
    column = null;
  };
  for (let i = 0; i < xs.length; i++) {
    if (!ok(ys[i])) {
      flush();
      pen = false;
      continue;
    }
    const p = { px: x(xs[i]), py: y(ys[i]), i };
    if (!thin) {
      emit(p);
      continue;
    }
    const c = Math.floor(p.px);
    if (!column || column.c !== c) {
      flush();
      column = { c, first: p, low: p, high: p, last: p };
    } else {
      if (p.py < column.low.py) column.low = p;
      if (p.py > column.high.py) column.high = p;
      column.last = p;
    }
  }
  flush();
  return parts.join("");
}

/** Fills the HTML list `ul` with legend entries {label, color, dash, shape, opacity}. */
export function legend(ul, items) {
  while (ul.firstChild) ul.removeChild(ul.firstChild);
  for (const item of items) {
    const li = document.createElement("li");
    const swatch = el("svg", { viewBox: "0 0 26 12", "aria-hidden": "true" });
    if (item.shape === "bar") {
      el("rect", { x: 3, y: 1, width: 20, height: 10, fill: item.color, stroke: item.stroke ?? "none", "stroke-dasharray": item.dash, opacity: item.opacity }, swatch);
    } else if (item.shape === "dot" || item.shape === "triangle") {
      marker(swatch, item.shape, 13, 6, 4.5, item.color);
    } else {
      el("line", { x1: 1, x2: 25, y1: 6, y2: 6, stroke: item.color, "stroke-width": 3, "stroke-dasharray": item.dash, opacity: item.opacity }, swatch);
    }
    li.appendChild(swatch);
    const span = document.createElement("span");
    span.textContent = item.label;
    li.appendChild(span);
    ul.appendChild(li);
  }
}

/** A dot or a triangle of radius r at (cx, cy). */
export function marker(parent, shape, cx, cy, r, color, attrs = {}) {
  if (shape === "triangle") {
    const pts = [[cx, cy - r * 1.2], [cx - r * 1.1, cy + r * 0.8], [cx + r * 1.1, cy + r * 0.8]];
    return el("polygon", { points: pts.map((p) => p.join(",")).join(" "), fill: color, stroke: "#fff", "stroke-width": 0.8, ...attrs }, parent);
  }
  return el("circle", { cx, cy, r, fill: color, stroke: "#fff", "stroke-width": 0.8, ...attrs }, parent);
}

/** A short message in the middle of an empty chart. */
export function empty(svg, message) {
  const a = frame(svg);
  el("text", { x: a.width / 2, y: a.height / 2, "text-anchor": "middle", class: "title" }, a.g, message);
}
