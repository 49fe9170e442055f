// A run as the page keeps it: the settings it was sent with, the header, every record as it
// arrives (column by column), the steps that carry q ("frames"), and how it ended. And the one
// function that talks to POST /api/train and reads its newline-delimited JSON as it streams.

/** A streamed number: JSON numbers as they are, and the strings `inf`, `-inf`, `NaN`. */
export function value(v) {
  if (typeof v === "number") return v;
  if (v === "inf") return Infinity;
  if (v === "-inf") return -Infinity;
  if (v === null || v === undefined) return NaN;
  return Number(v);
}

/** The record columns the charts read (metrics.csv's names, as the stream writes them). */
const COLUMNS = [
  "cross_entropy",
  "kl_divergence",
  "entropy",
  "residual",
  "residual_bound",
  "reverse_cross_entropy",
  "reverse_kl",
  "model_entropy",
  "mu",
  "sigma",
  "theta",
];

let nextId = 1;

export class Run {
  /**
   * @param {object} body the request as sent (the config's field names)
   * @param {string[]} raw the counts sent (digit strings), before any smoothing
   */
  constructor(body, raw) {
    this.id = nextId++;
    this.body = body;
    this.raw = raw;
    this.header = null;
    this.steps = [];
    this.cols = Object.fromEntries(COLUMNS.map((c) => [c, []]));
    this.frames = []; // {step, q, js, tv, reverseKl}
    this.summary = null;
    this.error = null; // {error, step} of a run that failed, or a refusal {error, field}
    this.state = "starting"; // running, done, stopped, failed, refused
    this.controller = new AbortController();
  }

  get reverse() {
    return Boolean(this.header && this.header.reverse);
  }

  get units() {
    return this.header ? this.header.units : this.body.units || "nats";
  }

  /** The steps this run was asked for. */
  get plannedSteps() {
    return this.header ? this.header.steps : Number(this.body.steps ?? 500);
  }

  /** The last step recorded so far (-1 before the first). */
  get lastStep() {
    return this.steps.length ? this.steps[this.steps.length - 1] : -1;
  }

  get finished() {
    return this.state === "done" || this.state === "stopped" || this.state === "failed";
  }

  /** Takes one streamed line. */
  add(line) {
    switch (line.type) {
      case "header":
        this.header = line;
        this.state = "running";
        break;
      case "record":
        this.steps.push(line.step);
        for (const c of COLUMNS) this.cols[c].push(c in line ? value(line[c]) : NaN);
        if (line.q) {
          this.frames.push({
            step: line.step,
            q: line.q.map(value),
            js: value(line.js_divergence),
            tv: value(line.total_variation),
            reverseKl: value(line.reverse_kl),
          });
        }
        break;
      case "summary":
        this.summary = line;
        if (this.lastFrame()?.step !== line.steps_done) {
          this.frames.push({
            step: line.steps_done,
            q: line.q.map(value),
            js: value(line.js_divergence),
            tv: value(line.total_variation),
            reverseKl: value(line.reverse_kl),
          });
        }
        this.state = "done";
        break;
      case "error":
        this.error = line;
        this.state = "failed";
        break;
      default:
        break;
    }
  }

  lastFrame() {
    return this.frames.length ? this.frames[this.frames.length - 1] : null;
  }

  /** Index of the last record at or before `step` (-1 if none). */
  indexAt(step) {
    return lastAtOrBefore(this.steps, step, (s) => s);
  }

  /** The frame (q) at the nearest kept step at or before `step`, or null. */
  frameAt(step) {
    const i = lastAtOrBefore(this.frames, step, (f) => f.step);
    return i < 0 ? null : this.frames[i];
  }

  /** A column's value at record index i. */
  at(column, i) {
    return i < 0 ? NaN : this.cols[column][i];
  }
}

/** Binary search: the last index whose key is ≤ step. */
function lastAtOrBefore(items, step, key) {
  let lo = 0;
  let hi = items.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (key(items[mid]) <= step) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Posts the run's body to /api/train and feeds each line to `run.add`, calling `onUpdate` after
 * each chunk. Resolves when the stream ends; a 4xx/5xx answer sets run.error to the server's
 * {error, field} and run.state to "refused". Aborting `run.controller` stops the run (the server
 * stops it within a step) and sets run.state to "stopped".
 */
export async function stream(run, onUpdate) {
  let response;
  try {
    response = await fetch("/api/train", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(run.body),
      signal: run.controller.signal,
    });
  } catch (e) {
    return ended(run, e, onUpdate);
  }
  if (!response.ok) {
    let answer;
    try {
      answer = await response.json();
    } catch {
      answer = { error: `the server answered ${response.status} ${response.statusText}`, field: null };
    }
    run.error = answer;
    run.state = "refused";
    onUpdate(run);
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  try {
    for (;;) {
      const { done, value: bytes } = await reader.read();
      if (done) break;
      pending += decoder.decode(bytes, { stream: true });
      let newline;
      while ((newline = pending.indexOf("\n")) >= 0) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (text.trim()) run.add(JSON.parse(text));
      }
      onUpdate(run);
    }
  } catch (e) {
    return ended(run, e, onUpdate);
  }
  if (!run.finished) {
    // The stream closed without a summary or an error line (the server stopped).
    run.state = "stopped";
    run.error = run.error ?? { error: "the server closed the stream before the run ended", step: run.lastStep };
  }
  onUpdate(run);
}

function ended(run, e, onUpdate) {
  if (run.controller.signal.aborted) {
    run.state = "stopped";
  } else {
    run.state = run.header ? "stopped" : "refused";
    run.error = { error: `the connection to the server failed: ${e.message ?? e}`, field: null };
  }
  onUpdate(run);
}
