// The playground's page: the controls, the page's state in its URL, training through the API,
// and the charts redrawn from the streamed records. Plain ES2020 modules, no framework.

import { drawContributions, drawDistribution, drawNow } from "./bars.js";
import { drawKlLog, drawLosses, drawResidual } from "./curves.js";
import { DataPanel } from "./data.js";
import { number, short } from "./format.js";
import { attachPlane, drawPlane } from "./plane.js";
import { Run, stream, value } from "./runs.js";

const $ = (id) => document.getElementById(id);

/** The settings the page sends, by the config's field names, with the command line's defaults. */
const SETTINGS = {
  objective: "ce",
  model: "logits",
  optimizer: "sgd",
  lr: "",
  steps: "500",
  seed: "0",
  init: "default",
  smoothing: "",
  units: "nats",
  dtype: "f64",
  engine: "auto",
  every: "1",
};
/** Earlier runs kept as overlays. */
const MAX_OVERLAYS = 6;
/** The slider's range for lr, as powers of ten. */
const LR_POWERS = [-4, 2];

const state = {
  current: [], // the runs of the last Train (two for forward vs reverse)
  overlays: [], // earlier runs, most recent first
  ends: [], // where earlier Gaussian runs ended: {mu, sigma, reverse, from}
  step: null, // the step shown; null follows the last record
  focusIndex: 0,
  trained: 0, // how many times Train (or Forward vs reverse) was pressed: the status's data-run
  runParam: null, // the link's run=1 (train on opening) or run=pair (forward vs reverse)
  initialStep: null, // the link's step=N: the step shown once that first run has ended
};

let data; // the DataPanel: dataset picker, counts table, p editor, CSV loading

/** The settings as the controls hold them (empty ones left out). */
function settings() {
  const s = {};
  for (const name of Object.keys(SETTINGS)) {
    const v = $(name).value.trim();
    if (v !== "") s[name] = v;
  }
  return s;
}

/** The request for POST /api/train: the settings and the data. */
function requestBody() {
  return { ...data.requestPart(), ...settings() };
}

// ----- the URL -------------------------------------------------------------------------------

/** A query value with `:`, `,` and `=` left readable (`counts=a:3,b:5`, `init=mu=4,sigma=2`). */
function encode(v) {
  return encodeURIComponent(v).replace(/%3A/gi, ":").replace(/%2C/gi, ",").replace(/%3D/gi, "=");
}

/** The page's state as a query string: the settings that differ from the defaults, and the data. */
function query({ run = state.runParam, step = state.step } = {}) {
  const parts = [];
  for (const [k, v] of Object.entries(data.urlPart())) parts.push(`${k}=${encode(v)}`);
  for (const [k, v] of Object.entries(settings())) {
    if (v !== SETTINGS[k]) parts.push(`${k}=${encode(v)}`);
  }
  if (run) parts.push(`run=${run}`);
  if (run && step !== null) parts.push(`step=${step}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

function updateUrl() {
  const q = query();
  if (q !== location.search) history.replaceState(null, "", `${location.pathname}${q}`);
  $("share").href = `${location.pathname}${query({ run: state.current.length > 1 ? "pair" : "1" })}`;
}

/** Sets the controls from the URL's query; returns the names it did not know. */
function readUrl(params) {
  const unknown = [];
  for (const [k, v] of params) {
    if (k in SETTINGS) $(k).value = v;
    else if (k === "run") state.runParam = v === "pair" ? "pair" : v === "1" ? "1" : null;
    else if (k === "step") state.initialStep = Number.isInteger(Number(v)) && Number(v) >= 0 ? Number(v) : null;
    else if (k !== "dataset" && k !== "counts") unknown.push(k);
  }
  syncLr();
  return unknown;
}

// ----- controls --------------------------------------------------------------------------------

/** The lr text box → the log slider and the shown value. */
function syncLr() {
  const text = $("lr").value.trim();
  const lr = text === "" ? ($("optimizer").value === "adam" ? 0.1 : 1) : Number(text);
  $("lr").placeholder = `${$("optimizer").value === "adam" ? "0.1" : "1"} (default)`;
  if (Number.isFinite(lr) && lr > 0) {
    $("lr-slider").value = String(Math.min(Math.max(Math.log10(lr), LR_POWERS[0]), LR_POWERS[1]));
    $("lr-shown").textContent = short(lr);
  } else {
    $("lr-shown").textContent = text;
  }
}

/** The log slider → the lr text box (three significant digits). */
function lrFromSlider() {
  $("lr").value = short(Number((10 ** Number($("lr-slider").value)).toPrecision(3)));
  syncLr();
}

function showPlane() {
  $("plane-box").hidden = $("model").value !== "gaussian";
}

/** Clears the errors shown next to the controls. */
function clearErrors() {
  for (const node of document.querySelectorAll(".error")) node.textContent = "";
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** Shows a refusal {error, field} next to the control it names (or under the buttons). */
function showError(answer) {
  const field = answer.field;
  const target = (field && $(`error-${field}`)) || $("error-body");
  target.textContent = field && !$(`error-${field}`) ? `${field}: ${answer.error}` : answer.error;
  const control = field === "counts" ? $("counts-table") : field && $(field);
  if (control) control.setAttribute("aria-invalid", "true");
}

// ----- training --------------------------------------------------------------------------------

function stopAll() {
  for (const run of state.current) if (!run.finished) run.controller.abort();
}

/** Trains the settings as they are; with `pair`, KL(p‖q) and KL(q‖p) side by side from one start. */
async function train(pair = false) {
  clearErrors();
  const local = data.check();
  if (local) return showError(local);
  stopAll();
  const earlier = state.current.filter((r) => r.steps.length);
  state.overlays = $("keep").checked ? [...earlier, ...state.overlays].slice(0, MAX_OVERLAYS) : [];
  const base = requestBody();
  const bodies = pair ? [{ ...base, objective: "kl" }, { ...base, objective: "reverse-kl" }] : [base];
  const raw = data.rawCounts();
  state.trained += 1;
  state.current = bodies.map((body) => new Run(body, raw));
  state.focusIndex = 0;
  state.step = null;
  $("warning").hidden = true;
  $("focus-box").hidden = !pair;
  $("focus").value = "0";
  update();
  await Promise.all(state.current.map((run) => stream(run, onUpdate)));
  for (const run of state.current) if (run.state === "refused") showError(run.error);
  state.current = state.current.filter((r) => r.state !== "refused");
  if (!state.current.length) state.overlays = [...earlier, ...state.overlays].slice(0, MAX_OVERLAYS);
  for (const run of state.current) keepEnd(run);
  if (state.initialStep !== null && state.current.some((r) => r.steps.length)) {
    state.step = Math.min(state.initialStep, Math.max(...state.current.map((r) => r.lastStep)));
  }
  state.initialStep = null;
  updateUrl();
  update();
}

/** A finished Gaussian run's end, marked on the (μ, σ) plane from then on. */
function keepEnd(run) {
  if (!run.header || run.header.model !== "gaussian" || !run.steps.length) return;
  const n = run.steps.length - 1;
  state.ends.push({
    mu: run.cols.mu[n],
    sigma: run.cols.sigma[n],
    reverse: run.reverse,
    from: { mu: run.cols.mu[0], sigma: run.cols.sigma[0] },
  });
}

function onUpdate() {
  update();
}

// ----- what the page shows ------------------------------------------------------------------

/** The page's state for the charts. */
function view() {
  const focus = state.current[state.focusIndex] ?? state.current[0] ?? null;
  const last = Math.max(-1, ...state.current.map((r) => r.lastStep));
  return {
    current: state.current,
    overlays: state.overlays,
    focus,
    step: state.step ?? (last >= 0 ? last : null),
    units: $("units").value,
    data: data.view(),
    ends: state.ends,
    init: $("init").value.trim(),
    labelOf,
  };
}

/** What an earlier run did differently from the current one: `lr 10`, `reverse-kl`, `adam`. */
function labelOf(run) {
  const ref = state.current[state.focusIndex]?.header ?? state.current[0]?.header;
  const h = run.header;
  if (!h) return "";
  if (!ref) return h.objective;
  const diffs = [];
  if (h.dataset !== ref.dataset || JSON.stringify(h.counts) !== JSON.stringify(ref.counts)) {
    diffs.push(h.dataset === "counts.csv" ? "other counts" : h.dataset);
  }
  for (const f of ["model", "objective", "optimizer", "lr", "steps", "seed", "init", "smoothing", "dtype", "engine"]) {
    if (String(h[f]) === String(ref[f])) continue;
    if (f === "model" || f === "objective" || f === "optimizer") diffs.push(h[f]);
    else if (f === "lr") diffs.push(`lr ${short(value(h.lr))}`);
    else if (f === "smoothing") diffs.push(h.smoothing === null ? "no smoothing" : `smoothing ${short(value(h.smoothing))}`);
    else diffs.push(`${f} ${h[f]}`);
  }
  return diffs.slice(0, 2).join(", ") || "same settings";
}

let scheduled = false;

/**
 * Redraws on the next frame (at most once a frame, however many records arrived). The status
 * line is drawn with the charts, so a page that says a run ended shows that run's charts.
 */
function update() {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    draw();
  });
}

function draw() {
  if (!data) return; // the datasets are still on their way
  updateStatus();
  const v = view();
  drawLosses($("losses"), $("legend-losses"), v);
  drawKlLog($("kllog"), $("legend-kllog"), v);
  drawDistribution($("dist"), $("legend-dist"), v);
  drawContributions($("contrib"), $("legend-contrib"), $("unseen"), v);
  drawNow($("stack"), $("legend-stack"), $("readout"), $("now-title"), v);
  drawResidual($("residual"), $("legend-residual"), v);
  if (!$("plane-box").hidden) drawPlane($("plane"), $("legend-plane"), v);
  data.draw();
  $("command").textContent = v.focus?.header?.command ?? "klfit train …";
}

/** The status line, the step slider and the buttons. */
function updateStatus() {
  if (!data) return;
  const runs = state.current;
  const status = $("status");
  const running = runs.some((r) => !r.finished);
  const last = Math.max(0, ...runs.map((r) => r.lastStep));
  const slider = $("step");
  slider.max = String(last);
  slider.disabled = running || !runs.some((r) => r.steps.length);
  slider.value = String(state.step ?? last);
  $("step-shown").textContent = String(state.step ?? last);
  $("stop").disabled = !running;
  status.classList.remove("failed");
  while (status.firstChild) status.removeChild(status.firstChild);
  const add = (text, key) => {
    const span = document.createElement("span");
    span.textContent = text;
    if (key) span.dataset.final = key;
    status.appendChild(span);
  };
  let s = "idle";
  if (!runs.length) {
    add("Ready: choose data and settings, then Train (or press Enter).");
  } else if (running) {
    s = "running";
    const planned = Math.max(...runs.map((r) => r.plannedSteps));
    add(`Training… step ${Math.max(0, Math.min(...runs.map((r) => r.lastStep)))} of ${planned}`);
  } else {
    const states = runs.map((r) => r.state);
    s = states.includes("failed") ? "failed" : states.includes("stopped") ? "stopped" : "done";
    const units = $("units").value;
    runs.forEach((run, j) => {
      if (j) add(" ");
      if (runs.length > 1) add(`${run.reverse ? "KL(q‖p)" : "KL(p‖q)"} run: `);
      describeEnd(run, units, add, runs.length === 1);
    });
    if (s === "failed") status.classList.add("failed");
    const warning = runs.map((r) => r.summary?.warning).find(Boolean);
    if (warning) {
      $("warning").textContent = `Warning: ${warning.replace(/^warning\s+/, "")}`;
      $("warning").hidden = false;
    }
  }
  status.dataset.state = s;
  status.dataset.run = String(state.trained);
}

/** One run's end in the status line: its final CE and KL as the command line prints them. */
function describeEnd(run, units, add, tagged) {
  const convert = units === run.units ? (v) => v : units === "bits" ? (v) => v / Math.LN2 : (v) => v * Math.LN2;
  if (run.state === "done") {
    const sm = run.summary;
    add(`Finished ${sm.steps_done} steps: final CE `);
    add(`${number(convert(value(sm.final_cross_entropy)))} ${units}`, tagged ? "cross_entropy" : undefined);
    add(", final KL ");
    add(`${number(convert(value(sm.final_kl_divergence)))} ${units}`, tagged ? "kl_divergence" : undefined);
    if (run.reverse) {
      const n = run.steps.length - 1;
      add(", final KL(q‖p) ");
      add(`${number(convert(run.cols.reverse_kl[n]))} ${units}`, tagged ? "reverse_kl" : undefined);
    }
    add(".");
  } else if (run.state === "failed") {
    add(run.error.error);
  } else {
    add(`Stopped at step ${Math.max(0, run.lastStep)} of ${run.plannedSteps}.`);
  }
}

// ----- start -------------------------------------------------------------------------------------

function wire() {
  const form = $("controls");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    train();
  });
  // Enter trains from any control (text boxes submit the form themselves).
  form.addEventListener("keydown", (event) => {
    const t = event.target;
    if (event.key === "Enter" && (t.tagName === "SELECT" || t.type === "range" || t.type === "checkbox")) {
      event.preventDefault();
      train();
    }
  });
  form.addEventListener("input", (event) => {
    if (event.target.id === "lr-slider") lrFromSlider();
    if (event.target.id === "lr" || event.target.id === "optimizer") syncLr();
    if (event.target.id === "model") showPlane();
    updateUrl();
    update();
  });
  form.addEventListener("change", () => {
    updateUrl();
    update();
  });
  $("stop").addEventListener("click", stopAll);
  $("reset").addEventListener("click", () => {
    stopAll();
    state.current = [];
    state.overlays = [];
    state.ends = [];
    state.step = null;
    $("warning").hidden = true;
    $("focus-box").hidden = true;
    clearErrors();
    update();
  });
  $("pair").addEventListener("click", () => train(true));
  $("step").addEventListener("input", () => {
    state.step = Number($("step").value);
    updateUrl();
    update();
  });
  $("focus").addEventListener("change", () => {
    state.focusIndex = Number($("focus").value);
    update();
  });
  attachPlane(
    $("plane"),
    () => $("init").value.trim(),
    () => data.view().labels,
    (init) => {
      $("init").value = init;
      updateUrl();
      update();
    },
  );
  new ResizeObserver(() => update()).observe(document.querySelector(".cards"));
}

async function start() {
  wire();
  const params = new URLSearchParams(location.search);
  let datasets;
  try {
    const [list, status] = await Promise.all([fetch("/api/datasets"), fetch("/api/status")]);
    datasets = await list.json();
    $("steps").max = String((await status.json()).max_steps);
  } catch (e) {
    $("status").textContent = `Could not reach the server: ${e.message}`;
    $("status").dataset.state = "failed";
    return;
  }
  for (const [k, v] of Object.entries(SETTINGS)) $(k).value = v;
  data = new DataPanel(datasets, () => {
    updateUrl();
    update();
  });
  const unknown = readUrl(params);
  const problem = data.load(params.get("dataset"), params.get("counts"));
  if (problem) showError(problem);
  if (unknown.length) showError({ field: null, error: `this link has settings the page does not know (${unknown.join(", ")}); they were left out` });
  showPlane();
  updateUrl();
  update();
  if (state.runParam && !problem) train(state.runParam === "pair");
}

start();
